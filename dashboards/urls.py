from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboards/leader/", views.LeaderView.as_view(), name="leader"),
    path("dashboards/desk/", views.DeskView.as_view(), name="desk"),
    path("dashboards/branch/", views.SecretaryView.as_view(), name="secretary"),
]
