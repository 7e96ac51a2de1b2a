from django.urls import path
from django.views.generic import RedirectView

app_name = "members"
# The member pages are being built; until then the entry leads to the organization tree.
urlpatterns = [path("", RedirectView.as_view(pattern_name="organizations:tree"), name="list")]
