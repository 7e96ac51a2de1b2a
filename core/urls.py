from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("import/", views.ImportView.as_view(), name="import"),
    path("import/template/<str:sheet>/", views.ImportTemplateView.as_view(), name="import_template"),
    path("jobs/", views.JobListView.as_view(), name="jobs"),
    path("jobs/<int:pk>/", views.JobView.as_view(), name="job"),
    path("jobs/<int:pk>/row/", views.JobRowView.as_view(), name="job_row"),
    path("jobs/<int:pk>/resend/", views.JobResendView.as_view(), name="job_resend"),
    path("jobs/<int:pk>/download/", views.JobDownloadView.as_view(), name="job_download"),
    path("jobs/<int:pk>/problems.xlsx", views.JobProblemsView.as_view(), name="job_problems"),
    path("audit/", views.AuditListView.as_view(), name="audit"),
]
