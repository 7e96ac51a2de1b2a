"""members.services: opening a member file, transfers between branches, status changes and audited reveals of the
full ID and phone numbers. Every refusal leaves persons, members, memberships, status changes and audit events as
they were."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core import crypto
from core.exceptions import NotInScope
from core.models import AuditEvent
from members.models import Member, Membership, Person, StatusChange
from members.selectors import was_member_of
from members.services import member_create, member_reveal, member_status_change, member_transfer, phone_fields
from tests.factories import PersonFactory
from tests.members.helpers import (
    CHEN_CHEN,
    LI_QIANG,
    PHONE,
    WANG_FANG,
    ZHANG_WEI,
    ZHANG_WEI_BAD_CHECK,
    member_counts,
    nothing_changed,
)

pytestmark = pytest.mark.django_db

D = dt.date


def create(branch, name="张伟", id_number=ZHANG_WEI, actor=None, **kw):
    values = {"category": "正式党员", "joined_on": D(2010, 7, 1), "full_member_on": D(2011, 7, 1)}
    values.update(kw)
    return member_create(actor=actor, name=name, id_number=id_number, branch=branch, **values)


def refused(exc_type, fn, **kw):
    """Call fn(**kw) expecting exc_type and no change at all; the exception."""
    with nothing_changed(), pytest.raises(exc_type) as info:
        fn(**kw)
    return info.value


@pytest.fixture
def zhang(county):
    """张伟, a full member of 东街村 (C01001) since 2010-07-01, opened by the system."""
    return create(county.village_a1, phone=PHONE)


# --------------------------------------------------------------------------------------------------------------------
# member_create


def test_member_create(county, county_admin):
    member = create(
        county.village_a1,
        actor=county_admin,
        phone=PHONE,
        ethnicity="汉族",
        education="大学本科",
        occupation="农民",
        address="东街村 1 号",
    )
    member.refresh_from_db()
    person = member.person
    assert (person.name, person.gender, person.birth_date) == ("张伟", "男", D(1985, 6, 12))
    assert (person.id_number, person.id_number_digest, person.id_number_masked) == (
        ZHANG_WEI,
        crypto.digest(ZHANG_WEI),
        "4107**********1234",
    )
    assert (member.branch_id, member.category, member.status) == (county.village_a1.pk, "正式党员", "正常")
    assert (member.joined_on, member.full_member_on) == (D(2010, 7, 1), D(2011, 7, 1))
    assert (member.phone, member.phone_digest, member.phone_masked) == (PHONE, crypto.digest(PHONE), "138****1234")
    assert PHONE not in member.phone_encrypted
    assert list(member.memberships.values_list("branch_id", "start_on", "end_on", "note")) == [
        (county.village_a1.pk, D(2010, 7, 1), None, "建档")
    ]
    events = list(AuditEvent.objects.filter(object_type__startswith="members.").order_by("id"))
    assert [(e.actor_id, e.action, e.object_type, e.object_id, e.org_path) for e in events] == [
        (county_admin.pk, "create", "members.person", str(person.pk), county.village_a1.path),
        (county_admin.pk, "create", "members.member", str(member.pk), county.village_a1.path),
    ]
    assert events[0].after == {
        "name": "张伟",
        "gender": "男",
        "birth_date": "1985-06-12",
        "id_number_masked": "4107**********1234",
    }
    assert events[1].after == {
        "branch": county.village_a1.pk,
        "category": "正式党员",
        "status": "正常",
        "ethnicity": "汉族",
        "education": "大学本科",
        "joined_on": "2010-07-01",
        "full_member_on": "2011-07-01",
        "occupation": "农民",
        "address": "东街村 1 号",
        "phone_masked": "138****1234",
    }
    assert events[1].object_repr == "张伟"


def test_member_create_for_a_known_person(county, secretary):
    person = PersonFactory(name="王芳", id_number=WANG_FANG)
    member = create(county.village_a1, name="王芳", id_number=WANG_FANG.lower(), actor=secretary)
    assert member.person_id == person.pk and Person.objects.count() == 1
    events = AuditEvent.objects.filter(object_type__startswith="members.")
    assert list(events.values_list("actor_id", "action", "object_type")) == [(secretary.pk, "create", "members.member")]


def test_member_create_duplicate_refused(county, zhang):
    exc = refused(ValidationError, create, branch=county.village_a2)
    assert exc.message_dict == {"id_number": ["该身份证号已有党员档案。"]}


def test_member_create_name_mismatch_refused(county):
    PersonFactory(name="张伟", id_number=ZHANG_WEI)
    exc = refused(ValidationError, create, branch=county.village_a1, name="张卫")
    assert exc.message_dict == {"name": ["与该身份证号已登记的姓名不一致。"]}


def test_member_create_bad_id_number(county):
    exc = refused(ValidationError, create, branch=county.village_a1, id_number=ZHANG_WEI_BAD_CHECK)
    assert exc.message_dict == {"id_number": ["身份证号校验位错误"]}
    exc = refused(ValidationError, create, branch=county.village_a1, id_number="41070219850612123")
    assert exc.message_dict == {"id_number": ["身份证号应为 18 位，实际为 17 位"]}


def test_member_create_rules(county):
    exc = refused(
        ValidationError,
        create,
        branch=county.village_a1,
        name="陈晨",
        id_number=CHEN_CHEN,
        category="预备党员",
        joined_on=D(2018, 2, 28),
        full_member_on=D(2019, 3, 1),
        phone="1380000123",
    )
    assert exc.message_dict == {
        "joined_on": ["入党时未满 18 周岁（出生于 2000-03-01）"],
        "full_member_on": ["预备党员尚未转正，不应填写转正日期"],
        "phone": ["手机号码应为 11 位数字，以 13–19 开头"],
    }


def test_member_create_bad_category_leaves_no_person_behind(county):
    exc = refused(ValidationError, create, branch=county.village_a1, category="正式")
    assert list(exc.message_dict) == ["category"]


@pytest.mark.parametrize(
    ("who", "branch"),
    [
        ("township_admin", "village_b1"),  # the sibling township's branch
        ("sibling_admin", "village_a1"),
        ("secretary", "village_a2"),  # the neighbouring branch
        ("leader", "village_a1"),  # read-only
        ("inspector", "village_a1"),  # read-only
    ],
)
def test_member_create_outside_scope_refused(county, who, branch, request):
    actor = request.getfixturevalue(who)
    exc = refused(NotInScope, create, branch=getattr(county, branch), actor=actor)
    assert str(exc) == "未找到该记录，或您无权访问。"


def test_phone_fields():
    assert phone_fields("") == {"phone_encrypted": "", "phone_digest": "", "phone_masked": ""}
    fields = phone_fields(PHONE)
    assert fields["phone_digest"] == crypto.digest(PHONE) and fields["phone_masked"] == "138****1234"
    assert crypto.decrypt(fields["phone_encrypted"]) == PHONE
    assert phone_fields(PHONE)["phone_encrypted"] != fields["phone_encrypted"]  # a fresh nonce every time


# --------------------------------------------------------------------------------------------------------------------
# member_transfer


def test_member_transfer(county, county_admin, zhang):
    on = D(2024, 3, 1)  # the old membership ends on 29 February 2024 (a leap year)
    member_transfer(actor=county_admin, member=zhang, to_branch=county.village_b1, on=on, note="随迁")
    zhang.refresh_from_db()
    assert zhang.branch_id == county.village_b1.pk
    assert list(zhang.memberships.values_list("branch_id", "start_on", "end_on", "note")) == [
        (county.village_a1.pk, D(2010, 7, 1), D(2024, 2, 29), "建档"),
        (county.village_b1.pk, D(2024, 3, 1), None, "随迁"),
    ]
    assert was_member_of(member=zhang, branch=county.village_a1, on=D(2024, 2, 29))
    assert not was_member_of(member=zhang, branch=county.village_a1, on=on)
    assert was_member_of(member=zhang, branch=county.village_b1, on=on)
    assert not was_member_of(member=zhang, branch=county.village_b1, on=D(2024, 2, 29))
    assert not was_member_of(member=zhang, branch=county.village_a1, on=D(2010, 6, 30))  # before joining
    assert was_member_of(member=zhang, branch=county.village_a1, on=D(2010, 7, 1))
    # one row on each side of the transfer, so both townships see it
    out_event = AuditEvent.objects.get(action="transfer", org_path=county.village_a1.path)
    assert out_event.note == "转出：随迁"
    event = AuditEvent.objects.get(action="transfer", org_path=county.village_b1.path)
    assert (event.actor_id, event.object_id, event.org_path, event.note) == (
        county_admin.pk,
        str(zhang.pk),
        county.village_b1.path,
        "转入：随迁",
    )
    assert event.before["branch"] == county.village_a1.pk and event.after["branch"] == county.village_b1.pk
    assert {k: v for k, v in event.before.items() if k != "branch"} == {
        k: v for k, v in event.after.items() if k != "branch"
    }


def test_member_transfer_default_note_and_twice(county, township_admin, zhang):
    member_transfer(actor=township_admin, member=zhang, to_branch=county.village_a2, on=D(2024, 3, 1))
    exc = refused(
        ValidationError, member_transfer, actor=township_admin, member=zhang, to_branch=county.village_a1,
        on=D(2024, 3, 1),
    )  # fmt: skip
    assert exc.message_dict == {"on": ["转接日期应晚于本段组织关系的起始日期 2024-03-01。"]}
    member_transfer(actor=township_admin, member=zhang, to_branch=county.village_a1, on=D(2024, 3, 2))
    assert list(zhang.memberships.values_list("branch__code", "start_on", "end_on", "note")) == [
        ("C01001", D(2010, 7, 1), D(2024, 2, 29), "建档"),
        ("C01002", D(2024, 3, 1), D(2024, 3, 1), "组织关系转接"),  # a one-day membership
        ("C01001", D(2024, 3, 2), None, "组织关系转接"),
    ]
    assert was_member_of(member=zhang, branch=county.village_a2, on=D(2024, 3, 1))
    assert not was_member_of(member=zhang, branch=county.village_a2, on=D(2024, 3, 2))
    assert was_member_of(member=zhang, branch=county.village_a1, on=D(2024, 3, 2))
    assert not was_member_of(member=zhang, branch=county.village_a1, on=D(2024, 3, 1))


def test_member_transfer_into_a_branch_outside_scope_refused(county, township_admin, zhang):
    exc = refused(
        NotInScope, member_transfer, actor=township_admin, member=zhang, to_branch=county.village_b1, on=D(2024, 3, 1)
    )
    assert str(exc) == "未找到该记录，或您无权访问。"


def test_member_transfer_of_a_member_outside_scope_refused(county, sibling_admin, zhang):
    refused(
        NotInScope, member_transfer, actor=sibling_admin, member=zhang, to_branch=county.village_b1, on=D(2024, 3, 1)
    )


def test_member_transfer_by_the_secretary_to_another_branch_refused(county, secretary, zhang):
    refused(NotInScope, member_transfer, actor=secretary, member=zhang, to_branch=county.village_a2, on=D(2024, 3, 1))


def test_member_transfer_to_the_same_branch_refused(county, county_admin, zhang):
    exc = refused(
        ValidationError, member_transfer, actor=county_admin, member=zhang, to_branch=county.village_a1,
        on=D(2024, 3, 1),
    )  # fmt: skip
    assert exc.message_dict == {"branch": ["转入支部与当前所在支部相同。"]}


@pytest.mark.parametrize("on", [D(2010, 7, 1), D(2010, 6, 30), D(1999, 1, 1)])
def test_member_transfer_not_after_the_current_start_refused(county, county_admin, zhang, on):
    exc = refused(
        ValidationError, member_transfer, actor=county_admin, member=zhang, to_branch=county.village_a2, on=on
    )
    assert exc.message_dict == {"on": ["转接日期应晚于本段组织关系的起始日期 2010-07-01。"]}


def test_member_transfer_the_day_after_joining(county, zhang):
    member_transfer(actor=None, member=zhang, to_branch=county.village_a2, on=D(2010, 7, 2))
    assert list(zhang.memberships.values_list("start_on", "end_on")) == [
        (D(2010, 7, 1), D(2010, 7, 1)),
        (D(2010, 7, 2), None),
    ]


# --------------------------------------------------------------------------------------------------------------------
# member_status_change


def test_member_status_change(county, township_admin, zhang):
    before = member_counts()
    member_status_change(
        actor=township_admin, member=zhang, status="流出", on=D(2024, 5, 1), place="广东省深圳市", note="外出务工"
    )
    zhang.refresh_from_db()
    assert zhang.status == "流出"
    assert list(StatusChange.objects.values_list("member_id", "status", "changed_on", "place", "note")) == [
        (zhang.pk, "流出", D(2024, 5, 1), "广东省深圳市", "外出务工")
    ]
    # 流出 also opens the flow record (members.flow), with its own audit event.
    assert list(zhang.flows.values_list("direction", "place", "start_on", "end_on")) == [
        ("流出", "广东省深圳市", D(2024, 5, 1), None)
    ]
    assert member_counts() == {**before, "status_changes": 1, "audit_events": before["audit_events"] + 2}
    assert AuditEvent.objects.filter(object_type="members.flowrecord", action="create").count() == 1
    event = AuditEvent.objects.get(action="status_change")
    assert (event.actor_id, event.object_type, event.object_id, event.org_path) == (
        township_admin.pk,
        "members.member",
        str(zhang.pk),
        county.village_a1.path,
    )
    assert event.note == "2024-05-01 广东省深圳市 外出务工"
    common = {
        "branch": county.village_a1.pk,
        "category": "正式党员",
        "ethnicity": "",
        "education": "",
        "joined_on": "2010-07-01",
        "full_member_on": "2011-07-01",
        "occupation": "",
        "address": "",
        "phone_masked": "138****1234",
    }
    assert event.before == {**common, "status": "正常"}
    assert event.after == {**common, "status": "流出"}


def test_member_status_change_to_the_same_status_refused(county, county_admin, zhang):
    exc = refused(
        ValidationError, member_status_change, actor=county_admin, member=zhang, status="正常", on=D(2024, 5, 1)
    )
    assert exc.message_dict == {"status": ["党籍状态已是“正常”。"]}


def test_member_status_change_to_an_unknown_status_refused(county, county_admin, zhang):
    exc = refused(
        ValidationError, member_status_change, actor=county_admin, member=zhang, status="离世", on=D(2024, 5, 1)
    )
    assert list(exc.message_dict) == ["status"]
    zhang.refresh_from_db()
    assert zhang.status == "正常"


def test_member_status_change_outside_scope_refused(county, sibling_admin, leader, zhang):
    for actor in (sibling_admin, leader):
        refused(NotInScope, member_status_change, actor=actor, member=zhang, status="失联", on=D(2024, 5, 1))


# --------------------------------------------------------------------------------------------------------------------
# member_reveal


def test_member_reveal_by_the_county_admin(county, county_admin, zhang):
    events = AuditEvent.objects.count()
    assert member_reveal(actor=county_admin, member=zhang) == {"id_number": ZHANG_WEI, "phone": PHONE}
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.get(action="view_personal")
    assert (event.actor_id, event.object_type, event.object_id, event.org_path) == (
        county_admin.pk,
        "members.member",
        str(zhang.pk),
        county.village_a1.path,
    )
    assert (event.before, event.after) == (None, None)  # the numbers themselves are never logged


def test_member_reveal_of_a_member_without_phone(county, county_admin):
    member = create(county.village_b1, name="李强", id_number=LI_QIANG)
    assert member_reveal(actor=county_admin, member=member) == {"id_number": LI_QIANG, "phone": ""}


@pytest.mark.parametrize("who", ["township_admin", "secretary", "leader", "inspector", "sibling_admin"])
def test_member_reveal_without_the_right_refused(county, zhang, who, request):
    actor = request.getfixturevalue(who)
    exc = refused(NotInScope, member_reveal, actor=actor, member=zhang)
    assert str(exc) == "未找到该记录，或您无权访问。"


def test_nothing_changed_helper_sees_each_table(county, zhang):
    """The helper used above would notice a stray row in any of the tables it guards."""
    for write in (
        lambda: Membership.objects.create(member=zhang, branch=county.village_a2, start_on=D(2030, 1, 1)),
        lambda: StatusChange.objects.create(member=zhang, status="失联", changed_on=D(2024, 1, 1)),
        lambda: AuditEvent.objects.create(action="x", object_type="y", object_id="1"),
        lambda: Member.objects.filter(pk=zhang.pk).update(status="失联"),
        lambda: PersonFactory(),
    ):
        with pytest.raises(AssertionError), nothing_changed():
            write()
