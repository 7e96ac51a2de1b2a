"""Pages of the assessment (penalties): the three rules' list with its evidence, one penalty, the rule parameters."""

from django.urls import path

from ..views import penalties

urlpatterns = [
    path("penalties/", penalties.PenaltyListView.as_view(), name="penalty_list"),
    path("penalties/<str:pk>/", penalties.PenaltyDetailView.as_view(), name="penalty_detail"),
    path("rules/", penalties.RuleSettingsView.as_view(), name="rule_settings"),
]
