"""The results of one group and year, worked out by hand (domain.md, "Annual assessment…"): rank with ties, grade by
thresholds → 好 quota → veto → override, bottom three (and the small-group exemption), moved up, the responsible
secretary on 31 December, and idempotent recomputation. Totals are imported (the 考核得分 way) so each case is just
its numbers; test_totals.py covers how totals are made."""

from __future__ import annotations

import datetime as dt

import pytest

from assessments.choices import Grade
from assessments.models import Result, Scheme
from assessments.services.schemes import rule_settings_update
from assessments.services.scoring import grade_override_set
from assessments.services.workflow import year_compute
from tests.assessments.conftest import secretary

pytestmark = pytest.mark.django_db

G = {1: "好", 2: "较好", 3: "一般", 4: "差", None: None}


def table(results: dict, *fields) -> dict:
    return {code: tuple(getattr(r, f) for f in fields) for code, r in sorted(results.items())}


def grades(results: dict) -> dict:
    return {code: G[r.grade] for code, r in sorted(results.items())}


def test_ties_share_a_rank_and_the_next_rank_skips(cases):
    orgs = cases.orgs(8)
    res = cases.year(2024, dict(zip(orgs, [95, 90, 90, 85, 70, 60, 59.99, 50])))
    assert table(res, "rank", "rank_asc", "group_size") == {
        "N01": (1, 8, 8),
        "N02": (2, 6, 8),
        "N03": (2, 6, 8),
        "N04": (4, 5, 8),
        "N05": (5, 4, 8),
        "N06": (6, 3, 8),
        "N07": (7, 2, 8),
        "N08": (8, 1, 8),
    }


def test_grades_by_the_default_thresholds_at_their_boundaries(cases):
    orgs = cases.orgs(7)
    res = cases.year(2024, dict(zip(orgs, [90, 89.99, 80, 79.99, 60, 59.99, 0])))
    assert grades(res) == {
        "N01": "好",
        "N02": "较好",
        "N03": "较好",
        "N04": "一般",
        "N05": "一般",
        "N06": "差",
        "N07": "差",
    }


def test_good_quota_drops_a_tie_that_straddles_it(cases):
    """8 organizations, at most 30 % 好 → ⌊2.4⌋ = 2. 95 is alone at the top (1 ≤ 2); the two 90s are reached by 3
    organizations (95, 90, 90) > 2, so neither keeps 好: a tie is not split, and the quota is never exceeded."""
    orgs = cases.orgs(8)
    res = cases.year(2024, dict(zip(orgs, [95, 90, 90, 85, 70, 60, 59, 50])), good_cap=30)
    assert grades(res)["N01"] == "好"
    assert (res["N02"].rule_grade, res["N02"].capped, G[res["N02"].grade]) == (Grade.GOOD, True, "较好")
    assert (res["N03"].rule_grade, res["N03"].capped, G[res["N03"].grade]) == (Grade.GOOD, True, "较好")
    assert res["N04"].capped is False and G[res["N04"].grade] == "较好"


def test_good_quota_keeps_a_tie_that_fits_exactly(cases):
    """10 organizations, 30 % → quota 3: 99, 95, 95 are three (≤ 3) and keep 好; 91 is the fourth and drops."""
    orgs = cases.orgs(10)
    res = cases.year(2024, dict(zip(orgs, [99, 95, 95, 91, 85, 80, 75, 70, 65, 60])), good_cap=30)
    assert [grades(res)[c] for c in ("N01", "N02", "N03", "N04")] == ["好", "好", "好", "较好"]
    assert [res[c].capped for c in ("N01", "N02", "N03", "N04")] == [False, False, False, True]


def test_veto_forces_poor_after_the_quota_and_override_comes_last(cases, county_admin):
    """Order of the rules: thresholds → quota → veto → override. N01 (99, vetoed) still counts in the quota of 3
    (99, 95, 92 keep, 91 drops), then the veto makes it 差. Overriding N04 to 好 with a reason wins over the quota."""
    orgs = cases.orgs(10)
    totals = dict(zip(orgs, [99, 95, 92, 91, 85, 80, 75, 70, 65, 60]))
    res = cases.year(2024, totals, vetoed=[orgs[0]], good_cap=30)
    assert [grades(res)[c] for c in ("N01", "N02", "N03", "N04")] == ["差", "好", "好", "较好"]
    assert res["N01"].rank == 1, "a veto changes the grade, not the rank"
    grade_override_set(actor=county_admin, result=res["N04"], grade="好", reason="复核时补充了先进事迹材料")
    res = cases.year(2024, {})
    assert (G[res["N04"].grade], res["N04"].capped, res["N04"].override_reason) == (
        "好",
        True,
        "复核时补充了先进事迹材料",
    )


