"""Compliance (达标情况) of 三会一课: for every branch × required kind × period of a year, 达标 / 未达标 / 进行中.

Set-based: one grouped query counts the meetings of every branch, kind and month of the year (by `held_on`, the
Asia/Shanghai date); the requirements are expanded from the standards in memory, in one pass over plain tuples.

- A standard with a minimum of 0 requires nothing. Exemptions: 支部委员会会议 binds only branches with a committee,
  党小组会 only branches with party groups; exempt kinds have no cells at all.
- A period binds a branch founded on or before the period's first day (a branch founded on 15 March owes nothing
  for March or for the first quarter, and nothing for that year's yearly kinds).
- Status: 达标 once the meetings held reach the minimum (even before the period ends); otherwise 进行中 while the
  period is not over (today ≤ its last day) and 未达标 after.
- Rates: compliance = 达标 ÷ (达标 + 未达标) over the cells counted (进行中 cells are left out); None when nothing
  has been decided yet. Attendance = 实到 ÷ 应到 over the year's meetings; None when nobody was expected.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import ExtractMonth

from core.scope import Action, subtree_range_q
from organizations.models import Organization

from .choices import KIND_ORDER, MEETING_HOLDING_KINDS, ComplianceStatus
from .models import Meeting, MeetingStandard
from .periods import Period, periods_of_year
from .rules import applies_to


class Requirement(NamedTuple):
    kind: str
    period_type: str
    min_count: int
    exemption: str
    periods: tuple[Period, ...]


class BranchRow(NamedTuple):
    id: int
    code: str
    name: str
    path: str
    has_committee: bool
    has_party_groups: bool
    founded_on: dt.date | None


class Cell(NamedTuple):
    branch: BranchRow
    kind: str
    period: Period
    required: int
    actual: int
    status: str


MET, MISSED, OPEN = ComplianceStatus.MET, ComplianceStatus.MISSED, ComplianceStatus.OPEN


def requirements(year: int) -> list[Requirement]:
    """The standards in force, in the order of the 会议 sheet, with the periods of `year`."""
    rows = MeetingStandard.objects.filter(min_count__gt=0)
    result = [
        Requirement(s.kind, s.period_type, s.min_count, s.exemption, tuple(periods_of_year(s.period_type, year)))
        for s in rows
    ]
    return sorted(result, key=lambda r: KIND_ORDER.get(r.kind, 99))


def holding_branches(*, actor, organization: Organization | None = None) -> QuerySet[Organization]:
    """The branches (党支部, 党总支) the actor sees, within `organization`'s subtree when given."""
    qs = Organization.objects.restrict(actor, Action.VIEW).filter(kind__in=MEETING_HOLDING_KINDS)
    if organization is not None:
        qs = qs.filter(subtree_range_q("path", organization.path))
    return qs.order_by("code")


def branch_rows(branches: QuerySet[Organization]) -> list[BranchRow]:
    return [BranchRow(*row) for row in branches.values_list(*BranchRow._fields)]


def meeting_counts(branches: QuerySet[Organization], year: int) -> dict[tuple[int, str, int], int]:
    """{(branch id, kind, month): meetings held} for the year, in one grouped query."""
    qs = (
        Meeting.objects.filter(held_on__gte=dt.date(year, 1, 1), held_on__lte=dt.date(year, 12, 31))
        .filter(branch__in=branches.values("id"))
        .annotate(month=ExtractMonth("held_on"))
        .values_list("branch_id", "kind", "month")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(b, k, m): n for b, k, m, n in qs}


def expand(branches: Iterable[BranchRow], reqs: list[Requirement], counts: dict, today: dt.date) -> Iterator[Cell]:
    """Every cell of the given branches, branch by branch, kinds in sheet order, periods in time order."""
    for branch in branches:
        for req in reqs:
            if not applies_to(
                req.exemption, has_committee=branch.has_committee, has_party_groups=branch.has_party_groups
            ):
                continue
            for period in req.periods:
                if branch.founded_on and branch.founded_on > period.start:
                    continue
                actual = 0
                for month in period.months:
                    actual += counts.get((branch.id, req.kind, month), 0)
                if actual >= req.min_count:
                    status = MET
                elif period.is_over(today):
                    status = MISSED
                else:
                    status = OPEN
                yield Cell(branch, req.kind, period, req.min_count, actual, status)


