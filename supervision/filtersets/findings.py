"""Filters of findings: the REST API's (`FindingFilterSet`) and the list page's (`FindingPageFilterSet`: the same
filters with pickers and 是/否 choices). The board's numbers link to the list with these parameters, and count the
same rows (selectors.findings.finding_board)."""

from __future__ import annotations

import django_filters
from django.utils import timezone

from core.scope import Action
from members.filtersets import YEAR_VALIDATORS, IntegerFilter, SubtreeFilterSet, style_filter_form
from organizations import selectors as org_selectors

from ..choices import CheckKind, FindingCategory, FindingSource, FindingStatus, Severity
from ..models import Finding
from ..selectors.findings import finding_years, overdue_q

YES_NO = [("1", "是"), ("0", "否")]


class FindingFilterSet(SubtreeFilterSet):
    """A subtree (or, with `own_only`, the organization alone), a year, source, category, severity, status, open
    past the deadline or not, repeated or not, and the system check that raised it."""

    subtree_path = "organization__path"
    own_only = django_filters.BooleanFilter(label="仅本级（不含下级）", method="filter_own_only")
    year = IntegerFilter(label="年度", field_name="year", validators=YEAR_VALIDATORS)
    source = django_filters.ChoiceFilter(label="问题来源", choices=FindingSource.choices, empty_label="全部来源")
    category = django_filters.ChoiceFilter(label="问题类别", choices=FindingCategory.choices, empty_label="全部类别")
    severity = django_filters.ChoiceFilter(label="严重程度", choices=Severity.choices, empty_label="全部")
    status = django_filters.ChoiceFilter(label="整改状态", choices=FindingStatus.choices, empty_label="全部状态")
    overdue = django_filters.BooleanFilter(label="逾期", method="filter_overdue")
    repeated = django_filters.BooleanFilter(label="重复发生", method="filter_repeated")
    check_kind = django_filters.ChoiceFilter(label="检查项目", choices=CheckKind.choices, empty_label="全部检查项目")

    class Meta:
        model = Finding
        fields = ["year", "source", "category", "severity", "status", "overdue", "repeated", "check_kind"]

    # The `value: bool` hints give the API schema its types.
    def filter_own_only(self, queryset, name, value: bool):
        organization = self.form.cleaned_data.get("organization")
        if not value or not organization:
            return queryset
        return queryset.filter(organization_id=organization)

    def filter_overdue(self, queryset, name, value: bool):
        q = overdue_q(timezone.localdate())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_repeated(self, queryset, name, value: bool):
        return queryset.filter(repeated=value)


def _yes_no(value) -> bool | None:
    return {"1": True, "0": False}.get(value)


class FindingPageFilterSet(FindingFilterSet):
    """The list page's filters: the organization from the county and townships the user sees (or the one a board
    link chose), the years that have findings, 是/否 for 逾期 and 重复发生."""

    organization = django_filters.TypedChoiceFilter(
        label="责任组织（含下级）", coerce=int, empty_value=None, method="filter_organization"
    )
    own_only = django_filters.ChoiceFilter(
        label="范围", choices=[("1", "仅本级")], empty_label="含下级", method="filter_own_only_choice"
    )
    year = django_filters.TypedChoiceFilter(label="年度", coerce=int, empty_value=None, field_name="year")
    overdue = django_filters.ChoiceFilter(label="逾期", choices=YES_NO, empty_label="全部", method="filter_yes_no")
    repeated = django_filters.ChoiceFilter(label="重复发生", choices=YES_NO, empty_label="全部", method="filter_yes_no")

    class Meta(FindingFilterSet.Meta):
        fields = [
            "organization",
            "own_only",
            "year",
            "source",
            "category",
            "severity",
            "status",
            "overdue",
            "repeated",
            "check_kind",
        ]

    def __init__(self, data=None, *args, request=None, **kwargs):
        super().__init__(data, *args, request=request, **kwargs)
        user = request.user if request is not None else None
        self.filters["organization"].extra["choices"] = [("", "全部组织"), *self._organization_choices(user)]
        self.filters["year"].extra["choices"] = [("", "全部年度"), *self._year_choices(user)]
        style_filter_form(self.form)

    def _organization_choices(self, user) -> list[tuple[int, str]]:
        """The scope roots and the level below them; an organization further down that the query names is added
        (a board's drill-down link), if the user sees it."""
        if user is None:
            return []
        roots = list(org_selectors.scope_roots(actor=user).order_by("code"))
        children = org_selectors.organization_list(actor=user).filter(parent__in=roots).order_by("code")
        by_parent: dict[int, list] = {}
        for child in children:
            by_parent.setdefault(child.parent_id, []).append(child)
        choices = []
        for root in roots:
            choices.append((root.pk, root.name))
            choices.extend((c.pk, f"　{c.name}") for c in by_parent.get(root.pk, []))
        wanted = (self.data or {}).get("organization")
        if wanted and str(wanted).isdigit() and int(wanted) not in {pk for pk, _ in choices}:
            org = org_selectors.organization_list(actor=user, action=Action.VIEW).filter(pk=int(wanted)).first()
            if org is not None:
                choices.append((org.pk, org.name))
        return choices

    def _year_choices(self, user) -> list[tuple[int, str]]:
        years = set(finding_years(actor=user)) if user is not None else set()
        years.add(timezone.localdate().year)
        wanted = (self.data or {}).get("year")
        if wanted and str(wanted).isdigit() and 2000 <= int(wanted) <= 2100:
            years.add(int(wanted))
        return [(y, f"{y}年") for y in sorted(years, reverse=True)]

    def filter_own_only_choice(self, queryset, name, value):
        return self.filter_own_only(queryset, name, value == "1")

    def filter_yes_no(self, queryset, name, value):
        flag = _yes_no(value)
        if flag is None:
            return queryset
        return self.filter_overdue(queryset, name, flag) if name == "overdue" else queryset.filter(repeated=flag)
