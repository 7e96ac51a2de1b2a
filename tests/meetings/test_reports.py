"""动态登记月报 and 逐月通报 worked out by hand on the test county extended to four townships, year 2025.

The county (flags as set by the `report_world` fixture; default standards):

    测试县委 [C]
    ├── 城关镇党委 [C01]   东街村 a1: committee          西街村 a2: neither
    ├── 石门镇党委 [C02]   北山村 b1: party groups        南河村 b2: neither
    ├── 龙泉乡党委 [C03]   龙泉村 c1: neither
    ├── 新区工委 [C04]     新区社区 d1: founded 2025-03-15 (owes nothing before April, nothing yearly in 2025)
    ├── 开发区工委 [C05]   no branches at all (not in the bulletin)
    └── 县财政局机关党支部 [C90] (a branch right under the county: its own group, like in compliance_summary)

Cells due in a month (periods that end with it):
    February: the month only   → a1 委员会 + 主题党日 = 2; b1 党小组会 + 主题党日 = 2; the others 主题党日 = 1; d1 0
    March: + Q1 (大会, 党课)    → a1 4, b1 4, a2 b2 c1 dept 3, d1 0                               total 20
    December: + Q4 + the year  → a1 6, b1 6, a2 b2 c1 dept 5, d1 3 (主题党日, 大会 Q4, 党课 Q4; no yearly kinds)

Meetings (Asia/Shanghai wall-clock; expected/present 10/8 unless said):
    a1  委员会 02-10 · 委员会 03-05 (7/7) · 主题党日 03-31 23:59 (补录) · 党课 01-20 · 大会 04-01 00:10 (= 03-31 16:10
        UTC: April, Q2) · 大会 10-15 · 委员会 12-05 · 组织生活会 12-20 09:00 · 民主评议党员 12-20 14:00
    a2  主题党日 02-28 · 主题党日 04-01 00:10 (April)
    b1  党小组会 03-12            b2  主题党日 03-20 · 大会 01-10
    c1  党课 02-15                d1  主题党日 03-20
    dept 主题党日 03-03 09:00 · 大会 03-03 14:00 · 党课 03-04

March, due / 达标: a1 4/3 (大会 Q1 missing: the 00:10 one is April's) · a2 3/0 · b1 4/1 · b2 3/2 · c1 3/1 · dept 3/3 · d1 0/0
    townships: C01 7/3 = 42.86% · C02 7/3 = 42.86% (pooled; the mean of branch rates would be 37.50% vs 45.83%)
               C03 3/1 = 33.33% · C90 3/3 = 100.00% · C04 nothing due
    → rank 1 C90, 2 C01, 2 C02, 4 C03, — C04
February: C01 a1 1/2 + a2 1/1 = 2/3 = 66.67% · C02 0/3 · C03 0/1 · C90 0/1 (0.00%: ranked, not blank) · C04 nothing
    → 1 C01, 2 C02, 2 C03, 2 C90, — C04
March meetings: 8 (大会 1, 委员会 1, 党小组会 1, 党课 1, 主题党日 4); 补录 1; expected 7 + 10×7 = 77, present 7 + 8×7 =
    63 → 81.82%; a1 alone 15 of 17 → 88.24% (88.235… half up).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from celery.schedules import crontab
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.exceptions import NotInScope
from core.models import AuditEvent, Job
from meetings.models import Meeting, MonthlyBulletin, MonthlyReport
from meetings.reports import (
    bulletin_publish,
    bulletin_rows,
    may_read_bulletin,
    monthly_report_build,
    monthly_report_list,
    monthly_report_submit,
    monthly_report_totals,
    parse_month,
    percent,
    previous_month,
)
from meetings.services import meeting_record
from meetings.tasks import monthly_report_run
from organizations.models import Organization
from tests.conftest import _org
from tests.helpers import real_celery_worker, services_available

SHANGHAI = timezone.get_default_timezone()
MARCH, FEBRUARY, APRIL, DECEMBER = dt.date(2025, 3, 1), dt.date(2025, 2, 1), dt.date(2025, 4, 1), dt.date(2025, 12, 1)
KINDS = ["支部党员大会", "支部委员会会议", "党小组会", "党课", "主题党日", "组织生活会", "民主评议党员"]


def at(y, m, d, hh=19, mm=30):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def held(branch, kind, when, expected=10, present=8):
    return meeting_record(
        actor=None, branch=branch, kind=kind, held_at=when, topic="学习", expected_count=expected, present_count=present
    )


class World:
    def __init__(self, county, **orgs):
        self.county = county
        for name in ("root", "township_a", "township_b", "village_a1", "village_a2", "village_b1", "village_b2"):
            setattr(self, name, getattr(county, name))
        self.dept = county.dept
        for name, org in orgs.items():
            setattr(self, name, org)

    def branch_ids(self):
        return {
            "a1": self.village_a1.pk,
            "a2": self.village_a2.pk,
            "b1": self.village_b1.pk,
            "b2": self.village_b2.pk,
            "c1": self.c1.pk,
            "d1": self.d1.pk,
            "dept": self.dept.pk,
        }


@pytest.fixture
def report_world(county):
    return build_report_world(county)


def build_report_world(county) -> World:
    Organization.objects.filter(pk=county.village_b1.pk).update(has_party_groups=True)
    c03 = _org(county.root, "C03", "龙泉乡党委", "党委", group="乡镇党委")
    c1 = _org(c03, "C03001", "龙泉村党支部", "党支部", "农村")
    c04 = _org(county.root, "C04", "新区工委", "党工委")
    d1 = _org(c04, "C04001", "新区社区党支部", "党支部", "社区", founded_on=dt.date(2025, 3, 15))
    c05 = _org(county.root, "C05", "开发区工委", "党工委")
    county.refresh()
    w = World(county, c03=c03, c1=c1, c04=c04, d1=d1, c05=c05)
    a1, a2, b1, b2, dept = w.village_a1, w.village_a2, w.village_b1, w.village_b2, w.dept
    held(a1, "支部委员会会议", at(2025, 2, 10))
    held(a1, "支部委员会会议", at(2025, 3, 5), expected=7, present=7)
    late = held(a1, "主题党日", at(2025, 3, 31, 23, 59))
    held(a1, "党课", at(2025, 1, 20))
    held(a1, "支部党员大会", at(2025, 4, 1, 0, 10))
    held(a1, "支部党员大会", at(2025, 10, 15))
    held(a1, "支部委员会会议", at(2025, 12, 5))
    held(a1, "组织生活会", at(2025, 12, 20, 9, 0))
    held(a1, "民主评议党员", at(2025, 12, 20, 14, 0))
    held(a2, "主题党日", at(2025, 2, 28))
    held(a2, "主题党日", at(2025, 4, 1, 0, 10))
    held(b1, "党小组会", at(2025, 3, 12))
    held(b2, "主题党日", at(2025, 3, 20))
    held(b2, "支部党员大会", at(2025, 1, 10))
    held(c1, "党课", at(2025, 2, 15))
    held(d1, "主题党日", at(2025, 3, 20))
    held(dept, "主题党日", at(2025, 3, 3, 9, 0))
    held(dept, "支部党员大会", at(2025, 3, 3, 14, 0))
    held(dept, "党课", at(2025, 3, 4))
    # Everything above was entered in 2026, so all of it is 补录; keep one as such, the rest as entered in time.
    Meeting.objects.exclude(pk=late.pk).update(backfilled=False)
    return w


def rows_by_branch(month):
    return {r.branch_id: r for r in MonthlyReport.objects.filter(month=month)}


# --- helpers -------------------------------------------------------------------------------------------------------


def test_percent_rounds_half_up_to_two_decimals():
    assert str(percent(7, 8)) == "87.50"
    assert str(percent(1, 32)) == "3.13"  # 3.125: half up (banker's rounding would say 3.12)
    assert str(percent(1, 160)) == "0.63"  # 0.625
    assert str(percent(15, 17)) == "88.24"
    assert str(percent(0, 3)) == "0.00"
    assert percent(0, 0) is None and percent(3, 0) is None


def test_months():
    assert parse_month("2025-03") == MARCH
    assert parse_month("2025-03-17") == MARCH
    assert parse_month("2025-13") is None and parse_month("2025/03") is None and parse_month("") is None
    assert parse_month(None) is None and parse_month("abcd-ef") is None
    assert previous_month(dt.date(2025, 4, 1)) == MARCH
    assert previous_month(dt.date(2025, 1, 31)) == dt.date(2024, 12, 1)


# --- the report ----------------------------------------------------------------------------------------------------


def test_march_report_per_branch(report_world):
    w = report_world
    result = monthly_report_build(month=MARCH)
    assert (result.branches, result.replaced, result.meetings, result.backfilled) == (7, 0, 8, 1)
    assert (result.due, result.met) == (20, 10)
    rows = rows_by_branch(MARCH)
    ids = w.branch_ids()
    assert set(rows) == set(ids.values())
    a1 = rows[ids["a1"]]
    assert a1.counts == {k: 0 for k in KINDS} | {"支部委员会会议": 1, "主题党日": 1}  # 大会 00:10 on 1 April: not March
    assert (a1.meetings_total, a1.backfilled_total, a1.expected_total, a1.present_total) == (2, 1, 17, 15)
    assert (a1.due_total, a1.met_total) == (4, 3)
    assert rows[ids["a2"]].counts == dict.fromkeys(KINDS, 0)  # all seven kinds, zeros included
    assert (rows[ids["a2"]].meetings_total, rows[ids["a2"]].due_total, rows[ids["a2"]].met_total) == (0, 3, 0)
    assert (rows[ids["b1"]].due_total, rows[ids["b1"]].met_total) == (4, 1)  # 党小组会 binds b1 (party groups)
    assert (rows[ids["b2"]].due_total, rows[ids["b2"]].met_total) == (3, 2)
    assert (rows[ids["c1"]].due_total, rows[ids["c1"]].met_total) == (3, 1)
    assert (rows[ids["dept"]].due_total, rows[ids["dept"]].met_total, rows[ids["dept"]].meetings_total) == (3, 3, 3)
    d1 = rows[ids["d1"]]
    assert (d1.meetings_total, d1.counts["主题党日"], d1.due_total, d1.met_total) == (1, 1, 0, 0)  # founded 15 March


def test_february_has_only_monthly_cells_and_december_all_three(report_world):
    w = report_world
    ids = w.branch_ids()
    monthly_report_build(month=FEBRUARY)
    feb = rows_by_branch(FEBRUARY)
    assert {k: (feb[v].due_total, feb[v].met_total) for k, v in ids.items()} == {
        "a1": (2, 1),
        "a2": (1, 1),
        "b1": (2, 0),
        "b2": (1, 0),
        "c1": (1, 0),
        "d1": (0, 0),
        "dept": (1, 0),
    }
    assert feb[ids["a2"]].counts["主题党日"] == 1 and feb[ids["a1"]].counts["支部委员会会议"] == 1
    monthly_report_build(month=DECEMBER)
    dec = rows_by_branch(DECEMBER)
    assert {k: (dec[v].due_total, dec[v].met_total) for k, v in ids.items()} == {
        "a1": (6, 4),  # 委员会 12月, 大会 Q4, 组织生活会, 民主评议 met; 主题党日 12月, 党课 Q4 not
        "a2": (5, 0),
        "b1": (6, 0),
        "b2": (5, 0),
        "c1": (5, 0),
        "d1": (3, 0),  # founded 2025-03-15: no yearly kinds
        "dept": (5, 0),
    }
    assert dec[ids["a1"]].counts == dict.fromkeys(KINDS, 0) | {"支部委员会会议": 1, "组织生活会": 1, "民主评议党员": 1}


def test_the_meeting_at_ten_past_midnight_on_1_april_is_aprils(report_world):
    w = report_world
    ids = w.branch_ids()
    meeting = Meeting.objects.get(branch=w.village_a1, kind="支部党员大会", held_on=dt.date(2025, 4, 1))
    assert meeting.held_at.astimezone(dt.UTC) == dt.datetime(2025, 3, 31, 16, 10, tzinfo=dt.UTC)
    monthly_report_build(month=APRIL)
    april = rows_by_branch(APRIL)
    assert april[ids["a1"]].counts["支部党员大会"] == 1
    assert april[ids["a2"]].counts["主题党日"] == 1
    assert (april[ids["a2"]].due_total, april[ids["a2"]].met_total) == (1, 1)
    monthly_report_build(month=MARCH)
    march = rows_by_branch(MARCH)
    assert march[ids["a1"]].counts["支部党员大会"] == 0 and march[ids["a2"]].counts["主题党日"] == 0


def test_rebuild_replaces_the_month_and_is_audited_once_each_time(report_world):
    w = report_world
    monthly_report_build(month=MARCH)
    monthly_report_build(month=FEBRUARY)
    first = {r.branch_id: (r.counts, r.meetings_total, r.due_total, r.met_total) for r in MonthlyReport.objects.all()}
    events = AuditEvent.objects.count()
    again = monthly_report_build(month=MARCH)
    assert again.replaced == 7
    assert MonthlyReport.objects.filter(month=MARCH).count() == 7 and MonthlyReport.objects.count() == 14
    assert {
        r.branch_id: (r.counts, r.meetings_total, r.due_total, r.met_total) for r in MonthlyReport.objects.all()
    } == first
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.object_type, event.object_id) == ("update", "core.job", "月报 2025-03")
    assert event.after == {
        "月份": "2025-03",
        "支部数": 7,
        "替换旧记录": 7,
        "会议次数": 8,
        "补录次数": 1,
        "到期要求": 20,
        "到期达标": 10,
    }
    assert event.org_path == w.root.path and event.actor is None
    assert event.note.startswith("重新生成2025年3月动态登记月报：7 个支部")
    # a meeting back-filled for March shows after the rebuild
    held(w.village_a2, "党课", at(2025, 3, 25))
    monthly_report_build(month=MARCH)
    a2 = MonthlyReport.objects.get(month=MARCH, branch=w.village_a2)
    assert (a2.counts["党课"], a2.meetings_total, a2.backfilled_total, a2.due_total, a2.met_total) == (1, 1, 1, 3, 1)
    assert MonthlyReport.objects.filter(month=MARCH).count() == 7


def test_a_township_admin_builds_only_their_township(report_world, township_admin):
    w = report_world
    monthly_report_build(month=MARCH)
    others = dict(MonthlyReport.objects.exclude(branch__in=[w.village_a1, w.village_a2]).values_list("branch_id", "id"))
    result = monthly_report_build(month=MARCH, actor=township_admin)
    assert (result.branches, result.replaced, result.due, result.met) == (2, 2, 7, 3)
    assert (
        dict(MonthlyReport.objects.exclude(branch__in=[w.village_a1, w.village_a2]).values_list("branch_id", "id"))
        == others
    )
    event = AuditEvent.objects.latest("id")
    assert event.actor == township_admin and event.org_path == w.township_a.path


@pytest.mark.parametrize("who", ["secretary", "leader", "inspector"])
def test_only_managers_build(report_world, who, request):
    actor = request.getfixturevalue(who)
    before = (MonthlyReport.objects.count(), AuditEvent.objects.count(), Job.objects.count())
    with pytest.raises(PermissionDenied):
        monthly_report_build(month=MARCH, actor=actor)
    with pytest.raises(PermissionDenied):
        monthly_report_submit(actor=actor, month=MARCH)
    assert (MonthlyReport.objects.count(), AuditEvent.objects.count(), Job.objects.count()) == before


def test_a_future_month_or_a_mid_month_day_is_refused(report_world):
    before = (MonthlyReport.objects.count(), AuditEvent.objects.count())
    next_month = previous_month(timezone.localdate().replace(day=28) + dt.timedelta(days=40))
    with pytest.raises(ValidationError) as exc:
        monthly_report_build(month=next_month)
    assert "尚未到来" in exc.value.message_dict["month"][0]
    with pytest.raises(ValidationError):
        monthly_report_build(month=dt.date(2025, 3, 15))
    assert (MonthlyReport.objects.count(), AuditEvent.objects.count()) == before


def test_list_and_totals_are_scoped(report_world, township_admin, sibling_admin, secretary, county_admin):
    w = report_world
    monthly_report_build(month=MARCH)
    assert [r.branch.code for r in monthly_report_list(actor=township_admin, month=MARCH)] == ["C01001", "C01002"]
    assert [r.branch.code for r in monthly_report_list(actor=secretary, month=MARCH)] == ["C01001"]
    assert list(monthly_report_list(actor=sibling_admin, month=MARCH, organization=w.township_a)) == []
    assert monthly_report_list(actor=county_admin, month=FEBRUARY).count() == 0
    totals = monthly_report_totals(monthly_report_list(actor=county_admin, month=MARCH))
    assert (totals.branches, totals.meetings, totals.backfilled, totals.due, totals.met) == (7, 8, 1, 20, 10)
    assert totals.kind_counts == [1, 1, 1, 1, 4, 0, 0]
    assert (totals.expected, totals.present) == (77, 63)
    assert str(totals.attendance_rate) == "81.82" and str(totals.compliance_rate) == "50.00"
    a = monthly_report_totals(monthly_report_list(actor=county_admin, month=MARCH, organization=w.township_a))
    assert (a.branches, a.due, a.met, str(a.compliance_rate)) == (2, 7, 3, "42.86")


# --- the task and the beat -----------------------------------------------------------------------------------------


def test_the_task_builds_the_previous_month_in_shanghai(report_world, monkeypatch):
    # 16:30 UTC on 31 March is 00:30 on 1 April in Shanghai: the previous month is March (UTC would say February).
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2025, 3, 31, 16, 30, tzinfo=dt.UTC))
    result = monthly_report_run()
    assert result["month"] == "2025-03" and result["branches"] == 7 and result["due"] == 20
    job = Job.objects.get(kind="meetings_report")
    assert job.status == Job.Status.SUCCEEDED and job.created_by is None and job.params == {"month": "2025-03"}
    assert job.result == result and job.message.startswith("已生成2025年3月动态登记月报")
    event = AuditEvent.objects.get(object_type="core.job")
    assert event.object_id == str(job.pk) and event.source == "task" and event.action == "create"
    assert MonthlyReport.objects.filter(month=MARCH).count() == 7
    monthly_report_run()  # the beat firing twice (or a redelivered message) changes nothing but the build time
    assert MonthlyReport.objects.filter(month=MARCH).count() == 7 and MonthlyReport.objects.count() == 7


def test_the_task_with_a_bad_month_fails_its_job(report_world):
    assert monthly_report_run(month="2025-3x") == {}
    job = Job.objects.get(kind="meetings_report")
    assert job.status == Job.Status.FAILED and "无效" in job.message
    assert MonthlyReport.objects.count() == 0


def test_submitted_job_builds_the_submitters_subtree(report_world, township_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = monthly_report_submit(actor=township_admin, month=MARCH)
        assert Job.objects.get(pk=job.pk).status == Job.Status.PENDING
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.created_by == township_admin
    assert job.org_path == report_world.township_a.path and job.result["branches"] == 2
    assert set(MonthlyReport.objects.values_list("branch__code", flat=True)) == {"C01001", "C01002"}
    assert monthly_report_run(month="2025-03", job_id=job.pk) == job.result  # redelivered: left alone
    assert AuditEvent.objects.filter(object_type="core.job").count() == 1


def test_beat_runs_the_report_at_three_on_the_first(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["meetings-monthly-report"]
    assert entry["task"] == "meetings.tasks.monthly_report_run" == monthly_report_run.name
    assert entry["schedule"] == crontab(minute=0, hour=3, day_of_month=1)
    assert "kwargs" not in entry and "args" not in entry  # month=None: the previous month when it fires


# --- the bulletin --------------------------------------------------------------------------------------------------


def ranking(rows):
    return [(r["rank"], r["code"], r["branches"], r["due"], r["met"], r["rate"]) for r in rows]


def test_march_ranking_shares_ties_and_puts_nothing_due_last(report_world):
    rows = bulletin_rows(organization=report_world.root, month=MARCH)
    assert ranking(rows) == [
        (1, "C90", 1, 3, 3, "100.00"),
        (2, "C01", 2, 7, 3, "42.86"),  # pooled 3/7; the mean of its branch rates would be 37.50%
        (2, "C02", 2, 7, 3, "42.86"),  # pooled 3/7; the mean would be 45.83%
        (4, "C03", 1, 3, 1, "33.33"),
        (None, "C04", 1, 0, 0, None),  # nothing due (its only branch was founded on 15 March)
    ]  # C05 holds no branches: not listed
    assert rows[1]["name"] == "城关镇党委" and rows[1]["organization"] == report_world.township_a.pk


def test_february_ranking_counts_zero_as_a_rate(report_world):
    rows = bulletin_rows(organization=report_world.root, month=FEBRUARY)
    assert ranking(rows) == [
        (1, "C01", 2, 3, 2, "66.67"),
        (2, "C02", 2, 3, 0, "0.00"),
        (2, "C03", 1, 1, 0, "0.00"),
        (2, "C90", 1, 1, 0, "0.00"),
        (None, "C04", 1, 0, 0, None),
    ]


def test_december_ranking_includes_the_quarter_and_the_year(report_world):
    rows = bulletin_rows(organization=report_world.root, month=DECEMBER)
    # C01: a1 6/4 + a2 5/0 = 11/4; C02 11/0; C03 5/0; C04 d1 3/0; C90 5/0
    assert ranking(rows) == [
        (1, "C01", 2, 11, 4, "36.36"),
        (2, "C02", 2, 11, 0, "0.00"),
        (2, "C03", 1, 5, 0, "0.00"),
        (2, "C04", 1, 3, 0, "0.00"),
        (2, "C90", 1, 5, 0, "0.00"),
    ]


def test_publish_freezes_and_republish_replaces(report_world, county_admin):
    w = report_world
    bulletin = bulletin_publish(actor=county_admin, organization=w.root, month=MARCH, note="  请各乡镇对照整改。 ")
    assert bulletin.rows == bulletin_rows(organization=w.root, month=MARCH)
    assert bulletin.note == "请各乡镇对照整改。" and bulletin.published_by == county_admin
    created = AuditEvent.objects.get(object_type="meetings.monthlybulletin")
    assert (created.action, created.note, created.object_id, created.org_path) == (
        "create",
        "发布",
        str(bulletin.pk),
        w.root.path,
    )
    assert created.after["rows"].startswith("1 县财政局机关党支部 3/3 100.00%；2 城关镇党委 3/7 42.86%")
    # a March 党课 of a2 back-filled afterwards changes the published ranking only when it is published again
    held(w.village_a2, "党课", at(2025, 3, 25))
    assert MonthlyBulletin.objects.get().rows == bulletin.rows
    again = bulletin_publish(actor=county_admin, organization=w.root, month=MARCH, note="")
    assert again.pk == bulletin.pk and MonthlyBulletin.objects.count() == 1
    assert ranking(again.rows)[1:3] == [(2, "C01", 2, 7, 4, "57.14"), (3, "C02", 2, 7, 3, "42.86")]
    events = AuditEvent.objects.filter(object_type="meetings.monthlybulletin").order_by("id")
    assert [(e.action, e.note) for e in events] == [("create", "发布"), ("update", "重新发布")]
    assert events[1].before["note"] == "请各乡镇对照整改。" and events[1].after["note"] == ""


def test_who_may_publish(report_world, township_admin, sibling_admin, leader, secretary):
    w = report_world
    before = (MonthlyBulletin.objects.count(), AuditEvent.objects.count())
    for actor in (township_admin, sibling_admin, leader):  # they read it, they do not publish it
        assert may_read_bulletin(actor, w.root)
        with pytest.raises(PermissionDenied):
            bulletin_publish(actor=actor, organization=w.root, month=MARCH)
    assert not may_read_bulletin(secretary, w.root)
    with pytest.raises(NotInScope):
        bulletin_publish(actor=secretary, organization=w.root, month=MARCH)
    assert (MonthlyBulletin.objects.count(), AuditEvent.objects.count()) == before


def test_the_running_month_is_only_previewed(report_world, county_admin):
    this_month = timezone.localdate().replace(day=1)
    assert bulletin_rows(organization=report_world.root, month=this_month)  # the preview works
    with pytest.raises(ValidationError) as exc:
        bulletin_publish(actor=county_admin, organization=report_world.root, month=this_month)
    assert "尚未结束" in exc.value.message_dict["month"][0]
    assert MonthlyBulletin.objects.count() == 0


# --- a real worker -------------------------------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.skipif(
    not services_available(), reason="needs TEST_SERVICES=1 and TEST_CELERY_BROKER_URL (tests/services.py)"
)
@pytest.mark.django_db(transaction=True)
def test_monthly_report_on_a_real_worker(default_meeting_standards, report_world, settings):
    """The beat's task, sent to Redis and run by a real worker process on the shared PostgreSQL test database (the
    same set-up as tests/core/test_jobs.py's import job)."""
    with real_celery_worker(settings, "worker-reports.log") as (worker, log):
        monthly_report_run.delay(month="2025-03")
        deadline = time.monotonic() + 60
        job = None
        while time.monotonic() < deadline:
            job = Job.objects.filter(kind="meetings_report").first()
            if job is not None and job.is_finished:
                break
            assert worker.poll() is None, "worker exited early:\n" + log.read_text(errors="replace")
            time.sleep(0.2)
        assert job is not None and job.status == Job.Status.SUCCEEDED, log.read_text(errors="replace")
        assert job.result["branches"] == 7 and (job.result["due"], job.result["met"]) == (20, 10)
        a1 = MonthlyReport.objects.get(month=MARCH, branch=report_world.village_a1)
        assert (a1.counts["支部党员大会"], a1.counts["主题党日"], a1.due_total, a1.met_total) == (0, 1, 4, 3)
        assert AuditEvent.objects.filter(object_type="core.job", object_id=str(job.pk), source="task").count() == 1


