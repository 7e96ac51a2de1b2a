"""Filters of weak organizations (软弱涣散): the REST API's and the list page's."""

from __future__ import annotations

import django_filters

from members.filtersets import YEAR_VALIDATORS, IntegerFilter, SubtreeFilterSet, style_filter_form

from ..models import WeakOrganization
from .dispatch import township_choices

STATE_CHOICES = [("open", "整顿中"), ("lifted", "已摘帽")]


class _WeakBaseFilterSet(SubtreeFilterSet):
    subtree_path = "organization__path"
    name = django_filters.CharFilter(label="组织名称", field_name="organization__name", lookup_expr="icontains")

    class Meta:
        model = WeakOrganization
        fields = ["name"]


class WeakFilterSet(_WeakBaseFilterSet):
    """A subtree, open or lifted, the year of designation, a name."""

    state = django_filters.ChoiceFilter(label="状态", choices=STATE_CHOICES, empty_label="全部", method="filter_state")
    year = IntegerFilter(label="认定年度", field_name="designated_on__year", validators=YEAR_VALIDATORS)

    class Meta:
        model = WeakOrganization
        fields = ["state", "year", "name"]

    def filter_state(self, queryset, name, value: str):
        if value == "open":
            return queryset.filter(lifted_on__isnull=True)
        if value == "lifted":
            return queryset.filter(lifted_on__isnull=False)
        return queryset


class WeakPageFilterSet(_WeakBaseFilterSet):
    """The page's filters: township picker and a name (open / lifted is the page's own tab)."""

    organization = django_filters.TypedChoiceFilter(
        label="乡镇（含下级）", coerce=int, empty_value=None, method="filter_organization"
    )

    class Meta(_WeakBaseFilterSet.Meta):
        fields = ["organization", "name"]

    def __init__(self, data=None, *args, request=None, **kwargs):
        super().__init__(data, *args, request=request, **kwargs)
        user = request.user if request is not None else None
        self.filters["organization"].extra["choices"] = [("", "全部"), *township_choices(user)]
        self.form.fields["organization"].choices = self.filters["organization"].extra["choices"]
        self.form.fields["name"].widget.attrs["placeholder"] = "名称包含…"
        style_filter_form(self.form)
