"""Overdue elections worked out by hand. In the test county both township committees were elected on 2021-06-01 for
five years (党委): their terms end on 2026-06-01, overdue from 2026-06-02. 东街村 (农村, five years) elected on
2020-01-10 ends on 2025-01-10: on 2026-06-02 it is 508 days overdue, more than 180, a 较重 finding."""

from __future__ import annotations

import datetime as dt

from organizations.models import Organization
from supervision.checks.terms import election_overdue


def test_a_term_ending_today_is_not_overdue(county):
    assert list(election_overdue(dt.date(2026, 6, 1))) == []


def test_overdue_terms_longest_overdue_first(county):
    Organization.objects.filter(pk=county.village_a1.pk).update(last_election_on=dt.date(2020, 1, 10))
    faults = list(election_overdue(dt.date(2026, 6, 2)))
    assert [f.key for f in faults] == [
        f"election_overdue:{county.village_a1.pk}:2025-01-10",
        f"election_overdue:{county.township_a.pk}:2026-06-01",
        f"election_overdue:{county.township_b.pk}:2026-06-01",
    ]
    village, township, _ = faults
    assert [f.severity for f in faults] == ["较重", "一般", "一般"]
    assert (township.organization_id, township.check_kind) == (county.township_a.pk, "election_overdue")
    assert township.description == (
        "城关镇党委上次换届为2021-06-01，任期 5 年，本届任期已于2026-06-01届满，至2026-06-02已逾期 1 天仍未换届。"
    )
    assert township.evidence == {
        "summary": "城关镇党委任期于2026-06-01届满，已逾期 1 天未换届",
        "rows": [
            ["组织", "城关镇党委"],
            ["上次换届日期", "2021-06-01"],
            ["任期", "5 年"],
            ["任期届满日期", "2026-06-01"],
            ["逾期天数", "1 天"],
        ],
        "refs": [{"type": "organization", "id": county.township_a.pk, "label": "城关镇党委"}],
    }
    assert village.evidence["rows"][-1] == ["逾期天数", "508 天"]