def test_summary_counts_the_same_cells_compliance_cells_builds(report_world):
    """compliance_summary counts the cells without building them (meetings.compliance.status_counts): on every day
    of the year's ends and middles it agrees with the cells of compliance_cells, branch by branch."""
    from collections import Counter

    from meetings.compliance import compliance_cells, compliance_summary, holding_branches, meeting_counts

    for today in (
        dt.date(2025, 2, 28),
        dt.date(2025, 3, 31),
        dt.date(2025, 4, 1),
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 1),
    ):
        by_branch, _ = compliance_summary(actor=None, year=2025, today=today, organization=report_world.root)
        cells = Counter((c.branch.id, c.status) for c in compliance_cells(actor=None, year=2025, today=today))
        for branch_id, tally in by_branch.items():
            assert (tally.met, tally.missed, tally.open) == (
                cells[(branch_id, "达标")],
                cells[(branch_id, "未达标")],
                cells[(branch_id, "进行中")],
            )
    counts = meeting_counts(holding_branches(actor=None), 2025)
    a1 = report_world.village_a1.pk
    assert counts[(a1, "支部党员大会", 4)] == 1 and (a1, "支部党员大会", 3) not in counts  # 00:10 on 1 April
    assert counts[(a1, "支部委员会会议", 12)] == 1 and sum(counts.values()) == 19
