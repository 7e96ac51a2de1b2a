"""发展党员 → 党员档案: recording 接收预备党员 (admitted_on) opens the person's member file (预备党员, joined on that day,
in the candidate's branch, through member_create); recording 转正 (full_on) makes it 正式党员 (member_update). The same
date recorded twice changes nothing; a rule the file breaks refuses the step, on the step's field, saving nothing.

赵发展 (id_number_for(460)) is born 1970-04-02 (tests/factories.py with n = 460: year 1960 + 460 mod 30 = 1970,
month 1 + (460 div 30 = 15) mod 12 = 4, day 1 + (460 div 360 = 1) mod 28 = 2), an adult at every date below.
陈晨 (CHEN_CHEN) is born 2000-03-01: on 2018-02-28 he is 17 (the birthday not yet reached), on 2018-03-01 18.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from core.exceptions import NotInScope
from core.idnumber import parse_id_number
from core.models import AuditEvent
from members.development import STEP_FIELDS, candidate_record_steps, candidate_register
from members.models import Candidate, Member
from members.services import member_create, member_transfer
from tests.factories import id_number_for
from tests.members.helpers import CHEN_CHEN, member_state

pytestmark = pytest.mark.django_db
D = dt.date
ZHAO = id_number_for(460)
APPLIED = D(2021, 1, 5)


def state() -> dict:
    return {
        **member_state(),
        "candidates": sorted(Candidate.objects.values_list("id", "person_id", "branch_id", "stage", *STEP_FIELDS)),
    }


@contextmanager
def nothing_changed():
    before = state()
    yield
    assert state() == before


def target(county, actor, *, name="赵发展", id_number=ZHAO, applied=APPLIED):
    """A 发展对象 of 东街村: applied, talked to, activist a year, then target with 24 hours of training."""
    c = candidate_register(actor=actor, branch=county.village_a1, name=name, id_number=id_number, applied_on=applied)
    candidate_record_steps(actor=actor, candidate=c, talked_on=applied + dt.timedelta(days=10),
                           activist_on=applied + dt.timedelta(days=30), target_on=applied + dt.timedelta(days=400),
                           training_hours=24)  # fmt: skip
    return c


def member_events(member) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(object_type="members.member", object_id=str(member.pk))
        .order_by("id")
        .values_list("action", "before", "after")
    )


def test_the_birth_date_used_below():
    assert parse_id_number(ZHAO).birth_date == D(1970, 4, 2)
    assert parse_id_number(CHEN_CHEN).birth_date == D(2000, 3, 1)


def test_admission_opens_a_probationary_file_and_full_membership_completes_it(county, secretary):
    c = target(county, secretary)
    assert not Member.objects.exists()
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2024, 1, 10))
    member = Member.objects.get()
    assert (member.person_id, member.branch_id, member.category, member.status) == (
        c.person_id, county.village_a1.pk, "预备党员", "正常"
    )  # fmt: skip
    assert (member.joined_on, member.full_member_on) == (D(2024, 1, 10), None)
    assert list(member.memberships.values_list("branch_id", "start_on", "end_on", "note")) == [
        (county.village_a1.pk, D(2024, 1, 10), None, "建档")
    ]
    [(action, before, after)] = member_events(member)
    assert (action, before, after["category"], after["joined_on"]) == ("create", None, "预备党员", "2024-01-10")
    assert AuditEvent.objects.get(object_type="members.member").actor_id == secretary.pk

    candidate_record_steps(actor=secretary, candidate=c, approved_on=D(2024, 2, 20), full_on=D(2025, 1, 10))
    member.refresh_from_db()
    assert (member.category, member.joined_on, member.full_member_on) == ("正式党员", D(2024, 1, 10), D(2025, 1, 10))
    assert member_events(member)[1:] == [
        (
            "update",
            {"category": "预备党员", "full_member_on": None},
            {"category": "正式党员", "full_member_on": "2025-01-10"},
        )
    ]
    c.refresh_from_db()
    assert c.stage == "正式党员"


def test_recording_the_same_dates_again_changes_no_file(county, secretary):
    c = target(county, secretary)
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2024, 1, 10))
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2024, 1, 10))
    candidate_record_steps(actor=secretary, candidate=c, approved_on=D(2024, 2, 20))  # another step: no new file
    member = Member.objects.get()
    assert len(member_events(member)) == 1
    candidate_record_steps(actor=secretary, candidate=c, full_on=D(2025, 1, 10))
    candidate_record_steps(actor=secretary, candidate=c, full_on=D(2025, 1, 10))
    assert Member.objects.count() == 1 and len(member_events(member)) == 2
    assert Member.objects.get().memberships.count() == 1


def test_both_steps_at_once(county, secretary):
    c = target(county, secretary)
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2024, 1, 10), full_on=D(2025, 1, 10))
    member = Member.objects.get()
    assert (member.category, member.joined_on, member.full_member_on) == ("正式党员", D(2024, 1, 10), D(2025, 1, 10))
    assert [e[0] for e in member_events(member)] == ["create", "update"]


def test_under_18_at_admission_refuses_the_step_and_saves_nothing(county, secretary):
    c = target(county, secretary, name="陈晨", id_number=CHEN_CHEN, applied=D(2016, 3, 1))
    with nothing_changed(), pytest.raises(ValidationError) as caught:
        candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2018, 2, 28))
    assert caught.value.message_dict == {"admitted_on": ["无法建立党员档案：入党时未满 18 周岁（出生于 2000-03-01）"]}
    assert c.admitted_on is None and c.stage == "发展对象"  # the caller's object is untouched too
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2018, 3, 1))  # his 18th birthday
    assert Member.objects.get().joined_on == D(2018, 3, 1)


def test_a_candidate_outside_a_branch_cannot_be_admitted(county, county_admin):
    c = candidate_register(actor=county_admin, branch=county.township_a, name="钱委员", id_number=id_number_for(461),
                           applied_on=APPLIED)  # fmt: skip
    candidate_record_steps(actor=county_admin, candidate=c, activist_on=D(2021, 2, 1), target_on=D(2022, 3, 1))
    with nothing_changed(), pytest.raises(ValidationError) as caught:
        candidate_record_steps(actor=county_admin, candidate=c, admitted_on=D(2024, 1, 10))
    assert caught.value.message_dict == {
        "admitted_on": ["无法建立党员档案：城关镇党委是党委，党员档案只能建在党支部或党总支"]
    }


def test_a_corrected_admission_date_moves_the_file_and_cannot_be_cleared(county, secretary):
    c = target(county, secretary)
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2024, 1, 10))
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2024, 1, 12))
    member = Member.objects.get()
    assert member.joined_on == D(2024, 1, 12)
    assert list(member.memberships.values_list("start_on", flat=True)) == [D(2024, 1, 12)]
    with nothing_changed(), pytest.raises(ValidationError) as caught:
        candidate_record_steps(actor=secretary, candidate=c, admitted_on=None)
    assert caught.value.message_dict == {"admitted_on": ["已据此日期建立党员档案，不能清除接收预备党员日期。"]}


def test_a_full_on_recorded_by_mistake_is_taken_back(county, secretary):
    c = target(county, secretary)
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2024, 1, 10), full_on=D(2025, 1, 10))
    candidate_record_steps(actor=secretary, candidate=c, full_on=None)
    member = Member.objects.get()
    assert (member.category, member.full_member_on) == ("预备党员", None)


def test_someone_elses_file_is_not_rewritten(county, secretary):
    """A file opened by hand after the application (not from this step) keeps its own 入党日期."""
    c = target(county, secretary)
    member_create(actor=None, name="赵发展", id_number=ZHAO, branch=county.village_a1, category="预备党员",
                  joined_on=D(2023, 12, 1))  # fmt: skip
    with nothing_changed(), pytest.raises(ValidationError) as caught:
        candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2024, 1, 10))
    assert caught.value.message_dict == {
        "admitted_on": ["此人已有党员档案，入党日期为 2023-12-01，与接收预备党员日期不一致。"]
    }
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2023, 12, 1))  # the same day: that file
    assert Member.objects.count() == 1


def test_a_file_transferred_out_of_scope_is_refused_on_the_step(county, secretary):
    c = target(county, secretary)
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2024, 1, 10))
    member_transfer(actor=None, member=Member.objects.get(), to_branch=county.village_b1, on=D(2024, 6, 1))
    with nothing_changed(), pytest.raises(ValidationError) as caught:
        candidate_record_steps(actor=secretary, candidate=c, full_on=D(2025, 1, 10))
    assert caught.value.message_dict == {"full_on": ["此人的党员档案已转至您管理范围以外的支部，请由该支部办理。"]}


def test_admission_outside_the_scope_is_refused(county, secretary, sibling_admin):
    c = target(county, secretary)
    with nothing_changed(), pytest.raises(NotInScope):
        candidate_record_steps(actor=sibling_admin, candidate=c, admitted_on=D(2024, 1, 10))


def test_an_admitted_person_cannot_register_again(county, secretary):
    c = target(county, secretary)
    candidate_record_steps(actor=secretary, candidate=c, admitted_on=D(2024, 1, 10))
    with nothing_changed(), pytest.raises(ValidationError) as caught:
        candidate_register(actor=secretary, branch=county.village_a1, name="赵发展", id_number=ZHAO,
                           applied_on=D(2024, 6, 1))  # fmt: skip
    assert caught.value.message_dict == {"id_number": ["此人已在发展党员名单中。"]}


def test_the_steps_page_shows_the_refusal_on_the_field(county, secretary):
    c = target(county, secretary, name="陈晨", id_number=CHEN_CHEN, applied=D(2016, 3, 1))
    client = Client()
    client.force_login(secretary)
    data = {name: "" for name in STEP_FIELDS}
    c.refresh_from_db()
    data.update(talked_on=c.talked_on, activist_on=c.activist_on, target_on=c.target_on, training_hours="24",
                extension_months="0", admitted_on="2018-02-28")  # fmt: skip
    with nothing_changed():
        page = client.post(reverse("members:candidate_steps", args=[c.pk]), data)
    assert page.status_code == 200
    assert "无法建立党员档案：入党时未满 18 周岁（出生于 2000-03-01）" in page.content.decode()
    data["admitted_on"] = "2018-03-01"
    assert client.post(reverse("members:candidate_steps", args=[c.pk]), data).status_code == 302
    assert Member.objects.get().category == "预备党员"
