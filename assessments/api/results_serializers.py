"""Results (one organization in one year) over the API: the scores behind the total, the derived rank, grade, bottom
three and moved up, the responsible secretary (masked ID number only) and a "why" in words; and the inputs of the
scoring, appraisal, veto and grade-change actions, which assessments.services.scoring checks."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.scope import Action, in_scope
from members.models import Person
from organizations.api.serializers import OrganizationBriefSerializer

from ..choices import Grade, SchemeStatus, Side
from ..models import Indicator, Result, Scheme, ScoreEvidence
from ..selectors import may_manage_county, rule_settings
from .fields import GradeField, PointsInput, WholeInput, grade_name, id_field, inline_choices, points
from .schemes_serializers import MethodField, SchemeStatusField

SideField = inline_choices(Side.choices, "评议方")


class SchemeBriefSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="__str__", read_only=True, help_text="方案名称")
    status = SchemeStatusField()

    class Meta:
        model = Scheme
        fields = ["id", "year", "group", "title", "status"]
        read_only_fields = fields


class SecretarySerializer(serializers.ModelSerializer):
    """The responsible secretary: who held the 书记 post on 31 December of the year. The ID number only masked."""

    class Meta:
        model = Person
        fields = ["id", "name", "id_number_masked"]
        read_only_fields = fields


class ResultSerializer(serializers.ModelSerializer):
    """A result as listed (and ranked): totals, rank, grade and how it was reached, bottom three, moved up."""

    scheme = SchemeBriefSerializer(read_only=True)
    organization = OrganizationBriefSerializer(read_only=True)
    imported_total = points("导入总分（考核得分表直接导入；有则为总分）", allow_null=True)
    indicator_total = points("指标得分合计（各指标都已评分时）", allow_null=True)
    appraisal_score = points("述职评议得分", allow_null=True)
    total = points("总分（空：得分不完整）", allow_null=True)
    rule_grade = GradeField(help_text="按分数线的等次")
    rule_grade_label = grade_name("rule_grade")
    grade = GradeField()
    grade_label = grade_name("grade")
    grade_override = GradeField(help_text="人工调整后的等次")
    grade_override_label = grade_name("grade_override")
    prev_grade = GradeField(help_text="上年等次")
    prev_grade_label = grade_name("prev_grade")
    failed = serializers.SerializerMethodField(help_text="不合格（等次为差）")
    rank_change = serializers.SerializerMethodField(
        help_text="名次变化：上年名次 − 今年名次（正数为前进）；无上年名次为空"
    )
    moved_up = serializers.BooleanField(read_only=True, allow_null=True, help_text="晋位升级；无上年结果为空（未知）")
    secretary = SecretarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Result
        fields = [
            "id", "year", "scheme", "organization",
            "imported_total", "indicator_total", "appraisal_score", "total",
            "rank", "rank_asc", "group_size", "rule_grade", "rule_grade_label", "capped", "vetoed",
            "grade_override", "grade_override_label", "grade", "grade_label", "failed", "bottom", "moved_up",
            "prev_rank", "prev_grade", "prev_grade_label", "rank_change", "secretary", "computed_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_failed(self, obj: Result) -> bool:
        return obj.grade == Grade.POOR

    def get_rank_change(self, obj: Result) -> int | None:
        if obj.rank is None or obj.prev_rank is None:
            return None
        return obj.prev_rank - obj.rank


class ScoreFileSerializer(serializers.ModelSerializer):
    """A file behind a score (检查记录, 照片, 扣分依据)."""

    type = serializers.CharField(source="content_type", read_only=True, help_text="文件类型（按内容识别）")

    class Meta:
        model = ScoreEvidence
        fields = ["id", "name", "type", "size", "uploaded_at"]
        read_only_fields = fields


class ScoreRowSerializer(serializers.Serializer):
    """One indicator of the scheme and this organization's points in it (null: not scored yet)."""

    indicator = serializers.IntegerField(source="indicator.pk", help_text="指标编号")
    name = serializers.CharField(source="indicator.name", help_text="指标名称")
    max_points = points("分值", source="indicator.max_points")
    method = MethodField(source="indicator.method")
    score = points("得分（未评分为空）", allow_null=True, source="row.score", default=None)
    note = serializers.CharField(source="row.note", default="", help_text="扣分说明")
    basis = serializers.CharField(source="row.basis", default="", help_text="计算依据（系统计算的指标）")
    entered_by = serializers.SerializerMethodField(help_text="评分人（系统计算为空）")
    updated_at = serializers.DateTimeField(source="row.updated_at", default=None, allow_null=True)
    files = serializers.SerializerMethodField(help_text="佐证材料")

    def get_entered_by(self, obj) -> str | None:
        row = obj["row"]
        return str(row.entered_by) if row is not None and row.entered_by_id else None

    @extend_schema_field(ScoreFileSerializer(many=True))
    def get_files(self, obj):
        row = obj["row"]
        return ScoreFileSerializer(row.evidence.all(), many=True).data if row is not None else []


