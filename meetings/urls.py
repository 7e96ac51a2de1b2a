from django.urls import path

from .views import compliance as compliance_views
from .views import meetings as meeting_views
from .views import reports as report_views

app_name = "meetings"
urlpatterns = [
    # Pages of the meetings themselves (views/meetings.py) and compliance (views/compliance.py).
    path("", meeting_views.MeetingListView.as_view(), name="list"),
    path("new/", meeting_views.MeetingCreateView.as_view(), name="create"),
    path("attendees/", meeting_views.AttendeesFragmentView.as_view(), name="attendees"),
    path("my/", meeting_views.MyBranchView.as_view(), name="my"),
    path("<int:pk>/", meeting_views.MeetingDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", meeting_views.MeetingUpdateView.as_view(), name="update"),
    path("<int:pk>/delete/", meeting_views.MeetingDeleteView.as_view(), name="delete"),
    path("<int:pk>/attachments/", meeting_views.AttachmentUploadView.as_view(), name="attachment_upload"),
    path("<int:pk>/speeches/", meeting_views.SpeechSaveView.as_view(), name="speech_save"),
    path("speeches/<int:pk>/delete/", meeting_views.SpeechDeleteView.as_view(), name="speech_delete"),
    path("attachments/<int:pk>/", meeting_views.AttachmentView.as_view(), name="attachment"),
    path("attachments/<int:pk>/delete/", meeting_views.AttachmentDeleteView.as_view(), name="attachment_delete"),
    path("branch/<int:pk>/calendar/", meeting_views.BranchCalendarView.as_view(), name="calendar"),
    path("compliance/", compliance_views.ComplianceView.as_view(), name="compliance"),
    path("quarter/", compliance_views.QuarterView.as_view(), name="quarter"),
    path("overdue/", compliance_views.OverdueView.as_view(), name="overdue"),
    path("standards/", compliance_views.StandardListView.as_view(), name="standards"),
    path("standards/<int:pk>/edit/", compliance_views.StandardEditView.as_view(), name="standard_edit"),
    # Monthly reports and bulletins (views/reports.py).
    path("reports/", report_views.MonthlyReportListView.as_view(), name="reports"),
    path("reports/build/", report_views.MonthlyReportBuildView.as_view(), name="report_build"),
    path("bulletins/<int:pk>/<str:month>/", report_views.BulletinView.as_view(), name="bulletin"),
    path(
        "bulletins/<int:pk>/<str:month>/publish/", report_views.BulletinPublishView.as_view(), name="bulletin_publish"
    ),
]
