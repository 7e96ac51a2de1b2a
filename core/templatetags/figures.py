"""Rates on pages: percentages with two decimals, rounded half up (core.figures); "—" where there is none."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

from core.figures import rate_percent

register = template.Library()


@register.filter
def percent(rate) -> str:
    value = rate_percent(rate)
    return "—" if value is None else f"{value}%"


@register.filter
def percent_int(rate) -> int:
    """A rate as a whole percentage for bar widths (0–100); 0 where there is none."""
    value = rate_percent(rate)
    return 0 if value is None else int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
