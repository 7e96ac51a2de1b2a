"""How rates become percentages, the one way: exact fractions, two decimals, rounded half up (1 of 32 → 3.13)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

HUNDREDTH = Decimal("0.01")


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator as a percentage, half up to two decimals; None when the divisor is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def rate_percent(rate: Fraction | None) -> Decimal | None:
    """A rate kept as a Fraction (see meetings.compliance.Tally) as a percentage."""
    if rate is None:
        return None
    rate = Fraction(rate)
    return percent(rate.numerator, rate.denominator)