def test_bottom_three_with_a_tie_on_the_boundary(cases):
    """Ascending: 50 (1), 55 (2), 60 and 60 (3, 3): fewer than three scored strictly lower than either 60, so four
    organizations are 后三名; 70 has four below it and is not."""
    orgs = cases.orgs(8)
    res = cases.year(2024, dict(zip(orgs, [95, 90, 85, 70, 60, 60, 55, 50])))
    assert {c for c, r in res.items() if r.bottom} == {"N05", "N06", "N07", "N08"}
    assert (res["N05"].rank_asc, res["N06"].rank_asc, res["N04"].rank_asc) == (3, 3, 5)


def test_bottom_three_is_not_applied_to_a_group_of_six(cases):
    orgs = cases.orgs(6)
    res = cases.year(2024, dict(zip(orgs, [95, 90, 85, 70, 60, 50])))
    assert not any(r.bottom for r in res.values())


def test_bottom_three_applies_from_seven(cases):
    orgs = cases.orgs(7)
    res = cases.year(2024, dict(zip(orgs, [95, 90, 85, 70, 60, 55, 50])))
    assert {c for c, r in res.items() if r.bottom} == {"N05", "N06", "N07"}


def test_bottom_n_and_group_size_are_the_countys_parameters(cases, county_admin, county):
    rule_settings_update(actor=county_admin, county=county.root, bottom_n=2, min_group_size=4)
    orgs = cases.orgs(5)
    res = cases.year(2024, dict(zip(orgs, [95, 90, 85, 70, 60])))
    assert {c for c, r in res.items() if r.bottom} == {"N04", "N05"}


def test_unscored_organizations_are_not_ranked_and_do_not_count(cases):
    orgs = cases.orgs(8)
    res = cases.year(2024, dict(zip(orgs, [95, 90, 85, 70, 60, 55, 50, None])))
    assert table(res, "rank", "grade", "bottom", "group_size")["N08"] == (None, None, False, None)
    assert res["N01"].group_size == 7 and {c for c, r in res.items() if r.bottom} == {"N05", "N06", "N07"}


def test_moved_up_against_last_year(cases):
    """2023 → 2024 for each organization (rank grade → rank grade):
    N01 1 好 → 1 好: 好 kept → moved up;              N02 5 一般 → 2 较好: better → moved up;
    N03 3 较好 → 4 较好: worse rank, same grade → not;   N04 4 一般 → 5 较好: grade better, rank worse → moved up;
    N05 2 较好 → 3 较好: not;                           N06 6 一般 → 6 一般: unchanged → not;
    N07 no 2023 total → unknown (None);               N08 7 差 → 8 差: not."""
    orgs = cases.orgs(8)
    cases.year(2023, dict(zip(orgs, [95, 70, 85, 75, 88, 65, None, 50])))
    res = cases.year(2024, dict(zip(orgs, [96, 89, 86, 82, 87, 66, 61, 40])))
    assert table(res, "prev_rank", "prev_grade", "rank", "grade", "moved_up") == {
        "N01": (1, 1, 1, 1, True),
        "N02": (5, 3, 2, 2, True),
        "N03": (3, 2, 4, 2, False),
        "N04": (4, 3, 5, 2, True),
        "N05": (2, 2, 3, 2, False),
        "N06": (6, 3, 6, 3, False),
        "N07": (None, None, 7, 3, None),
        "N08": (7, 4, 8, 4, False),
    }


def test_moved_up_is_unknown_without_last_year_in_the_same_group(cases):
    """N01 was ranked in another group in 2023: no result of this group to compare with → unknown, never 否."""
    orgs = cases.orgs(7)
    other = Scheme.objects.create(county=cases.county.root, year=2023, group="其他类别")
    Result.objects.create(scheme=other, organization=orgs[0], year=2023, imported_total=80)
    year_compute(year=2023, county=cases.county.root)
    res = cases.year(2024, dict(zip(orgs, [95, 90, 85, 70, 60, 55, 50])))
    assert res["N01"].moved_up is None and res["N01"].prev_rank is None


