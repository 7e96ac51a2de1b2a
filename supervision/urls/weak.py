"""Pages of supervision: weak and lax organizations (views/weak.py)."""

from django.urls import path

from ..views import weak

urlpatterns = [
    path("weak/", weak.WeakListView.as_view(), name="weak_list"),
    path("weak/new/", weak.WeakCreateView.as_view(), name="weak_create"),
    path("weak/<str:pk>/", weak.WeakDetailView.as_view(), name="weak_detail"),
    path("weak/<str:pk>/steps/", weak.WeakStepAddView.as_view(), name="weak_step_add"),
    path("weak/<str:pk>/lift/", weak.WeakLiftView.as_view(), name="weak_lift"),
    path("weak/<str:pk>/edit/", weak.WeakUpdateView.as_view(), name="weak_update"),
]
