"""Reads of findings: the scoped list, one finding, and the counts the boards and the assessment read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from core.exceptions import NotInScope, id_from
from core.scope import Action, in_scope, subtree_range_q
from organizations.models import Organization
from organizations.selectors import children_of

from ..choices import FINDING_TRANSITIONS, OPEN_FINDING_STATUSES, FindingSource, FindingStatus, FindingStep
from ..models import Finding


def overdue_q(today: dt.date) -> Q:
    """Not yet reported rectified and past the deadline (a deadline of today is not overdue yet)."""
    return Q(status__in=OPEN_FINDING_STATUSES, deadline__lt=today)


def finding_list(*, actor, action: str = Action.VIEW) -> QuerySet[Finding]:
    return Finding.objects.restrict(actor, action).select_related("organization")


def finding_get_for(actor, pk, action: str = Action.VIEW) -> Finding:
    finding = finding_list(actor=actor, action=action).filter(pk=id_from(pk)).first()
    if finding is None:
        raise NotInScope()
    return finding


@dataclass(frozen=True)
class FindingCounts:
    """An organization's findings of a year: in all, still open (待整改/整改中), open past the deadline, repeated."""

    total: int = 0
    open: int = 0
    overdue: int = 0
    repeated: int = 0


def finding_counts(*, year: int, organization_ids=None, today: dt.date | None = None) -> dict[int, FindingCounts]:
    """{organization id: FindingCounts} for the findings found in `year` (read by the assessment). One query."""
    today = today or timezone.localdate()
    rows = Finding.objects.filter(year=year)
    if organization_ids is not None:
        rows = rows.filter(organization_id__in=list(organization_ids))
    counts: dict[int, list[int]] = {}
    for org_id, status, deadline, repeated in rows.values_list("organization_id", "status", "deadline", "repeated"):
        c = counts.setdefault(org_id, [0, 0, 0, 0])
        c[0] += 1
        if status in OPEN_FINDING_STATUSES:
            c[1] += 1
            if deadline < today:
                c[2] += 1
        c[3] += repeated
    return {org_id: FindingCounts(*c) for org_id, c in counts.items()}


STATUS_ORDER = list(FindingStatus.values)


# --- The board (问题整改 by organization and by source) ---------------------------------------------------------


