"""REST endpoints of the three rules (三个一律): /api/assessment-penalties/ (each person's penalties with their
evidence) and /api/assessment-rules/ (the county's parameters of the rules).

Penalties are read through selectors.penalty_list: the caller's subtree, and for read-only accounts only the years
whose schemes are all published. The person's ID number is only ever returned masked. The parameters are read by
everyone in the county and changed by the county organization department (services.schemes.rule_settings_update);
a change takes effect at the next computation."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from core.api import ScopedViewSetMixin
from organizations.api.serializers import OrganizationBriefSerializer

from .. import selectors
from ..choices import CONSEQUENCES, Rule, rule_label
from ..filtersets import PenaltyFilterSet
from ..models import Penalty, RuleSettings
from ..services import schemes as services
from .fields import WholeInput, call, inline_choices, validated
from .results_serializers import SecretarySerializer
from .schemes import county_for

RuleField = inline_choices(Rule.choices, "规则", integer=True)


class EvidenceRowSerializer(serializers.Serializer):
    """One result behind a penalty, as stored when the rules were computed."""

    result = serializers.IntegerField(help_text="考核结果编号")
    year = serializers.IntegerField(help_text="年度")
    organization = serializers.IntegerField(help_text="组织编号")
    code = serializers.CharField(help_text="组织代码")
    name = serializers.CharField(help_text="组织名称")
    group = serializers.CharField(help_text="考核类别")
    rank = serializers.IntegerField(help_text="排名")
    group_size = serializers.IntegerField(help_text="类别组织数")
    grade = serializers.IntegerField(help_text="等次：1 好、2 较好、3 一般、4 差")
    total = serializers.CharField(allow_null=True, help_text="总分")
    moved_up = serializers.BooleanField(allow_null=True, help_text="晋位升级（空为未知）")
    bottom = serializers.BooleanField(help_text="后三名")
    prev_rank = serializers.IntegerField(allow_null=True, help_text="上年排名")
    prev_grade = serializers.IntegerField(allow_null=True, help_text="上年等次")


class PenaltySerializer(serializers.ModelSerializer):
    """A consequence of the three rules for one person, from assessment year `year` (it applies in `applies_in`),
    with the results that triggered it, newest year first."""

    person = SecretarySerializer(read_only=True)
    organization = OrganizationBriefSerializer(read_only=True)
    rule = RuleField()
    rule_label = serializers.SerializerMethodField(help_text="规则名称（按本县设置的年数）")
    consequence = serializers.SerializerMethodField(help_text="处理：一律……")
    applies_in = serializers.SerializerMethodField(help_text="处理适用年度（考核年度的下一年）")
    why = serializers.SerializerMethodField(help_text="处理的由来（文字说明）")
    evidence = serializers.SerializerMethodField(help_text="依据：触发规则的各年度考核结果")

    class Meta:
        model = Penalty
        fields = [
            "id", "year", "applies_in", "rule", "rule_label", "consequence", "years", "person", "organization",
            "why", "evidence", "computed_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_rule_label(self, obj: Penalty) -> str:
        return rule_label(obj.rule, obj.years)

    def get_consequence(self, obj: Penalty) -> str:
        return "一律" + CONSEQUENCES[Rule(obj.rule)]

    def get_applies_in(self, obj: Penalty) -> int:
        return obj.year + 1

    def get_why(self, obj: Penalty) -> str:
        years = sorted({e["year"] for e in obj.evidence})
        span = f"{years[0]}—{years[-1]}年" if len(years) > 1 else f"{obj.year}年"
        orgs = "、".join(dict.fromkeys(e["name"] for e in sorted(obj.evidence, key=lambda e: e["year"])))
        return (
            f"{obj.person.name}作为{orgs}的责任书记，{span}{rule_label(obj.rule, obj.years)}，"
            f"{obj.year + 1}年一律{CONSEQUENCES[Rule(obj.rule)]}。"
        )

    @extend_schema_field(EvidenceRowSerializer(many=True))
    def get_evidence(self, obj: Penalty):
        return obj.evidence


class PenaltyViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """三个一律 penalties of the caller's subtree, by year, person and rule. Filters: `year`, `rule` (1–3), `name`
    (part of the person's name), `organization` (id) or `org` (code) with the subtree below. Computed with the
    year's results; never written here."""

    serializer_class = PenaltySerializer
    filterset_class = PenaltyFilterSet
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return selectors.penalty_list(actor=self.request.user)


class RuleItemSerializer(serializers.Serializer):
    rule = RuleField()
    label = serializers.CharField(help_text="规则名称")
    consequence = serializers.CharField(help_text="处理")
    on = serializers.BooleanField(help_text="启用")


class RuleSettingsSerializer(serializers.ModelSerializer):
    """The county's parameters of the three rules (the defaults of seed 000 where the county set none)."""

    county = OrganizationBriefSerializer(read_only=True)
    saved = serializers.SerializerMethodField(help_text="本县已保存过参数（否为默认值）")
    rules = serializers.SerializerMethodField(help_text="三条规则及其处理，按本县参数")
    may_manage = serializers.SerializerMethodField(help_text="当前账号可以修改参数（县委组织部）")

    class Meta:
        model = RuleSettings
        fields = [
            "county", "failed_on", "not_moved_up_on", "bottom_on", "not_moved_up_years", "bottom_years", "bottom_n",
            "min_group_size", "rules", "saved", "updated_at", "may_manage",
        ]  # fmt: skip
        read_only_fields = fields

    def get_saved(self, obj: RuleSettings) -> bool:
        return obj.pk is not None

    @extend_schema_field(RuleItemSerializer(many=True))
    def get_rules(self, obj: RuleSettings):
        years = {Rule.FAILED: 1, Rule.NOT_MOVED_UP: obj.not_moved_up_years, Rule.BOTTOM: obj.bottom_years}
        on = {Rule.FAILED: obj.failed_on, Rule.NOT_MOVED_UP: obj.not_moved_up_on, Rule.BOTTOM: obj.bottom_on}
        rows = [
            {"rule": int(r), "label": rule_label(r, years[r]), "consequence": "一律" + CONSEQUENCES[r], "on": on[r]}
            for r in Rule
        ]
        return RuleItemSerializer(rows, many=True).data

    def get_may_manage(self, obj: RuleSettings) -> bool:
        request = self.context.get("request")
        return request is not None and selectors.may_manage_county(request.user, obj.county)


class RuleSettingsInputSerializer(serializers.Serializer):
    """Input of PUT (every field) and PATCH (any of them) /api/assessment-rules/."""

    failed_on = serializers.BooleanField(help_text="启用规则一：不合格一律不得提拔重用")
    not_moved_up_on = serializers.BooleanField(help_text="启用规则二：连续未晋位升级一律不得评先评优")
    bottom_on = serializers.BooleanField(help_text="启用规则三：连续后三名一律调整岗位或降职")
    not_moved_up_years = WholeInput(required=True, help_text="规则二的连续年数（1–5，默认 2）")
    bottom_years = WholeInput(required=True, help_text="规则三的连续年数（1–5，默认 3）")
    bottom_n = WholeInput(required=True, help_text="后几名（1–20，默认 3）")
    min_group_size = WholeInput(required=True, help_text="考核类别组织数不超过此数时不评后三名（默认 6）")


COUNTY_PARAMETER = OpenApiParameter(
    "county", int, required=False, description="县（组织编号）；只在一个县工作的账号可以不填"
)


@extend_schema(parameters=[COUNTY_PARAMETER])
class RuleSettingsViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """The county's parameters of the three rules. Everyone in the county reads them; the county organization
    department changes them (others get 403, nothing changes). A change sends the county's computed schemes back
    to 待计算: it takes effect at the next computation."""

    serializer_class = RuleSettingsSerializer
    http_method_names = ["get", "put", "patch", "head", "options"]
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):  # for the schema: the rows are read through selectors.rule_settings
        return RuleSettings.objects.none()

    def _county(self):
        return county_for(self.request, self.request.query_params.get("county"))

    def _answer(self, county) -> Response:
        row = selectors.rule_settings(county)
        row.county = county
        return Response(RuleSettingsSerializer(row, context=self.get_serializer_context()).data)

    def retrieve(self, request, *args, **kwargs):
        """The parameters of the caller's county (or of `county`)."""
        return self._answer(self._county())

    @extend_schema(request=RuleSettingsInputSerializer, responses=RuleSettingsSerializer)
    def update(self, request, *args, **kwargs):
        """Replace every parameter."""
        return self._write(partial=False)

    @extend_schema(request=RuleSettingsInputSerializer, responses=RuleSettingsSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change some parameters."""
        return self._write(partial=True)

    def _write(self, *, partial: bool) -> Response:
        county = self._county()
        services.ensure_may_manage(self.request.user, county)
        data = validated(RuleSettingsInputSerializer, self.request, partial=partial)
        call(services.rule_settings_update, actor=self.request.user, county=county, **data)
        return self._answer(county)


RULES_VIEW = RuleSettingsViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update"})


def register(router) -> None:
    router.register("assessment-penalties", PenaltyViewSet, basename="assessment-penalty")
