"""Funds not where the county said they would be: money that did not arrive by its deadline (经费未按期拨付到位),
and organizations that received less than a county standard in a year that is over (经费低于县定标准)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import F, Max, Q, Sum

from core.money import yuan
from funding.choices import StandardBasis
from funding.models import Allocation
from funding.standards import basis_text, county_rows, scope_text

from ..choices import CheckKind, Severity
from ..services.findings import Fault
from .common import day_text, evidence, lookback_start

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")


def _money(amount) -> str:
    return f"{yuan(amount)} 元"


# --- Late or short disbursements ---------------------------------------------------------------------------------


def funds_late(today: dt.date) -> Iterator[Fault]:
    """Allocations whose deadline is past (deadline < today, within the lookback window) and whose money arrived by
    the deadline (paid on or before it) is less than the amount allocated: late when it has all arrived since, short
    while some is still owed (较重). One finding per allocation, keyed by it; one query."""
    by_deadline = Sum("disbursements__amount", filter=Q(disbursements__paid_on__lte=F("deadline")))
    rows = (
        Allocation.objects.filter(deadline__lt=today, deadline__gte=lookback_start(today))
        .annotate(
            by_deadline=by_deadline, arrived=Sum("disbursements__amount"), last_paid=Max("disbursements__paid_on")
        )
        .filter(Q(by_deadline__isnull=True) | Q(by_deadline__lt=F("amount")))
        .select_related("organization", "category", "source")
        .order_by("deadline", "id")
    )
    for a in rows:
        on_time = a.by_deadline or ZERO
        since = (a.arrived or ZERO) - on_time
        owed = max(a.amount - on_time - since, ZERO)
        days = (today - a.deadline).days
        org = a.organization
        what = f"{org.name}{a.year}年“{a.category.name}”{_money(a.amount)}（{a.source.name}"
        what += f"，{a.document_no}）" if a.document_no else "）"
        if owed:
            outcome = (
                f"截至拨付时限到位 {_money(on_time)}，此后到位 {_money(since)}，仍欠拨 {_money(owed)}，"
                f"已逾期 {days} 天未拨付到位。"
            )
            summary = f"{org.name}“{a.category.name}”逾期 {days} 天仍欠拨 {_money(owed)}"
        else:
            late_days = (a.last_paid - a.deadline).days
            outcome = (
                f"截至拨付时限到位 {_money(on_time)}，其余 {_money(since)}至{day_text(a.last_paid)}才拨付到位，"
                f"晚于时限 {late_days} 天。"
            )
            summary = f"{org.name}“{a.category.name}”晚于拨付时限 {late_days} 天才全部到位"
        yield Fault(
            organization_id=org.pk,
            check_kind=CheckKind.FUNDS_LATE,
            key=f"funds_late:{a.pk}",
            description=f"{what}于{day_text(a.allocated_on)}下达，拨付时限为{day_text(a.deadline)}，{outcome}",
            evidence=evidence(
                summary,
                [
                    ("组织", org.name),
                    ("经费类别", a.category.name),
                    ("资金来源", a.source.name),
                    ("文号", a.document_no or "—"),
                    ("下达金额", _money(a.amount)),
                    ("下达日期", day_text(a.allocated_on)),
                    ("拨付时限", day_text(a.deadline)),
                    ("时限内到位", _money(on_time)),
                    ("时限后到位", _money(since)),
                    ("最后拨付日期", day_text(a.last_paid)),
                    ("仍欠拨", _money(owed)),
                ],
                refs=[("allocation", a.pk, f"{org.name} {a}"), ("organization", org.pk, org.name)],
            ),
            severity=Severity.MAJOR if owed else Severity.MINOR,
        )


# --- Below a county standard ---------------------------------------------------------------------------------------


def _how(standard, row, year: int) -> str:
    """How an income-multiple minimum was reached; nothing for a fixed amount."""
    if standard.basis != StandardBasis.INCOME_MULTIPLE:
        return ""
    return f"（{year}年农村居民人均可支配收入 {_money(row.income)}的 {standard.multiple.normalize():f} 倍）"


def checked_years(today: dt.date) -> list[int]:
    """The years over (before today's) whose last day lies within the lookback window: with the default 365 days,
    exactly the last year that ended."""
    since = lookback_start(today)
    return [year for year in range(since.year, today.year) if dt.date(year, 12, 31) >= since]


def funds_below_standard(today: dt.date) -> Iterator[Fault]:
    """For each year over within the lookback window, every organization that received less of a standard's
    category than the standard's minimum (funding.standards). Nothing received at all is 较重. Income-multiple
    standards of a year without a recorded income cannot be evaluated: logged, not raised (the standards page shows
    them as 无法评估)."""
    for year in checked_years(today):
        unknown: set[int] = set()
        for row in county_rows(year=year, today=today):
            s, org = row.standard, row.organization
            if not row.evaluable:
                unknown.add(s.pk)
                continue
            if not row.short:
                continue
            yield Fault(
                organization_id=org.pk,
                check_kind=CheckKind.FUNDS_BELOW_STANDARD,
                key=f"funds_standard:{s.pk}:{org.pk}:{year}",
                description=(
                    f"{org.name}{year}年“{s.category.name}”到位 {_money(row.received)}，低于县定标准“{s.name}”"
                    f"的最低 {_money(row.minimum)}{_how(s, row, year)}，差 {_money(row.shortfall)}。"
                ),
                evidence=evidence(
                    f"{org.name}{year}年“{s.category.name}”到位资金比县定标准少 {_money(row.shortfall)}",
                    [
                        ("组织", org.name),
                        ("年度", f"{year}年"),
                        ("保障标准", s.name),
                        ("适用范围", scope_text(s)),
                        ("标准依据", basis_text(s, row.income)),
                        ("党员人数", f"{row.members} 人"),
                        ("最低金额", _money(row.minimum)),
                        ("实际到位", _money(row.received)),
                        ("差额", _money(row.shortfall)),
                        *([("文件依据", s.note)] if s.note else []),
                    ],
                    refs=[("fund_standard", s.pk, s.name), ("organization", org.pk, org.name)],
                ),
                severity=Severity.MAJOR if not row.received else Severity.MINOR,
            )
        if unknown:
            logger.warning(
                "funds_below_standard: %d standard(s) of %d cannot be evaluated (no rural income recorded)",
                len(unknown),
                year,
            )
