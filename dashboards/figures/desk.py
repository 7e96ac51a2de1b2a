"""The department's work desk (county or township staff): what needs doing in the subtree, each a count and the
list behind it. The figures that belong to the subtree are here (snapshotted); those that belong to the user — the
tasks in their boxes, their jobs — are read live by the page (dashboards/views.py), a few counted queries.
"""

from __future__ import annotations

import datetime as dt

from core.scope import subtree_range_q
from funding.selectors import allocation_list, overdue_q, with_arrived
from meetings import compliance
from organizations.models import Organization
from supervision.choices import FindingSource, FindingStatus, TermStatus
from supervision.models import Finding
from supervision.selectors.findings import finding_board
from supervision.selectors.terms import TERM_BUCKETS, missing_election, term_rows
from supervision.selectors.weak import weak_current

from ..snapshots import builder
from .leader import absent_first_secretaries

DESK = "desk"


@builder(DESK)
def desk_figures(org: Organization, year: int, today: dt.date) -> dict:
    overdue = compliance.overdue_cells(actor=None, year=year, today=today, organization=org)
    # This month's, whatever year is chosen: what must still be held before the month is out is always about now.
    due_soon = compliance.due_this_month_cells(actor=None, today=today, organization=org)
    findings = finding_board(actor=None, organization=org, year=None, today=today).totals
    subtree = Organization.objects.filter(subtree_range_q("path", org.path))
    terms = {status: 0 for status in TERM_BUCKETS}
    for row in term_rows(today=today, organizations=subtree):
        terms[row.status] += 1
    return {
        "year": year,
        "meetings_overdue_branches": len({c.branch.id for c in overdue}),
        "meetings_overdue_items": len(overdue),
        "meetings_due_soon": len(due_soon),
        "meetings_due_soon_branches": len({c.branch.id for c in due_soon}),
        "findings_open": findings.open,
        "findings_in_progress": findings.in_progress,
        "findings_overdue": findings.overdue,
        "checks_open": system_check_findings(org).count(),
        "weak": weak_current(actor=None).filter(subtree_range_q("organization__path", org.path)).count(),
        "terms_overdue": terms[TermStatus.OVERDUE],
        "terms_within_month": terms[TermStatus.WITHIN_MONTH],
        "terms_within_half_year": terms[TermStatus.WITHIN_HALF_YEAR],
        "terms_missing": missing_election(organizations=subtree).count(),
        "funds_late": funds_late(org, year, today).count(),
        "not_on_duty": absent_first_secretaries(org, today)["count"],
    }


def system_check_findings(org: Organization):
    """The nightly checks' findings still waiting for rectification (every year)."""
    return Finding.objects.filter(
        subtree_range_q("organization__path", org.path), source=FindingSource.SYSTEM, status=FindingStatus.OPEN
    )


def funds_late(org: Organization, year: int, today: dt.date):
    """The year's allocations to the subtree past their deadline and not fully arrived (the records page's 逾期)."""
    qs = allocation_list(actor=None).filter(subtree_range_q("organization__path", org.path), year=year)
    return with_arrived(qs).filter(overdue_q(today))
