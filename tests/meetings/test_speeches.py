"""Members' speech materials (发言材料) at a meeting: the services (one per member, replaced by a second one, only for
members on the attendance list, scope, audit) and the section of the meeting's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.exceptions import NotInScope
from core.models import AuditEvent
from meetings.models import Speech
from meetings.services import AttendanceEntry, meeting_record, speech_delete, speech_save
from members.services import member_create
from tests.members.helpers import CHEN_CHEN, LIN_LIN, ZHANG_WEI

SHANGHAI = timezone.get_default_timezone()
TEXT = "一、对照检查情况\n理论学习不够深入，联系群众不够紧密。\n二、整改措施\n每周集中学习一次。"


@pytest.fixture
def world(county):
    a1 = county.village_a1
    zhang = member_create(
        actor=None, name="张伟", id_number=ZHANG_WEI, branch=a1, category="正式党员", joined_on=dt.date(2010, 7, 1)
    )
    chen = member_create(
        actor=None, name="陈晨", id_number=CHEN_CHEN, branch=a1, category="正式党员", joined_on=dt.date(2022, 7, 1)
    )
    lin = member_create(
        actor=None, name="林琳", id_number=LIN_LIN, branch=a1, category="正式党员", joined_on=dt.date(2021, 7, 1)
    )
    meeting = meeting_record(
        actor=None,
        branch=a1,
        kind="组织生活会",
        held_at=dt.datetime(2025, 12, 20, 9, 0, tzinfo=SHANGHAI),
        topic="2025年度组织生活会",
        attendance=[AttendanceEntry(zhang.pk, "出席"), AttendanceEntry(chen.pk, "请假", "住院")],
    )
    return meeting, zhang, chen, lin


def speech_audits():
    return AuditEvent.objects.filter(object_type="meetings.speech").order_by("id")


def test_save_creates_then_replaces_with_an_audit(world, secretary):
    meeting, zhang, _, _ = world
    speech = speech_save(actor=secretary, meeting=meeting, member=zhang, text=f"  {TEXT}\n ")
    assert (speech.meeting, speech.member, speech.text) == (meeting, zhang, TEXT)
    again = speech_save(actor=secretary, meeting=meeting, member=zhang, text="新的发言材料")
    assert again.pk == speech.pk and Speech.objects.get().text == "新的发言材料"
    speech_save(actor=secretary, meeting=meeting, member=zhang, text="新的发言材料")  # unchanged: nothing to audit
    created, updated = speech_audits()
    assert (created.action, created.actor, created.org_path) == ("create", secretary, meeting.branch.path)
    assert created.after == {"meeting": meeting.pk, "member": zhang.pk, "name": "张伟", "text": TEXT}
    assert created.note == "张伟的发言材料"
    assert updated.action == "update" and updated.before == {"text": TEXT} and updated.after == {"text": "新的发言材料"}


def test_a_member_on_leave_may_hand_in_written_material(world):
    meeting, _, chen, _ = world
    assert speech_save(actor=None, meeting=meeting, member=chen, text="书面发言").member == chen


def test_refused_speeches_change_nothing(world, sibling_admin, leader):
    meeting, zhang, _, lin = world
    with pytest.raises(ValidationError) as exc:
        speech_save(actor=None, meeting=meeting, member=lin, text=TEXT)
    assert exc.value.message_dict == {"member": ["请选择该次会议出席名单中的党员。"]}
    with pytest.raises(ValidationError) as exc:
        speech_save(actor=None, meeting=meeting, member=zhang, text=" \n ")
    assert exc.value.message_dict == {"text": ["请填写发言材料内容。"]}
    with pytest.raises(ValidationError) as exc:
        speech_save(actor=None, meeting=meeting, member=zhang, text="字" * 20001)
    assert exc.value.message_dict == {"text": ["发言材料不超过 20000 字（现有 20001 字）。"]}
    assert speech_save(actor=None, meeting=meeting, member=zhang, text="字" * 20000).text == "字" * 20000
    Speech.objects.all().delete()
    for actor in (sibling_admin, leader):
        with pytest.raises(NotInScope):
            speech_save(actor=actor, meeting=meeting, member=zhang, text=TEXT)
    assert Speech.objects.count() == 0 and speech_audits().count() == 1  # the 20000-character one


def test_delete(world, secretary, sibling_admin):
    meeting, zhang, _, _ = world
    speech = speech_save(actor=None, meeting=meeting, member=zhang, text=TEXT)
    with pytest.raises(NotInScope):
        speech_delete(actor=sibling_admin, speech=speech)
    assert Speech.objects.count() == 1
    speech_delete(actor=secretary, speech=speech)
    assert Speech.objects.count() == 0
    event = speech_audits().last()
    assert event.action == "delete" and event.before["text"] == TEXT and event.actor == secretary


# --- the meeting's page ----------------------------------------------------------------------------------------------


def page(client, meeting):
    return client.get(f"/meetings/{meeting.pk}/")


def test_the_page_lists_speeches_and_offers_the_form(client, world, secretary, leader):
    meeting, zhang, chen, _ = world
    speech_save(actor=None, meeting=meeting, member=zhang, text=TEXT)
    client.force_login(secretary)
    response = page(client, meeting)
    html = response.content.decode()
    assert response.status_code == 200 and "发言材料（1）" in html
    [speech] = response.context["speeches"]
    assert speech.first_line == "一、对照检查情况"
    assert "查看" in html and "理论学习不够深入" in html and "保存发言材料" in html
    form = response.context["speech_form"]
    choices = [label for _, label in form.fields["member"].choices]
    assert choices[0] == "请选择党员" and sorted(choices[1:]) == sorted(["张伟", "陈晨"])  # the attendance list
    client.force_login(leader)
    response = page(client, meeting)
    assert response.context["speech_form"] is None and "保存发言材料" not in response.content.decode()
    assert "理论学习不够深入" in response.content.decode()


def test_adding_and_deleting_through_the_page(client, world, secretary, sibling_admin):
    meeting, zhang, chen, lin = world
    client.force_login(secretary)
    url = f"/meetings/{meeting.pk}/speeches/"
    response = client.post(url, {"member": chen.pk, "text": "书面发言材料"})
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/#speeches"
    assert Speech.objects.get().member == chen
    response = client.post(url, {"member": lin.pk, "text": "不在名单"}, follow=True)
    assert "发言材料未保存" in response.content.decode() and Speech.objects.count() == 1
    response = client.post(url, {"member": zhang.pk, "text": ""}, follow=True)
    assert "请填写发言材料内容。" in response.content.decode() and Speech.objects.count() == 1
    speech = Speech.objects.get()
    client.force_login(sibling_admin)
    assert client.post(url, {"member": zhang.pk, "text": TEXT}).status_code == 404
    assert client.post(f"/meetings/speeches/{speech.pk}/delete/").status_code == 404
    assert Speech.objects.count() == 1
    client.force_login(secretary)
    response = client.post(f"/meetings/speeches/{speech.pk}/delete/")
    assert response.status_code == 302 and Speech.objects.count() == 0


def test_no_form_without_an_attendance_list(client, county, secretary):
    meeting = meeting_record(
        actor=None,
        branch=county.village_a1,
        kind="主题党日",
        held_at=dt.datetime(2025, 12, 5, 9, 0, tzinfo=SHANGHAI),
        topic="学习",
        expected_count=10,
        present_count=8,
    )
    client.force_login(secretary)
    response = page(client, meeting)
    assert response.context["speech_form"] is None
    assert "该会议没有逐人出席名单，无法登记发言材料。" in response.content.decode()
