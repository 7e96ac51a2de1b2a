"""经费汇总 (the funding area's landing page): an organization's subtree for a year — the six figures, a line per
lower organization (each opening its own summary and its ledger), the same by category and by source, a bar chart
of 到位率, and `?export=xlsx` of the three tables. Every number comes from selectors.summarize (three grouped
queries per grouping, whatever the size of the subtree)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from core.exceptions import id_from
from core.money import percent, yuan
from core.scope import Action, in_scope
from core.views import xlsx_response
from core.xlsx.writer import ExportTable, write_table
from organizations import selectors as org_selectors
from organizations.models import Organization

from .. import selectors
from ..selectors import Figures
from ..xlsx import funding_export

FIRST_YEAR = 2000
BLANK = "—"
# The six figures, in the order of the cards and of every table's columns.
FIGURE_HEADINGS = ["下达", "到位", "支出", "尚欠", "到位率", "使用率"]
EXPORT_HEADERS = [
    "汇总方式",
    "组织代码",
    "名称",
    "下达（元）",
    "到位（元）",
    "支出（元）",
    "尚欠（元）",
    "到位率（%）",
    "使用率（%）",
]
NO_SOURCE = "未指定来源"


def figure_cells(figures: Figures) -> list[dict]:
    """The six figures as the pages show them: yuan to the fen, rates with two decimals, "—" where the divisor is 0."""
    rates = (figures.arrival_rate, figures.use_rate)
    amounts = (figures.allocated, figures.disbursed, figures.spent, figures.owed)
    return [
        *({"label": label, "text": yuan(value), "kind": "amount"} for label, value in zip(FIGURE_HEADINGS, amounts)),
        *(
            {"label": label, "text": percent(value) or BLANK, "kind": "rate", "blank": value is None}
            for label, value in zip(FIGURE_HEADINGS[4:], rates)
        ),
    ]


def figure_values(figures: Figures) -> list:
    """The six figures for a workbook: Decimal yuan, rates as Decimal percentages, None (an empty cell) for blank."""
    return [figures.allocated, figures.disbursed, figures.spent, figures.owed, figures.arrival_rate, figures.use_rate]


def chart_rate(figures: Figures) -> str | None:
    """到位率 for the chart (a string of the Decimal: the chart parses it for drawing only)."""
    value = figures.arrival_rate
    return None if value is None else str(value)


def year_from(request, default: int) -> int:
    """`?year=2025`, or `default` when it is missing or no year."""
    value = request.GET.get("year", "")
    if value.isdigit() and FIRST_YEAR <= int(value) <= 2100:
        return int(value)
    return default


def ledger_url(org: Organization, year: int) -> str:
    return f"{reverse('funding:ledger', args=[org.pk])}?year={year}"


def summary_url(org: Organization, year: int) -> str:
    return f"{reverse('funding:summary')}?{urlencode({'organization': org.pk, 'year': year})}"


@dataclass
class Line:
    name: str
    figures: Figures
    code: str = ""
    organization: Organization | None = None
    own: bool = False
    drill: str | None = None
    ledger: str | None = None
    cells: list = field(default_factory=list)

    def __post_init__(self):
        self.cells = figure_cells(self.figures)


@dataclass
class Summary:
    org: Organization
    year: int
    totals: Figures
    units: list[Line]
    by_category: list[Line]
    by_source: list[Line]

    def chart_data(self) -> dict:
        return {
            "units": [{"name": line.name, "rate": chart_rate(line.figures)} for line in self.units],
            "categories": [{"name": line.name, "rate": chart_rate(line.figures)} for line in self.by_category],
        }

    def export_table(self) -> ExportTable:
        def rows():
            for heading, lines in (
                ("按下级组织", self.units),
                ("按经费类别", self.by_category),
                ("按资金来源", self.by_source),
            ):
                for line in lines:
                    yield [heading, line.code or None, line.name, *figure_values(line.figures)]
            yield ["合计", self.org.code, self.org.name, *figure_values(self.totals)]

        name = f"经费汇总-{self.org.name}-{self.year}年.xlsx"
        return ExportTable("经费汇总", EXPORT_HEADERS, rows(), filename=name)


def summary_build(*, actor, org: Organization, year: int) -> Summary:
    """The summary of `org`'s subtree for `year`: one query for the lower organizations, three for the figures."""
    children = list(org_selectors.organization_list(actor=actor).filter(parent=org).order_by("code"))
    groups = selectors.summarize_many(actor=actor, root=org, year=year, groupings=("unit", "category", "source"))
    by_unit, by_category, by_source = groups["unit"], groups["category"], groups["source"]
    units = []
    own = by_unit.get(org.path, Figures())
    if not own.is_empty or not children:
        units.append(Line(org.name, own, code=org.code, organization=org, own=True, ledger=ledger_url(org, year)))
    for child in children:
        units.append(
            Line(
                child.name,
                by_unit.get(child.path, Figures()),
                code=child.code,
                organization=child,
                drill=summary_url(child, year) if child.numchild else None,
                ledger=ledger_url(child, year),
            )
        )
    category_lines = [
        Line(c.name, by_category.get(c.pk, Figures()))
        for c in selectors.categories()
        if c.active or c.pk in by_category
    ]
    source_lines = [
        Line(s.name, by_source.get(s.pk, Figures())) for s in selectors.sources() if s.active or s.pk in by_source
    ]
    if None in by_source:
        source_lines.append(Line(NO_SOURCE, by_source[None]))
    return Summary(org, year, selectors.total_of(by_unit), units, category_lines, source_lines)


