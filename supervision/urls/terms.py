"""Pages of supervision: committee terms (views/terms.py)."""

from django.urls import path

from ..views import terms

urlpatterns = [
    path("terms/", terms.TermListView.as_view(), name="term_list"),
]
