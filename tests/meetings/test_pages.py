"""Meeting pages through the test client: what each role sees and may do, the form's attendance, 补录 and late-edit
reasons, attachments served with the right headers, and scope (a sibling township gets 404 and changes nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from meetings.models import Attendance, Meeting, MeetingStandard
from meetings.services import AttendanceEntry, meeting_record
from members.services import member_create
from tests.conftest import PASSWORD
from tests.members.helpers import CHEN_CHEN, ZHANG_WEI

SHANGHAI = timezone.get_default_timezone()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def members_a1(county):
    a1 = county.village_a1
    zhang = member_create(
        actor=None, name="张伟", id_number=ZHANG_WEI, branch=a1, category="正式党员", joined_on=dt.date(2010, 7, 1)
    )
    chen = member_create(
        actor=None, name="陈晨", id_number=CHEN_CHEN, branch=a1, category="正式党员", joined_on=dt.date(2022, 7, 1)
    )
    return zhang, chen


def form_data(branch, members, **extra):
    now = timezone.localtime() - dt.timedelta(hours=1)
    data = {
        "branch": branch.pk,
        "kind": "主题党日",
        "held_date": now.date().isoformat(),
        "held_time": now.strftime("%H:%M"),
        "topic": "学习贯彻党的二十大精神",
        "place": "村部会议室",
        "host": "张伟",
        "recorder": "陈晨",
        "minutes": "",
        "submission_key": "key-1",
    }
    for m in members:
        data[f"att-{m.pk}"] = "出席"
        data[f"reason-{m.pk}"] = ""
    data.update(extra)
    return data


def test_secretary_lands_on_the_branch_todo_list(client, secretary, county):
    login(client, secretary)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboards:secretary")
    page = response.content.decode()
    assert "东街村党支部" in page and "还需召开" in page
    assert "支部委员会会议" in page  # a1 has a committee: it owes one this month
    assert "党小组会" not in page  # and no party groups


def test_the_form_lists_the_members_of_the_branch_on_the_day(client, secretary, members_a1):
    login(client, secretary)
    page = client.get(reverse("meetings:create")).content.decode()
    assert "张伟" in page and "陈晨" in page
    fragment = client.get(reverse("meetings:attendees"), {"branch": members_a1[0].branch_id, "held_date": "2022-06-30"})
    text = fragment.content.decode()
    assert "张伟" in text and "陈晨" not in text  # 陈晨 joined on 1 July 2022


def test_recording_a_meeting_with_one_leave(client, secretary, county, members_a1):
    zhang, chen = members_a1
    login(client, secretary)
    data = form_data(county.village_a1, members_a1, **{f"att-{chen.pk}": "请假", f"reason-{chen.pk}": "外出务工"})
    data["attachments"] = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    response = client.post(reverse("meetings:create"), data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("meetings:detail", args=[meeting.pk])
    assert (meeting.expected_count, meeting.present_count, meeting.leave_count) == (2, 1, 1)
    assert Attendance.objects.get(member=chen).reason == "外出务工"
    # The double tap: the same form again saves nothing more and lands on the same meeting.
    data["attachments"] = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    again = client.post(reverse("meetings:create"), data)
    assert again["Location"] == response["Location"] and Meeting.objects.count() == 1
    attachment = meeting.attachments.get()
    served = client.get(reverse("meetings:attachment", args=[attachment.pk]))
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == PNG
    detail = client.get(response["Location"]).content.decode()
    assert "外出务工" in detail and "现场.png" in detail


def test_refused_form_keeps_the_choices_and_saves_nothing(client, secretary, county, members_a1):
    zhang, chen = members_a1
    login(client, secretary)
    audit = AuditEvent.objects.count()
    data = form_data(county.village_a1, members_a1, **{f"att-{chen.pk}": "请假"})  # leave without a reason
    response = client.post(reverse("meetings:create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "陈晨请假，须填写请假原因" in page
    assert f'name="att-{chen.pk}" id="att-{chen.pk}-2" value="请假" autocomplete="off" checked' in page
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(
        reverse("meetings:create"), form_data(county.village_a1, members_a1, held_date=tomorrow.isoformat())
    )
    assert response.status_code == 400 and "不能晚于当前时间" in response.content.decode()
    assert Meeting.objects.count() == 0 and AuditEvent.objects.count() == audit


def test_out_of_scope_is_not_found_and_changes_nothing(client, sibling_admin, secretary, county, members_a1):
    meeting = meeting_record(
        actor=None, branch=county.village_a1, kind="党课", held_at=timezone.now() - dt.timedelta(days=1), topic="党课"
    )
    login(client, sibling_admin)
    for name in ("meetings:detail", "meetings:update", "meetings:calendar"):
        pk = meeting.pk if name != "meetings:calendar" else county.village_a1.pk
        assert client.get(reverse(name, args=[pk])).status_code == 404
    assert client.post(reverse("meetings:delete", args=[meeting.pk]), {"reason": "x"}).status_code == 404
    response = client.post(reverse("meetings:create"), form_data(county.village_a1, members_a1))
    assert response.status_code == 400  # a1 is not among the branches this account may choose
    assert Meeting.objects.count() == 1
    assert client.get(reverse("meetings:compliance"), {"organization": county.township_a.pk}).status_code == 404


def test_old_meetings_need_a_reason_to_change(client, secretary, county, members_a1):
    old = meeting_record(
        actor=None,
        branch=county.village_a1,
        kind="党课",
        held_at=timezone.now() - dt.timedelta(days=40),
        topic="旧主题",
        attendance=[AttendanceEntry(m.pk, "出席") for m in members_a1],
    )
    login(client, secretary)
    page = client.get(reverse("meetings:update", args=[old.pk])).content.decode()
    assert "修改须说明原因" in page
    local = timezone.localtime(old.held_at)
    data = {
        "kind": "党课",
        "held_date": local.date().isoformat(),
        "held_time": local.strftime("%H:%M"),
        "topic": "新主题",
        **{f"att-{m.pk}": "出席" for m in members_a1},
    }
    assert client.post(reverse("meetings:update", args=[old.pk]), data).status_code == 400
    old.refresh_from_db()
    assert old.topic == "旧主题"
    response = client.post(reverse("meetings:update", args=[old.pk]), {**data, "reason": "主题录错"})
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.topic == "新主题" and old.late_edit_reason == "主题录错"
    # The township and county find late edits and back-filled meetings on the list.
    listed = client.get(reverse("meetings:list"), {"late_edited": "1"}).content.decode().split("<tbody>")[1]
    assert "新主题" in listed and "逾期修改" in listed
    assert (
        "新主题" not in client.get(reverse("meetings:list"), {"late_edited": "0"}).content.decode().split("<tbody>")[1]
    )
    assert "新主题" in client.get(reverse("meetings:list"), {"backfilled": "1"}).content.decode().split("<tbody>")[1]


def test_compliance_page_of_the_county(client, county_admin, county):
    meeting_record(
        actor=None,
        branch=county.village_a1,
        kind="主题党日",
        held_at=dt.datetime(2025, 1, 5, 9, tzinfo=SHANGHAI),
        topic="x",
    )
    login(client, county_admin)
    page = client.get(reverse("meetings:compliance"), {"year": 2025}).content.decode()
    for name in ("城关镇党委", "石门镇党委", "县财政局机关党支部"):
        assert name in page
    export = client.get(reverse("meetings:compliance"), {"year": 2025, "export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_overdue_page_lists_missed_requirements(client, township_admin, county):
    login(client, township_admin)
    page = client.get(reverse("meetings:overdue"), {"year": 2025}).content.decode()
    assert "东街村党支部" in page and "2025-Q4" in page and "北山村党支部" not in page


def test_standards_page_edit_is_for_the_county(client, county_admin, township_admin):
    standard = MeetingStandard.objects.get(kind="党课")
    login(client, township_admin)
    assert "修改" not in client.get(reverse("meetings:standards")).content.decode().split("<tbody>")[1]
    assert client.get(reverse("meetings:standard_edit", args=[standard.pk])).status_code == 403
    client.logout()
    login(client, county_admin)
    response = client.post(
        reverse("meetings:standard_edit", args=[standard.pk]),
        {"period_type": "month", "min_count": 1, "exemption": "", "note": ""},
    )
    assert response.status_code == 302
    standard.refresh_from_db()
    assert standard.period_type == "month"


def test_meeting_list_exports_what_it_shows(client, county_admin, county):
    meeting_record(
        actor=None,
        branch=county.village_a1,
        kind="党课",
        held_at=dt.datetime(2025, 3, 5, 9, tzinfo=SHANGHAI),
        topic="=1+1",
    )
    meeting_record(
        actor=None,
        branch=county.village_b1,
        kind="党课",
        held_at=dt.datetime(2025, 3, 6, 9, tzinfo=SHANGHAI),
        topic="b",
    )
    login(client, county_admin)
    page = client.get(reverse("meetings:list"), {"organization": county.township_a.pk}).content.decode()
    table = page.split("<tbody>")[1]
    assert "=1+1" in table and "北山村党支部" not in table
    response = client.get(reverse("meetings:list"), {"organization": county.township_a.pk, "export": "xlsx"})
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("支部代码", "支部名称", "会议类型", "召开时间")
    assert [r[0] for r in rows[1:]] == ["C01001"] and rows[1][5] == "=1+1"
