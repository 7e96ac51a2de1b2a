"""Pages of supervision: the nightly formalism checks and their runs (views/checks.py)."""

from django.urls import path

from ..views import checks as views

urlpatterns = [
    path("checks/", views.CheckRunListView.as_view(), name="check_runs"),
    path("checks/run/", views.CheckRunNowView.as_view(), name="check_run_now"),
]
