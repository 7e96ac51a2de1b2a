"""Compliance worked out by hand on the test county, year 2025, default standards.

Branches (flags set per test world):
    东街村 a1: committee, no party groups   → 支部党员大会 4 + 支部委员会会议 12 + 党课 4 + 主题党日 12 + 组织生活会 1 + 民主评议党员 1 = 34 cells
    西街村 a2: party groups, no committee   → 4 + 党小组会 12 + 4 + 12 + 1 + 1 = 34 cells
    北山村 b1: neither                      → 4 + 4 + 12 + 1 + 1 = 22 cells
    南河村 b2: founded 2025-03-15           → only periods starting on or after that day: Q2–Q4 (3 + 3), April–December
                                              主题党日 (9), no yearly kinds = 15 cells
    县财政局 dept: neither                   → 22 cells

Meetings of a1 (Asia/Shanghai wall-clock times):
    主题党日 2025-03-31 23:59 (March), 2025-04-01 00:10 (April — 16:10 UTC on 31 March)
    支部党员大会 2025-04-01 00:10 (Q2)
    支部委员会会议 2025-01-15, 2025-02-15 (none in March or April)
    党课 2025-01-20 (Q1)
On 2025-05-10 a1 has: 达标 = 大会 Q2 + 委员会 1、2月 + 党课 Q1 + 主题党日 3、4月 = 6;
    未达标 = 大会 Q1 + 委员会 3、4月 + 主题党日 1、2月 = 5; 进行中 = 34 − 11 = 23; rate 6/11.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from meetings.compliance import compliance_cells, compliance_summary, rank_by_rate
from meetings.models import MeetingStandard
from meetings.services import meeting_record
from organizations.models import Organization

SHANGHAI = timezone.get_default_timezone()
TODAY = dt.date(2025, 5, 10)


def at(y, m, d, hh=19, mm=30):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def held(branch, kind, when, topic="学习"):
    return meeting_record(
        actor=None, branch=branch, kind=kind, held_at=when, topic=topic, expected_count=10, present_count=8
    )


@pytest.fixture
def world(county):
    Organization.objects.filter(pk=county.village_a2.pk).update(has_party_groups=True)
    Organization.objects.filter(pk=county.village_b2.pk).update(founded_on=dt.date(2025, 3, 15))
    county.refresh()
    a1 = county.village_a1
    held(a1, "主题党日", at(2025, 3, 31, 23, 59))
    held(a1, "主题党日", at(2025, 4, 1, 0, 10))
    held(a1, "支部党员大会", at(2025, 4, 1, 0, 10))
    held(a1, "支部委员会会议", at(2025, 1, 15))
    held(a1, "支部委员会会议", at(2025, 2, 15))
    held(a1, "党课", at(2025, 1, 20))
    return county


def cells_of(branch, *, today=TODAY, year=2025):
    return {
        (c.kind, c.period.label): (c.required, c.actual, c.status)
        for c in compliance_cells(actor=None, year=year, today=today, organization=branch)
    }


def test_cells_per_branch_follow_the_exemptions(world):
    counts = Counter(c.branch.code for c in compliance_cells(actor=None, year=2025, today=TODAY))
    assert counts == {"C01001": 34, "C01002": 34, "C02001": 22, "C02002": 15, "C90": 22}
    a1_kinds = {kind for kind, _ in cells_of(world.village_a1)}
    assert "支部委员会会议" in a1_kinds and "党小组会" not in a1_kinds
    a2_kinds = {kind for kind, _ in cells_of(world.village_a2)}
    assert "党小组会" in a2_kinds and "支部委员会会议" not in a2_kinds


def test_statuses_of_a1_on_10_may(world):
    cells = cells_of(world.village_a1)
    assert cells[("主题党日", "2025-03")] == (1, 1, "达标")  # 23:59 on 31 March is still March
    assert cells[("主题党日", "2025-04")] == (
        1,
        1,
        "达标",
    )  # 00:10 on 1 April is April, not March (UTC would say March)
    assert cells[("主题党日", "2025-01")] == (1, 0, "未达标")
    assert cells[("主题党日", "2025-05")] == (1, 0, "进行中")
    assert cells[("支部党员大会", "2025-Q1")] == (1, 0, "未达标")
    assert cells[("支部党员大会", "2025-Q2")] == (1, 1, "达标")  # met before the quarter ends
    assert cells[("支部委员会会议", "2025-02")] == (1, 1, "达标")
    assert cells[("支部委员会会议", "2025-04")] == (1, 0, "未达标")
    assert cells[("党课", "2025-Q1")] == (1, 1, "达标")
    assert cells[("组织生活会", "2025")] == (1, 0, "进行中")
    statuses = Counter(status for _, _, status in cells.values())
    assert statuses == {"达标": 6, "未达标": 5, "进行中": 23}


def test_the_last_day_of_a_period_is_still_open(world):
    on_31_march = cells_of(world.village_a1, today=dt.date(2025, 3, 31))
    assert on_31_march[("支部委员会会议", "2025-03")] == (1, 0, "进行中")
    assert on_31_march[("支部党员大会", "2025-Q1")] == (1, 0, "进行中")
    on_1_april = cells_of(world.village_a1, today=dt.date(2025, 4, 1))
    assert on_1_april[("支部委员会会议", "2025-03")] == (1, 0, "未达标")
    assert on_1_april[("支部党员大会", "2025-Q1")] == (1, 0, "未达标")


def test_a_branch_founded_mid_march_owes_nothing_before_april(world):
    cells = cells_of(world.village_b2)
    assert {label for kind, label in cells if kind == "主题党日"} == {f"2025-{m:02d}" for m in range(4, 13)}
    assert {label for kind, label in cells if kind == "支部党员大会"} == {"2025-Q2", "2025-Q3", "2025-Q4"}
    assert not any(kind in ("组织生活会", "民主评议党员") for kind, _ in cells)


def test_standards_are_data(world):
    MeetingStandard.objects.filter(kind="支部委员会会议").update(min_count=2)
    MeetingStandard.objects.filter(kind="主题党日").update(min_count=0)  # 0 = no requirement
    cells = cells_of(world.village_a1)
    assert cells[("支部委员会会议", "2025-02")] == (2, 1, "未达标")
    assert not any(kind == "主题党日" for kind, _ in cells)
    MeetingStandard.objects.filter(kind="党课").update(period_type="year", min_count=2)
    cells = cells_of(world.village_a1)
    assert cells[("党课", "2025")] == (2, 1, "进行中")
    assert not any(label.endswith("Q1") for kind, label in cells if kind == "党课")


def test_a_later_year_with_no_meetings_is_all_open_or_missed(world):
    cells = cells_of(world.village_b1, year=2024)
    assert len(cells) == 22 and {s for _, _, s in cells.values()} == {"未达标"}
    cells = cells_of(world.village_b1, year=2026)
    assert {s for _, _, s in cells.values()} == {"进行中"}


def test_summary_per_branch_and_township(world):
    by_branch, groups = compliance_summary(actor=None, year=2025, today=TODAY, organization=world.root)
    a1 = by_branch[world.village_a1.pk]
    assert (a1.met, a1.missed, a1.open) == (6, 5, 23)
    assert a1.rate == pytest.approx(6 / 11)
    assert a1.meetings == 6 and a1.expected == 60 and a1.present == 48 and a1.attendance_rate == pytest.approx(0.8)
    # a2 on 10 May: 大会 Q1, 党小组会 1–4月, 主题党日 1–4月 missed = 9; 党课 Q1 too = 10 missed, nothing met.
    a2 = by_branch[world.village_a2.pk]
    assert (a2.met, a2.missed) == (0, 10) and a2.rate == 0
    # b2 (founded 15 March): 大会 Q1 not owed; 主题党日 April missed; that is all that is decided.
    b2 = by_branch[world.village_b2.pk]
    assert (b2.met, b2.missed, b2.open) == (0, 1, 14)
    assert [g.organization.code for g in groups] == ["C01", "C02", "C90"]
    township_a = groups[0]
    assert (township_a.met, township_a.missed, township_a.branches) == (6, 15, 2)
    assert township_a.rate == pytest.approx(6 / 21)  # over all cells, not the mean of 6/11 and 0
    assert township_a.attendance_rate == pytest.approx(0.8)
    # b1 on 10 May: 大会 Q1, 党课 Q1, 主题党日 1–4月 = 6 missed; with b2's 1 → 7.
    assert (groups[1].met, groups[1].missed) == (0, 7)


def test_summary_below_a_township_groups_by_branch(world):
    by_branch, groups = compliance_summary(actor=None, year=2025, today=TODAY, organization=world.township_a)
    assert set(by_branch) == {world.village_a1.pk, world.village_a2.pk}
    assert [g.organization.code for g in groups] == ["C01001", "C01002"]


def test_scope_limits_the_branches(world, township_admin, sibling_admin):
    codes = {c.branch.code for c in compliance_cells(actor=township_admin, year=2025, today=TODAY)}
    assert codes == {"C01001", "C01002"}
    assert not list(compliance_cells(actor=sibling_admin, year=2025, today=TODAY, organization=world.township_a))


class R:
    def __init__(self, name, rate):
        self.name, self.rate = name, rate


def test_rank_by_rate_shares_ranks_on_ties_and_puts_unrated_last():
    items = [R("甲", 0.5), R("乙", 0.75), R("丙", 0.75), R("丁", None), R("戊", 1 / 3), R("己", 2 / 6)]
    ranked = [(rank, item.name) for rank, item in rank_by_rate(items)]
    assert ranked == [(1, "乙"), (1, "丙"), (3, "甲"), (4, "戊"), (4, "己"), (None, "丁")]


def test_due_now_lists_what_the_running_periods_still_need(world):
    from meetings.compliance import due_now, due_this_month_cells

    # a1 on 10 May: 委员会 and 主题党日 (May) are open, 大会 Q2 is met, 党课 Q2 open, the yearly two open.
    due = [(c.kind, c.period.label) for c in due_now(world.village_a1, today=TODAY)]
    assert due == [
        ("支部委员会会议", "2025-05"),
        ("主题党日", "2025-05"),
        ("党课", "2025-Q2"),
        ("组织生活会", "2025"),
        ("民主评议党员", "2025"),
    ]
    # On 30 June the quarter ends with the month: 党课 Q2 is due now, the year is not.
    june = {
        (c.branch.code, c.kind, c.period.label)
        for c in due_this_month_cells(actor=None, today=dt.date(2025, 6, 30), organization=world.township_a)
    }
    assert ("C01001", "党课", "2025-Q2") in june and ("C01001", "主题党日", "2025-06") in june
    assert ("C01001", "支部党员大会", "2025-Q2") not in june  # met on 1 April
    assert not any(label == "2025" for _, _, label in june)
