"""Pages of funding: 党内关爱帮扶 (views/aid.py)."""

from django.urls import path

from ..views import aid

urlpatterns = [
    path("aid/", aid.AidListView.as_view(), name="aid_list"),
    path("aid/new/", aid.AidCreateView.as_view(), name="aid_create"),
    path("aid/<str:pk>/delete/", aid.AidDeleteView.as_view(), name="aid_delete"),
]
