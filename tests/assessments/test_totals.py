"""How a total is made, by hand: indicator scores, the duty-report appraisal (上评下议) and its weight, rounding
half-up to the hundredth on both databases, and what leaves a total empty."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from assessments.models import Result
from assessments.services.schemes import indicator_add, scheme_create, scheme_update
from assessments.services.scoring import appraisal_set, imported_total_set, score_clear, score_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheet(county):
    """The village group (4 villages) with two manual indicators 60 + 40 and the appraisal weighted 30 %
    (upper 60 %, lower 40 %)."""
    scheme = scheme_create(
        actor=None,
        county=county.root,
        year=2024,
        group="村（社区）党组织",
        appraisal_weight=30,
        upper_weight=60,
        lower_weight=40,
    )
    a = indicator_add(actor=None, scheme=scheme, name="组织建设", max_points="60")
    b = indicator_add(actor=None, scheme=scheme, name="作用发挥", max_points="40")
    result = Result.objects.get(scheme=scheme, organization=county.village_a1)
    return scheme, a, b, result


def fresh(result):
    return Result.objects.get(pk=result.pk)


def test_indicators_and_appraisal_make_the_total(sheet):
    """indicators 55.55 + 33.33 = 88.88; upper votes 2 好 1 较好 → 280 / 3 = 93.33; lower 1 好 1 较好 1 一般 →
    240 / 3 = 80.00; appraisal (93.33 × 60 + 80.00 × 40) / 100 = 87.998 → 88.00; total 88.88 × 70 % + 88.00 × 30 %
    = 62.216 + 26.40 = 88.616 → 88.62."""
    scheme, a, b, result = sheet
    score_set(actor=None, result=result, indicator=a, score="55.55", note="党小组活动记录不全")
    score_set(actor=None, result=result, indicator=b, score="33.33", note="带富作用不明显")
    assert (fresh(result).indicator_total, fresh(result).total) == (D("88.88"), None), "no votes yet: no total"
    appraisal_set(actor=None, result=result, side="upper", good=2, fair=1)
    # upper alone: 88.88 × 70 % + 93.33 × 30 % = 62.216 + 27.999 = 90.215 → 90.22
    assert (fresh(result).appraisal_score, fresh(result).total) == (D("93.33"), D("90.22"))
    appraisal_set(actor=None, result=result, side="lower", good=1, fair=1, average=1)
    r = fresh(result)
    assert (r.indicator_total, r.appraisal_score, r.total) == (D("88.88"), D("88.00"), D("88.62"))


def test_one_side_alone_is_the_appraisal(sheet):
    """Only the upper side voted: 1 好 1 差 → 50.00 is the appraisal; total 100 × 70 % + 50 × 30 % = 85.00."""
    scheme, a, b, result = sheet
    score_set(actor=None, result=result, indicator=a, score="60")
    score_set(actor=None, result=result, indicator=b, score="40")
    appraisal_set(actor=None, result=result, side="upper", good=1, poor=1)
    r = fresh(result)
    assert (r.appraisal_score, r.total) == (D("50.00"), D("85.00"))


def test_rounding_is_half_up_at_the_hundredth(sheet):
    """A 较好 vote worth 80.01 and a 差 vote: 80.01 / 2 = 40.005 → 40.01 (half-up, not to even)."""
    scheme, a, b, result = sheet
    scheme_update(actor=None, scheme=scheme, vote_fair="80.01")
    appraisal_set(actor=None, result=result, side="lower", fair=1, poor=1)
    assert fresh(result).appraisal_score == D("40.01")


def test_a_missing_indicator_leaves_the_total_empty_and_an_imported_total_wins(sheet):
    scheme, a, b, result = sheet
    scheme_update(actor=None, scheme=scheme, appraisal_weight=0)
    score_set(actor=None, result=result, indicator=a, score="58", note="扣 2 分")
    assert fresh(result).total is None
    score_set(actor=None, result=result, indicator=b, score="39.5", note="扣 0.5 分")
    assert fresh(result).total == D("97.50")
    score_clear(actor=None, result=result, indicator=b)
    assert (fresh(result).indicator_total, fresh(result).total) == (None, None)
    imported_total_set(actor=None, result=result, total=D("77.70"))
    assert fresh(result).total == D("77.70")


def test_sums_are_exact_where_floats_are_not(sheet):
    """0.1 + 0.2 style: 59.9 + 0.1 would be 59.99999… in floating point; the total is exactly 60.00 (a 一般, not 差)."""
    scheme, a, b, result = sheet
    scheme_update(actor=None, scheme=scheme, appraisal_weight=0)
    score_set(actor=None, result=result, indicator=a, score="59.9", note="扣 0.1 分")
    score_set(actor=None, result=result, indicator=b, score="0.1", note="扣 39.9 分")
    assert fresh(result).total == D("60.00")


def test_a_scheme_without_indicators_computes_imported_totals_and_any_votes(county):
    """The computation's short way for schemes of imported totals only (compute._imported_totals) gives what the
    full one gives: with votes on the scheme the full query runs and keeps the appraisal score; without, the total
    is the imported one and nothing else is set. Values worked out: (8 × 100 + 2 × 80) / 10 = 96."""
    from assessments.services.workflow import year_compute

    scheme = scheme_create(actor=None, county=county.root, year=2025, group="乡镇党委", appraisal_weight=20)
    a, b = (Result.objects.get(scheme=scheme, organization=o) for o in (county.township_a, county.township_b))
    imported_total_set(actor=None, result=a, total=D("88.5"))
    imported_total_set(actor=None, result=b, total=D("70"))
    Result.objects.filter(pk=a.pk).update(total=None, appraisal_score=D("1"))  # stale values the computation fixes
    year_compute(year=2025, county=county.root)
    assert [(r.total, r.appraisal_score, r.indicator_total) for r in map(fresh, (a, b))] == [
        (D("88.50"), None, None), (D("70.00"), None, None),
    ]  # fmt: skip
    appraisal_set(actor=None, result=b, side="upper", good=8, fair=2)
    Result.objects.filter(pk=b.pk).update(appraisal_score=None)
    year_compute(year=2025, county=county.root)
    assert [(r.total, r.appraisal_score) for r in map(fresh, (a, b))] == [(D("88.50"), None), (D("70.00"), D("96.00"))]
