"""Pages of the assessment (rankings): the ranking per group, one organization's result with its why panel and trend."""

from django.urls import path

from ..views import rankings

urlpatterns = [
    path("", rankings.RankingView.as_view(), name="ranking"),
    path("results/<str:pk>/", rankings.ResultDetailView.as_view(), name="result_detail"),
    path("orgs/<str:org_pk>/", rankings.OrganizationTrendView.as_view(), name="org_trend"),
]
