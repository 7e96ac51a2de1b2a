"""Findings over the API: serializers shape input and output only; the rules (who may register, which step comes next,
deadlines) are supervision.services.findings', whose Chinese messages reach the caller keyed by the request's field
names.

Choice fields carry their values inline in the schema (not as shared enum components): several apps serve a field
named `status` or `source` with different values."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from organizations.api.serializers import OrganizationBriefSerializer

from ..choices import CheckKind, FindingCategory, FindingSource, FindingStatus, FindingStep, Severity
from ..models import Finding, FindingEvent, FindingEvidence
from ..selectors.findings import finding_steps_for


def _choice_field(choices, description: str):
    """A ChoiceField class with a Chinese error naming the allowed values."""
    values = [value for value, _ in choices]
    message = f"“{{input}}”无效，{description}应为：{'、'.join(values)}。"

    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs):
            kwargs.setdefault("error_messages", {"invalid_choice": message})
            kwargs.setdefault("help_text", description)
            super().__init__(choices=choices, **kwargs)

    return Field


# The schema names their enums FindingSourceEnum, FindingCategoryEnum, SeverityEnum, FindingStatusEnum,
# FindingStepEnum (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]): other apps serve `status` and `category` too.
SourceField = _choice_field(FindingSource.choices, "问题来源")
CategoryField = _choice_field(FindingCategory.choices, "问题类别")
SeverityField = _choice_field(Severity.choices, "严重程度")
StatusField = _choice_field(FindingStatus.choices, "整改状态")
StepField = _choice_field(FindingStep.choices, "整改环节")


class EvidenceFileSerializer(serializers.ModelSerializer):
    """A rectification evidence file; the file itself is downloaded from `url` (a scoped page, not the media root)."""

    type = serializers.CharField(source="content_type", read_only=True, help_text="文件类型（按内容识别）")
    size = serializers.IntegerField(read_only=True, help_text="大小（字节）")
    url = serializers.SerializerMethodField(help_text="下载地址")

    class Meta:
        model = FindingEvidence
        fields = ["id", "name", "type", "size", "url", "uploaded_at"]
        read_only_fields = fields

    def get_url(self, obj: FindingEvidence) -> str:
        return reverse("supervision:finding_file", args=[obj.pk])


class FindingEventSerializer(serializers.ModelSerializer):
    """One step of the rectification, with its note and evidence files."""

    step = StepField(read_only=True)
    from_status = serializers.CharField(read_only=True, help_text="原状态（登记时为空）")
    to_status = StatusField(read_only=True)
    actor = serializers.SerializerMethodField(help_text="操作人（系统操作为空）")
    files = EvidenceFileSerializer(many=True, read_only=True)

    class Meta:
        model = FindingEvent
        fields = ["id", "step", "from_status", "to_status", "note", "actor", "at", "files"]
        read_only_fields = fields

    def get_actor(self, obj: FindingEvent) -> str | None:
        return str(obj.actor) if obj.actor_id else None


class FindingSerializer(serializers.ModelSerializer):
    """A finding as listed: where, what, the deadline and where its rectification stands."""

    organization = OrganizationBriefSerializer(read_only=True)
    source = SourceField(read_only=True)
    category = CategoryField(read_only=True)
    severity = SeverityField(read_only=True)
    status = StatusField(read_only=True)
    check_kind = serializers.CharField(
        read_only=True, help_text=f"检查项目（手工登记为空）：{'、'.join(CheckKind.values)}"
    )
    overdue = serializers.SerializerMethodField(help_text="逾期：未报告整改完成且已过整改时限")
    previous = serializers.IntegerField(
        source="previous_id", read_only=True, allow_null=True, help_text="上年同类问题编号"
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "organization",
            "source",
            "check_kind",
            "category",
            "severity",
            "description",
            "responsible",
            "found_on",
            "year",
            "deadline",
            "status",
            "overdue",
            "repeated",
            "previous",
            "rectified_on",
            "closed_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: Finding) -> bool:
        return obj.is_overdue(timezone.localdate())


class FindingDetailSerializer(FindingSerializer):
    """One finding in full: the system check's evidence, the steps taken and the steps the caller may take now."""

    evidence = serializers.JSONField(read_only=True, help_text="系统检查证据：summary、rows、pair、refs")
    events = FindingEventSerializer(many=True, read_only=True)
    next_steps = serializers.SerializerMethodField(help_text="当前账号现在可以办理的环节")

    class Meta(FindingSerializer.Meta):
        fields = [*FindingSerializer.Meta.fields, "check_key", "evidence", "events", "next_steps"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=StepField()))
    def get_next_steps(self, obj: Finding) -> list[str]:
        request = self.context.get("request")
        return finding_steps_for(request.user, obj) if request is not None else []


class _Files(serializers.Serializer):
    file = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="佐证材料（JPG、PNG 或 PDF，可多个）"
    )


class FindingCreateSerializer(_Files):
    """Input of POST /api/findings/ (JSON, or multipart with `file` repeated for evidence)."""

    organization_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="责任组织编号")
    source = SourceField(help_text="问题来源（“系统检查”由夜间检查登记，不能手工登记）")
    category = CategoryField()
    severity = SeverityField(required=False, default=Severity.MINOR)
    description = serializers.CharField(max_length=5000, help_text="问题描述")
    responsible = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="", help_text="责任人（不填为该组织现任书记）"
    )
    found_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="发现日期（默认今天）")
    deadline = serializers.DateField(help_text="整改时限（今天或以后）")


class FindingUpdateSerializer(serializers.Serializer):
    """Input of PATCH /api/findings/{id}/: the fields a finding may be corrected in (not once signed off)."""

    category = CategoryField(required=False)
    severity = SeverityField(required=False)
    description = serializers.CharField(max_length=5000, required=False)
    responsible = serializers.CharField(max_length=50, required=False, allow_blank=True)
    deadline = serializers.DateField(required=False)


class FindingAdvanceSerializer(_Files):
    """Input of POST /api/findings/{id}/advance/: one step of the rectification (multipart for evidence files)."""

    step = StepField(help_text="开始整改、报告整改完成、销号、退回重改 或 补充说明（“登记”不是可办理的环节）")
    note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="说明（开始整改、报告整改完成、退回重改、补充说明须填写）",
    )
