"""The meeting checks worked out by hand: one person at two meetings in two places, back-filled meetings, required
meetings missing at period end.

Overlap (张伟 of 东街村 a1; default SUPERVISION_MEETING_HOURS = 2):
    A a1 主题党日 2025-03-05 19:30 村部会议室   + B a2 支部党员大会 21:29 镇政府 三楼  → 1 h 59 min, two places: found
    C a1 党课     2025-04-10 09:00 村部会议室   + D a2 主题党日 11:00 镇政府          → exactly 2 h: not
    E a1 党课     2025-05-10 09:00 村部 会议室  + F a2 主题党日 09:30 村部会议室      → one place (spaces ignored): not
    G a1 党课     2025-06-01 09:00 (no place)   + H a2 主题党日 09:30 镇政府          → a place unknown: not
    I a1 党课     2025-07-01 09:00 村部会议室   + J a2 主题党日 10:00 镇政府, 张伟 请假 at J → 出席 only: not

Missing (default standards; a1 has a committee, no branch has party groups; lookback 20 days):
    today 2025-04-15 → window from 2025-03-26: the periods ending 2025-03-31 (March, Q1) are checked
        a1: 委员会 03-05, 主题党日 03-20, 大会 02-10, no 党课         → 2025-Q1: 党课 0 of 1
        a2: 主题党日 03-03 and 03-25, 党课 01-20, 大会 03-10          → nothing
        b1, b2, dept: nothing held                                    → 2025-03: 主题党日; 2025-Q1: 大会, 党课
    today 2025-03-31 → March is not over, February ended before the window: nothing
    today 2025-01-10 (window from 2024-12-21), dept → 2024-12 主题党日; 2024-Q4 大会, 党课; 2024 组织生活会, 民主评议党员
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from meetings.models import Attendance, Meeting
from members.services import member_create
from supervision.checks.meetings import backfilled, meeting_missing, meeting_overlap
from tests.factories import id_number_for

SHANGHAI = timezone.get_default_timezone()


def at(y, m, d, hh, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def meeting(branch, when, kind="主题党日", place="村部会议室", **extra):
    local = timezone.localtime(when)
    return Meeting.objects.create(
        branch=branch, kind=kind, held_at=when, held_on=local.date(), topic="学习", place=place, **extra
    )


def present(m, person, status="出席"):
    Attendance.objects.create(meeting=m, member=person, status=status, reason="出差" if status == "请假" else "")


# --- Two places at once --------------------------------------------------------------------------------------------


def test_two_meetings_in_two_places_less_than_the_window_apart(county):
    a1, a2 = county.village_a1, county.village_a2
    zhang = member_create(
        actor=None,
        name="张伟",
        id_number=id_number_for(1),
        branch=a1,
        category="正式党员",
        joined_on=dt.date(2010, 7, 1),
    )
    a = meeting(a1, at(2025, 3, 5, 19, 30))
    b = meeting(a2, at(2025, 3, 5, 21, 29), "支部党员大会", "镇政府 三楼")
    c = meeting(a1, at(2025, 4, 10, 9), "党课")
    d = meeting(a2, at(2025, 4, 10, 11), place="镇政府")
    e = meeting(a1, at(2025, 5, 10, 9), "党课", "村部 会议室")
    f = meeting(a2, at(2025, 5, 10, 9, 30))
    g = meeting(a1, at(2025, 6, 1, 9), "党课", "")
    h = meeting(a2, at(2025, 6, 1, 9, 30), place="镇政府")
    i = meeting(a1, at(2025, 7, 1, 9), "党课")
    j = meeting(a2, at(2025, 7, 1, 10), place="镇政府")
    for m in (a, b, c, d, e, f, g, h, i):
        present(m, zhang)
    present(j, zhang, "请假")
    faults = list(meeting_overlap(dt.date(2026, 6, 15)))
    assert [x.key for x in faults] == [f"meeting_overlap:{a.pk}:{b.pk}"]
    fault = faults[0]
    assert (fault.organization_id, fault.check_kind) == (a1.pk, "meeting_overlap")
    assert fault.description == (
        "党员张伟被登记出席2025-03-05 19:30在村部会议室召开的东街村党支部主题党日，又被登记出席2025-03-05 21:29在镇政府 三楼"
        "召开的西街村党支部支部党员大会，两次会议相隔仅 1 小时 59 分钟、地点不同，不可能同时参加，至少一份出席记录不实。"
    )
    assert fault.evidence == {
        "summary": "1 名党员在相隔 1 小时 59 分钟 的两次会议上都登记为出席，两地分别是村部会议室和镇政府 三楼",
        "rows": [
            ["党员", "张伟"],
            ["会议一", "东街村党支部 主题党日，2025-03-05 19:30，村部会议室"],
            ["会议二", "西街村党支部 支部党员大会，2025-03-05 21:29，镇政府 三楼"],
            ["相隔", "1 小时 59 分钟"],
        ],
        "refs": [
            {"type": "meeting", "id": a.pk, "label": "东街村党支部 2025-03-05 主题党日"},
            {"type": "meeting", "id": b.pk, "label": "西街村党支部 2025-03-05 支部党员大会"},
            {"type": "member", "id": zhang.pk, "label": "张伟"},
        ],
    }


def test_everyone_at_both_meetings_is_one_finding_of_the_pair(county):
    a1, a2 = county.village_a1, county.village_a2
    people = [
        member_create(
            actor=None,
            name=name,
            id_number=id_number_for(10 + n),
            branch=a1,
            category="正式党员",
            joined_on=dt.date(2010, 7, 1),
        )  # fmt: skip
        for n, name in enumerate(["赵六", "钱七", "孙八", "李四"])
    ]
    a = meeting(a1, at(2025, 3, 5, 9))
    b = meeting(a2, at(2025, 3, 5, 10), "党课", "镇政府")
    for person in people:
        present(a, person)
        present(b, person)
    faults = list(meeting_overlap(dt.date(2026, 6, 15)))
    assert [x.key for x in faults] == [f"meeting_overlap:{a.pk}:{b.pk}"]
    assert faults[0].description.startswith("党员孙八、李四、赵六等 4 人被登记出席2025-03-05 09:00在村部会议室")
    assert faults[0].evidence["rows"][0] == ["党员", "孙八、李四、赵六、钱七"]
    assert [r["id"] for r in faults[0].evidence["refs"] if r["type"] == "member"] == sorted(
        (p.pk for p in people), key=lambda pk: {p.pk: p.person.name for p in people}[pk]
    )


def test_the_window_is_a_setting(county, settings):
    a1, a2 = county.village_a1, county.village_a2
    zhang = member_create(
        actor=None,
        name="张伟",
        id_number=id_number_for(2),
        branch=a1,
        category="正式党员",
        joined_on=dt.date(2010, 7, 1),
    )
    c = meeting(a1, at(2025, 4, 10, 9), "党课")
    d = meeting(a2, at(2025, 4, 10, 11), place="镇政府")
    present(c, zhang)
    present(d, zhang)
    assert list(meeting_overlap(dt.date(2026, 6, 15))) == []
    settings.SUPERVISION_MEETING_HOURS = 3
    assert [x.key for x in meeting_overlap(dt.date(2026, 6, 15))] == [f"meeting_overlap:{c.pk}:{d.pk}"]


# --- Back-filled meetings -----------------------------------------------------------------------------------------


def test_backfilled_meetings_by_branch_and_month_within_the_lookback(county):
    a1, a2 = county.village_a1, county.village_a2
    today = dt.date(2026, 6, 15)  # lookback 365 days: from 2025-06-15

    def late(branch, when, entered, kind="主题党日"):
        return meeting(branch, when, kind, backfilled=True, created_at=entered)

    first = late(a1, at(2026, 3, 5, 19, 30), at(2026, 4, 10, 10))
    second = late(a1, at(2026, 3, 20, 9), at(2026, 4, 10, 11), "党课")
    late(a1, at(2025, 6, 14, 9), at(2025, 7, 20, 9))  # the day before the window
    edge = late(a1, at(2025, 6, 15, 9), at(2025, 7, 1, 9))
    meeting(a2, at(2026, 3, 5, 19, 30), created_at=at(2026, 3, 6, 9))  # entered the next day
    faults = list(backfilled(today))
    assert [f.key for f in faults] == [f"backfilled:{a1.pk}:2025-06", f"backfilled:{a1.pk}:2026-03"]
    assert all(f.organization_id == a1.pk and f.check_kind == "backfilled" for f in faults)
    march = faults[1]
    assert march.description == (
        "东街村党支部2026年3月召开的 2 次会议在召开超过 15 天后才登记（补录）：2026-03-05 主题党日（2026-04-10登记，晚 36 天）、"
        "2026-03-20 党课（2026-04-10登记，晚 21 天）。会议记录未及时登记，存在事后补记的可能。"
    )
    assert march.evidence == {
        "summary": "东街村党支部2026年3月有 2 次会议补录，最晚的晚 36 天登记",
        "rows": [
            ["2026-03-05 主题党日", "召开 2026-03-05，登记 2026-04-10，晚 36 天"],
            ["2026-03-20 党课", "召开 2026-03-20，登记 2026-04-10，晚 21 天"],
        ],
        "refs": [
            {"type": "meeting", "id": first.pk, "label": "东街村党支部 2026-03-05 主题党日"},
            {"type": "meeting", "id": second.pk, "label": "东街村党支部 2026-03-20 党课"},
            {"type": "organization", "id": a1.pk, "label": "东街村党支部"},
        ],
    }
    assert faults[0].evidence["rows"] == [["2025-06-15 主题党日", "召开 2025-06-15，登记 2025-07-01，晚 16 天"]]
    assert faults[0].evidence["refs"][0]["id"] == edge.pk


# --- Required meetings missing -----------------------------------------------------------------------------------


@pytest.fixture
def missing_world(county, settings):
    settings.SUPERVISION_LOOKBACK_DAYS = 20
    a1, a2 = county.village_a1, county.village_a2
    meeting(a1, at(2025, 3, 5, 19), "支部委员会会议")
    meeting(a1, at(2025, 3, 20, 19))
    meeting(a1, at(2025, 2, 10, 19), "支部党员大会")
    meeting(a2, at(2025, 3, 3, 19))
    meeting(a2, at(2025, 3, 25, 19))
    meeting(a2, at(2025, 1, 20, 19), "党课")
    meeting(a2, at(2025, 3, 10, 19), "支部党员大会")
    return county


def test_required_meetings_missing_in_periods_over(missing_world):
    c = missing_world
    faults = list(meeting_missing(dt.date(2025, 4, 15)))
    assert [f.key for f in faults] == [  # by period end, branch code, then month before quarter before year
        f"meeting_missing:{c.village_a1.pk}:2025-Q1",
        f"meeting_missing:{c.village_b1.pk}:2025-03",
        f"meeting_missing:{c.village_b1.pk}:2025-Q1",
        f"meeting_missing:{c.village_b2.pk}:2025-03",
        f"meeting_missing:{c.village_b2.pk}:2025-Q1",
        f"meeting_missing:{c.dept.pk}:2025-03",
        f"meeting_missing:{c.dept.pk}:2025-Q1",
    ]
    by_key = {f.key: f for f in faults}
    a1 = by_key[f"meeting_missing:{c.village_a1.pk}:2025-Q1"]
    assert (a1.organization_id, a1.check_kind) == (c.village_a1.pk, "meeting_missing")
    assert (
        a1.description
        == "东街村党支部2025年第一季度（2025-01-01至2025-03-31）未按规定召开会议：党课应召开 1 次，实际 0 次。"
    )
    assert a1.evidence == {
        "summary": "东街村党支部2025年第一季度有 1 类规定会议未达标",
        "rows": [["周期", "2025年第一季度（2025-01-01至2025-03-31）"], ["党课", "应召开 1 次，实际 0 次"]],
        "refs": [{"type": "organization", "id": c.village_a1.pk, "label": "东街村党支部"}],
    }
    b1_q1 = by_key[f"meeting_missing:{c.village_b1.pk}:2025-Q1"]
    assert b1_q1.evidence["rows"][1:] == [
        ["支部党员大会", "应召开 1 次，实际 0 次"],
        ["党课", "应召开 1 次，实际 0 次"],
    ]
    b1_march = by_key[f"meeting_missing:{c.village_b1.pk}:2025-03"]
    assert (
        b1_march.description
        == "北山村党支部2025年3月（2025-03-01至2025-03-31）未按规定召开会议：主题党日应召开 1 次，实际 0 次。"
    )


def test_periods_not_over_or_before_the_window_are_not_checked(missing_world):
    assert list(meeting_missing(dt.date(2025, 3, 31))) == []


def test_the_window_reaches_into_the_year_before(missing_world):
    dept = missing_world.dept
    faults = [f for f in meeting_missing(dt.date(2025, 1, 10)) if f.organization_id == dept.pk]
    assert [f.key for f in faults] == [
        f"meeting_missing:{dept.pk}:2024-12",
        f"meeting_missing:{dept.pk}:2024-Q4",
        f"meeting_missing:{dept.pk}:2024",
    ]
    assert faults[2].evidence["rows"] == [
        ["周期", "2024年度（2024-01-01至2024-12-31）"],
        ["组织生活会", "应召开 1 次，实际 0 次"],
        ["民主评议党员", "应召开 1 次，实际 0 次"],
    ]
