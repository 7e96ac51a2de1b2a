"""Pages of supervision: dispatched cadres and their duty check-ins (views/dispatch.py)."""

from django.urls import path

from ..views import dispatch

urlpatterns = [
    path("dispatch/", dispatch.DispatchListView.as_view(), name="dispatch_list"),
    path("dispatch/new/", dispatch.DispatchCreateView.as_view(), name="dispatch_create"),
    path("dispatch/<str:pk>/", dispatch.DispatchDetailView.as_view(), name="dispatch_detail"),
    path("dispatch/<str:pk>/check-in/", dispatch.DispatchCheckInView.as_view(), name="dispatch_check_in"),
    path("dispatch/<str:pk>/end/", dispatch.DispatchEndView.as_view(), name="dispatch_end"),
]
