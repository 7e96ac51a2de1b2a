"""The three rules (三个一律) worked out by hand over three years of one group of eight organizations.

Totals (rank; bottom three marked *):
            N01  N02  N03  N04  N05   N06   N07   N08
    2022     95   90   85   80   75    70*   65*   50*     N08 差 every year (< 60)
    2023     96   91   86   81   60*   71    66*   50*     N07 2023: 7th → 6th, moved up
    2024     97   92   87   82   76    72*   58*   50*     N07 2024: 差; N06 bottom again

Secretaries: 八号 leads N08 and 七号 N07 all three years; 流动 leads N06 in 2022, N05 in 2023 and N06 again in 2024
(bottom each year, in two organizations); others hold the remaining posts.

Expected for 2024: 八号 rules 1 (差), 2 (2023 and 2024 not moved up: 8th 差 → 8th 差 twice), 3 (bottom 2022–2024);
七号 rules 1 and 3 (not 2: moved up in 2023); 流动 rules 2 (N05 5th 较好 → 7th 一般, then N06 5th → 6th) and 3 with
evidence from both organizations; 3号 and 4号 rule 2: staying 3rd (4th) 较好 three years running is not moving up.
N01 and N02 keep 好, which counts as moving up.
For 2023 and 2022: 八号 rule 1 only (rule 2 in 2023 would need 2022, whose moved-up is unknown).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from assessments.choices import Rule
from assessments.models import Penalty, Result
from assessments.penalties import NO_CHANGE, sync_penalties, sync_year_penalties
from assessments.services.schemes import rule_settings_update
from members.models import Person
from tests.assessments.conftest import secretary

pytestmark = pytest.mark.django_db

TOTALS = {
    2022: [95, 90, 85, 80, 75, 70, 65, 50],
    2023: [96, 91, 86, 81, 60, 71, 66, 50],
    2024: [97, 92, 87, 82, 76, 72, 58, 50],
}


def d(y, m, day):
    return dt.date(y, m, day)


@pytest.fixture
def people(cases):
    orgs = cases.orgs(8)
    p = {
        "八号": secretary(orgs[7], d(2019, 1, 1), None, "八号"),
        "七号": secretary(orgs[6], d(2019, 1, 1), None, "七号"),
        "流动": secretary(orgs[5], d(2019, 1, 1), d(2022, 12, 31), "流动"),
    }
    from organizations.models import Post

    Post.objects.create(
        organization=orgs[4], person=p["流动"], title="书记", start_on=d(2023, 1, 1), end_on=d(2023, 12, 31)
    )
    Post.objects.create(organization=orgs[5], person=p["流动"], title="书记", start_on=d(2024, 1, 1))
    secretary(orgs[5], d(2023, 1, 1), d(2023, 12, 31), "六号二〇二三")
    secretary(orgs[4], d(2019, 1, 1), d(2022, 12, 31), "五号甲")
    secretary(orgs[4], d(2024, 1, 1), None, "五号乙")
    for i in range(4):
        secretary(orgs[i], d(2019, 1, 1), None, f"{i + 1}号")
    return orgs, p


def run_years(cases, orgs, years=(2022, 2023, 2024), totals=TOTALS):
    for year in years:
        cases.year(year, dict(zip(orgs, totals[year])))


def caught(year) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for p in Penalty.objects.filter(year=year).select_related("person").order_by("person__name", "rule"):
        out.setdefault(p.person.name, []).append(p.rule)
    return out


def test_the_three_rules_over_three_years(cases, people):
    orgs, p = people
    run_years(cases, orgs)
    assert caught(2022) == {"八号": [1]}
    assert caught(2023) == {"八号": [1]}
    assert caught(2024) == {"3号": [2], "4号": [2], "七号": [1, 3], "八号": [1, 2, 3], "流动": [2, 3]}


def test_evidence_lists_each_year_and_organization(cases, people):
    orgs, p = people
    run_years(cases, orgs)
    moved = Penalty.objects.get(person=p["流动"], year=2024, rule=Rule.BOTTOM)
    assert [(e["year"], e["code"], e["rank"], e["group_size"], e["total"], e["bottom"]) for e in moved.evidence] == [
        (2024, "N06", 6, 8, "72.00", True),
        (2023, "N05", 7, 8, "60.00", True),
        (2022, "N06", 6, 8, "70.00", True),
    ]
    assert moved.organization_id == orgs[5].pk and moved.years == 3
    not_moved = Penalty.objects.get(person=p["八号"], year=2024, rule=Rule.NOT_MOVED_UP)
    assert [(e["year"], e["prev_rank"], e["rank"], e["grade"], e["moved_up"]) for e in not_moved.evidence] == [
        (2024, 8, 8, 4, False),
        (2023, 8, 8, 4, False),
    ]
    failed = Penalty.objects.get(person=p["七号"], year=2024, rule=Rule.FAILED)
    assert [(e["year"], e["code"], e["grade"], e["total"]) for e in failed.evidence] == [(2024, "N07", 4, "58.00")]


def test_a_missing_year_breaks_every_streak(cases, people):
    """No assessment in 2023: nobody was a responsible secretary that year, and 2024's moved-up is unknown."""
    orgs, p = people
    run_years(cases, orgs, years=(2022, 2024))
    assert caught(2024) == {"七号": [1], "八号": [1]}
    assert Result.objects.get(year=2024, organization=orgs[7]).moved_up is None


