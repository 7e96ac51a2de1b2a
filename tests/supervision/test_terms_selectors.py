"""Committee terms (换届提醒), worked by hand at the exact boundaries.

today = 2026-12-02, so today + 1 month = 2027-01-02 and today + 6 months = 2027-06-02 (both inclusive).
A village branch (农村) serves 5 years, a township committee (党委) 5, the county department branch (机关) 3, and an
explicit term_years wins over both.
"""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta

from organizations.models import Organization
from supervision.choices import TermStatus
from supervision.selectors.terms import missing_election, overdue_terms, term_rows, term_status

D = dt.date
TODAY = D(2026, 12, 2)
pytestmark = pytest.mark.django_db


def village(elected, **extra) -> Organization:
    return Organization(name="村", kind="党支部", domain="农村", last_election_on=elected, **extra)


def dept(elected, **extra) -> Organization:
    return Organization(name="局", kind="党支部", domain="机关", last_election_on=elected, **extra)


@pytest.mark.parametrize(
    ("elected", "expected"),
    [
        (D(2021, 12, 1), TermStatus.OVERDUE),  # ended yesterday
        (D(2021, 12, 2), TermStatus.WITHIN_MONTH),  # ends today: not overdue yet
        (D(2022, 1, 2), TermStatus.WITHIN_MONTH),  # ends 2027-01-02 = today + 1 month
        (D(2022, 1, 3), TermStatus.WITHIN_HALF_YEAR),  # ends today + 1 month + 1 day
        (D(2022, 6, 2), TermStatus.WITHIN_HALF_YEAR),  # ends 2027-06-02 = today + 6 months
        (D(2022, 6, 3), None),  # ends today + 6 months + 1 day
        (D(2016, 1, 1), TermStatus.OVERDUE),  # long overdue
    ],
)
def test_village_five_year_term_boundaries(elected, expected):
    org = village(elected)
    assert org.effective_term_years == 5
    assert term_status(org, TODAY) == expected


def test_no_election_date_is_not_a_status_but_missing(county):
    assert term_status(village(None), TODAY) is None
    Organization.objects.filter(pk=county.village_a1.pk).update(last_election_on=None)
    missing = set(missing_election().values_list("code", flat=True))
    # The fixture records elections only for the two townships.
    assert missing == {"C", "C01001", "C01002", "C02001", "C02002", "C90"}
    # Only the townships (elected 2021-06-01, 5 years) are overdue; no organization without a date is.
    assert [o.code for o, _ in overdue_terms(today=TODAY)] == ["C01", "C02"]


def test_three_year_branch_against_five_year_village_on_the_same_election():
    elected = D(2023, 12, 2)
    assert dept(elected).term_ends_on == D(2026, 12, 2)
    assert term_status(dept(elected), TODAY) == TermStatus.WITHIN_MONTH
    assert village(elected).term_ends_on == D(2028, 12, 2)
    assert term_status(village(elected), TODAY) is None
    assert term_status(dept(D(2023, 12, 1)), TODAY) == TermStatus.OVERDUE


def test_township_committee_serves_five_years():
    township = Organization(name="镇", kind="党委", domain="", last_election_on=D(2021, 12, 1))
    assert township.effective_term_years == 5
    assert term_status(township, TODAY) == TermStatus.OVERDUE


def test_explicit_term_years_win():
    # A village set to 3 years and a department branch set to 5.
    assert term_status(village(D(2023, 12, 1), term_years=3), TODAY) == TermStatus.OVERDUE
    assert term_status(dept(D(2021, 12, 2), term_years=5), TODAY) == TermStatus.WITHIN_MONTH
    assert dept(D(2021, 12, 2), term_years=5).term_ends_on == D(2026, 12, 2)


def test_29_february_elections():
    # 5 and 3 years after 2024-02-29 there is no 29 February: the term ends on the 28th.
    assert village(D(2024, 2, 29)).term_ends_on == D(2029, 2, 28)
    assert term_status(village(D(2024, 2, 29)), D(2029, 2, 28)) == TermStatus.WITHIN_MONTH
    assert term_status(village(D(2024, 2, 29)), D(2029, 3, 1)) == TermStatus.OVERDUE
    assert dept(D(2024, 2, 29)).term_ends_on == D(2027, 2, 28)
    # Four years later there is one.
    assert dept(D(2024, 2, 29), term_years=4).term_ends_on == D(2028, 2, 29)
    assert term_status(dept(D(2024, 2, 29), term_years=4), D(2028, 2, 29)) == TermStatus.WITHIN_MONTH
    assert term_status(dept(D(2024, 2, 29), term_years=4), D(2028, 3, 1)) == TermStatus.OVERDUE


