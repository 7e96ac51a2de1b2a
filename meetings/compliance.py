"""Compliance (达标情况) of 三会一课: for every branch × required kind × period of a year, 达标 / 未达标 / 进行中.

Set-based: one grouped query counts the meetings of every branch and kind, month by month, over the year (by
`held_on`, the Asia/Shanghai date); the requirements are expanded from the standards in memory, in one pass over
plain tuples (the summary only counts the cells, it does not build them).

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
from fractions import Fraction
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, Q, QuerySet, Sum

from core.scope import Action, subtree_range_q
from organizations.models import Organization

from .choices import KIND_ORDER, MEETING_HOLDING_KINDS, ComplianceStatus, PeriodType
from .models import Meeting, MeetingStandard
from .periods import Period, period_of, periods_of_year
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


def _month_bounds(year: int) -> list[tuple[dt.date, dt.date]]:
    return [(dt.date(year, m, 1), dt.date(year + m // 12, m % 12 + 1, 1)) for m in range(1, 13)]


class YearCounts(NamedTuple):
    """The year's meetings of some branches, from one grouped query: `months[(branch id, kind)]` is a 13-tuple
    (index 0 unused, then January … December) of meetings held, `attendance[branch id]` = (meetings, expected,
    present)."""

    months: dict[tuple[int, str], tuple[int, ...]]
    attendance: dict[int, tuple[int, int, int]]


# Up to this many branches (a county) are named by id in the meetings query; more (a province) go as a subquery.
# With the ids PostgreSQL reads the county's meetings through the (branch, held_on) index; with the subquery it
# hashed the whole year's table whenever that table was small enough to look cheap (70 vs 200 ms for a county).
IDS_INLINE_MAX = 2000


def year_counts(branches: QuerySet[Organization], year: int, *, branch_ids: list[int] | None = None) -> YearCounts:
    """One query grouped by branch and kind, with a filtered count per month (held_on ranges, so no function runs
    per row: Django's ExtractMonth is a Python function call per row on SQLite) and the attendance sums.
    `branch_ids`, when the caller has them, are the ids of `branches`."""
    per_month = {
        f"m{i}": Count("id", filter=Q(held_on__gte=start, held_on__lt=end))
        for i, (start, end) in enumerate(_month_bounds(year), start=1)
    }
    if branch_ids is not None and len(branch_ids) <= IDS_INLINE_MAX:
        of_branches = Q(branch_id__in=branch_ids)
    else:
        of_branches = Q(branch__in=branches.values("id"))
    qs = (
        Meeting.objects.filter(held_on__gte=dt.date(year, 1, 1), held_on__lte=dt.date(year, 12, 31))
        .filter(of_branches)
        .values_list("branch_id", "kind")
        .annotate(**per_month, e=Sum("expected_count"), p=Sum("present_count"))
        .order_by()
    )
    # The SQL Django compiles, run on a plain cursor: the rows are integers already, and Django's per-value
    # converters (a Python call for each of the 16 columns of every row) took longer than the query itself.
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # no branches at all (an actor who sees none): what iterating the queryset would give
        return YearCounts({}, {})
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    months: dict[tuple[int, str], tuple[int, ...]] = {}
    attendance: dict[int, tuple[int, int, int]] = {}
    for row in rows:
        branch_id = row[0]
        held = row[2:14]
        months[(branch_id, row[1])] = (0, *held)
        n, expected, present = attendance.get(branch_id, (0, 0, 0))
        attendance[branch_id] = (n + sum(held), expected + (row[14] or 0), present + (row[15] or 0))
    return YearCounts(months, attendance)


def meeting_counts(branches: QuerySet[Organization], year: int) -> dict[tuple[int, str, int], int]:
    """{(branch id, kind, month): meetings held} for the year (months with none are absent), in one grouped query."""
    return {
        (branch_id, kind, month): n
        for (branch_id, kind), held in year_counts(branches, year).months.items()
        for month, n in enumerate(held)
        if n
    }


def _months_of(counts: dict[tuple[int, str, int], int]) -> dict[tuple[int, str], list[int]]:
    months: dict[tuple[int, str], list[int]] = {}
    for (branch_id, kind, month), n in counts.items():
        held = months.get((branch_id, kind))
        if held is None:
            held = months[(branch_id, kind)] = [0] * 13
        held[month] += n
    return months


NO_MEETINGS = (0,) * 13


class _Plans:
    """The requirements with their periods as (period, first month, month after the last, over today?), and per
    (committee, party groups) pair of flags the ones that bind such a branch, worked out once per pair rather than
    once per branch. A branch founded on or before the first day of every period owes them all; only a later one
    is checked period by period."""

    def __init__(self, reqs: list[Requirement], today: dt.date):
        self.plans = [
            (req, [(p, p.start.month, p.end.month + 1, p.is_over(today)) for p in req.periods]) for req in reqs
        ]
        starts = [p.start for req in reqs for p in req.periods]
        self.first_start = min(starts) if starts else None
        self._by_flags: dict[tuple[bool, bool], list[tuple]] = {}

    def binding(self, branch: BranchRow) -> list[tuple]:
        key = (branch.has_committee, branch.has_party_groups)
        found = self._by_flags.get(key)
        if found is None:
            found = self._by_flags[key] = [
                (req, periods)
                for req, periods in self.plans
                if applies_to(req.exemption, has_committee=key[0], has_party_groups=key[1])
            ]
        return found

    def founded_late(self, branch: BranchRow) -> bool:
        founded = branch.founded_on
        return bool(founded) and self.first_start is not None and founded > self.first_start


def expand_months(
    branches: Iterable[BranchRow], reqs: list[Requirement], months: dict, today: dt.date
) -> Iterator[Cell]:
    """expand() over YearCounts.months ({(branch id, kind): counts by month}), as compliance_cells uses it."""
    get = months.get
    plans = _Plans(reqs, today)
    for branch in branches:
        founded, late = branch.founded_on, plans.founded_late(branch)
        for req, periods in plans.binding(branch):
            held = get((branch.id, req.kind), NO_MEETINGS)
            need = req.min_count
            for period, first, after, over in periods:
                if late and founded > period.start:
                    continue
                actual = held[first] if first + 1 == after else sum(held[first:after])
                status = MET if actual >= need else MISSED if over else OPEN
                yield Cell(branch, req.kind, period, need, actual, status)


def expand(branches: Iterable[BranchRow], reqs: list[Requirement], counts: dict, today: dt.date) -> Iterator[Cell]:
    """Every cell of the given branches, branch by branch, kinds in sheet order, periods in time order.
    `counts` is meeting_counts()'s {(branch id, kind, month): n}."""
    return expand_months(branches, reqs, _months_of(counts), today)


def compliance_cells(
    *, actor, year: int, today: dt.date, organization: Organization | None = None, branches=None
) -> Iterator[Cell]:
    branch_qs = branches if branches is not None else holding_branches(actor=actor, organization=organization)
    rows = branch_rows(branch_qs)
    counts = year_counts(branch_qs, year, branch_ids=[r.id for r in rows])
    return expand_months(rows, requirements(year), counts.months, today)


def status_counts(
    branches: Iterable[BranchRow], reqs: list[Requirement], months: dict, today: dt.date
) -> Iterator[tuple[int, int, int, int]]:
    """(branch id, 达标, 未达标, 进行中) per branch: the cells of expand_months() counted, none of them built (the
    province's summary counts three million cells)."""
    get = months.get
    plans = _Plans(reqs, today)
    for branch in branches:
        founded, late = branch.founded_on, plans.founded_late(branch)
        met = missed = running = 0
        for req, periods in plans.binding(branch):
            held = get((branch.id, req.kind), NO_MEETINGS)
            need = req.min_count
            for period, first, after, over in periods:
                if late and founded > period.start:
                    continue
                if (held[first] if first + 1 == after else sum(held[first:after])) >= need:
                    met += 1
                elif over:
                    missed += 1
                else:
                    running += 1
        yield branch.id, met, missed, running


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
    def rate(self) -> Fraction | None:
        """达标 ÷ (达标 + 未达标), exact (ties compare equal, percentages round from the true value); None when
        nothing is decided yet."""
        return Fraction(self.met, self.decided) if self.decided else None

    @property
    def attendance_rate(self) -> Fraction | None:
        return Fraction(self.present, self.expected) if self.expected else None


@dataclass
class GroupTally(Tally):
    organization: Organization | None = None
    kinds: dict[str, Tally] = field(default_factory=dict)


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
    counts = year_counts(branch_qs, year, branch_ids=[r.id for r in rows])
    attendance = counts.attendance
    by_branch: dict[int, Tally] = {}
    for branch_id, met, missed, running in status_counts(rows, requirements(year), counts.months, today):
        n, expected, present = attendance.get(branch_id, (0, 0, 0))
        by_branch[branch_id] = Tally(met, missed, running, expected, present, n, 1)
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


def branch_cells(branch: Organization, *, year: int, today: dt.date) -> list[Cell]:
    """The cells of one branch alone (a 党总支's own, not its sub-branches')."""
    only = Organization.objects.filter(pk=branch.pk)
    return list(compliance_cells(actor=None, year=year, today=today, branches=only))


def due_now(branch: Organization, *, today: dt.date, cells: list[Cell] | None = None) -> list[Cell]:
    """本月待办: the requirements of the periods running today (this month, quarter and year) not met yet, soonest
    deadline first. `cells`: the branch's cells of this year when the caller has them already."""
    if cells is None:
        cells = branch_cells(branch, year=today.year, today=today)
    running = [c for c in cells if c.period.contains(today) and c.status == OPEN]
    return sorted(running, key=lambda c: (c.period.end, KIND_ORDER.get(c.kind, 99)))


def overdue_cells(*, actor, year: int, today: dt.date, organization: Organization | None = None) -> list[Cell]:
    """未达标 cells (period over, minimum not reached) of the actor's branches, latest period first."""
    cells = [
        c
        for c in compliance_cells(actor=actor, year=year, today=today, organization=organization)
        if c.status == MISSED
    ]
    return sorted(cells, key=lambda c: (-c.period.end.toordinal(), c.branch.code, KIND_ORDER.get(c.kind, 99)))


def due_this_month_cells(*, actor, today: dt.date, organization: Organization | None = None) -> list[Cell]:
    """进行中 cells whose period ends with this month (this month's, and the quarter's or year's when they end now):
    what must still be held before the month is out, soonest first."""
    month_end = period_of(PeriodType.MONTH, today).end
    cells = [
        c
        for c in compliance_cells(actor=actor, year=today.year, today=today, organization=organization)
        if c.status == OPEN and c.period.end <= month_end
    ]
    return sorted(cells, key=lambda c: (c.branch.code, KIND_ORDER.get(c.kind, 99)))


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_requirements(year: int, quarter: int) -> list[Requirement]:
    """The requirements of `year` with only the periods inside the quarter: its months and the quarter itself (a
    yearly requirement is not owed quarter by quarter)."""
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + quarter // 4, 3 * quarter % 12 + 1, 1) - dt.timedelta(days=1)
    out = []
    for req in requirements(year):
        periods = tuple(p for p in req.periods if start <= p.start and p.end <= end)
        if periods:
            out.append(req._replace(periods=periods))
    return out


class BranchQuarter(NamedTuple):
    """One branch's quarter: 达标 when every cell of it is met, 未达标 once one is missed, 进行中 otherwise."""

    branch: BranchRow
    status: str
    met: int
    missed: int
    open: int


def quarter_branches(
    *, actor, year: int, quarter: int, today: dt.date, organization: Organization | None = None
) -> list[BranchQuarter]:
    """Every branch of the subtree that owes something in the quarter, by code, with its quarter's status. A branch
    founded after the quarter began owes nothing for it and is left out."""
    branch_qs = holding_branches(actor=actor, organization=organization)
    rows = branch_rows(branch_qs)
    by_id = {r.id: r for r in rows}
    counts = year_counts(branch_qs, year, branch_ids=list(by_id))
    out = []
    for branch_id, met, missed, running in status_counts(
        rows, quarter_requirements(year, quarter), counts.months, today
    ):
        if met + missed + running == 0:
            continue
        status = MISSED if missed else OPEN if running else MET
        out.append(BranchQuarter(by_id[branch_id], status, met, missed, running))
    return out


def monthly_rates(*, year: int, today: dt.date, organization: Organization) -> dict[str, list[tuple[int, int]]]:
    """{child path: [(达标, 未达标) of the cells whose period ends in month m] for m = 1…12} over the subtree's
    branches, pooled per child of `organization` (per township for the county): the compliance heat map. The
    quarter's and year's cells count in the month they end in; 进行中 cells are not counted."""
    prefix = group_key_length(organization)
    grid: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in range(12)])
    for cell in compliance_cells(actor=None, year=year, today=today, organization=organization):
        if cell.status == OPEN:
            continue
        grid[cell.branch.path[:prefix]][cell.period.end.month - 1][cell.status == MISSED] += 1
    return {path: [tuple(m) for m in months] for path, months in grid.items()}
