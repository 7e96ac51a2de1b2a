"""Pages of the assessment: schemes and their workflow (views/schemes.py)."""

from django.urls import path

from ..views import schemes as views

urlpatterns = [
    path("schemes/", views.SchemeListView.as_view(), name="scheme_list"),
    path("schemes/new/", views.SchemeCreateView.as_view(), name="scheme_create"),
    path("schemes/<int:pk>/", views.SchemeDetailView.as_view(), name="scheme_detail"),
    path("schemes/<int:pk>/settings/", views.SchemeUpdateView.as_view(), name="scheme_update"),
    path("schemes/<int:pk>/copy/", views.SchemeCopyView.as_view(), name="scheme_copy"),
    path("schemes/<int:pk>/indicators/", views.IndicatorAddView.as_view(), name="indicator_add"),
    path("schemes/<int:pk>/indicators/<int:ipk>/", views.IndicatorUpdateView.as_view(), name="indicator_update"),
    path("schemes/<int:pk>/indicators/<int:ipk>/delete/", views.IndicatorDeleteView.as_view(), name="indicator_delete"),
    path("schemes/<int:pk>/vetoes/", views.VetoItemAddView.as_view(), name="veto_item_add"),
    path("schemes/<int:pk>/vetoes/<int:vpk>/delete/", views.VetoItemDeleteView.as_view(), name="veto_item_delete"),
    path("schemes/<int:pk>/compute/", views.SchemeComputeView.as_view(), name="scheme_compute"),
    path("schemes/<int:pk>/jobs/<int:job_pk>/", views.SchemeJobView.as_view(), name="scheme_job"),
    path("schemes/<int:pk>/publish/", views.SchemePublishView.as_view(), name="scheme_publish"),
    path("schemes/<int:pk>/reopen/", views.SchemeReopenView.as_view(), name="scheme_reopen"),
]