@dataclass
class BoardCounts:
    """Findings by status, plus those open past the deadline and those repeated from the year before."""

    open: int = 0
    in_progress: int = 0
    rectified: int = 0
    closed: int = 0
    overdue: int = 0
    repeated: int = 0
    total: int = 0

    def add(self, other: BoardCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class BoardRow:
    """One line of the board: a child organization (its subtree pooled), the organization's own findings, or a
    source. `key` names it (a path or a source)."""

    key: str
    counts: BoardCounts
    organization: Organization | None = None
    own: bool = False  # the chosen organization's own findings, not its children's


@dataclass
class Board:
    organization: Organization
    year: int | None
    rows: list[BoardRow]
    totals: BoardCounts
    by_source: list[BoardRow]


def _count_columns(today: dt.date) -> dict:
    return {
        "open": Count("id", filter=Q(status=FindingStatus.OPEN)),
        "in_progress": Count("id", filter=Q(status=FindingStatus.IN_PROGRESS)),
        "rectified": Count("id", filter=Q(status=FindingStatus.RECTIFIED)),
        "closed": Count("id", filter=Q(status=FindingStatus.CLOSED)),
        "overdue": Count("id", filter=overdue_q(today)),
        "repeated": Count("id", filter=Q(repeated=True)),
        "total": Count("id"),
    }


def _counts(row: dict) -> BoardCounts:
    return BoardCounts(**{name: row[name] for name in BoardCounts.__dataclass_fields__})


def finding_board(*, actor, organization: Organization, year: int | None, today: dt.date | None = None) -> Board:
    """The findings of `organization`'s subtree (of `year`, or of every year for None) counted per child
    organization (each child's subtree pooled; the organization's own findings on a line of their own) and per
    source. Two grouped queries, whatever the number of children. The same conditions as the list's filters, so
    every number equals the rows the list shows for it."""
    today = today or timezone.localdate()
    rows_qs = finding_list(actor=actor).filter(subtree_range_q("organization__path", organization.path))
    if year is not None:
        rows_qs = rows_qs.filter(year=year)
    columns = _count_columns(today)
    prefix = len(organization.path) + Organization.steplen
    by_path = {
        r["branch"]: _counts(r)
        for r in rows_qs.annotate(branch=Substr("organization__path", 1, prefix))
        .values("branch")
        .annotate(**columns)
        .order_by()
    }
    rows: list[BoardRow] = []
    own = by_path.pop(organization.path, None)
    children = list(children_of(actor=actor, parent=organization))
    if own is not None or not children:
        rows.append(BoardRow(organization.path, own or BoardCounts(), organization, own=True))
    for child in children:
        rows.append(BoardRow(child.path, by_path.get(child.path, BoardCounts()), child))
    totals = BoardCounts()
    for row in rows:
        totals.add(row.counts)
    sources = {r["source"]: _counts(r) for r in rows_qs.values("source").annotate(**columns).order_by()}
    by_source = [BoardRow(s, sources.get(s, BoardCounts())) for s in FindingSource.values]
    return Board(organization, year, rows, totals, by_source)


def finding_years(*, actor) -> list[int]:
    """The years that have findings in the actor's scope, newest first."""
    years = finding_list(actor=actor).values_list("year", flat=True).distinct().order_by("-year")
    return list(years)


# --- What a user may do now, and an organization's findings ---------------------------------------------------

STEP_ORDER = (FindingStep.START, FindingStep.REPORT, FindingStep.SIGN_OFF, FindingStep.SEND_BACK, FindingStep.NOTE)


def finding_steps_for(actor, finding: Finding) -> list[str]:
    """The steps `actor` may take on `finding` now, by the rules finding_advance applies: the next step of the
    workflow (sign-off and sending back for the level above, the others for the organization and those above it),
    and a note while the finding is not signed off."""
    from ..services.findings import may_sign_off  # a read of the same rule the service enforces

    org = finding.organization
    if not in_scope(actor, Action.VIEW, org.path):
        return []
    may_change = in_scope(actor, Action.CHANGE, org.path)
    steps = []
    for step in STEP_ORDER:
        if step == FindingStep.NOTE:
            allowed = finding.status != FindingStatus.CLOSED and may_change
        elif (finding.status, step) not in FINDING_TRANSITIONS:
            allowed = False
        elif step in (FindingStep.SIGN_OFF, FindingStep.SEND_BACK):
            allowed = may_sign_off(actor, org)
        else:
            allowed = may_change
        if allowed:
            steps.append(step)
    return steps


OPEN_FIRST = Case(
    When(status__in=OPEN_FINDING_STATUSES, then=Value(0)),
    When(status=FindingStatus.RECTIFIED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def finding_list_open_first(*, actor, organization: Organization) -> QuerySet[Finding]:
    """The findings of an organization and its subtree: still open (待整改, 整改中) first, the nearest deadline (the
    most overdue) first, then those reported rectified, then the signed-off ones."""
    return (
        finding_list(actor=actor)
        .filter(subtree_range_q("organization__path", organization.path))
        .annotate(open_rank=OPEN_FIRST)
        .order_by("open_rank", "deadline", "-found_on", "-id")
    )


@dataclass
class OrganizationFindings:
    """The 问题 tab of an organization's page: the first findings of its subtree (open first) and its counts."""

    rows: list
    total: int
    open: int
    overdue: int


def organization_findings(*, actor, organization: Organization, limit: int = 10) -> OrganizationFindings:
    today = timezone.localdate()
    rows = finding_list_open_first(actor=actor, organization=organization)
    counts = rows.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=OPEN_FINDING_STATUSES)),
        overdue=Count("id", filter=overdue_q(today)),
    )
    return OrganizationFindings(list(rows[:limit]), counts["total"], counts["open"], counts["overdue"])
