"""Where member files may live, and what dates a status change or transfer may carry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from members.models import Member, StatusChange
from members.services import member_create, member_status_change, member_transfer
from tests.factories import id_number_for

pytestmark = pytest.mark.django_db
D = dt.date


def _member(county, n=1):
    return member_create(
        actor=None, name=f"成员{n}", id_number=id_number_for(700 + n), branch=county.village_a1, category="正式党员",
        joined_on=D(2010, 7, 1), full_member_on=D(2011, 7, 1),
    )  # fmt: skip


def test_member_files_only_in_branches(county):
    with pytest.raises(ValidationError) as caught:
        member_create(actor=None, name="甲", id_number=id_number_for(801), branch=county.township_a,
                      category="正式党员", joined_on=D(2010, 7, 1))  # fmt: skip
    assert caught.value.message_dict == {"branch": ["城关镇党委是党委，党员档案只能建在党支部或党总支"]}
    assert not Member.objects.exists()


def test_status_change_dates(county):
    member = _member(county)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    cases = [
        (tomorrow, "变更日期不能晚于今天"),
        (D(2010, 6, 30), "变更日期不能早于入党日期 2010-07-01"),
    ]
    for on, reason in cases:
        with pytest.raises(ValidationError) as caught:
            member_status_change(actor=None, member=member, status="流出", on=on)
        assert caught.value.message_dict == {"on": [reason]}
    member_status_change(actor=None, member=member, status="流出", on=D(2020, 5, 1), place="广东省深圳市")
    with pytest.raises(ValidationError) as caught:
        member_status_change(actor=None, member=member, status="正常", on=D(2020, 4, 30))
    assert caught.value.message_dict == {"on": ["变更日期不能早于上一次状态变更 2020-05-01"]}
    member_status_change(actor=None, member=member, status="死亡", on=D(2021, 1, 1))
    with pytest.raises(ValidationError) as caught:
        member_status_change(actor=None, member=member, status="正常", on=D(2021, 2, 1))
    assert caught.value.message_dict == {"on": ["党籍状态为“死亡”的档案不能再变更状态"]}
    assert list(StatusChange.objects.values_list("status", flat=True)) == ["流出", "死亡"]


def test_transfer_refuses_future_dates_committees_and_closed_files(county):
    member = _member(county, 2)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        member_transfer(actor=None, member=member, to_branch=county.village_a2, on=tomorrow)
    assert caught.value.message_dict == {"on": ["转接日期不能晚于今天。"]}
    with pytest.raises(ValidationError) as caught:
        member_transfer(actor=None, member=member, to_branch=county.township_b, on=D(2020, 1, 1))
    assert caught.value.message_dict == {"branch": ["石门镇党委是党委，党员档案只能建在党支部或党总支"]}
    member_status_change(actor=None, member=member, status="出党", on=D(2020, 1, 1))
    with pytest.raises(ValidationError) as caught:
        member_transfer(actor=None, member=member, to_branch=county.village_a2, on=D(2020, 2, 1))
    assert caught.value.message_dict == {"branch": ["党籍状态为“出党”的档案不能转接。"]}
    member.refresh_from_db()
    assert member.branch == county.village_a1 and member.memberships.count() == 1
