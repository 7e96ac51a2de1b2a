"""党内关爱帮扶 (funding/services/aid.py): the aid is recorded at the member's branch on the day it was given.

王芳 joined 东街村 (township A) on 2015-07-01 and was transferred to 北山村 (township B) on 2026-02-01: her
membership of 东街村 ends on 2026-01-31 (inclusive), that of 北山村 starts on 2026-02-01. Aid given on 2026-01-31 is
东街村's record (township A's clerk writes it, B's may not); aid given on 2026-02-01 is 北山村's.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import NotInScope
from core.models import AuditEvent
from funding.models import Aid
from funding.services.aid import aid_create, aid_delete
from funding.services.config import source_update
from members.services import member_create, member_status_change, member_transfer
from tests.factories import id_number_for
from tests.helpers import nothing_changed

from .conftest import D

pytestmark = pytest.mark.django_db


def _rows():
    return sorted(Aid.objects.values_list("id", "member_id", "branch_id", "year", "amount", "given_on")), (
        AuditEvent.objects.count()
    )


@pytest.fixture
def wang(county):
    member = member_create(
        actor=None, name="王芳", id_number=id_number_for(801), branch=county.village_a1, category="正式党员",
        joined_on=D(2015, 7, 1),
    )  # fmt: skip
    return member_transfer(actor=None, member=member, to_branch=county.village_b1, on=D(2026, 2, 1))


def _give(actor, member, funds, day, amount="500", reason="大病救助", source=None):
    return aid_create(
        actor=actor, member=member, amount=amount, given_on=day, reason=reason, source=source or funds.county
    )


def test_the_branch_of_the_day(county, funds, wang, township_admin, sibling_admin):
    before = _give(township_admin, wang, funds, D(2026, 1, 31), amount="1,200.50")
    assert (before.branch, before.year, before.amount, before.created_by) == (
        county.village_a1, 2026, Decimal("1200.50"), township_admin
    )  # fmt: skip
    after = _give(sibling_admin, wang, funds, D(2026, 2, 1))
    assert after.branch == county.village_b1
    event = AuditEvent.objects.get(object_type="funding.aid", object_id=str(before.pk))
    assert (event.action, event.org_path, event.actor) == ("create", county.village_a1.path, township_admin)
    assert event.after == {
        "member": wang.pk, "branch": county.village_a1.pk, "year": 2026, "amount": "1200.50",
        "given_on": "2026-01-31", "reason": "大病救助", "source": funds.county.pk,
    }  # fmt: skip
    old = _give(None, wang, funds, D(2025, 12, 1))
    assert (old.branch, old.year) == (county.village_a1, 2025)


def test_the_other_township_is_refused_and_nothing_changes(county, funds, wang, township_admin, sibling_admin, leader):
    for actor, day in ((sibling_admin, D(2026, 1, 31)), (township_admin, D(2026, 2, 1)), (leader, D(2026, 3, 1))):
        before = _rows()
        with nothing_changed(), pytest.raises(NotInScope):
            _give(actor, wang, funds, day)
        assert _rows() == before


def test_the_secretary_records_aid_of_their_branch(county, funds, secretary):
    member = member_create(
        actor=None, name="李强", id_number=id_number_for(802), branch=county.village_a1, category="预备党员",
        joined_on=D(2025, 7, 1),
    )  # fmt: skip
    aid = _give(secretary, member, funds, D(2025, 10, 1))
    assert aid.branch == county.village_a1


@pytest.mark.parametrize(
    ("day", "fields", "field", "message"),
    [
        (D(2099, 1, 1), {}, "given_on", "发放日期 2099-01-01 晚于今天。"),
        (D(2026, 3, 1), {"amount": "0"}, "amount", "金额不能为 0。"),
        (D(2026, 3, 1), {"amount": "12.345"}, "amount", "金额 12.345 超过两位小数：金额以元为单位，精确到分。"),
        (D(2026, 3, 1), {"amount": "abc"}, "amount", "金额“abc”不是数字。"),
        (D(2026, 3, 1), {"reason": "  "}, "reason", "请填写帮扶事由。"),
        (D(2026, 3, 1), {"reason": "困" * 201}, "reason", "帮扶事由不超过 200 字。"),
    ],
)
def test_bad_aid_is_refused(county, funds, wang, sibling_admin, day, fields, field, message):
    before = _rows()
    with pytest.raises(ValidationError) as exc:
        _give(sibling_admin, wang, funds, day, **fields)
    assert exc.value.message_dict[field] == [message]
    assert _rows() == before


def test_dates_outside_the_membership(county, funds, wang):
    # Before joining no membership covers the day: nobody's branch.
    with pytest.raises(ValidationError) as exc:
        _give(None, wang, funds, D(2015, 6, 30))
    assert exc.value.message_dict["given_on"] == ["王芳在 2015-06-30 不是本县任何支部的党员，不能登记这天的帮扶。"]
    member_status_change(actor=None, member=wang, status="死亡", on=D(2026, 4, 1))
    assert _give(None, wang, funds, D(2026, 4, 1)).branch == county.village_b1  # the day itself: still recorded
    with pytest.raises(ValidationError) as exc:
        _give(None, wang, funds, D(2026, 4, 2))
    assert exc.value.message_dict["given_on"] == ["王芳已于 2026-04-01 死亡，不能登记此后发放的帮扶。"]


def test_an_inactive_source_is_refused(county, funds, wang):
    source_update(actor=None, source=funds.township, active=False)
    funds.township.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        _give(None, wang, funds, D(2026, 3, 1), source=funds.township)
    assert exc.value.message_dict["source"] == ["资金来源“乡镇”已停用。"]


def test_delete(county, funds, wang, township_admin, sibling_admin):
    aid = _give(None, wang, funds, D(2026, 1, 15))
    before = _rows()
    with nothing_changed(), pytest.raises(NotInScope):
        aid_delete(actor=sibling_admin, aid=aid)
    assert _rows() == before
    aid_delete(actor=township_admin, aid=aid)
    assert not Aid.objects.exists()
    event = AuditEvent.objects.get(object_type="funding.aid", action="delete")
    assert event.before["amount"] == "500.00" and event.org_path == county.village_a1.path
