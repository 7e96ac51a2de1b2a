"""Pages of funding: township and county summaries (the landing page, views/summaries.py)."""

from django.urls import path

from ..views import summaries

urlpatterns = [
    path("", summaries.SummaryView.as_view(), name="summary"),
]
