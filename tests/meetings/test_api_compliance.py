"""REST API of compliance (/api/compliance/, /api/compliance/summary/) and of the standards (/api/meeting-standards/).

The figures are worked out by hand from the default standards (migration 0002: 支部党员大会 and 党课 once a quarter,
支部委员会会议 / 党小组会 / 主题党日 once a month — the first only where there is a committee, the second only where
there are party groups — 组织生活会 and 民主评议党员 once a year), with "today" set to 15 May 2025:
January–April and Q1 are over, May, Q2–Q4 and the year are still open.

The meetings of 2025 (`season`):
    东街村 (C01001, has a committee): 支部党员大会 at 16:10 UTC on 31 March = 00:10 on 1 April in Asia/Shanghai
        (a Q2 meeting; Q1 stays without one), list of 3 with 2 出席; 主题党日 on 15 and 20 January (4 expected, 3 and
        4 present) and on 10 March (4 expected, 1 present).
    西街村 (C01002): only a 主题党日 at 23:50 on 31 December 2024, which is a 2024 meeting.
    北山村 (C02001): 主题党日 on 12 February (5 expected, 5 present).
    南河村 (C02002), 县财政局机关党支部 (C90): nothing.

Cells of a year: 34 for 东街村 (4 + 12 + 4 + 12 + 1 + 1), 22 for each other branch (no committee, no party groups):
122 for the county. By branch on 15 May 2025 (met / missed / open):
    东街村   3 / 8 / 23: met 大会 Q2, 主题党日 1 and 3月; missed 大会 Q1, 委员会 1–4月, 党课 Q1, 主题党日 2 and 4月
    西街村   0 / 6 / 16: missed 大会 Q1, 党课 Q1, 主题党日 1–4月
    北山村   1 / 5 / 16: met 主题党日 2月; missed 大会 Q1, 党课 Q1, 主题党日 1, 3, 4月
    南河村, C90: 0 / 6 / 16
Rates: 东街村 3/11, 北山村 1/6, the others 0; 城关镇 3/17, 石门镇 1/12. Attendance: 东街村 (2+3+4+1)/(3+4+4+4) =
10/15, 北山村 5/5, the others none (null).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from meetings.models import MeetingStandard
from tests.meetings.api_helpers import D, assert_chinese_error, at, audit_rows, make_member, record, unchanged

pytestmark = pytest.mark.django_db

URL = "/api/compliance/"
SUMMARY = "/api/compliance/summary/"
STANDARDS = "/api/meeting-standards/"
REFUSED = "只有县委组织部管理员可以修改三会一课标准。"


@pytest.fixture
def may_15(monkeypatch):
    monkeypatch.setattr("meetings.api.views.today", lambda: D(2025, 5, 15))


@pytest.fixture
def season(county):
    p1, p2, p3 = (make_member(county.village_a1, n) for n in (1, 2, 3))
    a1 = county.village_a1
    return {
        "general": record(
            a1,
            "支部党员大会",
            dt.datetime(2025, 3, 31, 16, 10, tzinfo=dt.UTC),
            attendance=[(p1.pk, "出席"), (p2.pk, "出席"), (p3.pk, "请假", "住院")],
        ),
        "theme": [
            record(a1, "主题党日", at(2025, 1, 15), expected_count=4, present_count=3),
            record(a1, "主题党日", at(2025, 1, 20), expected_count=4, present_count=4),
            record(a1, "主题党日", at(2025, 3, 10), expected_count=4, present_count=1),
        ],
        "new_years_eve": record(county.village_a2, "主题党日", at(2024, 12, 31, 23, 50)),
        "b1": record(county.village_b1, "主题党日", at(2025, 2, 12), expected_count=5, present_count=5),
    }


def _cells(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    return [(c["branch_code"], c["kind"], c["period"], c["required"], c["actual"], c["status"]) for c in
            response.json()["results"]]  # fmt: skip


def _tallies(rows) -> list[tuple]:
    return [(r["met"], r["missed"], r["open"], r["rate"], r["meetings"], r["attendance_rate"]) for r in rows]


# --- Cells ----------------------------------------------------------------------------------------------------------


def test_cells_worked_out_by_hand(county, season, may_15, county_admin, api_as):
    client = api_as(county_admin)
    body = client.get(URL, {"year": 2025, "limit": 200}).json()
    assert body["count"] == 122 and len(body["results"]) == 122
    first = body["results"][0]
    assert first == {
        "branch_id": county.village_a1.pk, "branch_code": "C01001", "branch_name": "东街村党支部",
        "kind": "支部党员大会", "period": "2025-Q1", "period_type": "quarter", "period_start": "2025-01-01",
        "period_end": "2025-03-31", "required": 1, "actual": 0, "status": "未达标",
    }  # fmt: skip
    # the meeting at 00:10 on 1 April counts for Q2, not Q1
    assert _cells(client.get(URL, {"year": 2025, "kind": "支部党员大会", "organization": county.village_a1.pk})) == [
        ("C01001", "支部党员大会", "2025-Q1", 1, 0, "未达标"),
        ("C01001", "支部党员大会", "2025-Q2", 1, 1, "达标"),
        ("C01001", "支部党员大会", "2025-Q3", 1, 0, "进行中"),
        ("C01001", "支部党员大会", "2025-Q4", 1, 0, "进行中"),
    ]
    assert _cells(client.get(URL, {"year": 2025, "status": "达标"})) == [
        ("C01001", "支部党员大会", "2025-Q2", 1, 1, "达标"),
        ("C01001", "主题党日", "2025-01", 1, 2, "达标"),
        ("C01001", "主题党日", "2025-03", 1, 1, "达标"),
        ("C02001", "主题党日", "2025-02", 1, 1, "达标"),
    ]
    # the 31 December meeting of 西街村 is a 2024 one: its January 2025 is missed
    missed = client.get(
        URL, {"year": 2025, "status": "未达标", "kind": "主题党日", "organization": county.township_a.pk}
    )
    assert [(c[0], c[2]) for c in _cells(missed)] == [
        ("C01001", "2025-02"), ("C01001", "2025-04"),
        ("C01002", "2025-01"), ("C01002", "2025-02"), ("C01002", "2025-03"), ("C01002", "2025-04"),
    ]  # fmt: skip
    # 支部委员会会议 binds only 东街村 (it has a committee): May–December still open
    committee = _cells(client.get(URL, {"year": 2025, "kind": "支部委员会会议"}))
    assert {c[0] for c in committee} == {"C01001"}
    assert [c[2] for c in committee if c[5] == "进行中"] == [f"2025-{m:02d}" for m in range(5, 13)]
    assert not _cells(client.get(URL, {"year": 2025, "kind": "党小组会"}))  # no branch has party groups
    # the yearly kinds are open all year
    assert {c[5] for c in _cells(client.get(URL, {"year": 2025, "kind": "组织生活会"}))} == {"进行中"}


def test_cells_are_paginated(county, season, may_15, leader, api_as):
    body = api_as(leader).get(URL, {"year": 2025, "limit": 10, "offset": 120}).json()
    assert (body["count"], body["next"]) == (122, None)
    assert [(c["branch_code"], c["kind"], c["period"]) for c in body["results"]] == [
        ("C90", "组织生活会", "2025"), ("C90", "民主评议党员", "2025")
    ]  # fmt: skip


def test_a_past_year_is_fully_decided(county, season, township_admin, api_as):
    """Without a set day: 2024 is over, so nothing is open; 西街村's only met cell is its 31 December 主题党日."""
    cells = _cells(api_as(township_admin).get(URL, {"year": 2024, "organization": county.village_a2.pk, "limit": 100}))
    assert len(cells) == 22
    assert [c for c in cells if c[5] != "未达标"] == [("C01002", "主题党日", "2024-12", 1, 1, "达标")]


