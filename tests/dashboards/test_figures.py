"""The dashboards' figures on the hand-worked county of tests/dashboards/world.py, computed for TODAY = 2025-11-20."""

from __future__ import annotations

import pytest

from dashboards.figures.desk import desk_figures
from dashboards.figures.leader import leader_figures
from tests.dashboards.world import TODAY, YEAR, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county, county_admin):
    return build_world(county, county_admin)


def test_leader_overview_of_the_county(world, county):
    o = leader_figures(county.root, YEAR, TODAY)["overview"]
    assert o["organizations"] == 8  # the county, two townships, five branches
    assert o["members"] == 5  # the expelled member is out of the roll
    # Q4 at 11-20: a1 met every cell; b1 has open ones left; a2, b2, C90 missed October
    assert (o["quarter"], o["branches"], o["compliant"], o["running"], o["missed"]) == (4, 5, 1, 1, 3)
    assert o["compliant_rate"] == "20.00"
    assert (o["allocated"], o["disbursed"], o["owed"], o["arrival_rate"]) == (
        "20000.00",
        "10000.00",
        "10000.00",
        "50.00",
    )
    assert (o["findings_open"], o["findings_in_progress"], o["findings_overdue"]) == (2, 1, 1)
    # b2's secretary failed in 2024: in force in 2025
    assert (o["penalty_year"], o["penalties"]) == (2024, 1)


def test_leader_overview_of_a_township_counts_its_subtree_only(world, county):
    o = leader_figures(county.township_a, YEAR, TODAY)["overview"]
    assert (o["organizations"], o["members"]) == (3, 4)
    assert (o["branches"], o["compliant"], o["running"], o["missed"]) == (2, 1, 0, 1)
    assert (o["findings_open"], o["findings_in_progress"], o["findings_overdue"]) == (1, 1, 1)
    assert (o["arrival_rate"], o["penalties"]) == ("0.00", 0)


def test_rankings_show_the_latest_published_year_with_arrows(world, county):
    r = leader_figures(county.root, YEAR, TODAY)["rankings"]
    assert r["year"] == 2024  # 2025 has no published scheme yet
    groups = {g["group"]: g for g in r["groups"]}
    villages = groups["村（社区）党组织"]
    assert villages["results"] == 4
    assert [(x["name"], x["rank"], x["grade"], x["total"], x["arrow"]) for x in villages["top"]] == [
        ("东街村党支部", 1, 1, "95.00", "新"),
        ("西街村党支部", 2, 2, "85.00", "新"),
        ("北山村党支部", 3, 3, "70.00", "新"),
    ]
    assert villages["grades"] == [["好", 1], ["较好", 1], ["一般", 1], ["差", 1]]
    assert villages["bottom"] == []  # four organizations: too few for a bottom three
    towns = groups["乡镇党委"]
    assert [(x["name"], x["rank"], x["arrow"], x["prev_rank"]) for x in towns["top"]] == [
        ("城关镇党委", 1, "▲", 2),
        ("石门镇党委", 2, "▼", 1),
    ]


def test_trend_gives_each_township_its_rank_year_by_year(world, county):
    t = leader_figures(county.root, YEAR, TODAY)["trend"]
    assert t["years"] == [2023, 2024]
    assert [(s["name"], s["ranks"], s["totals"]) for s in t["series"]] == [
        ("城关镇党委", [2, 1], ["80.00", "90.00"]),
        ("石门镇党委", [1, 2], ["90.00", "80.00"]),
    ]


def test_heatmap_rates_per_township_and_month(world, county):
    rows = {r["name"]: r for r in leader_figures(county.root, YEAR, TODAY)["heatmap"]["rows"]}
    # 城关镇: January–September nothing held (0%); October a1's 支委会 and 主题党日 met, a2's 主题党日 missed (2 of 3);
    # November a1's two met, a2's still open; December a1's two monthly and two quarterly cells met, a2's open.
    assert rows["城关镇党委"]["rates"] == ["0.00"] * 9 + ["66.67", "100.00", "100.00"]
    assert rows["城关镇党委"]["missed"][9] == 1
    # 石门镇: October b1's 主题党日 met, b2's missed; November and December nothing decided yet
    assert rows["石门镇党委"]["rates"] == ["0.00"] * 9 + ["50.00", None, None]
    assert rows["县财政局机关党支部"]["rates"][9] == "0.00"


def test_structure_weak_and_absent_first_secretaries(world, county):
    f = leader_figures(county.root, YEAR, TODAY)
    s = f["structure"]
    assert s["total"] == 5 and sum(s["male"]) + sum(s["female"]) == 5
    assert [w["name"] for w in f["weak"]["rows"]] == ["西街村党支部"] and f["weak"]["count"] == 1
    # b1's never checked in; a1's checked in ten days ago (within the 30-day window)
    assert f["not_on_duty"]["count"] == 1
    assert [(d["name"], d["last_check_in_on"]) for d in f["not_on_duty"]["rows"]] == [("孙明", None)]


def test_desk_counts_what_needs_doing(world, county):
    d = desk_figures(county.root, YEAR, TODAY)
    assert d["meetings_overdue_branches"] == 5  # nobody met anything from January to September
    # still to hold before November ends: 主题党日 of a2, b1, b2 and C90 (a1 held its own)
    assert (d["meetings_due_soon"], d["meetings_due_soon_branches"]) == (4, 4)
    assert (d["findings_open"], d["findings_in_progress"], d["findings_overdue"]) == (2, 1, 1)
    assert (d["weak"], d["funds_late"], d["not_on_duty"], d["checks_open"]) == (1, 1, 1, 0)


def test_desk_of_a_past_year_still_says_what_is_due_this_month(world, county):
    d = desk_figures(county.root, 2024, TODAY)
    assert d["meetings_due_soon"] == 4  # about now, whichever year is chosen
    assert d["funds_late"] == 0  # the late allocation is of 2025
    assert d["meetings_overdue_branches"] == 5  # 2024: nothing held all year
