"""Pages of supervision: findings (views/findings.py). The board is the landing page of the supervision area."""

from django.urls import path

from ..views import findings as views

urlpatterns = [
    path("", views.FindingBoardView.as_view(), name="finding_board"),
    path("findings/", views.FindingListView.as_view(), name="finding_list"),
    path("findings/new/", views.FindingCreateView.as_view(), name="finding_create"),
    path("findings/<int:pk>/", views.FindingDetailView.as_view(), name="finding_detail"),
    path("findings/<int:pk>/edit/", views.FindingUpdateView.as_view(), name="finding_update"),
    path("findings/<int:pk>/advance/", views.FindingAdvanceView.as_view(), name="finding_advance"),
    path("findings/files/<int:pk>/", views.FindingEvidenceFileView.as_view(), name="finding_file"),
]
