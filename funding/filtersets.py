"""Filters of the ledgers: the REST API's (one FilterSet per kind of record: organization subtree, year, category,
source; allocations also 逾期) and the records page's form, which applies those same FilterSets to each kind."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone

from core.scope import Action
from members.filtersets import ID_VALIDATORS, YEAR_VALIDATORS, IntegerFilter, SubtreeFilterSet, style_filter_form
from organizations import selectors as org_selectors

from .choices import RecordType
from .models import Allocation, Disbursement, Expenditure, FundCategory, FundSource
from .selectors import overdue_q, with_arrived


class LedgerFilterSet(SubtreeFilterSet):
    """What the three kinds of record share: an organization's subtree, a year, a category, a source."""

    subtree_path = "organization__path"
    year = IntegerFilter(label="年度", field_name="year", validators=YEAR_VALIDATORS)
    category = IntegerFilter(label="经费类别编号", field_name="category", validators=ID_VALIDATORS)
    source = IntegerFilter(label="资金来源编号", field_name="source", validators=ID_VALIDATORS)

    class Meta:
        fields = ["year", "category", "source"]


class AllocationFilterSet(LedgerFilterSet):
    overdue = django_filters.BooleanFilter(label="逾期（过了拨付时限仍未足额到位）", method="filter_overdue")

    class Meta(LedgerFilterSet.Meta):
        model = Allocation
        fields = [*LedgerFilterSet.Meta.fields, "overdue"]

    # The `value: bool` hint gives the API schema its type.
    def filter_overdue(self, queryset, name, value: bool):
        if "arrived" not in queryset.query.annotations:
            queryset = with_arrived(queryset)
        q = overdue_q(timezone.localdate())
        return queryset.filter(q) if value else queryset.exclude(q)


class DisbursementFilterSet(LedgerFilterSet):
    allocation = IntegerFilter(label="对应下达编号", field_name="allocation", validators=ID_VALIDATORS)

    class Meta(LedgerFilterSet.Meta):
        model = Disbursement
        fields = [*LedgerFilterSet.Meta.fields, "allocation"]


class ExpenditureFilterSet(LedgerFilterSet):
    class Meta(LedgerFilterSet.Meta):
        model = Expenditure


KIND_CHOICES = [("", "全部类型"), *RecordType.choices]


class RecordFilterForm(forms.Form):
    """The records page's filters. `organization` offers the user's scope roots and the level below them (and an
    organization further down that a link names); the others are the FilterSets' own parameters."""

    organization = forms.TypedChoiceField(label="组织（含下级）", coerce=int, empty_value=None, required=False)
    year = forms.TypedChoiceField(label="年度", coerce=int, empty_value=None, required=False)
    kind = forms.ChoiceField(label="记录类型", choices=KIND_CHOICES, required=False)
    category = forms.ModelChoiceField(
        label="经费类别", queryset=FundCategory.objects.all(), required=False, empty_label="全部类别"
    )
    source = forms.ModelChoiceField(
        label="资金来源", queryset=FundSource.objects.all(), required=False, empty_label="全部来源"
    )
    overdue = forms.ChoiceField(label="逾期下达", choices=[("", "不限"), ("1", "仅逾期未到位")], required=False)

    def __init__(self, data=None, *, user, years, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["organization"].choices = [("", "全部组织"), *self._organization_choices(user, data)]
        wanted = (data or {}).get("year")
        years = set(years)
        if wanted and str(wanted).isdigit() and 2000 <= int(wanted) <= 2100:
            years.add(int(wanted))
        self.fields["year"].choices = [("", "全部年度"), *((y, f"{y}年") for y in sorted(years, reverse=True))]
        style_filter_form(self)

    @staticmethod
    def _organization_choices(user, data) -> list[tuple[int, str]]:
        roots = list(org_selectors.scope_roots(actor=user).order_by("code"))
        children = org_selectors.organization_list(actor=user).filter(parent__in=roots).order_by("code")
        by_parent: dict[int, list] = {}
        for child in children:
            by_parent.setdefault(child.parent_id, []).append(child)
        choices = []
        for root in roots:
            choices.append((root.pk, root.name))
            choices.extend((c.pk, f"　{c.name}") for c in by_parent.get(root.pk, []))
        wanted = (data or {}).get("organization")
        if wanted and str(wanted).isdigit() and 0 < int(wanted) < 2**63 and int(wanted) not in dict(choices):
            org = org_selectors.organization_list(actor=user, action=Action.VIEW).filter(pk=int(wanted)).first()
            if org is not None:
                choices.append((org.pk, org.name))
        return choices

    def filterset_data(self) -> dict:
        """The parameters of the API FilterSets that select what this form asks for."""
        data = self.cleaned_data
        return {
            key: value
            for key, value in (
                ("organization", data.get("organization")),
                ("year", data.get("year")),
                ("category", data["category"].pk if data.get("category") else None),
                ("source", data["source"].pk if data.get("source") else None),
            )
            if value is not None
        }
