"""How the dashboards' stored figures read: grades and arrows as the ranking page shows them, ISO dates as dates."""

import datetime as dt

from django import template

from assessments.choices import Grade
from assessments.views.rankings import GRADE_CSS

register = template.Library()

ARROW_CSS = {"▲": "up", "▼": "down", "—": "same", "新": "new"}


@register.filter
def grade_label(value) -> str:
    return Grade(value).label if value in Grade.values else "—"


@register.filter
def grade_css(value) -> str:
    return GRADE_CSS[Grade(value)] if value in Grade.values else "none"


@register.filter
def arrow_css(symbol: str) -> str:
    return ARROW_CSS.get(symbol, "none")


@register.filter
def iso_date(value):
    return dt.date.fromisoformat(value) if value else None


@register.filter
def or_dash(value):
    return "—" if value in (None, "") else value
