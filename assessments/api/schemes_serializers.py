"""Schemes (考核方案), their indicators and veto items, and the computation job over the API: serializers shape input and
output only; the rules (thresholds in order, weights adding up, a published scheme locked, who may change what) are
assessments.services', whose Chinese messages reach the caller keyed by the request's field names."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import Job
from organizations.api.serializers import OrganizationBriefSerializer

from ..choices import IndicatorMethod, SchemeStatus
from ..models import Indicator, Scheme, VetoItem
from ..selectors import may_manage_county
from ..sources import SOURCES
from .fields import PointsInput, WholeInput, id_field, inline_choices, points

SchemeStatusField = inline_choices(SchemeStatus.choices, "状态")
MethodField = inline_choices(IndicatorMethod.choices, "评分方式")
JobStatusField = inline_choices(Job.Status.choices, "任务状态")
SOURCE_HELP = "计算来源（系统计算的指标）：" + "；".join(f"{s.key} {s.label}" for s in SOURCES.values())


class VetoItemSerializer(serializers.ModelSerializer):
    """一票否决事项 of a scheme."""

    class Meta:
        model = VetoItem
        fields = ["id", "scheme", "order", "name"]
        read_only_fields = fields


class IndicatorSerializer(serializers.ModelSerializer):
    """考核指标: scored by hand (manual) or computed from the records by a source (computed)."""

    max_points = points("分值")
    method = MethodField()
    method_label = serializers.CharField(source="get_method_display", read_only=True, help_text="评分方式名称")
    source = serializers.CharField(read_only=True, help_text=SOURCE_HELP)
    source_label = serializers.SerializerMethodField(help_text="计算来源名称（人工评分为空）")
    params = serializers.JSONField(read_only=True, help_text="计算参数（如 findings_open 的 per_open、per_overdue）")

    class Meta:
        model = Indicator
        fields = [
            "id", "scheme", "order", "name", "max_points", "method", "method_label", "source", "source_label", "params",
            "description",
        ]  # fmt: skip
        read_only_fields = fields

    def get_source_label(self, obj: Indicator) -> str | None:
        source = SOURCES.get(obj.source)
        return source.label if source else None


class SchemeSerializer(serializers.ModelSerializer):
    """A scheme as listed: its county, year and group, settings, status, and how far its results are."""

    county = OrganizationBriefSerializer(read_only=True)
    title = serializers.CharField(
        source="__str__", read_only=True, help_text="方案名称（未命名时为“某年度某类别考核”）"
    )
    status = SchemeStatusField()
    status_label = serializers.CharField(source="get_status_display", read_only=True, help_text="状态名称")
    good_min = points("“好”最低分")
    fair_min = points("“较好”最低分")
    pass_min = points("“一般”最低分（低于此分为“差”）")
    vote_good = points("“好”票分值")
    vote_fair = points("“较好”票分值")
    vote_average = points("“一般”票分值")
    vote_poor = points("“差”票分值")
    published_by = serializers.SerializerMethodField(help_text="发布人（未发布为空）")
    results_count = serializers.IntegerField(read_only=True, help_text="考核组织数")
    missing_count = serializers.IntegerField(read_only=True, help_text="总分不完整的组织数（有则不能发布）")
    indicators_count = serializers.IntegerField(read_only=True, help_text="指标数（0：直接导入总分）")
    max_points_total = points("指标分值合计（计算前应为 100）", allow_null=True)

    class Meta:
        model = Scheme
        fields = [
            "id", "county", "year", "group", "name", "title", "status", "status_label",
            "good_min", "fair_min", "pass_min", "good_cap", "appraisal_weight", "upper_weight", "lower_weight",
            "vote_good", "vote_fair", "vote_average", "vote_poor", "is_default",
            "results_count", "missing_count", "indicators_count", "max_points_total",
            "computed_at", "published_at", "published_by", "reopen_reason", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_published_by(self, obj: Scheme) -> str | None:
        return str(obj.published_by) if obj.published_by_id else None


class SchemeDetailSerializer(SchemeSerializer):
    """One scheme in full: its indicators and veto items, and whether the caller may change it."""

    indicators = serializers.SerializerMethodField(help_text="考核指标，按序号")
    veto_items = serializers.SerializerMethodField(help_text="一票否决事项，按序号")
    may_manage = serializers.SerializerMethodField(help_text="当前账号可以修改、计算、发布此方案（县委组织部）")

    class Meta(SchemeSerializer.Meta):
        fields = [*SchemeSerializer.Meta.fields, "indicators", "veto_items", "may_manage"]
        read_only_fields = fields

    @extend_schema_field(IndicatorSerializer(many=True))
    def get_indicators(self, obj: Scheme):
        return IndicatorSerializer(obj.indicators.order_by("order", "id"), many=True).data

    @extend_schema_field(VetoItemSerializer(many=True))
    def get_veto_items(self, obj: Scheme):
        return VetoItemSerializer(obj.veto_items.order_by("order", "id"), many=True).data

    def get_may_manage(self, obj: Scheme) -> bool:
        request = self.context.get("request")
        return request is not None and may_manage_county(request.user, obj.county)


class SchemeSettingsSerializer(serializers.Serializer):
    """The settings of a scheme (all optional: a missing one keeps its value, or the default on create)."""

    name = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="方案名称")
    good_min = PointsInput(help_text="“好”最低分（默认 90）")
    fair_min = PointsInput(help_text="“较好”最低分（默认 80）")
    pass_min = PointsInput(help_text="“一般”最低分（默认 60）")
    good_cap = WholeInput(allow_null=True, help_text="“好”等次比例上限（%，1–100；null 为不限）")
    appraisal_weight = WholeInput(help_text="述职评议权重（%，0–100；0 为不计述职评议）")
    upper_weight = WholeInput(help_text="上级评议占比（%）；与下级评议占比之和应为 100")
    lower_weight = WholeInput(help_text="下级评议占比（%）")
    vote_good = PointsInput(help_text="“好”票分值（默认 100）")
    vote_fair = PointsInput(help_text="“较好”票分值（默认 80）")
    vote_average = PointsInput(help_text="“一般”票分值（默认 60）")
    vote_poor = PointsInput(help_text="“差”票分值（默认 0）")


class SchemePutSerializer(SchemeSettingsSerializer):
    """PUT replaces every setting: all are required (null allowed for good_cap)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = True