def compliance_cells(
    *, actor, year: int, today: dt.date, organization: Organization | None = None, branches=None
) -> Iterator[Cell]:
    branch_qs = branches if branches is not None else holding_branches(actor=actor, organization=organization)
    rows = branch_rows(branch_qs)
    return expand(rows, requirements(year), meeting_counts(branch_qs, year), today)


@dataclass
class Tally:
    """Cells counted by status, and the attendance of the meetings behind them."""

    met: int = 0
    missed: int = 0
    open: int = 0
    expected: int = 0
    present: int = 0
    meetings: int = 0
    branches: int = 0

    def add_cell(self, status: str) -> None:
        if status == MET:
            self.met += 1
        elif status == MISSED:
            self.missed += 1
        else:
            self.open += 1

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def rate(self) -> float | None:
        """达标 ÷ (达标 + 未达标); None when nothing is decided yet."""
        return self.met / self.decided if self.decided else None

    @property
    def attendance_rate(self) -> float | None:
        return self.present / self.expected if self.expected else None


@dataclass
class GroupTally(Tally):
    organization: Organization | None = None
    kinds: dict[str, Tally] = field(default_factory=dict)


def attendance_totals(branches: QuerySet[Organization], year: int) -> dict[int, tuple[int, int, int]]:
    """{branch id: (meetings, expected, present)} over the year's meetings."""
    qs = (
        Meeting.objects.filter(held_on__gte=dt.date(year, 1, 1), held_on__lte=dt.date(year, 12, 31))
        .filter(branch__in=branches.values("id"))
        .values_list("branch_id")
        .annotate(n=Count("id"), e=Sum("expected_count"), p=Sum("present_count"))
        .order_by()
    )
    return {b: (n, e or 0, p or 0) for b, n, e, p in qs}


def group_key_length(organization: Organization | None) -> int:
    """Branches are grouped by the child of `organization` they lie under (its townships, for the county)."""
    depth = organization.depth if organization is not None else 0
    return (depth + 1) * Organization.steplen


def compliance_summary(
    *, actor, year: int, today: dt.date, organization: Organization | None = None
) -> tuple[dict[int, Tally], list[GroupTally]]:
    """Per branch and per child of `organization` (per township for the county): cells by status, rates and
    attendance. Groups are sorted by code; a group's rate is over all its branches' cells, not an average of
    rates."""
    branch_qs = holding_branches(actor=actor, organization=organization)
    rows = branch_rows(branch_qs)
    by_branch: dict[int, Tally] = {row.id: Tally(branches=1) for row in rows}
    for cell in expand(rows, requirements(year), meeting_counts(branch_qs, year), today):
        by_branch[cell.branch.id].add_cell(cell.status)
    for branch_id, (n, expected, present) in attendance_totals(branch_qs, year).items():
        tally = by_branch.get(branch_id)
        if tally is not None:
            tally.meetings, tally.expected, tally.present = n, expected, present
    prefix_len = group_key_length(organization)
    groups: dict[str, GroupTally] = defaultdict(GroupTally)
    for row in rows:
        group = groups[row.path[:prefix_len]]
        tally = by_branch[row.id]
        for name in ("met", "missed", "open", "expected", "present", "meetings", "branches"):
            setattr(group, name, getattr(group, name) + getattr(tally, name))
    orgs = {o.path: o for o in Organization.objects.filter(path__in=list(groups))}
    result = []
    for path in sorted(groups, key=lambda p: orgs[p].code if p in orgs else p):
        group = groups[path]
        group.organization = orgs.get(path)
        result.append(group)
    return by_branch, result


def rank_by_rate(items: list, rate=lambda item: item.rate) -> list[tuple[int | None, object]]:
    """Competition ranking by rate, highest first (ties share a rank: 1, 2, 2, 4); items without a rate come last,
    unranked (None)."""
    rated = sorted((i for i in items if rate(i) is not None), key=lambda i: -rate(i))
    result: list[tuple[int | None, object]] = []
    for position, item in enumerate(rated, start=1):
        if result and rate(result[-1][1]) == rate(item):
            result.append((result[-1][0], item))
        else:
            result.append((position, item))
    return result + [(None, i) for i in items if rate(i) is None]