def test_a_group_of_six_in_one_year_breaks_the_bottom_three_streak(cases, people):
    """In 2023 only N03…N08 are scored (six organizations): no 后三名 that year, so no rule 3 for 2024. Ranks are
    among six that year: N08 goes from 8th to 6th, a smaller rank number, so it moved up in 2023 (no rule 2 either);
    N03 and N04 move from 3rd/4th to 1st/2nd; 流动 still falls (N05 5th 较好 → 5th 一般, N06 3rd → 6th)."""
    orgs, p = people
    cases.year(2022, dict(zip(orgs, TOTALS[2022])))
    cases.year(2023, dict(zip(orgs[2:], TOTALS[2023][2:])))
    cases.year(2024, dict(zip(orgs, TOTALS[2024])))
    assert not Result.objects.filter(year=2023, bottom=True).exists()
    assert Rule.BOTTOM not in caught(2024).get("八号", [])
    assert caught(2024) == {"七号": [1], "八号": [1], "流动": [2]}


def test_a_secretary_who_changed_on_31_december(cases, people):
    """八号 leaves N08 on 30 December 2024 and 新任 takes over on 31 December: 新任 is 2024's responsible secretary
    (rule 1 only: a single year), and 八号, nobody's secretary on 31 December 2024, has nothing for 2024."""
    orgs, p = people
    from organizations.models import Post

    Post.objects.filter(person=p["八号"]).update(end_on=d(2024, 12, 30))
    secretary(orgs[7], d(2024, 12, 31), None, "新任")
    run_years(cases, orgs)
    assert caught(2024) == {"3号": [2], "4号": [2], "七号": [1, 3], "新任": [1], "流动": [2, 3]}
    assert caught(2023) == {"八号": [1]}


def test_rules_follow_the_countys_parameters(cases, people, county_admin, county):
    rule_settings_update(actor=county_admin, county=county.root, bottom_on=False, not_moved_up_years=3)
    orgs, p = people
    run_years(cases, orgs)
    assert caught(2024) == {"七号": [1], "八号": [1]}


def test_recomputation_is_idempotent_and_follows_changes(cases, people, county):
    orgs, p = people
    run_years(cases, orgs)
    ids = sorted(Penalty.objects.values_list("pk", "person_id", "rule", "evidence"))
    assert sync_penalties(county_id=county.root.pk, year=2024) == {"created": 0, "updated": 0, "deleted": 0}
    assert sorted(Penalty.objects.values_list("pk", "person_id", "rule", "evidence")) == ids
    # N07 scores 90 in 2024 after all (3rd, 好): 七号 is neither failed nor bottom; N03 and N04 drop to 4th and 5th.
    cases.year(2024, {orgs[6]: 90})
    assert caught(2024) == {"3号": [2], "4号": [2], "八号": [1, 2, 3], "流动": [2, 3]}