class SchemeCreateSerializer(SchemeSettingsSerializer):
    """Input of POST /api/assessment-schemes/."""

    county = id_field("县（组织编号）；只在一个县工作的账号可以不填", required=False)
    year = WholeInput(required=True, help_text="年度")
    group = serializers.CharField(max_length=50, allow_blank=True, help_text="考核类别，如“村（社区）党组织”")


class SchemeCopySerializer(serializers.Serializer):
    year = WholeInput(allow_null=True, help_text="新方案的年度（默认下一年）")


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, allow_blank=True, help_text="撤回发布的原因（必填）")


class MissingSerializer(serializers.Serializer):
    """An organization whose total is missing, and why (which indicators, the appraisal votes)."""

    result = serializers.IntegerField(source="result.pk", help_text="考核结果编号")
    organization = OrganizationBriefSerializer(source="result.organization")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="缺少的内容")


class IndicatorCreateSerializer(serializers.Serializer):
    """Input of POST /api/assessment-indicators/."""

    scheme = id_field("考核方案编号")
    order = WholeInput(help_text="序号（默认排在最后）")
    name = serializers.CharField(max_length=100, allow_blank=True, help_text="指标名称")
    max_points = PointsInput(required=True, help_text="分值（各指标分值合计应为 100）")
    method = serializers.CharField(
        max_length=16, required=False, help_text="评分方式：manual 人工评分（默认）或 computed 系统计算"
    )
    source = serializers.CharField(max_length=32, required=False, allow_blank=True, help_text=SOURCE_HELP)
    params = serializers.JSONField(required=False, help_text="计算参数（对象）")
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, help_text="评分标准")


class IndicatorUpdateSerializer(IndicatorCreateSerializer):
    """Input of PATCH /api/assessment-indicators/{id}/: any of the fields (not the scheme)."""

    scheme = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class VetoItemCreateSerializer(serializers.Serializer):
    scheme = id_field("考核方案编号")
    name = serializers.CharField(max_length=200, allow_blank=True, help_text="否决事项")


class JobSerializer(serializers.ModelSerializer):
    """A computation job: its progress, outcome and where to follow it."""

    status = JobStatusField()
    status_label = serializers.CharField(source="get_status_display", read_only=True, help_text="任务状态名称")
    result = serializers.JSONField(read_only=True, help_text="结果：各方案的变化数、“三个一律”的变化数；失败时 errors")
    status_url = serializers.SerializerMethodField(help_text="任务进度页面（网页，可轮询）")
    url = serializers.SerializerMethodField(help_text="本接口地址（JSON，可轮询）")

    class Meta:
        model = Job
        fields = [
            "id", "kind", "status", "status_label", "progress", "message", "params", "result", "created_at",
            "started_at", "finished_at", "status_url", "url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_status_url(self, obj: Job) -> str:
        return reverse("core:job", args=[obj.pk])

    def get_url(self, obj: Job) -> str:
        return reverse("assessments-api:assessment-job-detail", args=[obj.pk])