def test_month_end_clamping_of_the_windows():
    # today 2027-01-31: + 1 month is 2027-02-28 (relativedelta clamps), + 6 months 2027-07-31.
    today = D(2027, 1, 31)
    assert term_status(dept(D(2024, 2, 28)), today) == TermStatus.WITHIN_MONTH
    assert term_status(dept(D(2024, 3, 1)), today) == TermStatus.WITHIN_HALF_YEAR
    assert term_status(dept(D(2024, 7, 31)), today) == TermStatus.WITHIN_HALF_YEAR
    assert term_status(dept(D(2024, 8, 1)), today) is None


def test_overdue_terms_in_the_database(county):
    Organization.objects.filter(pk=county.village_a1.pk).update(last_election_on=D(2021, 12, 1))  # ended yesterday
    Organization.objects.filter(pk=county.village_a2.pk).update(last_election_on=D(2021, 12, 2))  # ends today
    Organization.objects.filter(pk=county.dept.pk).update(last_election_on=D(2020, 5, 4))  # 3 years: 2023-05-04
    Organization.objects.filter(pk=county.village_b1.pk).update(last_election_on=D(2016, 12, 2), term_years=10)
    result = overdue_terms(today=TODAY)
    # Longest overdue first; the townships (2021-06-01 + 5) in between; 北山村 (ten years: 2026-12-02) is not.
    assert [(o.code, end) for o, end in result] == [
        ("C90", D(2023, 5, 4)),
        ("C01", D(2026, 6, 1)),
        ("C02", D(2026, 6, 1)),
        ("C01001", D(2026, 12, 1)),
    ]
    Organization.objects.filter(pk=county.village_b1.pk).update(term_years=8)  # 2024-12-02: overdue now
    only_b = Organization.objects.filter(path__startswith=county.township_b.path)
    assert [(o.code, end) for o, end in overdue_terms(today=TODAY, organizations=only_b)] == [
        ("C02001", D(2024, 12, 2)),
        ("C02", D(2026, 6, 1)),
    ]


def test_term_rows_buckets_in_the_database(county):
    # Townships were elected 2021-06-01: 5 years → 2026-06-01, overdue on TODAY.
    Organization.objects.filter(pk=county.village_a1.pk).update(last_election_on=D(2022, 1, 2))  # 2027-01-02
    Organization.objects.filter(pk=county.village_a2.pk).update(last_election_on=D(2022, 6, 2))  # 2027-06-02
    Organization.objects.filter(pk=county.village_b1.pk).update(last_election_on=D(2022, 6, 3))  # 2027-06-03
    rows = term_rows(today=TODAY)
    assert [(r.organization.code, r.status, r.ends_on, r.days_left(TODAY)) for r in rows] == [
        ("C01", TermStatus.OVERDUE, D(2026, 6, 1), -184),
        ("C02", TermStatus.OVERDUE, D(2026, 6, 1), -184),
        ("C01001", TermStatus.WITHIN_MONTH, D(2027, 1, 2), 31),
        ("C01002", TermStatus.WITHIN_HALF_YEAR, D(2027, 6, 2), 182),
    ]


@pytest.mark.parametrize("kind", ["village", "dept", "explicit", "township"])
def test_database_prefilter_agrees_with_the_rule_day_by_day(county, kind):
    """The database narrows by (effective years, election date) with some slack; every day around the boundaries
    (and around 29 February) must come out exactly as term_status says."""
    org = {"village": county.village_a1, "dept": county.dept, "explicit": county.village_a2, "township": county.root}[
        kind
    ]
    others = Organization.objects.exclude(pk=org.pk)
    others.update(last_election_on=None)
    if kind == "explicit":
        Organization.objects.filter(pk=org.pk).update(term_years=4)
    if kind == "township":
        org = county.township_b
    for today in (TODAY, D(2028, 2, 29), D(2029, 3, 1), D(2027, 1, 31)):
        years = Organization.objects.get(pk=org.pk).effective_term_years
        boundaries = (today, today + relativedelta(months=1), today + relativedelta(months=6))
        candidates = sorted(
            {b - relativedelta(years=years) + dt.timedelta(days=k) for b in boundaries for k in range(-4, 5)}
        )
        for elected in candidates:
            Organization.objects.filter(pk=org.pk).update(last_election_on=elected)
            fresh = Organization.objects.get(pk=org.pk)
            expected = term_status(fresh, today)
            rows = [r for r in term_rows(today=today) if r.organization.pk == org.pk]
            assert [r.status for r in rows] == ([expected] if expected else []), (elected, today)
            overdue = [o.pk for o, _ in overdue_terms(today=today)]
            assert (org.pk in overdue) == (expected == TermStatus.OVERDUE), (elected, today)
