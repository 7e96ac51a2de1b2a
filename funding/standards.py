"""Reads of the county's funding standards (经费保障标准): which organizations each standard covers in a year, the
minimum it asks of them, what they received and how far short they fall.

How a standard is applied (domain.md "Funding"):
- It applies in a year when it is active and the year lies within [year_from, year_to] (FundStandard.applies_in).
- It covers every organization of the subtree whose domain, kind and 考核类别 match (blank = any) and whose member count lies
  within [members_min, members_max] (either end open).
- The member count of an organization is the number of members of its whole subtree on the reference day — 31
  December of the year, or today for a year not yet over: members whose membership (members.Membership, both ends
  inclusive) covered that day at a branch of the subtree, and whose status on that day was one of
  members.choices.ACTIVE_STATUSES (正常, 流出, 流入, 失联; 预备党员 included). The status on the day is the one set by
  the last status change on or before it; with none, the file's status before its first change (its current status
  if it never changed, else 正常). 停止党籍, 出党, 死亡 and 转出 do not count.
- The minimum is the fixed amount, or the multiple × the year's rural per-capita income (RuralIncome of that year),
  rounded half-up to the fen. A year without a recorded income leaves income-multiple standards "cannot be
  evaluated" (无法评估): their rows are shown as such, never counted as met.
- What an organization received is what was disbursed (到位) to it, in the standard's category, in that year — its
  own ledger, not its subtree's.
- A row is short when what was received is less than the minimum (exactly the minimum meets it). The shortfall of a
  year not yet over may still be made good (the year is shown as 未结束).

Set-based: five queries whatever the number of organizations (standards, income, organizations, member counts,
disbursements).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.money import FEN, yuan
from core.scope import Action, subtree_range_q
from members.choices import ACTIVE_STATUSES, MemberStatus
from members.models import Membership, StatusChange
from organizations.models import Organization
from organizations.services import ensure_in_scope

from .choices import StandardBasis
from .models import Disbursement, FundStandard, RuralIncome

ZERO = Decimal("0.00")


class Verdict:
    MET = "达标"
    SHORT = "未达标"
    SHORT_SO_FAR = "暂未达标"  # the year is not over yet
    UNKNOWN = "无法评估"


@dataclass
class StandardRow:
    """One organization covered by one standard in one year."""

    standard: FundStandard
    organization: Organization
    year: int
    members: int
    minimum: Decimal | None  # None: cannot be evaluated (no rural income recorded for the year)
    received: Decimal
    year_over: bool
    income: Decimal | None = None  # the year's rural income (income-multiple standards)

    @property
    def evaluable(self) -> bool:
        return self.minimum is not None

    @property
    def short(self) -> bool:
        return self.minimum is not None and self.received < self.minimum

    @property
    def shortfall(self) -> Decimal | None:
        if self.minimum is None:
            return None
        return max(self.minimum - self.received, ZERO)

    @property
    def verdict(self) -> str:
        if self.minimum is None:
            return Verdict.UNKNOWN
        if not self.short:
            return Verdict.MET
        return Verdict.SHORT if self.year_over else Verdict.SHORT_SO_FAR

    # Texts for the pages (amounts with thousands separators, blank where unknown).
    @property
    def minimum_text(self) -> str:
        return yuan(self.minimum) if self.minimum is not None else "—"

    @property
    def received_text(self) -> str:
        return yuan(self.received)

    @property
    def shortfall_text(self) -> str:
        return yuan(self.shortfall) if self.shortfall is not None else "—"


@dataclass
class StandardInForce:
    """A standard applying in the year, with its minimum (None: cannot be evaluated) and the figures of its rows."""

    standard: FundStandard
    minimum: Decimal | None
    income: Decimal | None
    covered: int = 0
    met: int = 0
    short: int = 0
    shortfall: Decimal = ZERO

    @property
    def evaluable(self) -> bool:
        return self.minimum is not None

    @property
    def minimum_text(self) -> str:
        return yuan(self.minimum) if self.minimum is not None else "—"

    @property
    def shortfall_text(self) -> str:
        return yuan(self.shortfall)

    @property
    def basis_text(self) -> str:
        return basis_text(self.standard, self.income)


def basis_text(standard: FundStandard, income: Decimal | None = None) -> str:
    """“每年不少于 50,000.00 元” / “农村居民人均可支配收入的 2.5 倍（20,133.00 元 × 2.5）”."""
    if standard.basis == StandardBasis.FIXED:
        return f"每年不少于 {yuan(standard.amount)} 元"
    multiple = f"{standard.multiple.normalize():f}" if standard.multiple is not None else "—"
    text = f"农村居民人均可支配收入的 {multiple} 倍"
    return f"{text}（{yuan(income)} 元 × {multiple}）" if income is not None else text


def scope_text(standard: FundStandard) -> str:
    """Who a standard covers, in words: “农村 · 党支部 · 党员 10—49 人”."""
    parts = [standard.domain or "所有领域", standard.kind or "所有类型"]
    if standard.assessment_group:
        parts.append(standard.assessment_group)
    lo, hi = standard.members_min, standard.members_max
    if lo is not None and hi is not None:
        parts.append(f"党员 {lo}—{hi} 人")
    elif lo is not None:
        parts.append(f"党员 {lo} 人及以上")
    elif hi is not None:
        parts.append(f"党员 {hi} 人及以下")
    return " · ".join(parts)


def years_text(standard: FundStandard) -> str:
    return f"{standard.year_from}—{standard.year_to}年" if standard.year_to else f"{standard.year_from}年起"


def reference_day(year: int, today: dt.date) -> dt.date:
    """The day members are counted on: 31 December, or today for a year not yet over."""
    return min(dt.date(year, 12, 31), today)


def minimum_of(standard: FundStandard, income: Decimal | None) -> Decimal | None:
    if standard.basis == StandardBasis.FIXED:
        return standard.amount
    if income is None or standard.multiple is None:
        return None
    return (standard.multiple * income).quantize(FEN, rounding=ROUND_HALF_UP)


def standards_in_force(year: int, *, standard: FundStandard | None = None) -> list[FundStandard]:
    qs = FundStandard.objects.filter(active=True, year_from__lte=year).filter(
        Q(year_to__isnull=True) | Q(year_to__gte=year)
    )
    if standard is not None:
        qs = qs.filter(pk=standard.pk)
    return list(qs.select_related("category").order_by("category__order", "category_id", "id"))


def member_counts(*, root: Organization, on: dt.date) -> dict[str, int]:
    """{branch path: members counted on `on`} for the branches of root's subtree (one grouped query)."""
    last_change = (
        StatusChange.objects.filter(member_id=OuterRef("member_id"), changed_on__lte=on)
        .order_by("-changed_on", "-id")
        .values("status")[:1]
    )
    later_change = StatusChange.objects.filter(member_id=OuterRef("member_id"), changed_on__gt=on)
    status_on = Coalesce(
        Subquery(last_change),
        Case(When(Exists(later_change), then=Value(MemberStatus.NORMAL.value)), default=F("member__status")),
    )
    rows = (
        Membership.objects.filter(subtree_range_q("branch__path", root.path), start_on__lte=on)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=on))
        .annotate(status_on=status_on)
        .filter(status_on__in=[str(s) for s in ACTIVE_STATUSES])
        .values("branch__path")
        .annotate(n=Count("member_id", distinct=True))
        .order_by()
    )
    return {row["branch__path"]: row["n"] for row in rows}


