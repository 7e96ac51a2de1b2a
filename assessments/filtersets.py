"""Filters of the assessment: schemes, their indicators and veto items, results (and rankings), penalties.

Shared by the REST API (assessments/api) and usable by the pages' ScopedListView. An organization filter names an
organization by id (`organization`, as elsewhere in the API) or by code (`org`, as the pages' links do); either
keeps that organization and everything below it, and an organization outside the requester's scope matches nothing.
"""

from __future__ import annotations

import django_filters
from django.core.validators import MaxValueValidator, MinValueValidator

from core.scope import Action, subtree_range_q
from members.filtersets import ID_VALIDATORS, IntegerFilter
from organizations.models import Organization

from .choices import FIRST_YEAR, Grade, Rule, SchemeStatus
from .models import Indicator, Penalty, Result, Scheme, VetoItem

YEAR_VALIDATORS = [
    MinValueValidator(FIRST_YEAR, f"年度应在 {FIRST_YEAR} 年以后。"),
    MaxValueValidator(2100, "年度不正确。"),
]
GRADE_CHOICES = [(str(g.value), g.label) for g in Grade]
RULE_CHOICES = [(str(r.value), r.label) for r in Rule]
MOVED_UP_CHOICES = [("true", "晋位升级"), ("false", "未晋位升级"), ("unknown", "无上年结果（未知）")]


def _subtree(filterset, queryset, path_field: str, **lookup):
    orgs = Organization.objects.all()
    request = getattr(filterset, "request", None)
    if request is not None:
        orgs = orgs.restrict(request.user, Action.VIEW)
    org = orgs.filter(**lookup).only("id", "path").first()
    if org is None:
        return queryset.none()
    return queryset.filter(subtree_range_q(path_field, org.path))


class _OrgFilterSet(django_filters.FilterSet):
    """`organization` (id) and `org` (code), each with the subtree below it."""

    subtree_path = "organization__path"
    organization = IntegerFilter(label="组织编号（含下级）", method="filter_organization", validators=ID_VALIDATORS)
    org = django_filters.CharFilter(label="组织代码（含下级）", method="filter_org")

    # The `value: int` hint gives the API schema its type.
    def filter_organization(self, queryset, name, value: int):
        return _subtree(self, queryset, self.subtree_path, pk=value)

    def filter_org(self, queryset, name, value: str):
        code = value.strip()
        return _subtree(self, queryset, self.subtree_path, code=code) if code else queryset


class SchemeFilterSet(django_filters.FilterSet):
    year = IntegerFilter(label="年度", field_name="year", validators=YEAR_VALIDATORS)
    group = django_filters.CharFilter(label="考核类别", field_name="group")
    status = django_filters.ChoiceFilter(label="状态", choices=SchemeStatus.choices, empty_label="全部状态")

    class Meta:
        model = Scheme
        fields = ["year", "group", "status"]


class IndicatorFilterSet(django_filters.FilterSet):
    scheme = IntegerFilter(label="考核方案编号", field_name="scheme", validators=ID_VALIDATORS)

    class Meta:
        model = Indicator
        fields = ["scheme"]


class VetoItemFilterSet(django_filters.FilterSet):
    scheme = IntegerFilter(label="考核方案编号", field_name="scheme", validators=ID_VALIDATORS)

    class Meta:
        model = VetoItem
        fields = ["scheme"]


class ResultFilterSet(_OrgFilterSet):
    """Year, scheme, group, an organization's subtree, grade, bottom three, moved up (true, false or unknown)."""

    year = IntegerFilter(label="年度", field_name="year", validators=YEAR_VALIDATORS)
    scheme = IntegerFilter(label="考核方案编号", field_name="scheme", validators=ID_VALIDATORS)
    group = django_filters.CharFilter(label="考核类别", field_name="scheme__group")
    grade = django_filters.ChoiceFilter(
        label="等次（1 好、2 较好、3 一般、4 差）", field_name="grade", choices=GRADE_CHOICES, empty_label="全部等次"
    )
    bottom = django_filters.BooleanFilter(label="后三名", field_name="bottom")
    moved_up = django_filters.ChoiceFilter(
        label="晋位升级", choices=MOVED_UP_CHOICES, method="filter_moved_up", empty_label="不限"
    )
    vetoed = django_filters.BooleanFilter(label="一票否决", field_name="vetoed")

    class Meta:
        model = Result
        fields = ["year", "scheme", "group", "organization", "org", "grade", "bottom", "moved_up", "vetoed"]

    def filter_moved_up(self, queryset, name, value: str):
        if value == "unknown":
            return queryset.filter(moved_up__isnull=True)
        return queryset.filter(moved_up=(value == "true"))


class RankingFilterSet(_OrgFilterSet):
    """A ranking is one year of one group: both are required."""

    year = IntegerFilter(
        label="年度",
        field_name="year",
        required=True,
        validators=YEAR_VALIDATORS,
        error_messages={"required": "请选择年度（year）。"},
    )
    group = django_filters.CharFilter(
        label="考核类别",
        field_name="scheme__group",
        required=True,
        error_messages={"required": "请选择考核类别（group）。"},
    )
    county = IntegerFilter(label="县（组织编号，多个县时用）", field_name="scheme__county", validators=ID_VALIDATORS)

    class Meta:
        model = Result
        fields = ["year", "group", "county", "organization", "org"]


class PenaltyFilterSet(_OrgFilterSet):
    year = IntegerFilter(label="考核年度", field_name="year", validators=YEAR_VALIDATORS)
    rule = django_filters.ChoiceFilter(
        label="规则（1 不合格、2 连续未晋位升级、3 连续后三名）",
        field_name="rule",
        choices=RULE_CHOICES,
        empty_label="全部规则",
    )
    name = django_filters.CharFilter(label="责任书记姓名", field_name="person__name", lookup_expr="icontains")

    class Meta:
        model = Penalty
        fields = ["year", "rule", "name", "organization", "org"]