def test_cells_are_scoped(county, season, may_15, secretary, sibling_admin, api_as):
    mine = api_as(secretary).get(URL, {"year": 2025, "limit": 100}).json()
    assert mine["count"] == 34 and {c["branch_code"] for c in mine["results"]} == {"C01001"}
    assert api_as(secretary).get(URL, {"organization": county.village_a2.pk}).status_code == 404
    theirs = api_as(sibling_admin).get(URL, {"year": 2025, "limit": 100}).json()
    assert theirs["count"] == 44 and {c["branch_code"] for c in theirs["results"]} == {"C02001", "C02002"}
    for params in (
        {"organization": county.township_a.pk},
        {"organization": county.village_a1.pk},
        {"organization": 999999},
    ):
        assert api_as(sibling_admin).get(URL, params).status_code == 404
        assert api_as(sibling_admin).get(SUMMARY, params).status_code == 404


def test_bad_queries_and_anonymous(county, county_admin, api_as):
    client = api_as(county_admin)
    for params, field in (
        ({"year": 1999}, "year"),
        ({"year": "二〇二五"}, "year"),
        ({"status": "完成"}, "status"),
        ({"kind": "座谈会"}, "kind"),
        ({"organization": "abc"}, "organization"),
    ):
        assert_chinese_error(client.get(URL, params), field)
    assert_chinese_error(client.get(SUMMARY, {"year": 2101}), "year")
    for url in (URL, SUMMARY):
        assert api_as(None).get(url).status_code in (401, 403)


