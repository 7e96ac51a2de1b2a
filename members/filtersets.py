"""Filters of member files, shared by the member list page (and its Excel export) and the REST API."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from core.scope import Action, subtree_range_q
from organizations.models import Organization

from .choices import (
    ACTIVE_STATUSES,
    DevelopmentStage,
    Education,
    FlowDirection,
    Gender,
    LostContactStatus,
    MemberCategory,
    MemberStatus,
)
from .models import Candidate, FlowRecord, LostContactCase, Member, PointRecord, ThoughtReport, TrainingRecord
from .selectors import AGE_BANDS, age_band_q

YEAR_VALIDATORS = [
    MinValueValidator(1921, "年份应在 1921 年以后。"),
    MaxValueValidator(2100, "年份不正确。"),
]
# An id in the query string: a positive number the database can hold (a larger one would be an error, not a miss).
ID_VALIDATORS = [MinValueValidator(1, "编号不正确。"), MaxValueValidator(2**63 - 1, "编号不正确。")]


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (a year, an id): the form refuses 2010.5 instead of rounding it."""

    field_class = forms.IntegerField


def style_filter_form(form) -> None:
    """Bootstrap's small controls on a filter form (list pages)."""
    for field in form.fields.values():
        css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
        field.widget.attrs.setdefault("class", css)


def _in_subtree(filterset, queryset, value: int, path_field: str):
    """Rows whose branch lies under organization `value`; an organization outside the requester's scope matches
    nothing."""
    orgs = Organization.objects.all()
    request = getattr(filterset, "request", None)
    if request is not None:
        orgs = orgs.restrict(request.user, Action.VIEW)
    org = orgs.filter(pk=value).only("id", "path").first() if 0 < value < 2**63 else None
    if org is None:
        return queryset.none()
    return queryset.filter(subtree_range_q(path_field, org.path))


class SubtreeFilterSet(django_filters.FilterSet):
    """A filterset with `organization`: the organization and everything below it, following `subtree_path` (the
    branch path of the row); one outside the requester's scope matches nothing."""

    subtree_path = "branch__path"
    organization = IntegerFilter(label="所属组织（含下级）", method="filter_organization")

    # The `value: int` hint gives the API schema its type.
    def filter_organization(self, queryset, name, value: int):
        return _in_subtree(self, queryset, value, self.subtree_path)


# The members still in their branch's organizational life (the dashboards' and the structure page's count).
IN_ROLL = "在册"


