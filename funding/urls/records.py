"""Pages of funding: the records list of a subtree (收支明细, views/records.py)."""

from django.urls import path

from ..views import records as views

urlpatterns = [
    path("records/", views.RecordListView.as_view(), name="records"),
]
