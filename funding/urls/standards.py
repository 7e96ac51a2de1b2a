"""Pages of funding: the county's standards, the organizations below them, and the standard forms
(views/standards.py)."""

from django.urls import path

from ..views import standards

urlpatterns = [
    path("standards/", standards.StandardViolationsView.as_view(), name="standard_violations"),
    path("standards/new/", standards.StandardCreateView.as_view(), name="standard_create"),
    path("standards/<str:pk>/edit/", standards.StandardUpdateView.as_view(), name="standard_update"),
]