@pytest.fixture
def two_counties(cases, people, county):
    """八号 also leads the last of eight organizations of a second county (D) whose rule 3 looks at two years; 2022
    and 2023 computed for every county at once. Returns (orgs, people, the second county)."""
    from decimal import Decimal

    from assessments.services.schemes import scheme_create
    from assessments.services.scoring import imported_total_set
    from assessments.services.workflow import year_compute
    from organizations.models import Post
    from tests.assessments.conftest import GROUP
    from tests.conftest import _org

    orgs, p = people
    other = _org(None, "D", "另一县委", "县委")
    theirs = [_org(other, f"D{i + 1:02d}", f"另一县{i + 1:02d}党支部", "党支部", group=GROUP) for i in range(8)]
    Post.objects.create(organization=theirs[7], person=p["八号"], title="书记", start_on=d(2019, 1, 1))
    rule_settings_update(actor=None, county=other, bottom_years=2)
    for year in (2022, 2023):
        scheme = scheme_create(actor=None, county=other, year=year, group=GROUP)
        for org, total in zip(theirs, TOTALS[year]):
            result = Result.objects.get(scheme=scheme, organization=org)
            imported_total_set(actor=None, result=result, total=Decimal(total))
        cases.year(year, dict(zip(orgs, TOTALS[year])), compute=False)
        year_compute(year=year)
    return orgs, p, other


def test_each_county_applies_its_own_parameters_and_two_counties_penalize_a_person_once(two_counties):
    """For 2023 (computing every county at once): 八号's rule 3 is caught under the second county's parameters
    (bottom 2022 and 2023) but not under the first county's three; rule 1 (差 in both counties) is one penalty, the
    first county's."""
    orgs, p, other = two_counties
    rows = {(x.rule, x.county.code, x.years) for x in Penalty.objects.filter(year=2023, person=p["八号"])}
    assert rows == {(Rule.FAILED, "C", 1), (Rule.BOTTOM, "D", 2)}
    evidence = Penalty.objects.get(year=2023, person=p["八号"], rule=Rule.BOTTOM).evidence
    # the evidence is every bottom result of theirs in those years, in both counties
    assert [(e["year"], e["code"], e["rank"]) for e in evidence] == [
        (2023, "D08", 8), (2023, "N08", 8), (2022, "D08", 8), (2022, "N08", 8),
    ]  # fmt: skip


def test_a_penalty_moved_between_the_counties_is_updated_and_counted_where_it_was(two_counties, county):
    """八号's 2023 rule 1 stored under the second county, where the first one's is wanted: one update, counted under
    the county it was stored under; a second run changes nothing."""
    orgs, p, other = two_counties
    Penalty.objects.filter(year=2023, person=p["八号"], rule=Rule.FAILED).update(county=other)
    counts = sync_year_penalties(year=2023, county_ids=[county.root.pk, other.pk])
    assert counts == {county.root.pk: NO_CHANGE, other.pk: {"created": 0, "updated": 1, "deleted": 0}}
    assert Penalty.objects.get(year=2023, person=p["八号"], rule=Rule.FAILED).county == county.root
    assert sync_year_penalties(year=2023, county_ids=[county.root.pk, other.pk]) == {
        county.root.pk: NO_CHANGE, other.pk: NO_CHANGE,
    }  # fmt: skip


def test_a_penalty_stored_under_a_county_not_computed_is_kept_and_not_duplicated(two_counties, county):
    """Computing the first county alone: 八号's 2023 rule 1 stored under the second county stays there (no second
    row, no count), and the second county's rule 3, which the first county's parameters do not give, is not
    deleted."""
    orgs, p, other = two_counties
    Penalty.objects.filter(year=2023, person=p["八号"], rule=Rule.FAILED).update(county=other)
    assert sync_penalties(county_id=county.root.pk, year=2023) == NO_CHANGE
    rows = {(x.rule, x.county.code) for x in Penalty.objects.filter(year=2023, person=p["八号"])}
    assert rows == {(Rule.FAILED, "D"), (Rule.BOTTOM, "D")}