class AppraisalSerializer(serializers.Serializer):
    """The votes of one side of the duty-report appraisal (0 everywhere where none were entered)."""

    side = SideField()
    side_label = serializers.CharField(help_text="评议方名称")
    good = serializers.IntegerField(help_text="“好”票数")
    fair = serializers.IntegerField(help_text="“较好”票数")
    average = serializers.IntegerField(help_text="“一般”票数")
    poor = serializers.IntegerField(help_text="“差”票数")
    votes = serializers.IntegerField(help_text="票数合计")


class VetoItemBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ResultDetailSerializer(ResultSerializer):
    """One result in full: every indicator with its points, the appraisal votes, the veto and the change of grade
    with their reasons, what the caller may do, and `why` — the rank and grade explained in words."""

    veto_item = VetoItemBriefSerializer(read_only=True, allow_null=True)
    scores = serializers.SerializerMethodField(help_text="各指标得分，按指标序号（含未评分的指标）")
    appraisal = serializers.SerializerMethodField(help_text="述职评议票数：上级评议、下级评议")
    why = serializers.SerializerMethodField(help_text="排名和等次的由来（文字说明）")
    may_score = serializers.SerializerMethodField(help_text="当前账号可以为此组织评分、录入述职评议票数")
    may_manage = serializers.SerializerMethodField(help_text="当前账号可以一票否决、调整等次（县委组织部）")

    class Meta(ResultSerializer.Meta):
        fields = [
            *ResultSerializer.Meta.fields, "veto_item", "veto_reason", "override_reason", "scores", "appraisal",
            "why", "may_score", "may_manage",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ScoreRowSerializer(many=True))
    def get_scores(self, obj: Result):
        rows = {s.indicator_id: s for s in obj.scores.all()}
        indicators = getattr(obj.scheme, "indicator_list", None)
        if indicators is None:
            indicators = list(Indicator.objects.filter(scheme_id=obj.scheme_id).order_by("order", "id"))
        return ScoreRowSerializer([{"indicator": i, "row": rows.get(i.pk)} for i in indicators], many=True).data

    @extend_schema_field(AppraisalSerializer(many=True))
    def get_appraisal(self, obj: Result):
        tallies = {a.side: a for a in obj.appraisals.all()}
        out = []
        for side in Side:
            a = tallies.get(side.value)
            counts = {n: getattr(a, n) if a else 0 for n in ("good", "fair", "average", "poor")}
            out.append({"side": side.value, "side_label": side.label, **counts, "votes": sum(counts.values())})
        return AppraisalSerializer(out, many=True).data

    def get_why(self, obj: Result) -> list[str]:
        return explain(obj)

    def get_may_score(self, obj: Result) -> bool:
        request = self.context.get("request")
        return request is not None and in_scope(request.user, Action.INSPECT, obj.organization.path)

    def get_may_manage(self, obj: Result) -> bool:
        request = self.context.get("request")
        return request is not None and may_manage_county(request.user, obj.scheme.county)


def _g(grade) -> str:
    return Grade(grade).label