def test_list_query_count_does_not_grow_with_rows(
    county, season, may_15, county_admin, api_as, django_assert_max_num_queries
):
    for day in range(1, 29):
        record(county.village_b2, "党课", at(2025, 2, day))
    client = api_as(county_admin)
    # grants, the organization, the standards, the branches, the grouped meeting counts
    with django_assert_max_num_queries(5):
        body = client.get(URL, {"year": 2025, "organization": county.township_b.pk}).json()
    assert body["count"] == 44
    # + the scope root, the attendance totals, the groups' organizations and the branch names
    with django_assert_max_num_queries(7):
        assert client.get(SUMMARY, {"year": 2025}).status_code == 200


# --- Summary --------------------------------------------------------------------------------------------------------


def test_summary_per_township_and_branch(county, season, may_15, county_admin, leader, api_as):
    body = api_as(county_admin).get(SUMMARY, {"year": 2025}).json()
    assert api_as(leader).get(SUMMARY, {"year": 2025}).json() == body
    assert (body["year"], body["organization"]["code"]) == (2025, "C")
    assert [(g["organization"]["code"], g["branches"]) for g in body["groups"]] == [("C01", 2), ("C02", 2), ("C90", 1)]
    assert _tallies(body["groups"]) == [
        (3, 14, 39, pytest.approx(3 / 17), 4, pytest.approx(10 / 15)),
        (1, 11, 32, pytest.approx(1 / 12), 1, 1.0),
        (0, 6, 16, 0.0, 0, None),
    ]
    assert [(b["code"], b["name"]) for b in body["branches"]] == [
        ("C01001", "东街村党支部"), ("C01002", "西街村党支部"), ("C02001", "北山村党支部"), ("C02002", "南河村党支部"),
        ("C90", "县财政局机关党支部"),
    ]  # fmt: skip
    assert _tallies(body["branches"]) == [
        (3, 8, 23, pytest.approx(3 / 11), 4, pytest.approx(10 / 15)),
        (0, 6, 16, 0.0, 0, None),
        (1, 5, 16, pytest.approx(1 / 6), 1, 1.0),
        (0, 6, 16, 0.0, 0, None),
        (0, 6, 16, 0.0, 0, None),
    ]


def test_summary_defaults_to_the_callers_own_subtree(county, season, may_15, township_admin, secretary, api_as):
    body = api_as(township_admin).get(SUMMARY, {"year": 2025}).json()
    assert body["organization"]["code"] == "C01"
    # for a township the groups are its branches
    assert [(g["organization"]["code"], g["met"], g["missed"], g["open"]) for g in body["groups"]] == [
        ("C01001", 3, 8, 23), ("C01002", 0, 6, 16)
    ]  # fmt: skip
    mine = api_as(secretary).get(SUMMARY, {"year": 2025}).json()
    assert [g["organization"]["code"] for g in mine["groups"]] == ["C01001"]
    assert [b["code"] for b in mine["branches"]] == ["C01001"]
    assert _tallies(mine["branches"]) == [(3, 8, 23, pytest.approx(3 / 11), 4, pytest.approx(10 / 15))]
    assert api_as(secretary).get(SUMMARY, {"organization": county.township_a.pk}).status_code == 404


def test_summary_year_defaults_to_this_year(county, county_admin, api_as):
    body = api_as(county_admin).get(SUMMARY).json()
    assert body["year"] == timezone.localdate().year


def test_a_changed_standard_changes_the_verdicts(county, season, may_15, county_admin, api_as):
    client = api_as(county_admin)
    theme = MeetingStandard.objects.get(kind="主题党日")
    # twice a quarter: 东街村 held three in Q1, 北山村 one
    response = client.patch(f"{STANDARDS}{theme.pk}/", {"period_type": "quarter", "min_count": 2}, format="json")
    assert response.status_code == 200, response.content
    cells = _cells(client.get(URL, {"year": 2025, "kind": "主题党日", "organization": county.village_a1.pk}))
    assert cells[:2] == [
        ("C01001", "主题党日", "2025-Q1", 2, 3, "达标"),
        ("C01001", "主题党日", "2025-Q2", 2, 0, "进行中"),
    ]
    b1 = _cells(client.get(URL, {"year": 2025, "kind": "主题党日", "organization": county.village_b1.pk}))
    assert b1[0] == ("C02001", "主题党日", "2025-Q1", 2, 1, "未达标")
    # a minimum of 0 requires nothing: no cells at all
    assert client.patch(f"{STANDARDS}{theme.pk}/", {"min_count": 0}, format="json").status_code == 200
    assert client.get(URL, {"year": 2025, "kind": "主题党日"}).json()["count"] == 0


