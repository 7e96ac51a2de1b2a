from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("", views.MemberListView.as_view(), name="list"),
    path("new/", views.MemberCreateView.as_view(), name="create"),
    path("structure/", views.MemberStructureView.as_view(), name="structure"),
    path("<int:pk>/", views.MemberDetailView.as_view(), name="detail"),
    path("<int:pk>/reveal/", views.MemberRevealView.as_view(), name="reveal"),
    path("<int:pk>/transfer/", views.MemberTransferView.as_view(), name="transfer"),
    path("<int:pk>/status/", views.MemberStatusView.as_view(), name="status"),
]