def org_picker(user, roots, org) -> list[tuple[int, str]]:
    """The user's scope roots and the level below them that has lower organizations, and the one shown."""
    children = org_selectors.organization_list(actor=user).filter(parent__in=roots).order_by("code")
    by_parent: dict[int, list] = {}
    for child in children:
        by_parent.setdefault(child.parent_id, []).append(child)
    choices = []
    for root in roots:
        choices.append((root.pk, root.name))
        choices.extend((c.pk, f"　{c.name}") for c in by_parent.get(root.pk, []) if c.numchild)
    if org is not None and org.pk not in {pk for pk, _ in choices}:
        choices.append((org.pk, org.name))
    return choices


def visible_ancestors(actor, org: Organization) -> list[Organization]:
    return [a for a in org_selectors.ancestors(org) if in_scope(actor, Action.VIEW, a.path)]


def year_choices(actor, *also: int) -> list[int]:
    return sorted({*selectors.ledger_years(actor=actor), *also}, reverse=True)


class SummaryView(LoginRequiredMixin, View):
    """经费汇总 of one organization (the user's top scope root unless one is picked) for one year (this year unless
    one is picked)."""

    template_name = "funding/summaries/summary.html"

    def get(self, request):
        user = request.user
        today = timezone.localdate()
        roots = list(org_selectors.scope_roots(actor=user).order_by("code"))
        if request.GET.get("organization"):
            org = org_selectors.organization_get_for(user, id_from(request.GET["organization"]))
        else:
            org = roots[0] if roots else None
        year = year_from(request, today.year)
        ctx = {"tab": "summary", "org": org, "year": year, "today": today}
        if org is None:
            return render(request, self.template_name, ctx)
        summary = summary_build(actor=user, org=org, year=year)
        export = request.GET.get("export")
        if export in ("xlsx", "funding"):
            # xlsx: the page's three tables; funding: the funding export's layout (a row per organization × category).
            table = summary.export_table() if export == "xlsx" else funding_export(user, year=year, root=org)
            fh = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
            write_table(table, fh)
            return xlsx_response(fh, table.filename)
        crumbs = visible_ancestors(user, org)
        ctx.update(
            {
                "summary": summary,
                "cards": figure_cells(summary.totals),
                "headings": FIGURE_HEADINGS,
                "chart_data": summary.chart_data(),
                "crumbs": crumbs,
                "picker": org_picker(user, roots, org),
                "years": year_choices(user, today.year, year),
                "export_query": urlencode({"organization": org.pk, "year": year, "export": "xlsx"}),
                "funding_export_query": urlencode({"organization": org.pk, "year": year, "export": "funding"}),
                "records_query": urlencode({"organization": org.pk, "year": year}),
                "unit_label": "下级组织" if any(not line.own for line in summary.units) else "组织",
            }
        )
        return render(request, self.template_name, ctx)


def organization_funding(*, actor, organization: Organization, year: int | None = None) -> dict:
    """The 经费 card of an organization's page: this year's figures of its subtree (three grouped queries) and the
    links to its ledger and, where it has lower organizations, to its summary."""
    year = year or timezone.localdate().year
    figures = selectors.total_of(selectors.summarize(actor=actor, root=organization, year=year, by="source"))
    cells = {c["label"]: c for c in figure_cells(figures)}
    return {
        "year": year,
        "cells": [cells[label] for label in ("下达", "到位", "支出", "到位率")],
        "empty": figures.is_empty,
        "ledger_url": ledger_url(organization, year),
        "summary_url": summary_url(organization, year) if organization.numchild else None,
    }
