"""Recording and changing meetings: attendance from the branch's members on the day, 补录 and late edits, double
taps, attachments, scope — and that a refused write leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.exceptions import NotInScope
from core.models import AuditEvent
from meetings.models import Attendance, Meeting, MeetingAttachment, MeetingStandard
from meetings.selectors import attendees_on
from meetings.services import (
    AttendanceEntry,
    attachment_add,
    meeting_delete,
    meeting_record,
    meeting_update,
    standard_update,
)
from members.services import member_create, member_status_change, member_transfer
from tests.members.helpers import CHEN_CHEN, LIN_LIN, ZHANG_WEI

SHANGHAI = timezone.get_default_timezone()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def days_ago(n, hh=9):
    day = timezone.localdate() - dt.timedelta(days=n)
    return dt.datetime(day.year, day.month, day.day, hh, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people(county):
    a1 = county.village_a1
    zhang = member_create(
        actor=None, name="张伟", id_number=ZHANG_WEI, branch=a1, category="正式党员", joined_on=dt.date(2010, 7, 1)
    )
    chen = member_create(
        actor=None, name="陈晨", id_number=CHEN_CHEN, branch=a1, category="正式党员", joined_on=dt.date(2022, 7, 1)
    )
    lin = member_create(
        actor=None,
        name="林琳",
        id_number=LIN_LIN,
        branch=county.village_a2,
        category="正式党员",
        joined_on=dt.date(2021, 7, 1),
    )
    return zhang, chen, lin


def record(branch, *, when=None, kind="主题党日", **extra):
    return meeting_record(
        actor=extra.pop("actor", None), branch=branch, kind=kind, held_at=when or days_ago(3), topic="学习党章", **extra
    )


def state():
    return (
        Meeting.objects.count(),
        Attendance.objects.count(),
        MeetingAttachment.objects.count(),
        AuditEvent.objects.count(),
    )


def test_attendance_makes_the_counts_and_the_audit(county, people, secretary):
    zhang, chen, _ = people
    meeting = record(
        county.village_a1,
        actor=secretary,
        attendance=[AttendanceEntry(zhang.pk, "出席"), AttendanceEntry(chen.pk, "请假", "外出务工")],
    )
    assert (meeting.expected_count, meeting.present_count, meeting.leave_count, meeting.has_attendance) == (
        2,
        1,
        1,
        True,
    )
    assert meeting.held_on == timezone.localdate() - dt.timedelta(days=3)
    event = AuditEvent.objects.get(object_type="meetings.meeting", object_id=str(meeting.pk))
    assert event.action == "create" and event.actor == secretary and event.org_path == county.village_a1.path
    assert event.after["attendance"] == "出席 1 人；请假 1 人：陈晨（外出务工）"


def test_refused_attendance_saves_nothing(county, people):
    zhang, _, lin = people
    before = state()
    with pytest.raises(ValidationError) as exc:
        record(county.village_a1, attendance=[AttendanceEntry(zhang.pk, "出席"), AttendanceEntry(lin.pk, "出席")])
    assert "不是东街村党支部的党员" in str(exc.value.message_dict["attendance"])
    with pytest.raises(ValidationError) as exc:
        record(county.village_a1, attendance=[AttendanceEntry(zhang.pk, "请假", "  ")])
    assert "须填写请假原因" in str(exc.value.message_dict["attendance"])
    with pytest.raises(ValidationError):
        record(county.village_a1, attendance=[AttendanceEntry(zhang.pk, "出席"), AttendanceEntry(zhang.pk, "缺席")])
    assert state() == before


def test_attendees_are_the_members_of_the_branch_that_day(county, people):
    zhang, chen, lin = people
    a1, a2 = county.village_a1, county.village_a2
    assert [m.pk for m in attendees_on(branch=a1, on=dt.date(2022, 6, 30))] == [zhang.pk]  # 陈晨 joined on 1 July
    assert {m.pk for m in attendees_on(branch=a1, on=dt.date(2022, 7, 1))} == {zhang.pk, chen.pk}
    member_transfer(actor=None, member=lin, to_branch=a1, on=dt.date(2024, 3, 1))
    assert lin.pk not in {m.pk for m in attendees_on(branch=a1, on=dt.date(2024, 2, 29))}
    assert lin.pk in {m.pk for m in attendees_on(branch=a1, on=dt.date(2024, 3, 1))}
    assert lin.pk in {m.pk for m in attendees_on(branch=a2, on=dt.date(2024, 2, 29))}
    member_status_change(actor=None, member=zhang, status="死亡", on=dt.date(2024, 5, 1))
    assert zhang.pk in {m.pk for m in attendees_on(branch=a1, on=dt.date(2024, 4, 30))}
    assert zhang.pk not in {m.pk for m in attendees_on(branch=a1, on=dt.date(2024, 5, 1))}


def test_a_meeting_in_the_future_or_before_founding_is_refused(county):
    before = state()
    with pytest.raises(ValidationError) as exc:
        record(county.village_a1, when=timezone.now() + dt.timedelta(minutes=5))
    assert "不能晚于当前时间" in str(exc.value.message_dict["held_at"])
    with pytest.raises(ValidationError) as exc:
        record(county.village_a1, when=dt.datetime(1979, 12, 31, 9, tzinfo=SHANGHAI))  # founded 1980-01-01
    assert "成立日期" in str(exc.value.message_dict["held_at"])
    with pytest.raises(ValidationError) as exc:
        record(county.village_a1, kind="座谈会")
    assert "未知的会议类型" in str(exc.value.message_dict["kind"])
    with pytest.raises(ValidationError) as exc:
        record(county.township_a)
    assert "只能由党支部或党总支登记" in str(exc.value.message_dict["branch"])
    with pytest.raises(ValidationError) as exc:
        record(county.village_a1, expected_count=5, present_count=6)
    assert "多于应到人数" in str(exc.value.message_dict["present_count"])
    with pytest.raises(ValidationError) as exc:  # a blank 应到 is 0
        record(county.village_a1, present_count=5)
    assert "实到人数 5 多于应到人数 0" in str(exc.value.message_dict["present_count"])
    assert state() == before


def test_naive_times_are_shanghai_wall_clock(county):
    meeting = record(county.village_a1, when=dt.datetime(2025, 4, 1, 0, 10))
    assert meeting.held_on == dt.date(2025, 4, 1)
    assert meeting.held_at == dt.datetime(2025, 3, 31, 16, 10, tzinfo=dt.UTC)


def test_backfilled_after_more_than_15_days(county):
    assert record(county.village_a1, when=days_ago(15)).backfilled is False
    late = record(county.village_a1, when=days_ago(16))
    assert late.backfilled is True
    assert "补录" in AuditEvent.objects.get(object_type="meetings.meeting", object_id=str(late.pk)).note


def test_double_tap_saves_one_meeting(county, secretary):
    first = record(county.village_a1, actor=secretary, submission_key="k-1")
    count = state()
    again = record(county.village_a1, actor=secretary, submission_key="k-1")
    assert again.pk == first.pk and state() == count
    with pytest.raises(ValidationError) as exc:  # the same meeting again without the key
        record(county.village_a1, actor=secretary, when=first.held_at)
    assert "已登记过一次“主题党日”" in str(exc.value.message_dict["held_at"])
    assert state() == count


def test_scope_is_checked_before_anything(county, secretary):
    before = state()
    with pytest.raises(NotInScope):
        record(county.village_a2, actor=secretary)
    assert state() == before


def test_editing_an_old_meeting_needs_a_reason(county):
    recent = record(county.village_a1, when=days_ago(30))
    meeting_update(actor=None, meeting=recent, topic="学习新党章")  # 30 days: no reason needed
    old = record(county.village_a1, when=days_ago(31), kind="党课")
    with pytest.raises(ValidationError) as exc:
        meeting_update(actor=None, meeting=old, topic="改过的主题")
    assert "须填写原因" in str(exc.value.message_dict["reason"])
    old.refresh_from_db()
    assert old.topic == "学习党章" and old.late_edit_reason == ""
    meeting_update(actor=None, meeting=old, topic="改过的主题", reason="记录笔误")
    old.refresh_from_db()
    assert old.topic == "改过的主题" and old.late_edit_reason == "记录笔误" and old.late_edited_at is not None
    event = AuditEvent.objects.filter(object_type="meetings.meeting", object_id=str(old.pk), action="update").get()
    assert event.before == {"topic": "学习党章"} and event.after == {"topic": "改过的主题"}
    assert event.note == "逾期修改，原因：记录笔误"
    # Moving a recent meeting to a date 31 days back counts as late too.
    with pytest.raises(ValidationError):
        meeting_update(actor=None, meeting=recent, held_at=days_ago(31))


def test_changing_attendance_replaces_the_list(county, people):
    zhang, chen, _ = people
    meeting = record(
        county.village_a1, attendance=[AttendanceEntry(zhang.pk, "出席"), AttendanceEntry(chen.pk, "缺席")]
    )
    meeting_update(
        actor=None, meeting=meeting, attendance=[AttendanceEntry(zhang.pk, "出席"), AttendanceEntry(chen.pk, "出席")]
    )
    meeting.refresh_from_db()
    assert (meeting.expected_count, meeting.present_count) == (2, 2)
    assert set(meeting.attendance.values_list("status", flat=True)) == {"出席"}
    event = AuditEvent.objects.get(object_type="meetings.meeting", object_id=str(meeting.pk), action="update")
    assert event.before["attendance"] == "出席 1 人；缺席 1 人：陈晨"
    assert event.after["attendance"] == "出席 2 人"


def test_delete_needs_a_reason_and_is_audited(county):
    meeting = record(county.village_a1)
    with pytest.raises(ValidationError):
        meeting_delete(actor=None, meeting=meeting, reason=" ")
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    pk = meeting.pk
    meeting_delete(actor=None, meeting=meeting, reason="重复登记")
    assert not Meeting.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(object_type="meetings.meeting", object_id=str(pk), action="delete")
    assert event.note == "重复登记" and event.before["topic"] == "学习党章"


def upload(name, content):
    return SimpleUploadedFile(name, content)


def test_attachments_are_checked_by_content(county, monkeypatch):
    meeting = record(county.village_a1, files=[upload("现场.png", PNG), upload("记录.pdf", PDF)])
    stored = list(meeting.attachments.order_by("id"))
    assert [(a.name, a.content_type, a.extension) for a in stored] == [
        ("现场.png", "image/png", ".png"),
        ("记录.pdf", "application/pdf", ".pdf"),
    ]
    assert stored[0].file.read() == PNG and stored[0].size == len(PNG)
    before = state()
    with pytest.raises(ValidationError) as exc:
        record(county.village_a1, kind="党课", files=[upload("照片.jpg", b"just some text, renamed")])
    assert "不是 JPG、PNG 图片或 PDF 文件" in str(exc.value.message_dict["attachments"])
    monkeypatch.setattr("core.attachments.MAX_BYTES", 32)
    with pytest.raises(ValidationError) as exc:
        attachment_add(actor=None, meeting=meeting, files=[upload("大.png", PNG)])
    assert "大小超过" in str(exc.value.message_dict["attachments"])
    assert state() == before


def test_only_county_admins_change_standards(county, township_admin, county_admin):
    standard = MeetingStandard.objects.get(kind="党课")
    with pytest.raises(PermissionDenied):
        standard_update(actor=township_admin, standard=standard, period_type="month", min_count=1, exemption="")
    with pytest.raises(ValidationError):
        standard_update(actor=county_admin, standard=standard, period_type="week", min_count=1, exemption="")
    standard_update(actor=county_admin, standard=standard, period_type="month", min_count=2, exemption="")
    standard.refresh_from_db()
    assert (standard.period_type, standard.min_count) == ("month", 2)
    event = AuditEvent.objects.get(object_type="meetings.meetingstandard", action="update")
    assert event.before == {"period_type": "quarter", "min_count": 1} and event.after == {
        "period_type": "month",
        "min_count": 2,
    }
