"""The leader's dashboard (县领导): the whole subtree at a glance, read-only, published assessments only.

Each figure is computed with the same selector and the same conditions as the list its link opens, so the number
on the dashboard is the number of rows there (tests/dashboards/test_leader.py checks each one). Figures are plain
JSON values (the snapshot stores them): counts as ints, money and percentages as text, dates in ISO form.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count, Exists, OuterRef

from assessments.choices import Grade, SchemeStatus
from assessments.models import Penalty, Result, Scheme
from assessments.selectors import county_of
from core.figures import percent
from core.scope import subtree_range_q
from funding.selectors import summarize, total_of
from meetings import compliance
from members.choices import ACTIVE_STATUSES
from members.models import Member
from members.selectors import AGE_BANDS, YOUTH_BAND, member_age_pyramid, member_structure
from organizations.models import Organization
from supervision.choices import DispatchRole
from supervision.selectors.dispatch import not_on_duty
from supervision.selectors.findings import finding_board
from supervision.selectors.weak import weak_current

from ..snapshots import builder

LEADER = "leader"
TOP_ROWS = 3  # the best of each group shown beside its bottom three
LIST_ROWS = 10  # weak organizations, absent first secretaries: the first ones, the link opens all
HIGHER_EDUCATION = ("研究生", "大学本科", "大学专科")


def _text(value) -> str | None:
    return None if value is None else str(value)


def dashboard_quarter(year: int, today: dt.date) -> int:
    """The quarter the dashboard shows: the running one this year, the last one of a past year."""
    return compliance.quarter_of(today) if year == today.year else 4


@builder(LEADER)
def leader_figures(org: Organization, year: int, today: dt.date) -> dict:
    return {
        "year": year,
        "overview": overview(org, year, today),
        "rankings": rankings(org, year),
        "trend": trend(org, year),
        "heatmap": heatmap(org, year, today),
        "structure": structure(org, today),
        "weak": weak(org),
        "not_on_duty": absent_first_secretaries(org, today),
    }


def overview(org: Organization, year: int, today: dt.date) -> dict:
    quarter = dashboard_quarter(year, today)
    branches = compliance.quarter_branches(actor=None, year=year, quarter=quarter, today=today, organization=org)
    by_status = Counter(b.status for b in branches)
    funds = total_of(summarize(actor=None, root=org, year=year, by="unit"))
    findings = finding_board(actor=None, organization=org, year=year, today=today).totals
    return {
        "organizations": Organization.objects.filter(subtree_range_q("path", org.path)).count(),
        "members": Member.objects.filter(subtree_range_q("branch__path", org.path), status__in=ACTIVE_STATUSES).count(),
        "quarter": quarter,
        "branches": len(branches),
        "compliant": by_status[compliance.MET],
        "missed": by_status[compliance.MISSED],
        "running": by_status[compliance.OPEN],
        "compliant_rate": _text(percent(by_status[compliance.MET], len(branches))),
        "allocated": str(funds.allocated),
        "disbursed": str(funds.disbursed),
        "owed": str(funds.owed),
        "arrival_rate": _text(funds.arrival_rate),
        "findings_open": findings.open,
        "findings_in_progress": findings.in_progress,
        "findings_overdue": findings.overdue,
        "penalty_year": year - 1,
        "penalties": published_penalties(org, year - 1).count(),
    }


def published_penalties(org: Organization, year: int):
    """The penalties of assessment year `year` (in force the year after) of the subtree's organizations, where the
    county has published every scheme of that year — what a leader's penalties list shows."""
    unpublished = Scheme.objects.filter(county=OuterRef("county"), year=year).exclude(status=SchemeStatus.PUBLISHED)
    return Penalty.objects.filter(subtree_range_q("organization__path", org.path), year=year).filter(
        ~Exists(unpublished)
    )


def published_schemes(org: Organization, year: int) -> tuple[int | None, list[Scheme]]:
    """The latest assessment year up to `year` with a published scheme in the organization's county, and those
    schemes by group."""
    county = county_of(org)
    published = Scheme.objects.filter(county=county, status=SchemeStatus.PUBLISHED, year__lte=year)
    shown = published.order_by("-year").values_list("year", flat=True).first()
    if shown is None:
        return None, []
    return shown, list(published.filter(year=shown).order_by("group", "pk"))


def _arrow(rank, prev_rank) -> str:
    if rank is None:
        return ""
    if prev_rank is None:
        return "新"
    return "▲" if rank < prev_rank else "▼" if rank > prev_rank else "—"


RESULT_VALUES = ("organization_id", "organization__name", "rank", "group_size", "grade", "total", "bottom", "prev_rank")


def _result_row(r: dict) -> dict:
    return {
        "org": r["organization_id"],
        "name": r["organization__name"],
        "rank": r["rank"],
        "size": r["group_size"],
        "grade": r["grade"],
        "total": _text(r["total"]),
        "bottom": bool(r["bottom"]),
        "arrow": _arrow(r["rank"], r["prev_rank"]),
        "prev_rank": r["prev_rank"],
    }


