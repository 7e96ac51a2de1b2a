"""Filters of meetings, shared by the REST API (meetings.api) and, where they fit, the meeting list page."""

from __future__ import annotations

import datetime as dt

import django_filters

from members.filtersets import ID_VALIDATORS, YEAR_VALIDATORS, IntegerFilter, SubtreeFilterSet

from .choices import MeetingKind
from .models import Meeting


class MeetingFilterSet(SubtreeFilterSet):
    """A subtree, one branch, a kind, a year or a range of days (by `held_on`, the Asia/Shanghai date), 补录 or not."""

    branch = IntegerFilter(label="支部编号", field_name="branch_id", validators=ID_VALIDATORS)
    kind = django_filters.ChoiceFilter(label="会议类型", choices=MeetingKind.choices, empty_label="全部类型")
    year = IntegerFilter(label="年度", method="filter_year", validators=YEAR_VALIDATORS)
    held_from = django_filters.DateFilter(label="召开日期（起）", field_name="held_on", lookup_expr="gte")
    held_to = django_filters.DateFilter(label="召开日期（止）", field_name="held_on", lookup_expr="lte")
    backfilled = django_filters.BooleanFilter(label="补录")

    class Meta:
        model = Meeting
        fields = ["branch", "kind", "year", "held_from", "held_to", "backfilled"]

    # A range rather than held_on__year, so the (branch, held_on) and held_on indexes serve it.
    def filter_year(self, queryset, name, value: int):
        return queryset.filter(held_on__gte=dt.date(value, 1, 1), held_on__lte=dt.date(value, 12, 31))
