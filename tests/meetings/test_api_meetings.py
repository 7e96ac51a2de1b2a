"""REST API of 三会一课 records: /api/meetings/ (list, retrieve, create, partial update, delete), its attachments and
the attendees of a day. Every write goes through meetings.services (which writes the audit row); a sibling township
or another branch's secretary gets 404 and nothing changes; the leader reads but every write is 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from meetings.models import Attendance, Meeting, MeetingAttachment
from meetings.services import attachment_add
from members.services import member_status_change, member_transfer
from tests.meetings.api_helpers import (
    JPEG,
    PDF,
    TEXT_AS_JPG,
    D,
    assert_chinese_error,
    at,
    audit_rows,
    counts,
    ids,
    make_member,
    record,
    unchanged,
    upload,
)

pytestmark = pytest.mark.django_db

URL = "/api/meetings/"
READ_ONLY = "本账号为只读账号，不能登记、修改或删除会议。"


@pytest.fixture
def people(county):
    """党员1–3 in 东街村 (a1) since 2010; 党员4 in 西街村 (a2); 党员5 in 北山村 (b1, township B)."""
    a1 = [make_member(county.village_a1, n) for n in (1, 2, 3)]
    return {"a1": a1, "a2": make_member(county.village_a2, 4), "b1": make_member(county.village_b1, 5)}


@pytest.fixture
def m_a1(county, people):
    """主题党日 of 东街村 on 10 March 2025, 9:00: 党员1 出席, 党员2 请假 (外出务工), 党员3 缺席."""
    p1, p2, p3 = people["a1"]
    return record(
        county.village_a1,
        "主题党日",
        at(2025, 3, 10),
        attendance=[(p1.pk, "出席"), (p2.pk, "请假", "外出务工"), (p3.pk, "缺席")],
        place="村部会议室",
    )


@pytest.fixture
def m_a2(county):
    return record(county.village_a2, "党课", at(2025, 2, 1))


@pytest.fixture
def m_b1(county):
    return record(county.village_b1, "支部党员大会", at(2025, 1, 5))


@pytest.fixture
def recent(county):
    """A 主题党日 of 东街村 held two days ago: not back-filled, editable without a reason."""
    return record(county.village_a1, "主题党日", timezone.now() - dt.timedelta(days=2), topic="学习二十大精神")


def _new(branch, **extra) -> dict:
    return {"branch_id": branch.pk, "kind": "支部党员大会", "held_at": "2025-05-06T15:00:00", "topic": "党员大会",
            **extra}  # fmt: skip


def _delete(client, meeting, reason="误登记"):
    return client.delete(f"{URL}{meeting.pk}/?reason={reason}")


# --- Who may do what -------------------------------------------------------------------------------------------------


def test_anonymous_is_refused(county, m_a1, api_as):
    client = api_as(None)
    attachment = attachment_add(actor=None, meeting=m_a1, files=[upload()])[0]
    for url in (URL, f"{URL}{m_a1.pk}/", f"{URL}attendees/?branch={county.village_a1.pk}&on=2025-03-10"):
        assert client.get(url).status_code in (401, 403), url
    with unchanged(m_a1, attachment):
        assert client.post(URL, _new(county.village_a1), format="json").status_code in (401, 403)
        assert client.patch(f"{URL}{m_a1.pk}/", {"topic": "改"}, format="json").status_code in (401, 403)
        assert _delete(client, m_a1).status_code in (401, 403)
        response = client.post(f"{URL}{m_a1.pk}/attachments/", {"file": upload()}, format="multipart")
        assert response.status_code in (401, 403)
        assert client.delete(f"{URL}{m_a1.pk}/attachments/{attachment.pk}/").status_code in (401, 403)


def test_each_role_lists_its_subtree(
    county, m_a1, m_a2, m_b1, county_admin, township_admin, secretary, sibling_admin, leader, inspector, api_as
):
    expected = {
        county_admin: {m_a1.pk, m_a2.pk, m_b1.pk},
        leader: {m_a1.pk, m_a2.pk, m_b1.pk},
        inspector: {m_a1.pk, m_a2.pk, m_b1.pk},
        township_admin: {m_a1.pk, m_a2.pk},
        secretary: {m_a1.pk},
        sibling_admin: {m_b1.pk},
    }
    for user, meetings in expected.items():
        assert ids(api_as(user).get(URL)) == meetings, user.username


def test_retrieve_shows_attendance_by_name_and_attachments(county, people, m_a1, secretary, api_as):
    p1, p2, p3 = people["a1"]
    attachment = attachment_add(actor=None, meeting=m_a1, files=[upload()])[0]
    body = api_as(secretary).get(f"{URL}{m_a1.pk}/").json()
    assert body["branch"] == {"id": county.village_a1.pk, "code": "C01001", "name": "东街村党支部", "kind": "党支部"}
    assert (body["kind"], body["held_at"], body["held_on"], body["place"]) == (
        "主题党日", "2025-03-10T09:00:00+08:00", "2025-03-10", "村部会议室"
    )  # fmt: skip
    # counts derive from the list: 3 listed, 1 出席, 1 请假; recorded long after 10 March 2025, so 补录
    assert (body["expected_count"], body["present_count"], body["leave_count"]) == (3, 1, 1)
    assert body["attendance_rate"] == pytest.approx(1 / 3)
    assert (body["has_attendance"], body["backfilled"], body["created_by"]) == (True, True, None)
    assert body["attendance"] == [
        {"member": p1.pk, "name": "党员1", "status": "出席", "reason": ""},
        {"member": p2.pk, "name": "党员2", "status": "请假", "reason": "外出务工"},
        {"member": p3.pk, "name": "党员3", "status": "缺席", "reason": ""},
    ]
    [shown] = body["attachments"]
    assert {k: shown[k] for k in ("id", "name", "type", "size", "url")} == {
        "id": attachment.pk,
        "name": "合影.jpg",
        "type": "image/jpeg",
        "size": len(JPEG),
        "url": f"/meetings/attachments/{attachment.pk}/",
    }


def test_sibling_township_gets_404_and_nothing_changes(county, people, m_a1, sibling_admin, api_as):
    client = api_as(sibling_admin)
    attachment = attachment_add(actor=None, meeting=m_a1, files=[upload()])[0]
    outside, missing = client.get(f"{URL}{m_a1.pk}/"), client.get(f"{URL}999999/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    with unchanged(m_a1, attachment):
        assert client.patch(f"{URL}{m_a1.pk}/", {"topic": "改", "reason": "核对"}, format="json").status_code == 404
        assert _delete(client, m_a1).status_code == 404
        response = client.post(f"{URL}{m_a1.pk}/attachments/", {"file": upload()}, format="multipart")
        assert response.status_code == 404
        assert client.delete(f"{URL}{m_a1.pk}/attachments/{attachment.pk}/").status_code == 404
        assert client.get(f"{URL}attendees/", {"branch": county.village_a1.pk, "on": "2025-03-10"}).status_code == 404
        # a branch id in the body: "not found", the same answer as for a missing one
        assert_chinese_error(client.post(URL, _new(county.village_a1), format="json"), "branch_id")
        assert_chinese_error(client.post(URL, _new(county.village_b1, branch_id=999999), format="json"), "branch_id")


def test_secretary_writes_only_her_own_branch(county, m_a1, m_a2, secretary, api_as):
    client = api_as(secretary)
    assert client.get(f"{URL}{m_a2.pk}/").status_code == 404
    with unchanged(m_a1, m_a2):
        assert client.patch(f"{URL}{m_a2.pk}/", {"topic": "改", "reason": "核对"}, format="json").status_code == 404
        assert _delete(client, m_a2).status_code == 404
        assert client.post(f"{URL}{m_a2.pk}/attachments/", {"file": upload()}, format="multipart").status_code == 404
        assert client.get(f"{URL}attendees/", {"branch": county.village_a2.pk}).status_code == 404
        assert_chinese_error(client.post(URL, _new(county.village_a2), format="json"), "branch_id")


@pytest.mark.parametrize("who", ["leader", "inspector"])
def test_read_only_roles_read_and_every_write_is_403(who, request, county, people, m_a1, api_as):
    client = api_as(request.getfixturevalue(who))
    attachment = attachment_add(actor=None, meeting=m_a1, files=[upload()])[0]
    assert client.get(f"{URL}{m_a1.pk}/").json()["id"] == m_a1.pk
    assert len(client.get(f"{URL}attendees/", {"branch": county.village_a1.pk, "on": "2025-03-10"}).json()) == 3
    with unchanged(m_a1, attachment):
        responses = [
            client.post(URL, _new(county.village_a1), format="json"),
            client.patch(f"{URL}{m_a1.pk}/", {"topic": "改", "reason": "核对"}, format="json"),
            _delete(client, m_a1),
            client.post(f"{URL}{m_a1.pk}/attachments/", {"file": upload()}, format="multipart"),
            client.delete(f"{URL}{m_a1.pk}/attachments/{attachment.pk}/"),
        ]
    assert [(r.status_code, r.json()) for r in responses] == [(403, {"detail": READ_ONLY})] * 5


def test_the_county_admin_writes_anywhere(county, m_b1, county_admin, api_as):
    client = api_as(county_admin)
    response = client.patch(f"{URL}{m_b1.pk}/", {"host": "李书记", "reason": "补填主持人"}, format="json")
    assert (response.status_code, response.json()["host"]) == (200, "李书记")
    response = client.post(f"{URL}{m_b1.pk}/attachments/", {"file": upload(PDF, "记录.pdf")}, format="multipart")
    assert response.status_code == 201
    assert _delete(client, m_b1, "乡镇重复上报").status_code == 204
    assert not Meeting.objects.filter(pk=m_b1.pk).exists() and MeetingAttachment.objects.count() == 0
    assert [e.actor for e in audit_rows(Meeting, m_b1.pk, "update") + audit_rows(Meeting, m_b1.pk, "delete")] == [
        county_admin,
        county_admin,
    ]


# --- Create ---------------------------------------------------------------------------------------------------------


def test_secretary_records_a_meeting_with_its_attendance(county, people, secretary, api_as):
    p1, p2, p3 = people["a1"]
    data = _new(
        county.village_a1,
        # 16:10 UTC on 31 March is 00:10 on 1 April in Asia/Shanghai: the meeting belongs to 1 April (Q2)
        held_at="2025-03-31T16:10:00Z",
        topic="  第二季度党员大会 ",
        host="王书记",
        attendance=[{"member": p1.pk, "status": "出席"}, {"member": p2.pk, "status": "出席"},
                    {"member": p3.pk, "status": "请假", "reason": "住院"}],
    )  # fmt: skip
    response = api_as(secretary).post(URL, data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["held_at"], body["held_on"], body["topic"], body["host"]) == (
        "2025-04-01T00:10:00+08:00", "2025-04-01", "第二季度党员大会", "王书记"
    )  # fmt: skip
    assert (body["expected_count"], body["present_count"], body["leave_count"], body["created_by"]) == (
        3, 2, 1, "secretary"
    )  # fmt: skip
    assert [(a["name"], a["status"], a["reason"]) for a in body["attendance"]] == [
        ("党员1", "出席", ""), ("党员2", "出席", ""), ("党员3", "请假", "住院")
    ]  # fmt: skip
    meeting = Meeting.objects.get(pk=body["id"])
    assert (meeting.branch, meeting.kind, meeting.held_on, meeting.backfilled) == (
        county.village_a1, "支部党员大会", D(2025, 4, 1), True
    )  # fmt: skip
    assert sorted(meeting.attendance.values_list("member_id", "status")) == sorted(
        [(p1.pk, "出席"), (p2.pk, "出席"), (p3.pk, "请假")]
    )
    [event] = audit_rows(Meeting, meeting.pk, "create")
    assert (event.actor, event.org_path, event.note) == (
        secretary,
        county.village_a1.path,
        "补录：召开后超过 15 天登记",
    )
    assert event.after["attendance"] == "出席 2 人；请假 1 人：党员3（住院）"


def test_a_historical_meeting_with_bare_counts(county, county_admin, api_as):
    data = _new(
        county.village_a2, kind="党课", held_at="2024-11-20T09:30:00+08:00", expected_count=12, present_count=10
    )
    response = api_as(county_admin).post(URL, data, format="json")
    assert response.status_code == 201, response.content
    meeting = Meeting.objects.get(pk=response.json()["id"])
    assert (meeting.has_attendance, meeting.expected_count, meeting.present_count, meeting.held_on) == (
        False, 12, 10, D(2024, 11, 20)
    )  # fmt: skip
    assert response.json()["attendance"] == [] and Attendance.objects.count() == 0
    assert len(audit_rows(Meeting, meeting.pk, "create")) == 1


def test_bad_input_is_a_chinese_400_and_saves_nothing(county, people, secretary, api_as):
    p1 = people["a1"][0]
    late = make_member(county.village_a1, 6, joined=D(2025, 6, 1))  # joined the party (and 东街村) on 1 June 2025
    moved = people["a2"]
    member_transfer(actor=None, member=moved, to_branch=county.village_a1, on=D(2025, 6, 1))  # from 西街村 on 1 June
    soon = (timezone.localtime() + dt.timedelta(hours=1)).isoformat()
    present = {"member": p1.pk, "status": "出席"}
    cases = [
        ({"held_at": soon}, "held_at", "召开时间不能晚于当前时间（不能登记尚未召开的会议）。"),
        ({"kind": "支部大会"}, "kind", "未知的会议类型“支部大会”，应为：支部党员大会、支部委员会会议、党小组会、党课、"
                                       "主题党日、组织生活会、民主评议党员"),
        ({"attendance": [present, {"member": people["b1"].pk, "status": "出席"}]}, "attendance",
         f"党员 #{people['b1'].pk} 在 2025-05-06 不是东街村党支部的党员，不能登记出席。"),
        ({"attendance": [present, {"member": late.pk, "status": "出席"}]}, "attendance",
         f"党员 #{late.pk} 在 2025-05-06 不是东街村党支部的党员，不能登记出席。"),
        ({"attendance": [present, {"member": moved.pk, "status": "出席"}]}, "attendance",
         f"党员 #{moved.pk} 在 2025-05-06 不是东街村党支部的党员，不能登记出席。"),
        ({"attendance": [present, {"member": people["a1"][1].pk, "status": "请假"}]}, "attendance",
         "党员2请假，须填写请假原因。"),
        ({"attendance": [{"member": p1.pk, "status": "迟到"}]}, "attendance", "出席情况“迟到”无效"),
        ({"attendance": [present, present]}, "attendance", f"党员 #{p1.pk} 在名单中出现了两次。"),
        ({"expected_count": 5, "present_count": 6}, "present_count", "实到人数 6 多于应到人数 5。"),
        ({"attendance": [present], "expected_count": 9}, "expected_count", "人数由名单得出"),
        ({"topic": "   "}, "topic", "请填写会议主题。"),
        ({"held_at": "2025-13-01T09:00:00"}, "held_at", "日期时间格式错误"),
    ]  # fmt: skip
    client = api_as(secretary)
    for extra, field, message in cases:
        with unchanged():
            response = client.post(URL, _new(county.village_a1, **extra), format="json")
        assert message in assert_chinese_error(response, field), (extra, response.json())
    # after the transfer and the joining the same people may be listed
    data = _new(county.village_a1, held_at="2025-06-02T09:00:00", attendance=[
        present, {"member": late.pk, "status": "出席"}, {"member": moved.pk, "status": "缺席"}])  # fmt: skip
    assert client.post(URL, data, format="json").status_code == 201


def test_a_township_is_no_meeting_holder(county, township_admin, api_as):
    with unchanged():
        response = api_as(township_admin).post(URL, _new(county.township_a), format="json")
    assert assert_chinese_error(response, "branch_id") == "城关镇党委是党委，三会一课只能由党支部或党总支登记"


def test_a_double_submission_saves_one_meeting(county, people, secretary, county_admin, api_as):
    client = api_as(secretary)
    p1 = people["a1"][0]
    data = _new(county.village_a1, submission_key="form-7f3a", attendance=[{"member": p1.pk, "status": "出席"}])
    first = client.post(URL, data, format="json")
    assert first.status_code == 201, first.content
    before = counts()
    again = client.post(URL, data, format="json")
    changed = client.post(URL, {**data, "topic": "改了主题再点一次"}, format="json")
    assert (again.status_code, changed.status_code) == (200, 200)
    assert again.json() == changed.json() == first.json()
    assert counts() == before
    assert Meeting.objects.filter(submission_key="form-7f3a").count() == 1
    assert len(audit_rows(Meeting, first.json()["id"], "create")) == 1
    # the key belongs to 东街村's meeting: another branch cannot reuse it
    with unchanged():
        response = api_as(county_admin).post(
            URL, {**_new(county.village_a2), "submission_key": "form-7f3a"}, format="json"
        )
    assert assert_chinese_error(response, "submission_key") == "提交标识已被其他会议使用，请刷新页面后重新填写。"


def test_the_same_meeting_twice_without_a_key_is_refused(county, secretary, api_as):
    client = api_as(secretary)
    assert (
        client.post(URL, _new(county.village_a1, expected_count=3, present_count=3), format="json").status_code == 201
    )
    with unchanged():
        response = client.post(URL, _new(county.village_a1, expected_count=3, present_count=3), format="json")
    assert "已登记过一次“支部党员大会”" in assert_chinese_error(response, "held_at")


# --- Update and delete ----------------------------------------------------------------------------------------------


def test_a_recent_meeting_is_edited_without_a_reason(county, recent, secretary, api_as):
    response = api_as(secretary).patch(
        f"{URL}{recent.pk}/", {"place": "党群服务中心", "expected_count": 5, "present_count": 5}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["place"], response.json()["present_count"]) == ("党群服务中心", 5)
    recent.refresh_from_db()
    assert (recent.place, recent.expected_count, recent.present_count, recent.late_edit_reason) == (
        "党群服务中心", 5, 5, ""
    )  # fmt: skip
    [event] = audit_rows(Meeting, recent.pk, "update")
    assert event.actor == secretary
    assert (event.before["place"], event.after["place"]) == ("", "党群服务中心")


def test_a_meeting_older_than_30_days_needs_a_reason(county, people, m_a1, secretary, api_as):
    client = api_as(secretary)
    with unchanged(m_a1):
        response = client.patch(f"{URL}{m_a1.pk}/", {"topic": "学习新党章"}, format="json")
    assert assert_chinese_error(response, "reason") == "该会议召开已超过 30 天，修改须填写原因。"
    with unchanged(m_a1):
        response = client.patch(f"{URL}{m_a1.pk}/", {"topic": "学习新党章", "reason": "   "}, format="json")
    assert_chinese_error(response, "reason")

    response = client.patch(f"{URL}{m_a1.pk}/", {"topic": "学习新党章", "reason": "主题录错"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["topic"], response.json()["late_edit_reason"]) == ("学习新党章", "主题录错")
    m_a1.refresh_from_db()
    assert (m_a1.topic, m_a1.late_edit_reason) == ("学习新党章", "主题录错") and m_a1.late_edited_at is not None
    [event] = audit_rows(Meeting, m_a1.pk, "update")
    assert (event.note, event.before["topic"], event.after["topic"]) == (
        "逾期修改，原因：主题录错",
        "学习党章",
        "学习新党章",
    )


def test_a_new_attendance_list_replaces_the_old_one(county, people, m_a1, secretary, api_as):
    p1, p2, _ = people["a1"]
    data = {"attendance": [{"member": p1.pk, "status": "出席"}, {"member": p2.pk, "status": "出席"}], "reason": "补签"}
    response = api_as(secretary).patch(f"{URL}{m_a1.pk}/", data, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["expected_count"], body["present_count"], body["leave_count"]) == (2, 2, 0)
    assert [(a["name"], a["status"]) for a in body["attendance"]] == [("党员1", "出席"), ("党员2", "出席")]
    assert sorted(Attendance.objects.filter(meeting=m_a1).values_list("member_id", flat=True)) == [p1.pk, p2.pk]


def test_bad_edits_are_400s_and_change_nothing(county, people, m_a1, recent, secretary, api_as):
    client = api_as(secretary)
    soon = (timezone.localtime() + dt.timedelta(hours=1)).isoformat()
    cases = [
        (recent, {"held_at": soon}, "held_at", "召开时间不能晚于当前时间"),
        (recent, {"kind": "座谈会"}, "kind", "未知的会议类型“座谈会”"),
        (recent, {"present_count": 9}, "present_count", "实到人数 9 多于应到人数 4。"),
        (recent, {"topic": ""}, "topic", "请填写会议主题。"),
        (recent, {"attendance": [{"member": people["b1"].pk, "status": "出席"}]}, "attendance", "不是东街村党支部的党员"),
        (m_a1, {"present_count": 1, "reason": "核对"}, "expected_count", "该会议有签到名单，人数由名单得出"),
        # moving a recent meeting back by more than 30 days needs a reason as well
        (recent, {"held_at": "2025-01-02T09:00:00"}, "reason", "该会议召开已超过 30 天，修改须填写原因。"),
        (recent, {"reason": "只写了原因"}, "non_field_errors", "请至少修改一项。"),
    ]  # fmt: skip
    for meeting, data, field, message in cases:
        with unchanged(m_a1, recent):
            response = client.patch(f"{URL}{meeting.pk}/", data, format="json")
        assert message in assert_chinese_error(response, field), (data, response.json())
    assert client.put(f"{URL}{recent.pk}/", {"topic": "整体替换"}, format="json").status_code == 405


def test_delete_needs_a_reason_and_is_audited(county, people, m_a1, recent, secretary, api_as):
    client = api_as(secretary)
    with unchanged(m_a1):
        response = client.delete(f"{URL}{m_a1.pk}/")
    assert assert_chinese_error(response, "reason") == "删除会议须填写原因。"
    with unchanged(m_a1):
        assert_chinese_error(client.delete(f"{URL}{m_a1.pk}/?reason=%20%20"), "reason")

    assert client.delete(f"{URL}{m_a1.pk}/?reason=重复登记").status_code == 204
    assert not Meeting.objects.filter(pk=m_a1.pk).exists()
    assert not Attendance.objects.filter(meeting_id=m_a1.pk).exists()
    [event] = audit_rows(Meeting, m_a1.pk, "delete")
    assert (event.actor, event.note, event.before["topic"]) == (secretary, "重复登记", "学习党章")
    # the reason may come in the body as well
    assert client.delete(f"{URL}{recent.pk}/", {"reason": "测试数据"}, format="json").status_code == 204
    assert [e.note for e in audit_rows(Meeting, recent.pk, "delete")] == ["测试数据"]
    assert client.get(f"{URL}{m_a1.pk}/").status_code == 404


# --- Attachments ----------------------------------------------------------------------------------------------------


def test_upload_photos_and_pdfs(county, m_a1, secretary, api_as):
    client = api_as(secretary)
    files = [upload(), upload(PDF, "会议记录.pdf", "application/pdf")]
    response = client.post(f"{URL}{m_a1.pk}/attachments/", {"file": files}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(a["name"], a["type"], a["size"]) for a in body] == [
        ("合影.jpg", "image/jpeg", len(JPEG)), ("会议记录.pdf", "application/pdf", len(PDF))
    ]  # fmt: skip
    assert [a["url"] for a in body] == [f"/meetings/attachments/{a['id']}/" for a in body]
    stored = list(MeetingAttachment.objects.filter(meeting=m_a1).order_by("id"))
    assert [(a.name, a.extension, a.size) for a in stored] == [
        ("合影.jpg", ".jpg", len(JPEG)),
        ("会议记录.pdf", ".pdf", len(PDF)),
    ]
    assert stored[0].file.read() == JPEG
    assert all(len(audit_rows(MeetingAttachment, a.pk, "create")) == 1 for a in stored)
    detail = client.get(f"{URL}{m_a1.pk}/").json()
    assert [a["id"] for a in detail["attachments"]] == [a.pk for a in stored]
    # the url is the scoped download page
    page = Client()
    page.force_login(secretary)
    download = page.get(body[0]["url"])
    assert (
        download.status_code,
        b"".join(download.streaming_content if download.streaming else [download.content]),
    ) == (
        200,
        JPEG,
    )


def test_wrong_type_too_large_or_no_file_is_refused(county, m_a1, secretary, api_as, monkeypatch):
    client = api_as(secretary)
    url = f"{URL}{m_a1.pk}/attachments/"
    with unchanged(m_a1):
        response = client.post(url, {"file": upload(TEXT_AS_JPG, "合影.jpg")}, format="multipart")
    assert assert_chinese_error(response, "file") == "“合影.jpg”不是 JPG、PNG 图片或 PDF 文件（按文件内容判断）。"
    monkeypatch.setattr("core.attachments.MAX_BYTES", 1024 * 1024)
    big = upload(JPEG + b"\x00" * (1024 * 1024), "大图.jpg")
    with unchanged(m_a1):
        # a good file beside the big one is not kept either: the upload is all or nothing
        response = client.post(url, {"file": [upload(), big]}, format="multipart")
    assert assert_chinese_error(response, "file") == "“大图.jpg”大小超过 1 MB。"
    with unchanged(m_a1):
        response = client.post(url, {}, format="multipart")
    assert_chinese_error(response, "file")
    with unchanged(m_a1):
        response = client.post(url, {"file": upload(b"", "空.pdf")}, format="multipart")
    assert assert_chinese_error(response, "file") == "“空.pdf”是空文件。"


def test_delete_an_attachment(county, m_a1, m_a2, secretary, county_admin, api_as, django_capture_on_commit_callbacks):
    attachment = attachment_add(actor=None, meeting=m_a1, files=[upload()])[0]
    other = attachment_add(actor=None, meeting=m_a2, files=[upload()])[0]
    name, storage = attachment.file.name, attachment.file.storage
    assert storage.exists(name)
    # an attachment of another meeting is not found under this one, even for the county
    with unchanged(attachment, other):
        assert api_as(county_admin).delete(f"{URL}{m_a1.pk}/attachments/{other.pk}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(secretary).delete(f"{URL}{m_a1.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 204
    assert not MeetingAttachment.objects.filter(pk=attachment.pk).exists()
    assert not storage.exists(name)
    [event] = audit_rows(MeetingAttachment, attachment.pk, "delete")
    assert (event.actor, event.before) == (secretary, {"meeting": m_a1.pk, "name": "合影.jpg", "size": len(JPEG)})


# --- Attendees of a day ---------------------------------------------------------------------------------------------


def test_attendees_are_the_members_of_the_branch_that_day(county, people, secretary, api_as):
    p1, p2, p3 = people["a1"]
    late = make_member(county.village_a1, 6, joined=D(2025, 6, 1))
    moved = people["a2"]
    member_transfer(actor=None, member=moved, to_branch=county.village_a1, on=D(2025, 6, 1))
    member_status_change(actor=None, member=p3, status="死亡", on=D(2025, 3, 1))
    client = api_as(secretary)

    def names(on):
        response = client.get(f"{URL}attendees/", {"branch": county.village_a1.pk, "on": on})
        assert response.status_code == 200, response.content
        return [(row["id"], row["name"]) for row in response.json()]

    assert names("2025-02-28") == [(p1.pk, "党员1"), (p2.pk, "党员2"), (p3.pk, "党员3")]
    assert names("2025-03-01") == [(p1.pk, "党员1"), (p2.pk, "党员2")]  # 党员3 died that day
    assert names("2025-05-31") == [(p1.pk, "党员1"), (p2.pk, "党员2")]
    # on 1 June 党员4 came over from 西街村 and 党员6 joined
    assert names("2025-06-01") == [(p1.pk, "党员1"), (p2.pk, "党员2"), (moved.pk, "党员4"), (late.pk, "党员6")]


def test_attendees_refusals(county, people, township_admin, api_as):
    client = api_as(township_admin)
    url = f"{URL}attendees/"
    assert_chinese_error(client.get(url, {"on": "2025-03-01"}), "branch")
    assert_chinese_error(client.get(url, {"branch": county.village_a1.pk, "on": "2025-02-30"}), "on")
    message = assert_chinese_error(client.get(url, {"branch": county.township_a.pk}), "branch")
    assert message == "城关镇党委是党委，三会一课只能由党支部或党总支登记"
    assert client.get(url, {"branch": county.village_b1.pk}).status_code == 404
    assert client.get(url, {"branch": 999999}).status_code == 404
    # without a day: today's members
    assert [r["name"] for r in client.get(url, {"branch": county.village_a1.pk}).json()] == ["党员1", "党员2", "党员3"]


# --- Filters and query counts ---------------------------------------------------------------------------------------


def test_filters(county, m_a1, m_a2, m_b1, recent, county_admin, township_admin, api_as):
    # 00:30 on 1 January 2025 in Asia/Shanghai is still 2024 in UTC: it is a meeting of 2025
    new_year = record(county.village_a2, "主题党日", at(2025, 1, 1, 0, 30))
    old = record(county.village_a1, "党课", at(2024, 12, 31, 23, 50))
    client = api_as(county_admin)
    cases = [
        ({"organization": county.township_a.pk}, {m_a1, m_a2, recent, new_year, old}),
        ({"organization": county.township_b.pk}, {m_b1}),
        ({"organization": county.village_a2.pk}, {m_a2, new_year}),
        ({"branch": county.village_a1.pk}, {m_a1, recent, old}),
        ({"kind": "党课"}, {m_a2, old}),
        ({"year": 2025, "organization": county.township_a.pk}, {m_a1, m_a2, new_year}),
        ({"year": 2024}, {old}),
        ({"held_from": "2025-01-01", "held_to": "2025-02-01"}, {new_year, m_a2, m_b1}),
        ({"held_to": "2024-12-31"}, {old}),
        ({"backfilled": "false"}, {recent}),
        ({"backfilled": "true", "branch": county.village_a1.pk}, {m_a1, old}),
    ]
    for params, expected in cases:
        assert ids(client.get(URL, params)) == {m.pk for m in expected}, params
    listed = client.get(URL, {"organization": county.township_a.pk}).json()["results"]
    assert [r["id"] for r in listed] == [recent.pk, m_a1.pk, m_a2.pk, new_year.pk, old.pk]  # latest first
    # a township admin filtering by the sibling township or a missing branch sees nothing
    assert ids(api_as(township_admin).get(URL, {"organization": county.township_b.pk})) == set()
    assert ids(api_as(township_admin).get(URL, {"branch": county.village_b1.pk})) == set()
    for bad in ({"kind": "座谈会"}, {"year": "2025.5"}, {"held_from": "2025-02-30"}, {"branch": "0"}):
        assert client.get(URL, bad).status_code == 400, bad


def test_list_query_count_does_not_grow_with_rows(county, people, county_admin, secretary, api_as,
                                                 django_assert_max_num_queries):  # fmt: skip
    p1, p2, p3 = people["a1"]
    for day in range(1, 13):
        record(county.village_a1, "主题党日", at(2025, 1, day), attendance=[(p1.pk, "出席"), (p2.pk, "缺席")])
        record(county.village_b1, "党课", at(2025, 2, day))
    for user, expected in ((county_admin, 24), (secretary, 12)):
        # the account's grants, the count and the rows (branches and the recorder joined in)
        with django_assert_max_num_queries(3):
            body = api_as(user).get(URL, {"year": 2025}).json()
        assert body["count"] == expected


def test_the_endpoints_and_methods_are_in_the_schema():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    served = {path: set(ops) & {"get", "post", "patch", "put", "delete"} for path, ops in paths.items()}
    expected = {
        "/api/meetings/": {"get", "post"},
        "/api/meetings/{id}/": {"get", "patch", "delete"},
        "/api/meetings/{id}/attachments/": {"post"},
        "/api/meetings/{id}/attachments/{attachment_id}/": {"delete"},
        "/api/meetings/attendees/": {"get"},
        "/api/compliance/": {"get"},
        "/api/compliance/summary/": {"get"},
        "/api/meeting-standards/": {"get"},
        "/api/meeting-standards/{id}/": {"get", "put", "patch"},
    }
    assert {path: served.get(path) for path in expected} == expected
