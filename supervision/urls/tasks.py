"""Pages of supervision: tasks (views/tasks.py)."""

from django.urls import path

from ..views import tasks as views

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("tasks/new/", views.TaskCreateView.as_view(), name="task_create"),
    path("tasks/targets/", views.TaskTargetsView.as_view(), name="task_targets"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/attachments/<int:pk>/", views.TaskAttachmentView.as_view(), name="task_attachment"),
    path("tasks/assignments/<int:pk>/report/", views.AssignmentReportView.as_view(), name="assignment_report"),
    path("tasks/assignments/<int:pk>/review/", views.AssignmentReviewView.as_view(), name="assignment_review"),
    path("tasks/evidence/<int:pk>/", views.AssignmentEvidenceView.as_view(), name="assignment_evidence"),
]