def explain(r: Result) -> list[str]:
    """The result's rank, grade, bottom three, moved up and secretary in words, as assessments.compute derived them."""
    s = r.scheme
    lines = []
    if r.total is None:
        lines.append("总分尚未得出：还有指标未评分、述职评议票数未录入或考核得分未导入，暂不排名。")
        return lines
    if r.imported_total is not None:
        lines.append(f"总分 {r.total} 分，为考核得分表导入的总分。")
    elif s.appraisal_weight and r.appraisal_score is not None:
        w = s.appraisal_weight
        lines.append(
            f"总分 {r.total} 分 = 指标得分 {r.indicator_total} × {100 - w}% + 述职评议得分 {r.appraisal_score} × {w}%。"
        )
    else:
        lines.append(f"总分 {r.total} 分，为各指标得分之和。")
    if r.rank is None or r.grade is None:
        lines.append("尚未计算排名和等次。")
        return lines
    lines.append(f"在“{s.group}”{r.group_size} 个组织中排第 {r.rank} 名（同分同名次）。")
    lines.append(f"按分数线（好 ≥ {s.good_min}，较好 ≥ {s.fair_min}，一般 ≥ {s.pass_min}）为“{_g(r.rule_grade)}”。")
    if r.capped:
        quota = r.group_size * s.good_cap // 100
        lines.append(
            f"“好”等次不超过本类别的 {s.good_cap}%（至多 {quota} 个），与其同分或分数更高的组织已超过限额，调整为“较好”。"
        )
    if r.vetoed:
        what = r.veto_item.name if r.veto_item_id else r.veto_reason
        lines.append(f"一票否决（{what}），等次为“差”。" if what else "一票否决，等次为“差”。")
    if r.grade_override is not None:
        lines.append(f"人工调整等次为“{_g(r.grade_override)}”，原因：{r.override_reason}")
    lines.append(f"最终等次：“{_g(r.grade)}”" + ("，不合格。" if r.grade == Grade.POOR else "。"))
    settings = rule_settings(s.county)
    if r.group_size <= settings.min_group_size:
        lines.append(f"本类别只有 {r.group_size} 个组织（不超过 {settings.min_group_size} 个），不评后三名。")
    elif r.bottom:
        lines.append(
            f"倒数第 {r.rank_asc} 名（分数比它低的组织少于 {settings.bottom_n} 个），列为后{settings.bottom_n}名。"
        )
    if r.moved_up is None:
        lines.append(f"{r.year - 1}年在本类别没有考核结果，是否晋位升级未知。")
    elif r.moved_up:
        if r.rank < r.prev_rank:
            lines.append(f"名次由{r.year - 1}年第 {r.prev_rank} 名升至第 {r.rank} 名，晋位升级。")
        elif r.grade < r.prev_grade:
            lines.append(f"等次由{r.year - 1}年“{_g(r.prev_grade)}”升为“{_g(r.grade)}”，晋位升级。")
        else:
            lines.append("连续保持“好”等次，视为晋位升级。")
    else:
        lines.append(
            f"与{r.year - 1}年（第 {r.prev_rank} 名，“{_g(r.prev_grade)}”）相比，名次和等次都没有提升，未晋位升级。"
        )
    if r.secretary_id:
        lines.append(f"责任书记：{r.secretary.name}（{r.year}年12月31日在任）。")
    else:
        lines.append(f"{r.year}年12月31日没有在任书记，无责任书记。")
    if s.status == SchemeStatus.DRAFT:
        lines.append("注意：上次计算后得分或设置有变化，以上排名和等次待重新计算。")
    return lines


class ScoreSerializer(serializers.Serializer):
    """Input of POST /api/assessment-results/{id}/scores/ (JSON, or multipart with `file` repeated)."""

    indicator = id_field("指标编号（人工评分的指标）")
    score = PointsInput(required=True, help_text="得分：0 到指标分值，最多两位小数")
    note = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", help_text="扣分说明（低于分值时必填）"
    )
    file = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="佐证材料（JPG、PNG 或 PDF，可多个）"
    )


class ScoreClearSerializer(serializers.Serializer):
    indicator = id_field("要清除得分的指标编号")


class AppraisalInputSerializer(serializers.Serializer):
    """Input of POST /api/assessment-results/{id}/appraisal/: one side's votes."""

    side = serializers.CharField(max_length=8, help_text="评议方：upper 上级评议 或 lower 下级评议")
    good = WholeInput(help_text="“好”票数")
    fair = WholeInput(help_text="“较好”票数")
    average = WholeInput(help_text="“一般”票数")
    poor = WholeInput(help_text="“差”票数")


class VetoInputSerializer(serializers.Serializer):
    vetoed = serializers.BooleanField(help_text="true 一票否决；false 撤销否决")
    item = id_field("否决事项编号（本方案的；或填写 reason）", required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", help_text="否决说明")


class OverrideInputSerializer(serializers.Serializer):
    grade = serializers.CharField(
        max_length=4,
        allow_null=True,
        allow_blank=True,
        help_text="调整后的等次：1–4 或 好、较好、一般、差；null 或空为撤销调整",
    )
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="调整原因（调整时必填）"
    )
