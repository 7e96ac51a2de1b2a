"""失联党员: the monthly scan opens a case after six months without any sign of contact, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import NotInScope
from core.models import AuditEvent
from members.choices import LostContactStatus, MemberStatus
from members.contact import lost_contact_decide, lost_contact_find, lost_contact_resolve
from members.models import LostContactCase, Member, TrainingRecord
from members.services import member_create
from members.tasks import lost_contact_scan
from tests.factories import id_number_for

pytestmark = pytest.mark.django_db
D = dt.date


JOINED = D(2010, 7, 1)


def _member(county, n, joined=JOINED):
    return member_create(
        actor=None, name=f"党员{n}", id_number=id_number_for(300 + n), branch=county.village_a1,
        category="正式党员", joined_on=joined, full_member_on=joined.replace(year=joined.year + 1),
    )  # fmt: skip


def test_six_months_without_contact_opens_one_case(county):
    quiet = _member(county, 1)
    active = _member(county, 2)
    TrainingRecord.objects.create(
        member=active, course="党史学习", start_on=D(2025, 3, 1), end_on=D(2025, 3, 2), hours=8
    )
    # cutoff for 2025-09-02 is 2025-03-02: the training that ended that day still counts as contact
    assert lost_contact_find(today=D(2025, 9, 2)) == 1
    case = LostContactCase.objects.get()
    assert case.member == quiet and case.status == LostContactStatus.CANDIDATE
    assert case.last_contact_on == D(2010, 7, 1)  # the membership's start, the only sign of contact
    # a day later the training is too old as well; the quiet member already has an open case
    assert lost_contact_find(today=D(2025, 9, 3)) == 1
    assert set(LostContactCase.objects.values_list("member_id", flat=True)) == {quiet.pk, active.pk}
    assert lost_contact_find(today=D(2025, 9, 3)) == 0  # idempotent


def test_confirm_sets_status_and_resolve_restores_it(county, secretary, sibling_admin):
    member = _member(county, 3)
    lost_contact_find(today=D(2025, 9, 2))
    case = LostContactCase.objects.get(member=member)
    events = AuditEvent.objects.count()
    with pytest.raises(NotInScope):  # a sibling township cannot decide on township A's member
        lost_contact_decide(actor=sibling_admin, case=case, confirmed=True, on=D(2025, 9, 5))
    assert AuditEvent.objects.count() == events
    lost_contact_decide(actor=secretary, case=case, confirmed=True, on=D(2025, 9, 5), note="电话无法接通")
    member.refresh_from_db()
    assert member.status == MemberStatus.LOST_CONTACT
    with pytest.raises(ValidationError):
        lost_contact_decide(actor=secretary, case=case, confirmed=False, on=D(2025, 9, 6))
    lost_contact_resolve(actor=secretary, case=case, on=D(2025, 10, 1))
    member.refresh_from_db()
    case.refresh_from_db()
    assert member.status == MemberStatus.NORMAL and case.status == LostContactStatus.RESOLVED
    assert list(member.status_changes.values_list("status", "changed_on")) == [
        ("失联", D(2025, 9, 5)),
        ("正常", D(2025, 10, 1)),
    ]


def test_dismissed_case_is_not_raised_again_for_six_months(county, secretary):
    member = _member(county, 4)
    lost_contact_find(today=D(2025, 9, 2))
    lost_contact_decide(actor=secretary, case=LostContactCase.objects.get(member=member), confirmed=False,
                        on=D(2025, 9, 3))  # fmt: skip
    assert lost_contact_find(today=D(2026, 3, 2)) == 0  # cutoff 2025-09-02: the dismissal on 09-03 is newer
    assert lost_contact_find(today=D(2026, 3, 4)) == 1  # cutoff 2025-09-04: dismissed too long ago


def test_the_monthly_task_runs_the_scan(county):
    _member(county, 5)
    assert lost_contact_scan.delay("2025-09-02").get() == 1
    assert Member.objects.get().lost_contact_cases.count() == 1


def test_decisions_are_dated_sensibly_and_resolve_restores_the_earlier_status(county, secretary):
    from members.services import member_status_change

    member = _member(county, 6)
    member_status_change(actor=None, member=member, status="流出", on=D(2024, 1, 10), place="浙江省杭州市")
    # the monthly scan looks at 正常 members only; a flowed-out member's case is opened by hand
    assert lost_contact_find(today=D(2024, 8, 1)) == 0
    case = LostContactCase.objects.create(member=member, found_on=D(2024, 8, 1), last_contact_on=D(2024, 1, 10))
    with pytest.raises(ValidationError) as caught:
        lost_contact_decide(actor=secretary, case=case, confirmed=True, on=D(2024, 7, 31))
    assert caught.value.message_dict == {"on": ["日期不能早于发现日期 2024-08-01。"]}
    case.refresh_from_db()
    assert case.status == LostContactStatus.CANDIDATE
    lost_contact_decide(actor=secretary, case=case, confirmed=True, on=D(2024, 8, 2))
    lost_contact_resolve(actor=secretary, case=case, on=D(2024, 9, 1))
    member.refresh_from_db()
    assert member.status == MemberStatus.FLOWED_OUT  # back to 流出, not 正常
