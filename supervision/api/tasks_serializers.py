"""党建任务 over the API: the shapes of tasks, assignments and the three workflow inputs (dispatch, report, review).

Serializers shape input and output only; the rules (the sender's subtree, deadlines, who reports and who reviews,
which status may move) are supervision.services.tasks', whose Chinese messages reach the caller unchanged.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from organizations.api.serializers import OrganizationBriefSerializer

from ..choices import AssignmentStatus
from ..models import Task, TaskAssignment, TaskAttachment, TaskEvidence
from ..selectors.tasks import is_overdue, reported_late

STATUS_ERROR = f"办理状态“{{input}}”无效，应为：{'、'.join(AssignmentStatus.values)}。"
MAX_ID = 2**63 - 1


# Inlined in the schema: the other `status` fields of the API (findings, members…) keep their own enum names.
@extend_schema_field({"type": "string", "enum": list(AssignmentStatus.values), "description": "办理状态"})
class AssignmentStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": STATUS_ERROR})
        super().__init__(choices=AssignmentStatus.choices, **kwargs)


class _FileSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="content_type", read_only=True, help_text="文件类型（按内容识别）")
    size = serializers.IntegerField(read_only=True, help_text="大小（字节）")
    url = serializers.SerializerMethodField(help_text="下载地址（按账号范围提供）")

    url_name = ""

    class Meta:
        fields = ["id", "name", "type", "size", "url", "uploaded_at"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse(self.url_name, args=[obj.pk])


class TaskAttachmentSerializer(_FileSerializer):
    """A file sent with the task; downloaded from `url` (a scoped page, never the media root)."""

    url_name = "supervision:task_attachment"

    class Meta(_FileSerializer.Meta):
        model = TaskAttachment


class TaskEvidenceSerializer(_FileSerializer):
    """An evidence file of a report."""

    url_name = "supervision:assignment_evidence"

    class Meta(_FileSerializer.Meta):
        model = TaskEvidence


class TaskSerializer(serializers.ModelSerializer):
    """A task as listed, with the counts of the assignments the caller sees (all of them for the sender's side, its
    own organizations for a receiver)."""

    sender = OrganizationBriefSerializer(read_only=True, help_text="发送单位")
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, default=None, help_text="派送人账号"
    )
    assigned = serializers.IntegerField(read_only=True, help_text="派送数")
    reported = serializers.IntegerField(read_only=True, help_text="已上报、待审核数")
    accepted = serializers.IntegerField(read_only=True, help_text="已通过数")
    returned = serializers.IntegerField(read_only=True, help_text="已退回数")
    overdue = serializers.IntegerField(read_only=True, help_text="逾期未报数")
    completion_rate = serializers.SerializerMethodField(help_text="完成率：已通过÷派送，无派送时为空")

    class Meta:
        model = Task
        fields = [
            "id",
            "sender",
            "title",
            "deadline",
            "targets_note",
            "created_by",
            "created_at",
            "assigned",
            "reported",
            "accepted",
            "returned",
            "overdue",
            "completion_rate",
        ]
        read_only_fields = fields

    def get_completion_rate(self, obj) -> float | None:
        return round(obj.accepted / obj.assigned, 4) if obj.assigned else None


class TaskDetailSerializer(TaskSerializer):
    """One task in full: its body and files (the assignments are at /api/task-assignments/?task=<id>)."""

    attachments = TaskAttachmentSerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "body", "attachments"]
        read_only_fields = fields


class TaskCreateSerializer(serializers.Serializer):
    """Input of POST /api/tasks/ (JSON, or multipart with files): a task from `sender` to the organizations
    `targets`, all strictly below the sender and inside the caller's management scope."""

    sender = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="发送单位编号（须为本账号管理的组织）")
    title = serializers.CharField(allow_blank=True, max_length=200, help_text="任务名称")
    body = serializers.CharField(allow_blank=True, help_text="任务内容")
    deadline = serializers.DateField(help_text="完成时限（今天或以后）")
    targets = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=True,
        help_text="承办组织编号（均须在发送单位之下）",
    )
    targets_note = serializers.CharField(
        required=False, allow_blank=True, max_length=300, default="", help_text="派送范围说明"
    )
    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="附件：JPG、PNG 图片或 PDF，可多个（multipart 提交时）",
    )


class TaskBriefSerializer(serializers.ModelSerializer):
    sender = OrganizationBriefSerializer(read_only=True, help_text="发送单位")

    class Meta:
        model = Task
        fields = ["id", "title", "deadline", "sender"]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    """One receiving organization's copy of a task: its status, report, evidence and the sender's review."""

    task = TaskBriefSerializer(read_only=True)
    organization = OrganizationBriefSerializer(read_only=True, help_text="承办组织")
    status = AssignmentStatusField(read_only=True)
    overdue = serializers.SerializerMethodField(help_text="逾期未报：已过完成时限仍为待办理或已退回")
    reported_late = serializers.SerializerMethodField(help_text="逾期上报：上报时已过完成时限")
    reported_by = serializers.CharField(
        source="reported_by.username", read_only=True, allow_null=True, default=None, help_text="上报人账号"
    )
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", read_only=True, allow_null=True, default=None, help_text="审核人账号"
    )
    evidence = TaskEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = TaskAssignment
        fields = [
            "id",
            "task",
            "organization",
            "status",
            "overdue",
            "report",
            "reported_at",
            "reported_late",
            "reported_by",
            "report_count",
            "review_comment",
            "reviewed_at",
            "reviewed_by",
            "evidence",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return is_overdue(obj, self.context.get("today") or timezone.localdate())

    def get_reported_late(self, obj) -> bool:
        return reported_late(obj)


class ReportSerializer(serializers.Serializer):
    """Input of POST /api/task-assignments/{id}/report/ (JSON, or multipart with files)."""

    report = serializers.CharField(allow_blank=True, help_text="完成情况")
    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="佐证材料：JPG、PNG 图片或 PDF，可多个（multipart 提交时）",
    )


class ReviewSerializer(serializers.Serializer):
    """Input of POST /api/task-assignments/{id}/review/: accept it, or return it with a comment."""

    accept = serializers.BooleanField(help_text="true 通过；false 退回（须填写 comment）")
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=500, default="", help_text="审核意见（退回时必填）"
    )
