"""Pages of the assessment: the scoring sheet and its cells (views/scoring.py)."""

from django.urls import path

from ..views import scoring as views

urlpatterns = [
    path("schemes/<int:pk>/scoring/", views.ScoringView.as_view(), name="scoring"),
    path("schemes/<int:pk>/scoring/score/", views.ScoreSaveView.as_view(), name="score_save"),
    path("schemes/<int:pk>/scoring/appraisal/", views.AppraisalSaveView.as_view(), name="appraisal_save"),
    path("schemes/<int:pk>/scoring/evidence/", views.ScoreEvidenceView.as_view(), name="score_evidence"),
    path("scoring/files/<int:pk>/", views.ScoreFileView.as_view(), name="score_file"),
]