def subtree_totals(counts: dict[str, int], steplen: int = Organization.steplen) -> dict[str, int]:
    """Each path's count added to every ancestor path: {path: members of its whole subtree}."""
    totals: dict[str, int] = defaultdict(int)
    for path, n in counts.items():
        for end in range(steplen, len(path) + 1, steplen):
            totals[path[:end]] += n
    return totals


def _matches(standard: FundStandard, org: Organization, members: int) -> bool:
    if standard.domain and org.domain != standard.domain:
        return False
    if standard.kind and org.kind != standard.kind:
        return False
    if standard.assessment_group and org.assessment_group != standard.assessment_group:
        return False
    if standard.members_min is not None and members < standard.members_min:
        return False
    if standard.members_max is not None and members > standard.members_max:
        return False
    return True


def _evaluate(*, root: Organization, year: int, today: dt.date, standard: FundStandard | None):
    """(standards in force with their minimum, rows) for root's subtree; no scope check (callers do it)."""
    standards = standards_in_force(year, standard=standard)
    if not standards:
        return [], []
    income = RuralIncome.objects.filter(year=year).values_list("amount", flat=True).first()
    in_force = [StandardInForce(s, minimum_of(s, income), income) for s in standards]
    orgs = list(Organization.objects.filter(subtree_range_q("path", root.path)).order_by("path"))
    totals = subtree_totals(member_counts(root=root, on=reference_day(year, today)))
    received = {
        (row["organization_id"], row["category_id"]): row["total"] or ZERO
        for row in Disbursement.objects.filter(
            subtree_range_q("organization__path", root.path),
            year=year,
            category_id__in={s.category_id for s in standards},
        )
        .values("organization_id", "category_id")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    year_over = dt.date(year, 12, 31) < today
    rows = []
    for force in in_force:
        s = force.standard
        for org in orgs:
            members = totals.get(org.path, 0)
            if not _matches(s, org, members):
                continue
            row = StandardRow(
                standard=s, organization=org, year=year, members=members, minimum=force.minimum,
                received=received.get((org.pk, s.category_id), ZERO), year_over=year_over,
                income=income if s.basis == StandardBasis.INCOME_MULTIPLE else None,
            )  # fmt: skip
            rows.append(row)
            force.covered += 1
            if row.short:
                force.short += 1
                force.shortfall += row.shortfall
            elif row.evaluable:
                force.met += 1
    return in_force, rows


def standard_rows(
    *, actor, root: Organization, year: int, today: dt.date | None = None, standard: FundStandard | None = None
) -> list[StandardRow]:
    """Every organization of root's subtree covered by a standard in force in `year` (one row per standard and
    organization), in the order of the standards and then of the tree. `root` outside the actor's scope is
    NotInScope."""
    ensure_in_scope(actor, Action.VIEW, root)
    return _evaluate(root=root, year=year, today=today or timezone.localdate(), standard=standard)[1]


def below_standard(
    *, actor, root: Organization, year: int, today: dt.date | None = None, standard: FundStandard | None = None
) -> list[StandardRow]:
    """The rows of `standard_rows` short of their minimum (those that cannot be evaluated are not among them: see
    `standards_overview`)."""
    return [r for r in standard_rows(actor=actor, root=root, year=year, today=today, standard=standard) if r.short]


def standards_overview(
    *, actor, root: Organization, year: int, today: dt.date | None = None, standard: FundStandard | None = None
) -> tuple[list[StandardInForce], list[StandardRow]]:
    """The standards in force in `year` with their figures over root's subtree, and every row (one evaluation)."""
    ensure_in_scope(actor, Action.VIEW, root)
    return _evaluate(root=root, year=year, today=today or timezone.localdate(), standard=standard)


def county_rows(*, year: int, today: dt.date) -> list[StandardRow]:
    """Every row of the whole county (each tree root's subtree) for the nightly check; no actor, no scope."""
    rows = []
    for root in Organization.objects.filter(depth=1).order_by("path"):
        rows.extend(_evaluate(root=root, year=year, today=today, standard=None)[1])
    return rows


def standard_list():
    """Every standard (the configuration page), in force or not."""
    return FundStandard.objects.select_related("category").order_by("category__order", "category_id", "-active", "id")


def incomes() -> list[RuralIncome]:
    return list(RuralIncome.objects.order_by("-year"))
