"""Computed indicators: each a small source that reads another app through its selectors and turns what it finds
into points out of the indicator's maximum, with the figures it used (`basis`, shown beside the score).

Every source counts an organization's whole subtree (a township's figure is its villages' and its own), for the
assessment year, as of the day the computation runs. Where there is nothing to measure (no meeting due yet, no
funds allocated, no task received) the organization loses nothing: full points, and the basis says why.
Add a source by writing a `Source` and listing it in SOURCES; schemes pick it by key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.utils import timezone

from organizations.models import Organization

HUNDREDTH = Decimal("0.01")


class Target:
    """A result to score: its id and its organization's path."""

    __slots__ = ("result_id", "path")

    def __init__(self, result_id: int, path: str):
        self.result_id = result_id
        self.path = path


def _subtree_sums(targets: list[Target], values: dict[str, tuple], width: int) -> dict[int, list]:
    """{result id: element-wise sums of the `values` (tuples of `width` numbers keyed by organization path) lying
    in its subtree}."""
    by_path = {t.path: [0] * width for t in targets}
    step = Organization.steplen
    for path, numbers in values.items():
        for end in range(step, len(path) + 1, step):
            acc = by_path.get(path[:end])
            if acc is not None:
                for i, n in enumerate(numbers):
                    acc[i] += n
    return {t.result_id: by_path[t.path] for t in targets}


def _points(max_points: Decimal, share: Fraction) -> Decimal:
    value = Fraction(max_points) * share
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def _paths(org_ids) -> dict[int, str]:
    return dict(Organization.objects.filter(pk__in=list(org_ids)).values_list("pk", "path"))


def _pct(share: Fraction) -> str:
    value = Decimal(share.numerator * 100) / Decimal(share.denominator)
    return f"{value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    description: str
    compute: Callable  # (county, year, targets, max_points, params, today) -> {result id: (points, basis)}
    defaults: dict

    def clean_params(self, params: dict) -> dict:
        clean = dict(self.defaults)
        for name, value in params.items():
            if name not in self.defaults:
                continue
            try:
                number = Decimal(str(value))
            except Exception:
                raise ValidationError(f"计算参数“{name}”应为数字。") from None
            if not number.is_finite() or number < 0 or number > 100:
                raise ValidationError(f"计算参数“{name}”应在 0 到 100 之间。")
            clean[name] = str(number.quantize(HUNDREDTH))
        return clean


def _rate_scores(targets, sums, max_points, describe) -> dict[int, tuple[Decimal, str]]:
    out = {}
    for t in targets:
        part, whole = sums[t.result_id]
        if not whole:
            out[t.result_id] = (max_points, describe(None, part, whole))
        else:
            share = Fraction(part, whole)
            out[t.result_id] = (_points(max_points, share), describe(share, part, whole))
    return out


def meetings_compliance(county, year, targets, max_points, params, today) -> dict:
    """三会一课 compliance: the share of required (kind, period) cells met among those decided, × the maximum."""
    from meetings.compliance import branch_rows, holding_branches, requirements, status_counts, year_counts

    branches = holding_branches(actor=None, organization=county)
    rows = branch_rows(branches)
    counts = year_counts(branches, year, branch_ids=[r.id for r in rows])
    paths = {r.id: r.path for r in rows}
    values = {}
    for branch_id, met, missed, _running in status_counts(rows, requirements(year), counts.months, today):
        values[paths[branch_id]] = (met, met + missed)
    sums = _subtree_sums(targets, values, 2)

    def describe(share, met, decided):
        if share is None:
            return "当年尚无到期的规定会议"
        return f"规定会议达标 {met}/{decided}（{_pct(share)}）"

    return _rate_scores(targets, sums, max_points, describe)


def funds_arrival(county, year, targets, max_points, params, today) -> dict:
    """经费到位率: disbursed ÷ allocated of the year (fen, exact), × the maximum."""
    from funding.selectors import summarize

    figures = summarize(actor=None, root=county, year=year, by="organization")
    paths = _paths(figures)
    values = {
        paths[org_id]: (int(f.disbursed * 100), int(f.allocated * 100))
        for org_id, f in figures.items()
        if org_id in paths
    }
    sums = _subtree_sums(targets, values, 2)

    def describe(share, disbursed, allocated):
        if share is None:
            return "当年无下达经费"
        return (
            f"到位 {Decimal(disbursed).scaleb(-2):,.2f} / 下达 {Decimal(allocated).scaleb(-2):,.2f} 元（{_pct(share)}）"
        )

    capped = {rid: [min(p, w), w] for rid, (p, w) in sums.items()}
    return _rate_scores(targets, capped, max_points, describe)


def findings_open(county, year, targets, max_points, params, today) -> dict:
    """Findings of the year still open (待整改/整改中): `per_open` points off for each, `per_overdue` more for each
    past its deadline, never below zero."""
    from supervision.selectors.findings import finding_counts

    per_open = Decimal(params.get("per_open", "2"))
    per_overdue = Decimal(params.get("per_overdue", "3"))
    counts = finding_counts(year=year, today=today)
    paths = _paths(counts)
    values = {paths[i]: (c.total, c.open, c.overdue) for i, c in counts.items() if i in paths}
    sums = _subtree_sums(targets, values, 3)
    out = {}
    for t in targets:
        total, still_open, overdue = sums[t.result_id]
        lost = per_open * still_open + per_overdue * overdue
        points = max(Decimal(0), max_points - lost).quantize(HUNDREDTH)
        basis = f"当年问题 {total} 个，未整改 {still_open} 个，其中逾期 {overdue} 个"
        out[t.result_id] = (points, basis + (f"，扣 {min(lost, max_points)} 分" if lost else ""))
    return out


def task_completion(county, year, targets, max_points, params, today) -> dict:
    """党建任务完成率: tasks of the year accepted ÷ received, × the maximum."""
    from supervision.selectors.tasks import task_completion as completion

    rates = completion(year=year, today=today)
    paths = _paths(rates)
    values = {paths[i]: (c.accepted, c.assigned) for i, c in rates.items() if i in paths}
    sums = _subtree_sums(targets, values, 2)

    def describe(share, accepted, assigned):
        if share is None:
            return "当年未收到党建任务"
        return f"任务通过审核 {accepted}/{assigned}（{_pct(share)}）"

    return _rate_scores(targets, sums, max_points, describe)


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source("meetings_compliance", "三会一课达标率", "规定会议达标率 × 分值", meetings_compliance, {}),
        Source("funds_arrival", "经费到位率", "当年经费到位率 × 分值", funds_arrival, {}),
        Source(
            "findings_open",
            "问题整改",
            "每个未整改问题扣 per_open 分，逾期的再扣 per_overdue 分，扣完为止",
            findings_open,
            {"per_open": "2", "per_overdue": "3"},
        ),
        Source("task_completion", "党建任务完成率", "任务通过审核率 × 分值", task_completion, {}),
    )
}


def compute_indicator(indicator, targets: list[Target], *, today: dt.date | None = None) -> dict:
    """{result id: (points, basis)} of a computed indicator for `targets` (results of its scheme)."""
    source = SOURCES[indicator.source]
    scheme = indicator.scheme
    today = today or timezone.localdate()
    params = source.clean_params(indicator.params or {})
    return source.compute(scheme.county, scheme.year, targets, indicator.max_points, params, today)
