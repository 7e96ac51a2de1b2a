"""Money: Decimal yuan exact to the fen, everywhere.

Amounts are stored as whole fen in a BIGINT (`MoneyField`), so sums are exact integer sums on every database (SQLite
would otherwise sum decimals as floats) and come back as Decimal yuan with two places. Rates are percentages rounded
half-up to two decimals, and None where the divisor is zero (shown blank, never 0% or an error).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from .fields import CentiField

FEN = Decimal("0.01")
HUNDRED = Decimal(100)
# 9,999,999,999.99 yuan: beyond any grassroots ledger, well inside a BIGINT of fen.
MAX_AMOUNT = Decimal("9999999999.99")


def parse_amount(value, *, allow_zero: bool = False) -> Decimal:
    """A money amount from a form, a cell or the API: a number of yuan with at most two decimals, positive (or
    zero when allowed). Raises ValidationError with a Chinese message saying what is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError("请填写金额。")
    if isinstance(value, float):
        # A spreadsheet's 0.1 arrives as the float nearest to it: its shortest repr is what the clerk typed.
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise ValidationError(f"金额“{value}”不是数字。") from None
    if not amount.is_finite():
        raise ValidationError(f"金额“{value}”不是数字。")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(FEN):
        raise ValidationError(f"金额 {value} 超过两位小数：金额以元为单位，精确到分。")
    if amount < 0:
        raise ValidationError(f"金额 {value} 是负数：请填写正数。")
    if amount == 0 and not allow_zero:
        raise ValidationError("金额不能为 0。")
    if amount > MAX_AMOUNT:
        raise ValidationError(f"金额 {value} 过大。")
    return amount.quantize(FEN)


def rate(part, whole) -> Decimal | None:
    """part ÷ whole as a percentage rounded half-up to two decimals; None when whole is zero."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(FEN, rounding=ROUND_HALF_UP)


def yuan(amount) -> str:
    """“1,234.50” (the pages add 元 where they need it); blank for None."""
    return "" if amount is None else f"{Decimal(amount):,.2f}"


def percent(value) -> str:
    """“66.67%”; blank for None (a rate whose divisor is zero)."""
    return "" if value is None else f"{value:.2f}%"


class MoneyField(CentiField):
    """Decimal yuan in Python, whole fen in the database (see the module docstring)."""

    def formfield(self, **kwargs):
        from django import forms

        return forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), **kwargs)