# --- Standards ------------------------------------------------------------------------------------------------------

DEFAULTS = [
    ("支部党员大会", "quarter", 1, ""),
    ("支部委员会会议", "month", 1, "committee"),
    ("党小组会", "month", 1, "party_groups"),
    ("党课", "quarter", 1, ""),
    ("主题党日", "month", 1, ""),
    ("组织生活会", "year", 1, ""),
    ("民主评议党员", "year", 1, ""),
]


def _standards(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    return [(s["kind"], s["period_type"], s["min_count"], s["exemption"]) for s in response.json()["results"]]


def test_everyone_signed_in_reads_the_standards(county, secretary, sibling_admin, leader, inspector, api_as):
    for user in (secretary, sibling_admin, leader, inspector):
        assert _standards(api_as(user).get(STANDARDS)) == DEFAULTS
    life = MeetingStandard.objects.get(kind="组织生活会")
    assert api_as(secretary).get(f"{STANDARDS}{life.pk}/").json()["note"] == "一般在第四季度召开"
    assert api_as(None).get(STANDARDS).status_code in (401, 403)


def test_the_county_admin_changes_a_standard(county, county_admin, api_as):
    lecture = MeetingStandard.objects.get(kind="党课")
    client = api_as(county_admin)
    data = {"period_type": "month", "min_count": 2, "exemption": "", "note": "  县委决定每月两次 "}
    response = client.put(f"{STANDARDS}{lecture.pk}/", data, format="json")
    assert response.status_code == 200, response.content
    assert {k: response.json()[k] for k in ("kind", "period_type", "min_count", "note")} == {
        "kind": "党课", "period_type": "month", "min_count": 2, "note": "县委决定每月两次"
    }  # fmt: skip
    lecture.refresh_from_db()
    assert (lecture.period_type, lecture.min_count, lecture.note) == ("month", 2, "县委决定每月两次")
    [event] = audit_rows(MeetingStandard, lecture.pk, "update")
    assert event.actor == county_admin
    assert (event.before["min_count"], event.after["min_count"]) == (1, 2)
    # PATCH changes what it names and keeps the rest; the kind cannot be changed
    response = client.patch(f"{STANDARDS}{lecture.pk}/", {"min_count": 3, "kind": "党小组会"}, format="json")
    assert response.status_code == 200
    lecture.refresh_from_db()
    assert (lecture.kind, lecture.period_type, lecture.min_count, lecture.note) == (
        "党课",
        "month",
        3,
        "县委决定每月两次",
    )
    assert len(audit_rows(MeetingStandard, lecture.pk, "update")) == 2


def test_no_one_else_changes_a_standard(county, township_admin, secretary, leader, sibling_admin, api_as):
    lecture = MeetingStandard.objects.get(kind="党课")
    for user in (township_admin, secretary, leader, sibling_admin, None):
        client = api_as(user)
        with unchanged(lecture):
            patched = client.patch(f"{STANDARDS}{lecture.pk}/", {"min_count": 5}, format="json")
            put = client.put(f"{STANDARDS}{lecture.pk}/", {"period_type": "month", "min_count": 5, "exemption": ""},
                             format="json")  # fmt: skip
        if user is None:
            assert patched.status_code in (401, 403) and put.status_code in (401, 403)
        else:
            assert (patched.status_code, patched.json()) == (put.status_code, put.json()) == (403, {"detail": REFUSED})


def test_bad_standards_are_refused(county, county_admin, api_as):
    lecture = MeetingStandard.objects.get(kind="党课")
    client = api_as(county_admin)
    for data, field in (
        ({"min_count": 32}, "min_count"),
        ({"min_count": -1}, "min_count"),
        ({"period_type": "week"}, "period_type"),
        ({"exemption": "villages"}, "exemption"),
    ):
        with unchanged(lecture):
            assert_chinese_error(client.patch(f"{STANDARDS}{lecture.pk}/", data, format="json"), field)
    with unchanged(lecture):
        response = client.put(f"{STANDARDS}{lecture.pk}/", {"min_count": 2}, format="json")
    assert assert_chinese_error(response, "period_type")
    with unchanged(lecture):
        assert client.post(STANDARDS, {"kind": "座谈会"}, format="json").status_code == 405
        assert client.delete(f"{STANDARDS}{lecture.pk}/").status_code == 405
