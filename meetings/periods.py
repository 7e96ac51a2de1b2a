"""Calendar periods in Asia/Shanghai: months, quarters and years, with the labels of the compliance export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .choices import PeriodType


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    type: str
    label: str  # 2024-03 · 2024-Q1 · 2024

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def is_over(self, today: dt.date) -> bool:
        return today > self.end

    @property
    def months(self) -> range:
        """The months (1–12) the period covers."""
        return range(self.start.month, self.end.month + 1)


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def month_period(year: int, month: int) -> Period:
    return Period(dt.date(year, month, 1), _month_end(year, month), PeriodType.MONTH, f"{year}-{month:02d}")


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * quarter - 2
    return Period(dt.date(year, first, 1), _month_end(year, first + 2), PeriodType.QUARTER, f"{year}-Q{quarter}")


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), PeriodType.YEAR, str(year))


def periods_of_year(period_type: str, year: int) -> list[Period]:
    if period_type == PeriodType.MONTH:
        return [month_period(year, m) for m in range(1, 13)]
    if period_type == PeriodType.QUARTER:
        return [quarter_period(year, q) for q in range(1, 5)]
    return [year_period(year)]


def period_of(period_type: str, day: dt.date) -> Period:
    if period_type == PeriodType.MONTH:
        return month_period(day.year, day.month)
    if period_type == PeriodType.QUARTER:
        return quarter_period(day.year, (day.month - 1) // 3 + 1)
    return year_period(day.year)


def periods_ending_in(year: int, month: int) -> dict[str, Period]:
    """The periods of each type that end with month `month` (the ones a monthly bulletin reports as due)."""
    result = {PeriodType.MONTH: month_period(year, month)}
    if month % 3 == 0:
        result[PeriodType.QUARTER] = quarter_period(year, month // 3)
    if month == 12:
        result[PeriodType.YEAR] = year_period(year)
    return result
