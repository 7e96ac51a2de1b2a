"""三会一课 over the API: meetings with attendance and attachments, attendees of a day, compliance, standards.

Serializers shape input and output only; the rules (future meetings, who may be listed, late edits, file types) are
the services', whose Chinese messages reach the caller keyed by the request's field names.
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from core.api import ScopedPrimaryKeyRelatedField
from core.scope import Action
from organizations.api.serializers import OrganizationBriefSerializer
from organizations.models import Organization

from ..choices import AttendanceStatus, ComplianceStatus, Exemption, MeetingKind, PeriodType
from ..models import Attendance, Meeting, MeetingAttachment, MeetingStandard

KIND_ERROR = f"未知的会议类型“{{input}}”，应为：{'、'.join(MeetingKind.values)}"
STATUS_ERROR = f"出席情况“{{input}}”无效，应为：{'、'.join(AttendanceStatus.values)}。"


# The schema names their enums MeetingKindEnum and AttendanceStatusEnum (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
class KindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": KIND_ERROR})
        kwargs.setdefault("help_text", "会议类型")
        super().__init__(choices=MeetingKind.choices, **kwargs)


class AttendanceStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": STATUS_ERROR})
        kwargs.setdefault("help_text", "出席情况")
        super().__init__(choices=AttendanceStatus.choices, **kwargs)


# --- Meetings ------------------------------------------------------------------------------------------------------


class AttendanceSerializer(serializers.ModelSerializer):
    """One member on a meeting's attendance list."""

    member = serializers.IntegerField(source="member_id", read_only=True, help_text="党员编号")
    name = serializers.CharField(source="member.person.name", read_only=True, help_text="姓名")
    status = AttendanceStatusField(read_only=True)

    class Meta:
        model = Attendance
        fields = ["member", "name", "status", "reason"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    """A photo or PDF of a meeting; the file itself is downloaded from `url` (a scoped page, not the media root)."""

    type = serializers.CharField(source="content_type", read_only=True, help_text="文件类型（按内容识别）")
    size = serializers.IntegerField(read_only=True, help_text="大小（字节）")
    url = serializers.SerializerMethodField(help_text="下载地址")

    class Meta:
        model = MeetingAttachment
        fields = ["id", "name", "type", "size", "url", "uploaded_at"]
        read_only_fields = fields

    def get_url(self, obj: MeetingAttachment) -> str:
        # The scoped page that serves the file with the right headers (meetings.urls), never the media root.
        return reverse("meetings:attachment", args=[obj.pk])


class MeetingSerializer(serializers.ModelSerializer):
    """A meeting as listed: counts and flags, without the minutes, the attendance list and the attachments."""

    branch = OrganizationBriefSerializer(read_only=True)
    kind = KindField(read_only=True)
    attendance_rate = serializers.FloatField(read_only=True, allow_null=True, help_text="出席率（实到÷应到）")
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, default=None, help_text="登记人账号"
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "branch",
            "kind",
            "held_at",
            "held_on",
            "place",
            "topic",
            "host",
            "recorder",
            "expected_count",
            "present_count",
            "leave_count",
            "attendance_rate",
            "has_attendance",
            "backfilled",
            "late_edit_reason",
            "late_edited_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    """One meeting in full: minutes, the attendance list (by name) and the attachments."""

    attendance = AttendanceSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "minutes", "attendance", "attachments"]
        read_only_fields = fields


class AttendanceEntrySerializer(serializers.Serializer):
    """One line of the attendance list sent with a meeting."""

    member = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="党员编号（须为该日本支部党员）")
    status = AttendanceStatusField()
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=100, default="", help_text="请假原因（请假时必填）"
    )


def _counts_or_list(attrs: dict) -> None:
    if attrs.get("attendance") is not None and (
        attrs.get("expected_count") is not None or attrs.get("present_count") is not None
    ):
        raise serializers.ValidationError(
            {"expected_count": "已提交签到名单时，应到、实到人数由名单得出，请勿另行填写。"}
        )


class MeetingCreateSerializer(serializers.Serializer):
    """Input of POST /api/meetings/: a meeting with its attendance list, or with bare counts when there is none
    (historical records). A repeated `submission_key` returns the meeting saved the first time (200)."""

    branch_id = ScopedPrimaryKeyRelatedField(
        model=Organization, action=Action.CHANGE, help_text="支部编号（须在本账号可登记的范围内）"
    )
    kind = KindField()
    held_at = serializers.DateTimeField(help_text="召开时间（不带时区时按北京时间）")
    topic = serializers.CharField(allow_blank=True, max_length=200, help_text="会议主题")
    place = serializers.CharField(required=False, allow_blank=True, max_length=100, default="", help_text="地点")
    host = serializers.CharField(required=False, allow_blank=True, max_length=50, default="", help_text="主持人")
    recorder = serializers.CharField(required=False, allow_blank=True, max_length=50, default="", help_text="记录人")
    minutes = serializers.CharField(required=False, allow_blank=True, default="", help_text="会议记录")
    attendance = AttendanceEntrySerializer(
        many=True, required=False, allow_null=True, default=None, help_text="签到名单；不提交时填写应到、实到人数"
    )
    expected_count = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100000, default=None, help_text="应到人数（无名单时）"
    )
    present_count = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100000, default=None, help_text="实到人数（无名单时）"
    )
    submission_key = serializers.CharField(
        required=False, allow_blank=True, max_length=64, default="", help_text="提交标识：重复提交同一标识不会重复登记"
    )

    def validate(self, attrs):
        _counts_or_list(attrs)
        return attrs


class MeetingUpdateSerializer(serializers.Serializer):
    """Input of PATCH /api/meetings/{id}/: the fields given change, the others stay. A meeting held more than 30
    days ago (before or after the change) needs `reason`. A new `attendance` list replaces the old one."""

    kind = KindField(required=False)
    held_at = serializers.DateTimeField(required=False, help_text="召开时间（不带时区时按北京时间）")
    topic = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="会议主题")
    place = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="地点")
    host = serializers.CharField(required=False, allow_blank=True, max_length=50, help_text="主持人")
    recorder = serializers.CharField(required=False, allow_blank=True, max_length=50, help_text="记录人")
    minutes = serializers.CharField(required=False, allow_blank=True, help_text="会议记录")
    attendance = AttendanceEntrySerializer(many=True, required=False, help_text="新的签到名单（整体替换）")
    expected_count = serializers.IntegerField(
        required=False, min_value=0, max_value=100000, help_text="应到人数（仅无名单的会议）"
    )
    present_count = serializers.IntegerField(
        required=False, min_value=0, max_value=100000, help_text="实到人数（仅无名单的会议）"
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default="", help_text="修改原因（召开超过 30 天的会议必填）"
    )

    def validate(self, attrs):
        _counts_or_list(attrs)
        meeting = self.instance
        if (
            meeting is not None
            and meeting.has_attendance
            and "attendance" not in attrs
            and ({"expected_count", "present_count"} & set(attrs))
        ):
            raise serializers.ValidationError({"expected_count": "该会议有签到名单，人数由名单得出，请修改名单。"})
        if not set(attrs) - {"reason"}:
            raise serializers.ValidationError("请至少修改一项。")
        return attrs


class AttachmentUploadSerializer(serializers.Serializer):
    """Input of POST /api/meetings/{id}/attachments/ (multipart): one or more files under `file`."""

    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        min_length=1,
        help_text="JPG、PNG 图片或 PDF 文件，可多个（按内容识别类型）",
    )


class AttendeeSerializer(serializers.Serializer):
    """A member a meeting of the branch on that day may list."""

    id = serializers.IntegerField(read_only=True, help_text="党员编号")
    name = serializers.CharField(source="person.name", read_only=True, help_text="姓名")
    category = serializers.CharField(read_only=True, help_text="人员类别")


class AttendeesQuerySerializer(serializers.Serializer):
    branch = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="支部编号")
    on = serializers.DateField(required=False, help_text="会议日期（默认今天）")


# --- Compliance ----------------------------------------------------------------------------------------------------


class ComplianceQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100, help_text="年度（默认今年）")
    organization = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="组织编号（含下级；默认本账号的范围）"
    )


class ComplianceCellQuerySerializer(ComplianceQuerySerializer):
    status = serializers.ChoiceField(
        required=False, choices=ComplianceStatus.choices, help_text="达标情况：达标、未达标或进行中"
    )
    kind = KindField(required=False)


class ComplianceCellSerializer(serializers.Serializer):
    """One branch × kind × period: how many meetings it needs, how many it held, and the verdict."""

    branch_id = serializers.IntegerField(source="branch.id", help_text="支部编号")
    branch_code = serializers.CharField(source="branch.code", help_text="支部代码")
    branch_name = serializers.CharField(source="branch.name", help_text="支部名称")
    kind = KindField(help_text="会议类型")
    period = serializers.CharField(source="period.label", help_text="周期（如 2024-03、2024-Q1、2024）")
    period_type = serializers.ChoiceField(source="period.type", choices=PeriodType.choices, help_text="周期类型")
    period_start = serializers.DateField(source="period.start", help_text="周期首日")
    period_end = serializers.DateField(source="period.end", help_text="周期末日")
    required = serializers.IntegerField(help_text="最少次数")
    actual = serializers.IntegerField(help_text="已召开次数")
    status = serializers.CharField(help_text="达标情况：达标、未达标或进行中")


class TallySerializer(serializers.Serializer):
    met = serializers.IntegerField(help_text="达标项数")
    missed = serializers.IntegerField(help_text="未达标项数")
    open = serializers.IntegerField(help_text="进行中项数")
    rate = serializers.FloatField(allow_null=True, help_text="达标率：达标÷（达标+未达标），尚无结论时为空")
    meetings = serializers.IntegerField(help_text="全年会议次数")
    attendance_rate = serializers.FloatField(allow_null=True, help_text="出席率：实到÷应到，无应到时为空")


class BranchTallySerializer(TallySerializer):
    id = serializers.IntegerField(help_text="支部编号")
    code = serializers.CharField(help_text="支部代码")
    name = serializers.CharField(help_text="支部名称")


class GroupTallySerializer(TallySerializer):
    organization = OrganizationBriefSerializer(allow_null=True, help_text="分组组织（县委下为各乡镇）")
    branches = serializers.IntegerField(help_text="支部数")


class ComplianceSummarySerializer(serializers.Serializer):
    year = serializers.IntegerField()
    organization = OrganizationBriefSerializer(allow_null=True, help_text="统计范围（含下级）")
    groups = GroupTallySerializer(many=True, help_text="按下一级组织（乡镇）汇总")
    branches = BranchTallySerializer(many=True, help_text="各支部")


# --- Standards -----------------------------------------------------------------------------------------------------


class MeetingStandardSerializer(serializers.ModelSerializer):
    """The minimum frequency of one kind (the county's data; county administrators change it)."""

    kind = KindField(read_only=True)
    period_type = serializers.ChoiceField(
        choices=PeriodType.choices,
        error_messages={"invalid_choice": "周期应为 month（每月）、quarter（每季度）或 year（每年）。"},
        help_text="周期",
    )
    min_count = serializers.IntegerField(min_value=0, max_value=31, help_text="最少次数（0 表示不作要求）")
    exemption = serializers.ChoiceField(
        choices=Exemption.choices,
        allow_blank=True,
        error_messages={"invalid_choice": "适用范围应为空（所有支部）、committee 或 party_groups。"},
        help_text="适用范围：空为所有支部，committee 仅设支部委员会的支部，party_groups 仅设党小组的支部",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="说明")

    class Meta:
        model = MeetingStandard
        fields = ["id", "kind", "period_type", "min_count", "exemption", "note", "updated_at"]
        read_only_fields = ["updated_at"]
