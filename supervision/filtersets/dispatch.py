"""Filters of dispatched cadres (第一书记, 驻村工作队员): the REST API's and the list page's."""

from __future__ import annotations

import django_filters
from django.utils import timezone

from members.filtersets import SubtreeFilterSet, style_filter_form
from organizations import selectors as org_selectors

from ..choices import DispatchRole
from ..models import Dispatch
from ..selectors.dispatch import current_q, not_on_duty_q, on_duty_q

STATE_CHOICES = [("current", "在派"), ("ended", "已结束"), ("upcoming", "未开始")]
YES_NO = [("1", "是"), ("0", "否")]


def township_choices(user) -> list[tuple[int, str]]:
    """The scope roots and the level below them (the townships, for county staff; the own township otherwise)."""
    if user is None:
        return []
    roots = list(org_selectors.scope_roots(actor=user).order_by("code"))
    children = org_selectors.organization_list(actor=user).filter(parent__in=roots, numchild__gt=0).order_by("code")
    by_parent: dict[int, list] = {}
    for child in children:
        by_parent.setdefault(child.parent_id, []).append(child)
    choices = []
    for root in roots:
        choices.append((root.pk, root.name))
        choices.extend((c.pk, f"　{c.name}") for c in by_parent.get(root.pk, []))
    return choices


class DispatchFilterSet(SubtreeFilterSet):
    """A subtree, the role, current / ended / upcoming, not on duty, a name."""

    subtree_path = "organization__path"
    role = django_filters.ChoiceFilter(label="派驻身份", choices=DispatchRole.choices, empty_label="全部身份")
    state = django_filters.ChoiceFilter(
        label="派驻状态", choices=STATE_CHOICES, empty_label="全部", method="filter_state"
    )
    not_on_duty = django_filters.BooleanFilter(label="未到岗", method="filter_not_on_duty")
    name = django_filters.CharFilter(label="姓名", field_name="name", lookup_expr="icontains")

    class Meta:
        model = Dispatch
        fields = ["role", "state", "not_on_duty", "name"]

    def filter_state(self, queryset, name, value: str):
        today = timezone.localdate()
        if value == "current":
            return queryset.filter(current_q(today))
        if value == "ended":
            return queryset.filter(end_on__lt=today)
        if value == "upcoming":
            return queryset.filter(start_on__gt=today)
        return queryset

    # The `value: bool` hint gives the API schema its type.
    def filter_not_on_duty(self, queryset, name, value: bool):
        today = timezone.localdate()
        if value:
            return queryset.filter(not_on_duty_q(today))
        return queryset.filter(current_q(today) & on_duty_q(today))


class DispatchPageFilterSet(DispatchFilterSet):
    """The page's filters: township picker, 是/否 for 未到岗."""

    organization = django_filters.TypedChoiceFilter(
        label="乡镇（含下级）", coerce=int, empty_value=None, method="filter_organization"
    )
    not_on_duty = django_filters.ChoiceFilter(
        label="只看未到岗", choices=[("1", "是")], empty_label="否", method="filter_not_on_duty_choice"
    )

    class Meta(DispatchFilterSet.Meta):
        fields = ["organization", "role", "state", "not_on_duty", "name"]

    def __init__(self, data=None, *args, request=None, **kwargs):
        super().__init__(data, *args, request=request, **kwargs)
        user = request.user if request is not None else None
        self.filters["organization"].extra["choices"] = [("", "全部"), *township_choices(user)]
        self.form.fields["organization"].choices = self.filters["organization"].extra["choices"]
        self.form.fields["name"].widget.attrs["placeholder"] = "姓名包含…"
        style_filter_form(self.form)

    def filter_not_on_duty_choice(self, queryset, name, value):
        return self.filter_not_on_duty(queryset, name, True) if value == "1" else queryset