class MemberFilterSet(SubtreeFilterSet):
    """Name, status, category, education, gender, age band (on today's date), joined years and a subtree."""

    name = django_filters.CharFilter(label="姓名", field_name="person__name", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(
        label="党籍状态",
        choices=[(IN_ROLL, "在册（正常、流出、流入、失联）"), *MemberStatus.choices],
        empty_label="全部状态",
        method="filter_status",
    )
    category = django_filters.ChoiceFilter(label="人员类别", choices=MemberCategory.choices, empty_label="全部类别")
    education = django_filters.ChoiceFilter(label="学历", choices=Education.choices, empty_label="全部学历")
    gender = django_filters.ChoiceFilter(
        label="性别", field_name="person__gender", choices=Gender.choices, empty_label="全部"
    )
    age_band = django_filters.ChoiceFilter(
        label="年龄段",
        choices=[(key, label) for key, label, *_ in AGE_BANDS],
        empty_label="全部年龄",
        method="filter_age_band",
    )
    joined_from = IntegerFilter(label="入党年份（起）", method="filter_joined_from", validators=YEAR_VALIDATORS)
    joined_to = IntegerFilter(label="入党年份（止）", method="filter_joined_to", validators=YEAR_VALIDATORS)

    class Meta:
        model = Member
        fields = ["name", "status", "category", "education", "gender", "age_band", "joined_from", "joined_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["name"].widget.attrs["placeholder"] = "姓名包含…"
        for name in ("joined_from", "joined_to"):
            self.form.fields[name].widget.attrs.update({"placeholder": "如 2010", "min": 1921, "max": 2100})
        style_filter_form(self.form)

    def filter_status(self, queryset, name, value):
        if value == IN_ROLL:
            return queryset.filter(status__in=ACTIVE_STATUSES)
        return queryset.filter(status=value) if value else queryset

    def filter_age_band(self, queryset, name, value):
        return queryset.filter(age_band_q(value, today=timezone.localdate())) if value else queryset

    # The `value: int` hints give the API schema its types (a year, an id).
    def filter_joined_from(self, queryset, name, value: int):
        return queryset.filter(joined_on__year__gte=value)

    def filter_joined_to(self, queryset, name, value: int):
        return queryset.filter(joined_on__year__lte=value)


BOARD_STAGES = [c for c in DevelopmentStage.choices if c[0] != DevelopmentStage.FULL]


class CandidateFilterSet(SubtreeFilterSet):
    """The 发展党员 board: name and a subtree narrow the query; stage and "只看有逾期" are applied by the page."""

    name = django_filters.CharFilter(label="姓名", field_name="person__name", lookup_expr="icontains")
    stage = django_filters.ChoiceFilter(
        label="阶段", choices=BOARD_STAGES, empty_label="全部阶段", method="filter_after_rules"
    )
    overdue = django_filters.BooleanFilter(label="只看有逾期", method="filter_after_rules", widget=forms.CheckboxInput)

    class Meta:
        model = Candidate
        fields = ["name", "stage", "overdue"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["name"].widget.attrs["placeholder"] = "姓名包含…"
        style_filter_form(self.form)
        self.form.fields["overdue"].widget.attrs["class"] = "form-check-input"

    def filter_after_rules(self, queryset, name, value):
        # Applied by the board itself (PipelineBoardView.board): the counts at its top ignore them, and "overdue" is
        # computed from the dates by members.pipeline, not by a query.
        return queryset


class LostContactFilterSet(SubtreeFilterSet):
    subtree_path = "member__branch__path"
    name = django_filters.CharFilter(label="姓名", field_name="member__person__name", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label="处理状态", choices=LostContactStatus.choices, empty_label="全部状态")
    found_year = IntegerFilter(label="发现年份", field_name="found_on", lookup_expr="year", validators=YEAR_VALIDATORS)

    class Meta:
        model = LostContactCase
        fields = ["name", "status", "found_year"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["name"].widget.attrs["placeholder"] = "姓名包含…"
        self.form.fields["found_year"].widget.attrs.update({"placeholder": "如 2025", "min": 1921, "max": 2100})
        style_filter_form(self.form)


# --- The REST API's filters (members.api) ---------------------------------------------------------------------------


class CandidateApiFilterSet(SubtreeFilterSet):
    """GET /api/candidates/: name, the stored stage (正式党员 included) and a subtree. Unlike the board's filters, the
    stage narrows the query itself; what is overdue comes with each row (`problems`)."""

    name = django_filters.CharFilter(label="姓名", field_name="person__name", lookup_expr="icontains")
    stage = django_filters.ChoiceFilter(label="当前阶段", choices=DevelopmentStage.choices)

    class Meta:
        model = Candidate
        fields = ["name", "stage"]


class ThoughtReportFilterSet(SubtreeFilterSet):
    candidate = IntegerFilter(label="发展对象编号", field_name="person__candidate", validators=ID_VALIDATORS)
    year = IntegerFilter(label="提交年份", field_name="submitted_on", lookup_expr="year", validators=YEAR_VALIDATORS)

    class Meta:
        model = ThoughtReport
        fields = ["candidate", "year"]


class TrainingRecordFilterSet(SubtreeFilterSet):
    subtree_path = "member__branch__path"
    member = IntegerFilter(label="党员编号", field_name="member", validators=ID_VALIDATORS)
    year = IntegerFilter(label="培训年份", field_name="start_on", lookup_expr="year", validators=YEAR_VALIDATORS)

    class Meta:
        model = TrainingRecord
        fields = ["member", "year"]


class PointRecordFilterSet(SubtreeFilterSet):
    subtree_path = "member__branch__path"
    member = IntegerFilter(label="党员编号", field_name="member", validators=ID_VALIDATORS)
    year = IntegerFilter(label="年度", field_name="year", validators=YEAR_VALIDATORS)
    item = IntegerFilter(label="积分项目编号", field_name="item", validators=ID_VALIDATORS)

    class Meta:
        model = PointRecord
        fields = ["member", "year", "item"]


class FlowRecordFilterSet(SubtreeFilterSet):
    """流动记录 over the API: one member's, one direction, only those not yet ended, or a subtree's."""

    subtree_path = "member__branch__path"
    member = IntegerFilter(label="党员编号", field_name="member_id")
    direction = django_filters.ChoiceFilter(label="方向", choices=FlowDirection.choices, empty_label="全部")
    open = django_filters.BooleanFilter(label="未结束", field_name="end_on", lookup_expr="isnull")

    class Meta:
        model = FlowRecord
        fields = ["member", "direction", "open"]
