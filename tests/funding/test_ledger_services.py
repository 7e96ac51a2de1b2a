"""The ledger rules of funding/services/ledger.py, worked by hand: a disbursement within its allocation, spending
within what its category received (专款专用), dates in the year, scope, audit, and two clerks at the same moment."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections

from core.exceptions import NotInScope
from core.models import AuditEvent
from funding.models import Allocation, Disbursement, Expenditure
from funding.services.ledger import (
    allocation_create,
    allocation_delete,
    allocation_update,
    disbursement_create,
    disbursement_delete,
    disbursement_update,
    expenditure_create,
    expenditure_delete,
    expenditure_update,
)

from .conftest import D


def _rows() -> tuple:
    return (
        sorted(Allocation.objects.values_list("id", "amount", "deadline")),
        sorted(Disbursement.objects.values_list("id", "amount", "paid_on")),
        sorted(Expenditure.objects.values_list("id", "amount", "spent_on")),
        AuditEvent.objects.count(),
    )


def _refused(call, field: str, message: str) -> None:
    before = _rows()
    with pytest.raises(ValidationError) as exc:
        call()
    assert exc.value.message_dict[field] == [message]
    assert _rows() == before  # a refused write changes nothing, not even the audit trail


MARCH_1, JUNE_1 = D(2025, 3, 1), D(2025, 6, 1)


def _allocate(county, funds, amount="1000.00", *, org=None, year=2025, day=MARCH_1, **extra):
    return allocation_create(
        actor=None, organization=org or county.village_a1, year=year, category=extra.pop("category", funds.operating),
        source=extra.pop("source", funds.county), amount=amount, allocated_on=day, **extra,
    )  # fmt: skip


def _spend(county, funds, amount, *, day=JUNE_1, category=None, actor=None):
    return expenditure_create(
        actor=actor, organization=county.village_a1, year=2025, category=category or funds.operating, amount=amount,
        spent_on=day, purpose="办公用品",
    )  # fmt: skip


# --- allocations -----------------------------------------------------------------------------------------------


def test_an_allocation_gets_the_category_deadline_within_the_year(county, funds):
    a = _allocate(county, funds)
    assert (a.amount, a.deadline) == (Decimal("1000.00"), D(2025, 3, 31))  # 30 days after 3-01
    late_in_year = _allocate(county, funds, day=D(2025, 12, 20))
    assert late_in_year.deadline == D(2025, 12, 31)  # never past 31 December
    event = AuditEvent.objects.get(object_type="funding.allocation", object_id=str(a.pk))
    assert (event.action, event.after["amount"], event.org_path) == ("create", "1000.00", county.village_a1.path)


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"amount": "-1"}, "amount", "金额 -1 是负数：请填写正数。"),
        ({"amount": "10.001"}, "amount", "金额 10.001 超过两位小数：金额以元为单位，精确到分。"),
        ({"amount": "0"}, "amount", "金额不能为 0。"),
        (
            {"day": D(2024, 12, 31)},
            "allocated_on",
            "下达日期 2024-12-31 不在 2025 年度内：账目按年度登记，日期应在 2025-01-01 至 2025-12-31 之间。",
        ),
        ({"deadline": D(2025, 2, 28)}, "deadline", "拨付时限 2025-02-28 早于下达日期 2025-03-01。"),
        ({"year": 1999, "day": D(1999, 3, 1)}, "year", "年度应为 2000—2027 之间的年份。"),
    ],
)
def test_bad_allocations_are_refused(county, funds, fields, field, message):
    _refused(lambda: _allocate(county, funds, **fields), field, message)


def test_an_inactive_category_is_refused(county, funds):
    funds.pay.active = False
    funds.pay.save()
    _refused(lambda: _allocate(county, funds, category=funds.pay), "category", "经费类别“村干部报酬”已停用。")


def test_allocations_and_disbursements_belong_to_the_level_above(
    county, funds, township_admin, sibling_admin, secretary
):
    a = _allocate(county, funds)
    with pytest.raises(NotInScope):  # 石门镇's administrator, for a village of 城关镇
        allocation_create(
            actor=sibling_admin, organization=county.village_a1, year=2025, category=funds.operating,
            source=funds.county, amount="5", allocated_on=D(2025, 3, 1),
        )  # fmt: skip
    with pytest.raises(NotInScope):  # a branch secretary records spending, not the money coming in
        disbursement_create(actor=secretary, allocation=a, amount="5", paid_on=D(2025, 3, 2))
    d = disbursement_create(actor=township_admin, allocation=a, amount="5", paid_on=D(2025, 3, 2))
    assert d.created_by == township_admin
    spent = _spend(county, funds, "5", actor=secretary)
    assert spent.created_by == secretary
    with pytest.raises(NotInScope):
        expenditure_create(
            actor=sibling_admin, organization=county.village_a1, year=2025, category=funds.operating, amount="1",
            spent_on=D(2025, 6, 1), purpose="越权",
        )  # fmt: skip


# --- disbursements ---------------------------------------------------------------------------------------------


def test_disbursements_fill_an_allocation_to_the_fen_and_no_further(county, funds):
    a = _allocate(county, funds, "1000.00")
    disbursement_create(actor=None, allocation=a, amount="600.00", paid_on=D(2025, 3, 10))
    disbursement_create(actor=None, allocation=a, amount="399.99", paid_on=D(2025, 3, 20))
    _refused(
        lambda: disbursement_create(actor=None, allocation=a, amount="0.02", paid_on=D(2025, 3, 21)),
        "amount",
        "这笔下达 1,000.00 元，已拨付 999.99 元，还可拨付 0.01 元；本次 0.02 元超出下达金额。",
    )
    last = disbursement_create(actor=None, allocation=a, amount="0.01", paid_on=D(2025, 3, 21))
    assert (last.organization, last.year, last.category, last.source) == (a.organization, 2025, a.category, a.source)
    assert sum(Disbursement.objects.values_list("amount", flat=True)) == Decimal("1000.00")


def test_disbursement_dates(county, funds):
    a = _allocate(county, funds, day=D(2025, 3, 1))
    _refused(
        lambda: disbursement_create(actor=None, allocation=a, amount="1", paid_on=D(2025, 2, 28)),
        "paid_on",
        "拨付日期 2025-02-28 早于下达日期 2025-03-01。",
    )
    _refused(
        lambda: disbursement_create(actor=None, allocation=a, amount="1", paid_on=D(2026, 1, 5)),
        "paid_on",
        "拨付日期 2026-01-05 不在 2025 年度内：账目按年度登记，日期应在 2025-01-01 至 2025-12-31 之间。",
    )
    assert disbursement_create(actor=None, allocation=a, amount="1", paid_on=D(2025, 3, 1)).paid_on == D(2025, 3, 1)


def test_an_allocation_is_never_cut_below_what_arrived_nor_deleted_while_anything_has(county, funds):
    a = _allocate(county, funds, "1000.00")
    d = disbursement_create(actor=None, allocation=a, amount="700.00", paid_on=D(2025, 3, 10))
    _refused(
        lambda: allocation_update(actor=None, allocation=a, amount="699.99"),
        "amount",
        "这笔下达已拨付 700.00 元，下达金额不能少于已拨付的金额。",
    )
    _refused(
        lambda: allocation_update(actor=None, allocation=a, source=funds.township),
        "source",
        "这笔下达已拨付 700.00 元，不能再改资金来源。",
    )
    assert allocation_update(actor=None, allocation=a, amount="700.00").amount == Decimal("700.00")
    before = _rows()
    with pytest.raises(ValidationError) as exc:
        allocation_delete(actor=None, allocation=a)
    assert exc.value.messages == ["这笔下达已拨付 700.00 元，请先删除对应的拨付记录。"] and _rows() == before
    disbursement_delete(actor=None, disbursement=d)
    allocation_delete(actor=None, allocation=a)
    assert not Allocation.objects.exists()
    events = AuditEvent.objects.filter(object_type="funding.allocation").order_by("id")
    assert list(events.values_list("action", flat=True)) == [
        "create",
        "update",
        "delete",
    ]


# --- spending: 专款专用 -----------------------------------------------------------------------------------------


def test_spending_stays_within_what_its_category_received(county, funds):
    a = _allocate(county, funds, "1000.00")
    pay = _allocate(county, funds, "5000.00", category=funds.pay)
    disbursement_create(actor=None, allocation=pay, amount="5000.00", paid_on=D(2025, 3, 2))
    # Nothing of 运转经费 has arrived: the 5,000 of 村干部报酬 cannot be spent on it.
    _refused(
        lambda: _spend(county, funds, "0.01"),
        "amount",
        "2025年“村级组织运转经费”到位 0.00 元，支出将达 0.01 元，超出 0.01 元：专款专用，支出不能超过该类别已到位的资金。",
    )
    disbursement_create(actor=None, allocation=a, amount="300.00", paid_on=D(2025, 3, 10))
    _spend(county, funds, "0.10")
    _spend(county, funds, "0.20")
    third = _spend(county, funds, "299.70")  # 0.10 + 0.20 + 299.70 = 300.00 exactly
    _refused(
        lambda: _spend(county, funds, "0.01"),
        "amount",
        "2025年“村级组织运转经费”到位 300.00 元，支出将达 300.01 元，超出 0.01 元：专款专用，支出不能超过该类别已到位的资金。",
    )
    _refused(
        lambda: expenditure_update(actor=None, expenditure=third, amount="299.71"),
        "amount",
        "2025年“村级组织运转经费”到位 300.00 元，支出将达 300.01 元，超出 0.01 元：专款专用，支出不能超过该类别已到位的资金。",
    )
    assert expenditure_update(actor=None, expenditure=third, amount="199.70").amount == Decimal("199.70")
    assert sum(Expenditure.objects.filter(category=funds.operating).values_list("amount", flat=True)) == Decimal(
        "200.00"
    )


def test_cutting_a_disbursement_may_not_leave_spending_above_it(county, funds):
    a = _allocate(county, funds, "1000.00")
    d = disbursement_create(actor=None, allocation=a, amount="500.00", paid_on=D(2025, 3, 10))
    spent = _spend(county, funds, "400.00")
    message = "2025年“村级组织运转经费”已支出 400.00 元，改动后到位只有 399.99 元：专款专用，已支出的资金不能多于到位资金。请先调整支出记录。"
    _refused(lambda: disbursement_update(actor=None, disbursement=d, amount="399.99"), "amount", message)
    before = _rows()
    with pytest.raises(ValidationError):
        disbursement_delete(actor=None, disbursement=d)
    assert _rows() == before
    assert disbursement_update(actor=None, disbursement=d, amount="400.00").amount == Decimal("400.00")
    expenditure_delete(actor=None, expenditure=spent)
    disbursement_delete(actor=None, disbursement=d)
    assert not Disbursement.objects.exists() and not Expenditure.objects.exists()


@pytest.mark.parametrize(
    "day, message",
    [
        (
            D(2024, 12, 31),
            "支出日期 2024-12-31 不在 2025 年度内：账目按年度登记，日期应在 2025-01-01 至 2025-12-31 之间。",
        ),
        (
            D(2026, 1, 1),
            "支出日期 2026-01-01 不在 2025 年度内：账目按年度登记，日期应在 2025-01-01 至 2025-12-31 之间。",
        ),
    ],
)
def test_spending_dates_lie_in_the_year(county, funds, day, message):
    a = _allocate(county, funds)
    disbursement_create(actor=None, allocation=a, amount="100", paid_on=D(2025, 3, 2))
    _refused(lambda: _spend(county, funds, "1", day=day), "spent_on", message)


# --- two clerks at the same moment ----------------------------------------------------------------------------


def _race(calls) -> list:
    """Run the calls at the same moment in threads (each on its own database connection); their outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            outcomes[i] = call()
        except Exception as exc:  # the outcome under test: which one was refused, and how
            outcomes[i] = exc
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_disbursements_at_once_cannot_exceed_the_allocation(county, funds):
    """700 + 700 against 1,000: each alone fits, together they do not. One is saved, the other refused with the
    message that counts the first — whichever thread wins."""
    a = _allocate(county, funds, "1000.00")
    outcomes = _race(
        [lambda: disbursement_create(actor=None, allocation=a, amount="700.00", paid_on=D(2025, 3, 10))] * 2
    )
    saved = [o for o in outcomes if isinstance(o, Disbursement)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(saved) == 1 and len(refused) == 1, outcomes
    assert refused[0].message_dict["amount"] == [
        "这笔下达 1,000.00 元，已拨付 700.00 元，还可拨付 300.00 元；本次 700.00 元超出下达金额。"
    ]
    assert list(Disbursement.objects.values_list("amount", flat=True)) == [Decimal("700.00")]


@pytest.mark.django_db(transaction=True)
def test_two_spendings_at_once_cannot_exceed_what_arrived(county, funds):
    a = _allocate(county, funds, "1000.00")
    disbursement_create(actor=None, allocation=a, amount="500.00", paid_on=D(2025, 3, 10))
    outcomes = _race([lambda: _spend(county, funds, "300.00")] * 2)
    assert sorted(type(o).__name__ for o in outcomes) == ["Expenditure", "ValidationError"], outcomes
    assert list(Expenditure.objects.values_list("amount", flat=True)) == [Decimal("300.00")]


@pytest.mark.django_db(transaction=True)
def test_spending_and_a_cut_disbursement_at_once_keep_the_rule(county, funds):
    """Spend 300 of 500 arrived while someone cuts the disbursement to 200: both fit alone, not together."""
    a = _allocate(county, funds, "1000.00")
    d = disbursement_create(actor=None, allocation=a, amount="500.00", paid_on=D(2025, 3, 10))
    outcomes = _race(
        [
            lambda: _spend(county, funds, "300.00"),
            lambda: disbursement_update(actor=None, disbursement=d, amount="200.00"),
        ]
    )
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1, outcomes
    disbursed = sum(Disbursement.objects.values_list("amount", flat=True))
    spent = sum(Expenditure.objects.values_list("amount", flat=True), Decimal("0"))
    assert spent <= disbursed and (disbursed, spent) in {
        (Decimal("500.00"), Decimal("300.00")),
        (Decimal("200.00"), Decimal("0")),
    }
