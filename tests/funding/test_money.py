"""Money is exact to the fen and rates round half-up (core/money.py), worked by hand."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.money import parse_amount, percent, rate, yuan
from funding.models import Allocation
from funding.selectors import Figures
from funding.services.ledger import allocation_create

from .conftest import D


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0.10", Decimal("0.10")),
        ("1,234.5", Decimal("1234.50")),
        (0.1, Decimal("0.10")),  # a spreadsheet's float: its shortest repr, not 0.1000000000000000055…
        (0.3, Decimal("0.30")),
        (12, Decimal("12.00")),
        ("3.000", Decimal("3.00")),  # trailing zeros are not a third decimal
    ],
)
def test_amounts_parse_exactly(value, expected):
    assert parse_amount(value) == expected and parse_amount(value).as_tuple().exponent == -2


@pytest.mark.parametrize(
    "value, message",
    [
        ("-5", "金额 -5 是负数：请填写正数。"),
        ("1.005", "金额 1.005 超过两位小数：金额以元为单位，精确到分。"),
        ("abc", "金额“abc”不是数字。"),
        ("NaN", "金额“NaN”不是数字。"),
        ("", "请填写金额。"),
        ("0", "金额不能为 0。"),
    ],
)
def test_bad_amounts_say_what_is_wrong(value, message):
    with pytest.raises(ValidationError) as exc:
        parse_amount(value)
    assert exc.value.messages == [message]


@pytest.mark.parametrize(
    "part, whole, expected",
    [
        ("1", "3", Decimal("33.33")),  # 33.333… down
        ("2", "3", Decimal("66.67")),  # 66.666… up
        ("1", "8", Decimal("12.50")),
        ("0.125", "1", Decimal("12.50")),
        ("1", "1600", Decimal("0.06")),  # 0.0625 → half-up 0.06 (the third decimal is 2)
        ("0.00125", "1", Decimal("0.13")),  # 0.125 exactly: half-up gives 0.13 where banker's rounding gives 0.12
        ("0.00", "100", Decimal("0.00")),
        ("150", "100", Decimal("150.00")),
        ("5", "0", None),  # nothing allocated: the rate is blank, not 0 and not an error
        ("0", "0", None),
    ],
)
def test_rates_round_half_up_and_are_blank_over_zero(part, whole, expected):
    assert rate(Decimal(part), Decimal(whole)) == expected


def test_display():
    assert yuan(Decimal("1234567.5")) == "1,234,567.50" and yuan(None) == ""
    assert percent(Decimal("66.67")) == "66.67%" and percent(None) == ""


def test_figures_of_a_ledger():
    f = Figures(Decimal("300.00"), Decimal("200.00"), Decimal("50.00"))
    assert (f.owed, f.arrival_rate, f.use_rate) == (Decimal("100.00"), Decimal("66.67"), Decimal("25.00"))
    empty = Figures()
    assert (empty.owed, empty.arrival_rate, empty.use_rate) == (Decimal("0.00"), None, None)
    over = Figures(Decimal("100.00"), Decimal("0.00"), Decimal("0.00"))
    assert (over.owed, over.arrival_rate, over.use_rate) == (Decimal("100.00"), Decimal("0.00"), None)


def test_point_one_plus_point_two_is_point_three_in_the_database(county, funds):
    """Stored as fen: 0.10 + 0.20 sums to exactly 0.30 on SQLite and PostgreSQL alike (floats give 0.30000000000000004)."""
    for amount in ("0.10", "0.20"):
        allocation_create(
            actor=None, organization=county.village_a1, year=2025, category=funds.operating, source=funds.county,
            amount=amount, allocated_on=D(2025, 3, 1),
        )  # fmt: skip
    from django.db.models import Sum

    total = Allocation.objects.aggregate(total=Sum("amount"))["total"]
    assert total == Decimal("0.30") and str(total) == "0.30"
    assert sorted(Allocation.objects.values_list("amount", flat=True)) == [Decimal("0.10"), Decimal("0.20")]
    assert Allocation.objects.filter(amount=Decimal("0.1")).count() == 1