def test_responsible_secretary_on_31_december(cases):
    """N01: A until 30 Dec, B from 31 Dec → B.  N02: A until 31 Dec, B from 1 Jan → A.  N03: handover on 31 Dec (both
    hold it that day) → the one who started later.  N04: only a 副书记 → nobody.  N05: a post still open → them."""
    orgs = cases.orgs(7)
    a1 = secretary(orgs[0], dt.date(2020, 1, 1), dt.date(2024, 12, 30), "甲一")
    b1 = secretary(orgs[0], dt.date(2024, 12, 31), None, "乙一")
    a2 = secretary(orgs[1], dt.date(2020, 1, 1), dt.date(2024, 12, 31), "甲二")
    secretary(orgs[1], dt.date(2025, 1, 1), None, "乙二")
    secretary(orgs[2], dt.date(2020, 1, 1), dt.date(2024, 12, 31), "甲三")
    b3 = secretary(orgs[2], dt.date(2024, 12, 31), None, "乙三")
    from organizations.models import Post
    from tests.factories import PersonFactory

    Post.objects.create(organization=orgs[3], person=PersonFactory(), title="副书记", start_on=dt.date(2020, 1, 1))
    e5 = secretary(orgs[4], dt.date(2019, 3, 1), None, "戊五")
    res = cases.year(2024, dict(zip(orgs, [95, 90, 85, 70, 60, 55, 50])))
    assert {c: r.secretary_id for c, r in res.items() if c <= "N05"} == {
        "N01": b1.pk,
        "N02": a2.pk,
        "N03": b3.pk,
        "N04": None,
        "N05": e5.pk,
    }
    assert a1.pk not in {r.secretary_id for r in res.values()}


def test_computing_twice_changes_nothing(cases):
    orgs = cases.orgs(8)
    cases.year(2023, dict(zip(orgs, [95, 70, 85, 75, 88, 65, 60, 50])))
    cases.year(2024, dict(zip(orgs, [96, 89, 86, 82, 87, 66, 61, 40])), good_cap=30)
    fields = [f.attname for f in Result._meta.fields]
    before = list(Result.objects.order_by("pk").values_list(*fields))
    again = year_compute(year=2024, county=cases.county.root)
    after = list(Result.objects.order_by("pk").values_list(*fields))
    assert after == before
    assert [c["results"] for c in again["schemes"].values()] == [0]
    assert [c["totals"] for c in again["schemes"].values()] == [0]


def test_a_changed_score_makes_the_scheme_stale_until_computed(cases):
    from assessments.choices import SchemeStatus

    orgs = cases.orgs(7)
    res = cases.year(2024, dict(zip(orgs, [95, 90, 85, 70, 60, 55, 50])))
    scheme = res["N01"].scheme
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.COMPUTED
    cases.year(2024, {orgs[6]: 99}, compute=False)
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.DRAFT
    res = cases.year(2024, {})
    assert res["N07"].rank == 1 and res["N01"].rank == 2


def test_an_organization_joining_the_group_is_brought_in_and_next_year_goes_stale_only_on_change(cases):
    """An organization put into the group after the scheme was made gets its result at the next computation (once);
    recomputing 2023 with nothing changed leaves a computed 2024 alone, a change in 2023's ranks sends it back."""
    from assessments.choices import SchemeStatus

    orgs = cases.orgs(3)
    cases.year(2023, dict(zip(orgs, [90, 80, 70])))
    cases.year(2024, dict(zip(orgs, [91, 81, 71])))
    late = cases.orgs(1)[0]  # N04, after both schemes
    first = year_compute(year=2024, county=cases.county.root)
    assert [c["added"] for c in first["schemes"].values()] == [1]
    assert Result.objects.filter(organization=late, year=2024, total__isnull=True, rank__isnull=True).exists()
    assert [c["added"] for c in year_compute(year=2024, county=cases.county.root)["schemes"].values()] == [0]
    next_year = Scheme.objects.get(year=2024)
    next_year.refresh_from_db()
    year_compute(year=2023, county=cases.county.root)  # brings N04 into 2023 (unscored): no rank changes
    next_year.refresh_from_db()
    assert next_year.status == SchemeStatus.COMPUTED
    cases.year(2023, {orgs[2]: 95})  # N03 first in 2023 now: 2024's moved-up must be computed again
    next_year.refresh_from_db()
    assert next_year.status == SchemeStatus.DRAFT
