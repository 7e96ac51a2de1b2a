"""发展党员 time limits (细则 arts. 13, 32 and the domain guide), as pure functions over dates.

Each check returns the problems of one candidate as Chinese sentences; the board and the nightly checks show them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

TALK_WITHIN = relativedelta(months=1)  # talk with an applicant within one month of the application
ACTIVIST_AT_LEAST = relativedelta(years=1)  # at least one year as activist before becoming a development target
APPROVAL_WITHIN = relativedelta(months=3)  # the committee approves within three months of the branch's decision
PROBATION = relativedelta(years=1)  # one year, extendable once by six months to a year
MIN_TRAINING_HOURS = 24  # at least three days or 24 class hours


@dataclass(frozen=True)
class Dates:
    applied_on: dt.date
    talked_on: dt.date | None = None
    activist_on: dt.date | None = None
    target_on: dt.date | None = None
    training_hours: float | None = None
    admitted_on: dt.date | None = None
    approved_on: dt.date | None = None
    full_on: dt.date | None = None
    extension_months: int = 0


def dates_of(candidate) -> Dates:
    """The dates of a Candidate row (or anything with its fields), as the checks below read them."""
    return Dates(
        applied_on=candidate.applied_on,
        talked_on=candidate.talked_on,
        activist_on=candidate.activist_on,
        target_on=candidate.target_on,
        training_hours=float(candidate.training_hours) if candidate.training_hours is not None else None,
        admitted_on=candidate.admitted_on,
        approved_on=candidate.approved_on,
        full_on=candidate.full_on,
        extension_months=candidate.extension_months,
    )


def candidate_problems(candidate, *, today: dt.date, report_dates: list[dt.date] | None = None) -> list[str]:
    """The board's checks for one candidate; the thought reports come from `candidate.person.thought_reports`
    (prefetch them for a list) unless given."""
    if report_dates is None:
        report_dates = [r.submitted_on for r in candidate.person.thought_reports.all()]
    return pipeline_problems(dates_of(candidate), today=today, report_dates=report_dates)


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarters_between(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    """Every calendar quarter from start's to end's, both included."""
    result, (y, q) = [], quarter_of(start)
    last = quarter_of(end)
    while (y, q) <= last:
        result.append((y, q))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return result


def pipeline_problems(d: Dates, *, today: dt.date, report_dates: list[dt.date] = ()) -> list[str]:
    """What is overdue or was done against the rules, for one person in the pipeline on `today`."""
    problems = []
    talk_due = d.applied_on + TALK_WITHIN
    if d.talked_on is None and today > talk_due:
        problems.append(f"递交入党申请后一个月内未谈话（应于 {talk_due} 前）")
    elif d.talked_on and d.talked_on > talk_due:
        problems.append(f"谈话晚于申请后一个月（{d.talked_on}，应于 {talk_due} 前）")
    if d.activist_on and d.target_on and d.target_on < d.activist_on + ACTIVIST_AT_LEAST:
        problems.append(f"积极分子培养不满一年即列为发展对象（{d.activist_on} 至 {d.target_on}）")
    if d.admitted_on and (d.training_hours is None or d.training_hours < MIN_TRAINING_HOURS):
        problems.append(f"发展对象集中培训不足 {MIN_TRAINING_HOURS} 学时")
    if d.admitted_on:
        approval_due = d.admitted_on + APPROVAL_WITHIN
        if d.approved_on is None and today > approval_due:
            problems.append(f"支部大会通过后三个月内未经上级党委审批（应于 {approval_due} 前）")
        elif d.approved_on and d.approved_on > approval_due:
            problems.append(f"上级党委审批超过三个月（{d.approved_on}，应于 {approval_due} 前）")
        if d.extension_months not in (0, 6, 7, 8, 9, 10, 11, 12):
            problems.append("预备期只能延长一次，时间为半年至一年")
        due = d.admitted_on + PROBATION + relativedelta(months=d.extension_months)
        if d.full_on is None and today > due:
            problems.append(f"预备期已满未按期讨论转正（应于 {due} 前）")
    if d.activist_on:
        end = min(d.admitted_on or today, today)
        covered = {quarter_of(r) for r in report_dates}
        # The current quarter is still open: only finished quarters can be missing.
        finished = [q for q in quarters_between(d.activist_on, end) if q < quarter_of(today) or d.admitted_on]
        missing = [f"{y}年第{q}季度" for y, q in finished if (y, q) not in covered]
        if missing:
            problems.append("培养期间缺少思想汇报：" + "、".join(missing))
    return problems
