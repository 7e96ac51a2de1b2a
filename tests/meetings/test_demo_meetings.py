"""The demo meetings (meetings.demo) on a small county named like the demo one, "now" frozen at 09:00 on 2 December
2026 in Shanghai (the seeding day of the brief): the rules every generated meeting keeps, attendance lists as the
service would pick them, the demo secretary's month left open, and a second run that adds nothing. The real demo
county's figures (gaps, shares) are checked in tests/commands/test_seed_demo.py.

    青山县委 QS
    └── 石门镇党委 QS02
        ├── 秦庄村党支部 QS02001   DEMO_BRANCH: party groups, 8 members, a 书记
        ├── 北村党支部   QS02002   committee: 9 members (书记, 组织委员 among them); one transferred out on
        │                          2026-09-01, one dead since 2026-08-10
        ├── 东村党总支   QS02003   committee, no members of its own
        │   └── 一组党支部 QS0200301  5 members
        └── 新村党支部   QS02004   founded 2025-03-10, 3 members
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from core.models import AuditEvent
from meetings import rules
from meetings.compliance import due_now
from meetings.demo import _demo_branches, _Planner, build_demo_meetings
from meetings.models import Attendance, Meeting
from meetings.selectors import attendees_on
from members.services import member_create, member_status_change, member_transfer
from organizations.models import Organization
from organizations.services import organization_create
from tests.factories import PostFactory, id_number_for

pytestmark = pytest.mark.django_db

SHANGHAI = timezone.get_default_timezone()
NOW = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
TODAY = dt.date(2026, 12, 2)
ATTENDANCE_FROM = dt.date(2026, 6, 2)  # six months before the seeding day


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _org(parent, code, name, kind="党支部", **extra):
    extra.setdefault("founded_on", dt.date(1980, 1, 1))
    return organization_create(actor=None, parent=parent, code=code, name=name, kind=kind, domain="农村", **extra)


@pytest.fixture
def demo(db):
    root = _org(None, "QS", "青山县委", "县委")
    town = _org(root, "QS02", "石门镇党委", "党委")
    home = _org(town, "QS02001", "秦庄村党支部", has_party_groups=True, founded_on=dt.date(1960, 2, 25))
    north = _org(town, "QS02002", "北村党支部", has_committee=True)
    general = _org(town, "QS02003", "东村党总支", "党总支", has_committee=True)
    group = _org(general, "QS0200301", "一组党支部")
    new = _org(town, "QS02004", "新村党支部", founded_on=dt.date(2025, 3, 10))
    n = iter(range(1000))
    members = {}
    for branch, size in ((home, 8), (north, 9), (group, 5), (new, 3)):
        members[branch.code] = [
            member_create(
                actor=None, name=f"{branch.name[:2]}{i}", id_number=id_number_for(next(n)), branch=branch,
                category="正式党员", joined_on=dt.date(2015, 7, 1) if branch is not new else dt.date(2025, 3, 10),
            )
            for i in range(size)
        ]  # fmt: skip
    PostFactory(organization=home, person=members["QS02001"][0].person, title="书记", start_on=dt.date(2021, 1, 1))
    PostFactory(organization=north, person=members["QS02002"][0].person, title="书记", start_on=dt.date(2021, 1, 1))
    PostFactory(organization=north, person=members["QS02002"][1].person, title="组织委员", start_on=dt.date(2021, 1, 1))
    member_transfer(actor=None, member=members["QS02002"][8], to_branch=new, on=dt.date(2026, 9, 1))
    member_status_change(actor=None, member=members["QS02002"][7], status="死亡", on=dt.date(2026, 8, 10))
    return {"home": home, "north": north, "general": general, "group": group, "new": new, "members": members}


def _snapshot():
    return {
        "meetings": sorted(Meeting.objects.values_list("branch_id", "kind", "held_at", "expected_count", "topic")),
        "attendance": Attendance.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_demo_meetings_keep_the_rules_and_a_second_run_adds_nothing(demo):
    result = build_demo_meetings()
    meetings = Meeting.objects.select_related("branch")
    assert result.added == meetings.count() > 300
    assert result.present == 0
    cutoff = dt.datetime(2026, 12, 2, tzinfo=SHANGHAI)
    # From 1 January 2024 through yesterday; nothing before a branch was founded; only 党支部 and 党总支.
    assert meetings.filter(held_at__gte=cutoff).count() == 0
    assert meetings.filter(held_on__lt=dt.date(2024, 1, 1)).count() == 0
    assert meetings.filter(held_on__lte=dt.date(2024, 1, 31)).exists()
    assert not meetings.filter(branch=demo["new"], held_on__lt=dt.date(2025, 3, 10)).exists()
    assert meetings.filter(branch=demo["new"]).exists()
    assert set(meetings.values_list("branch__kind", flat=True)) == {"党支部", "党总支"}
    assert all(m.held_on == timezone.localtime(m.held_at).date() for m in meetings)
    # The kinds follow the flags: committee meetings only where there is a committee, group meetings only with groups.
    kinds = Counter(meetings.values_list("branch__code", "kind"))
    assert kinds[("QS02001", "党小组会")] > 20 and kinds[("QS02001", "支部委员会会议")] == 0
    assert kinds[("QS02002", "支部委员会会议")] > 20 and kinds[("QS02002", "党小组会")] == 0
    assert kinds[("QS02003", "支部委员会会议")] > 20

    # The demo secretary's branch has held nothing this month; what is due shows on 本月待办.
    home = demo["home"]
    assert not meetings.filter(branch=home, held_on__gte=dt.date(2026, 12, 1)).exists()
    due = {(c.kind, c.period.label, c.status) for c in due_now(home, today=TODAY)}
    assert due == {
        ("党小组会", "2026-12", "进行中"),
        ("主题党日", "2026-12", "进行中"),
        ("支部党员大会", "2026-Q4", "进行中"),
        ("党课", "2026-Q4", "进行中"),
        ("组织生活会", "2026", "进行中"),
        ("民主评议党员", "2026", "进行中"),
    }
    assert set(meetings.filter(branch=home).values_list("created_by__username", flat=True)) == {None}

    # Attendance lists from six months back, as attendees_on picks them; counts derive from them. Older meetings
    # have counts only. A 党总支 keeps no files: counts only, its branch's members expected.
    listed = meetings.filter(has_attendance=True)
    assert listed.exists()
    assert not listed.filter(held_on__lt=ATTENDANCE_FROM).exists()
    assert not Attendance.objects.filter(meeting__held_on__lt=ATTENDANCE_FROM).exists()
    assert not listed.filter(branch=demo["general"]).exists()
    for m in listed.annotate(
        n=Count("attendance"),
        p=Count("attendance", filter=Q(attendance__status="出席")),
        leave=Count("attendance", filter=Q(attendance__status="请假")),
    ):
        assert (m.expected_count, m.present_count, m.leave_count) == (m.n, m.p, m.leave), m.pk
        on_list = set(m.attendance.values_list("member_id", flat=True))
        eligible = {x.pk for x in attendees_on(branch=m.branch, on=m.held_on)}
        if m.kind == "支部委员会会议":
            assert on_list <= eligible and len(on_list) == 2  # the 书记 and the 组织委员
        elif m.kind == "党小组会":
            assert on_list < eligible
        else:
            assert on_list == eligible, (m.kind, m.held_on)
    assert not Attendance.objects.filter(status="请假", reason="").exists()
    # The member who died on 10 August and the one transferred on 1 September leave the lists from those days.
    north = demo["members"]["QS02002"]
    assert not Attendance.objects.filter(member=north[7], meeting__held_on__gte=dt.date(2026, 8, 10)).exists()
    assert Attendance.objects.filter(member=north[7], meeting__held_on__lt=dt.date(2026, 8, 10)).exists()
    assert not Attendance.objects.filter(
        member=north[8], meeting__branch=demo["north"], meeting__held_on__gte=dt.date(2026, 9, 1)
    ).exists()
    assert Attendance.objects.filter(member=north[8], meeting__branch=demo["new"]).exists()
    unlisted = meetings.filter(has_attendance=False)
    assert not unlisted.filter(present_count__gt=F("expected_count")).exists()
    general_days = unlisted.filter(branch=demo["general"], kind="主题党日", held_on__lt=ATTENDANCE_FROM)
    assert set(general_days.values_list("expected_count", flat=True)) == {5}

    # 补录 by the service's rule on the entry day; late edits with a reason more than 30 days on; one audit event
    # per meeting (and one per late edit), under the branch.
    for m in meetings:
        entered = timezone.localtime(m.created_at).date()
        assert m.backfilled == rules.is_backfilled(held_on=m.held_on, entered_on=entered), m.pk
        assert m.created_at <= NOW
        if m.late_edit_reason:
            assert (timezone.localtime(m.late_edited_at).date() - m.held_on).days > 30
    events = AuditEvent.objects.filter(object_type="meetings.meeting")
    assert events.filter(action="create").count() == meetings.count()
    assert events.filter(action="update").count() == meetings.exclude(late_edit_reason="").count()
    assert result.late_edits == meetings.exclude(late_edit_reason="").count()
    assert result.backfilled == meetings.filter(backfilled=True).count()
    sample = meetings.filter(has_attendance=True).first()
    event = events.get(action="create", object_id=str(sample.pk))
    assert event.org_path == sample.branch.path
    assert event.after["attendance"].startswith("出席 ")
    assert event.after["held_at"] == timezone.localtime(sample.held_at).isoformat()

    # One branch (of the five, at least one) holds nothing for a quarter.
    planner = _Planner(_demo_branches(), TODAY)
    assert len(planner.stalled) == 1
    [(code, (year, quarter))] = planner.stalled.items()
    months = [3 * quarter - 2, 3 * quarter - 1, 3 * quarter]
    assert not meetings.filter(branch__code=code, held_on__year=year, held_on__month__in=months).exists()
    assert meetings.filter(branch__code=code, held_on__year=year).exists()

    before = _snapshot()
    again = build_demo_meetings()
    assert (again.added, again.present, again.attendance_rows) == (0, result.added, 0)
    assert _snapshot() == before


def test_the_plan_does_not_depend_on_the_database(demo):
    """Meetings already there are skipped, the others still come out the same: delete some, run again, and the very
    same rows are back."""
    build_demo_meetings()
    whole = _snapshot()["meetings"]
    gone = Meeting.objects.filter(held_on__year=2025, held_on__month=3)
    assert gone.exists()
    gone.delete()
    result = build_demo_meetings()
    assert result.added > 0
    assert _snapshot()["meetings"] == whole


def test_no_demo_county_no_meetings(county):
    from organizations.demo import DemoError

    with pytest.raises(DemoError, match="没有演示县"):
        build_demo_meetings()
    assert Meeting.objects.count() == 0
    assert Organization.objects.filter(code="QS").count() == 0


def test_if_empty_adds_the_meetings_to_a_county_seeded_before_them(demo):
    """A database seeded before the meetings capability (demo county and members, no meetings) gets the demo
    meetings once from `seed_demo --if-empty`; a second run leaves it alone. (On the small county: the full demo's
    delete-and-rebuild inside one test transaction took minutes on PostgreSQL.)"""
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "系统中已有组织数据，跳过演示数据。"
    created = Meeting.objects.count()
    assert created > 0 and lines[1].startswith(f"三会一课: 已新增 {created} 次会议")
    assert lines[2].startswith("党建任务: 已新增")  # and the supervision data after the meetings
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert out.getvalue().splitlines() == ["系统中已有组织数据，跳过演示数据。"]
    assert Meeting.objects.count() == created