def test_changed_and_obsolete_penalties_are_rewritten_and_removed(cases, people, county):
    """A tampered penalty is rewritten, a missing one created, one the rules do not give deleted: each counted."""
    orgs, p = people
    run_years(cases, orgs)
    wanted = Penalty.objects.get(year=2024, person=p["八号"], rule=Rule.NOT_MOVED_UP)
    Penalty.objects.filter(pk=wanted.pk).update(evidence=[], organization=orgs[0], years=5)
    Penalty.objects.filter(year=2024, person=p["七号"], rule=Rule.FAILED).delete()
    third = Person.objects.get(name="3号")
    Penalty.objects.create(county=county.root, year=2024, person=third, rule=Rule.BOTTOM, organization=orgs[2])
    counts = sync_penalties(county_id=county.root.pk, year=2024)
    assert counts == {"created": 1, "updated": 1, "deleted": 1}
    assert caught(2024) == {"3号": [2], "4号": [2], "七号": [1, 3], "八号": [1, 2, 3], "流动": [2, 3]}
    rewritten = Penalty.objects.get(pk=wanted.pk)
    assert (rewritten.evidence, rewritten.organization_id, rewritten.years) == (
        wanted.evidence, wanted.organization_id, wanted.years,
    )  # fmt: skip
    assert sync_penalties(county_id=county.root.pk, year=2024) == NO_CHANGE


def expected_entry(r: Result) -> dict:
    """An evidence entry as the pages, exports and API read it (what the Python code wrote before the SQL did)."""
    return {
        "result": r.pk, "year": r.year, "organization": r.organization_id, "code": r.organization.code,
        "name": r.organization.name, "group": r.scheme.group, "rank": r.rank, "group_size": r.group_size,
        "grade": r.grade, "total": str(r.total), "moved_up": r.moved_up, "bottom": r.bottom,
        "prev_rank": r.prev_rank, "prev_grade": r.prev_grade,
    }  # fmt: skip


def typed(entry: dict) -> list:
    """(key, type, value) in the stored order on SQLite (text as written); jsonb keeps keys in an order of its own."""
    items = entry.items() if connection.vendor == "sqlite" else sorted(entry.items())
    return [(key, type(value), value) for key, value in items]


def test_evidence_entries_are_the_results_with_their_keys_and_types(cases, people):
    """Every rule's evidence, on each database, is what the Python code wrote before: each entry's keys (in that order
    on SQLite), value types (the total as text, booleans and nulls as such) and values."""
    orgs, p = people
    cases.year(2022, dict(zip(orgs, TOTALS[2022])))
    cases.year(2023, dict(zip(orgs, [*TOTALS[2023][:5], 70.5, 65.25, 50])))  # N06, N07 with decimals
    cases.year(2024, dict(zip(orgs, TOTALS[2024])))
    results = {r.pk: r for r in Result.objects.select_related("organization", "scheme")}
    penalties = list(Penalty.objects.all())
    assert {x.rule for x in penalties} == set(Rule)
    for penalty in penalties:
        assert penalty.evidence
        assert [typed(e) for e in penalty.evidence] == [
            typed(expected_entry(results[e["result"]])) for e in penalty.evidence
        ]
    moved = Penalty.objects.get(person=p["流动"], year=2024, rule=Rule.BOTTOM)
    assert [e["total"] for e in moved.evidence] == ["72.00", "60.00", "70.00"]
    seventh = Penalty.objects.get(person=p["七号"], year=2024, rule=Rule.BOTTOM)
    assert [(e["total"], e["moved_up"]) for e in seventh.evidence] == [
        ("58.00", False),
        ("65.25", True),
        ("65.00", None),
    ]


@pytest.mark.parametrize("hundredths", [0, 5, 50, 99, 100, 7250, 10000, 123456, -5, -12345, None])
def test_a_total_is_written_as_decimal_text(hundredths):
    from decimal import Decimal

    from assessments.penalties import TOTAL_TEXT

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {TOTAL_TEXT} FROM (SELECT CAST(%s AS BIGINT) AS total) f", [hundredths])
        (text,) = cursor.fetchone()
    assert text == (None if hundredths is None else str(Decimal(hundredths).scaleb(-2)))