def rankings(org: Organization, year: int) -> dict:
    """Per group of the shown year: how many were assessed, the grades, the best TOP_ROWS and the bottom three, with
    arrows against last year's rank."""
    shown, schemes = published_schemes(org, year)
    # the ranking page lists the whole group; a township's dashboard shows its own share of it
    sizes = dict(
        Result.objects.filter(scheme__in=schemes).values("scheme").annotate(n=Count("id")).values_list("scheme", "n")
    )
    groups = []
    for scheme in schemes:
        rows = list(
            Result.objects.filter(scheme=scheme)
            .filter(subtree_range_q("organization__path", org.path))
            .order_by("rank", "organization__code")
            .values(*RESULT_VALUES)
        )
        if not rows:
            continue
        ranked = [r for r in rows if r["rank"] is not None]
        grades = Counter(r["grade"] for r in ranked)
        groups.append(
            {
                "scheme": scheme.pk,
                "group": scheme.group,
                "results": len(rows),
                "group_results": sizes.get(scheme.pk, 0),
                "grades": [[Grade(g).label, grades.get(g, 0)] for g in Grade.values],
                "top": [_result_row(r) for r in ranked[:TOP_ROWS]],
                "bottom": [_result_row(r) for r in ranked if r["bottom"]],
            }
        )
    return {"year": shown, "groups": groups}


def trend(org: Organization, year: int) -> dict:
    """Each child organization's (each township's) rank in its group, year by year over the published years up to
    `year` (rank 1 at the top of the chart)."""
    children = list(Organization.objects.filter(parent=org).order_by("code").values_list("pk", "name"))
    rows = (
        Result.objects.filter(
            organization_id__in=[pk for pk, _ in children],
            scheme__status=SchemeStatus.PUBLISHED,
            year__lte=year,
            rank__isnull=False,
        )
        .order_by("year")
        .values("organization_id", "year", "rank", "group_size", "total", "scheme__group")
    )
    by_org: dict[int, dict[int, dict]] = {}
    for r in rows:
        by_org.setdefault(r["organization_id"], {})[r["year"]] = r
    years = sorted({y for found in by_org.values() for y in found})
    series = []
    for pk, name in children:
        found = by_org.get(pk)
        if not found:
            continue
        series.append(
            {
                "org": pk,
                "name": name,
                "group": next(iter(found.values()))["scheme__group"],
                "ranks": [found[y]["rank"] if y in found else None for y in years],
                "sizes": [found[y]["group_size"] if y in found else None for y in years],
                "totals": [_text(found[y]["total"]) if y in found else None for y in years],
            }
        )
    return {"years": years, "series": series}


def heatmap(org: Organization, year: int, today: dt.date) -> dict:
    """三会一课 compliance per child (township) and month: the rate of the requirements decided that month."""
    grid = compliance.monthly_rates(year=year, today=today, organization=org)
    orgs = {
        path: (pk, name)
        for path, pk, name in Organization.objects.filter(path__in=list(grid)).values_list("path", "pk", "name")
    }
    rows = []
    for path in sorted(grid):
        months = grid[path]
        pk, name = orgs.get(path, (None, path))
        rows.append(
            {
                "org": pk,
                "name": name,
                "rates": [_text(percent(met, met + missed)) for met, missed in months],
                "missed": [missed for _, missed in months],
            }
        )
    return {"months": [f"{m}月" for m in range(1, 13)], "rows": rows}


def structure(org: Organization, today: dt.date) -> dict:
    counts = member_structure(actor=None, organization=org, today=today)
    pyramid = member_age_pyramid(actor=None, organization=org, today=today)
    total = sum(counts["age"].values())
    higher = sum(counts["education"].get(e, 0) for e in HIGHER_EDUCATION)
    return {
        "total": total,
        "youth": counts["age"].get(YOUTH_BAND, 0),
        "youth_share": _text(percent(counts["age"].get(YOUTH_BAND, 0), total)),
        "higher_share": _text(percent(higher, total)),
        "bands": [label for _, label, *_ in AGE_BANDS],
        "male": [pyramid[key].get("男", 0) for key, *_ in AGE_BANDS],
        "female": [pyramid[key].get("女", 0) for key, *_ in AGE_BANDS],
        "education": [[k, n] for k, n in counts["education"].items() if k and n],
    }


def weak(org: Organization) -> dict:
    qs = weak_current(actor=None).filter(subtree_range_q("organization__path", org.path))
    rows = [
        {
            "org": w.organization_id,
            "name": w.organization.name,
            "designated_on": w.designated_on.isoformat(),
            "steps": w.steps_count,
            "last_step_on": w.last_step_on.isoformat() if w.last_step_on else None,
            "last_step": (w.last_step_text or "")[:60],
        }
        for w in qs[:LIST_ROWS]
    ]
    return {"count": qs.count(), "rows": rows}


def absent_first_secretaries(org: Organization, today: dt.date) -> dict:
    qs = (
        not_on_duty(actor=None, today=today)
        .filter(role=DispatchRole.FIRST_SECRETARY)
        .filter(subtree_range_q("organization__path", org.path))
        .select_related("organization")
    )
    rows = [
        {
            "name": d.name,
            "org": d.organization.name,
            "unit": d.unit,
            "last_check_in_on": d.last_check_in_on.isoformat() if d.last_check_in_on else None,
        }
        for d in qs[:LIST_ROWS]
    ]
    return {"count": qs.count(), "rows": rows}
