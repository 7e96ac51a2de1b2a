"""发展党员 time limits, worked out by hand on the calendar."""

from __future__ import annotations

import datetime as dt

from members.pipeline import Dates, pipeline_problems, quarters_between

D = dt.date


def test_talk_due_within_one_month_of_application():
    d = Dates(applied_on=D(2025, 1, 31))
    # one month after 31 January is 28 February (dateutil clips to the month's end)
    assert pipeline_problems(d, today=D(2025, 2, 28)) == []
    assert pipeline_problems(d, today=D(2025, 3, 1)) == ["递交入党申请后一个月内未谈话（应于 2025-02-28 前）"]
    late = Dates(applied_on=D(2025, 1, 31), talked_on=D(2025, 3, 1))
    assert pipeline_problems(late, today=D(2025, 3, 5)) == ["谈话晚于申请后一个月（2025-03-01，应于 2025-02-28 前）"]


def test_activist_at_least_one_year_before_target():
    base = {"applied_on": D(2022, 1, 5), "talked_on": D(2022, 1, 20), "activist_on": D(2022, 3, 1)}
    reports = [D(2022, 3, 15), D(2022, 6, 15), D(2022, 9, 15), D(2022, 12, 15), D(2023, 3, 15)]
    ok = Dates(**base, target_on=D(2023, 3, 1))
    assert pipeline_problems(ok, today=D(2023, 3, 20), report_dates=reports) == []
    early = Dates(**base, target_on=D(2023, 2, 28))
    assert pipeline_problems(early, today=D(2023, 3, 20), report_dates=reports) == [
        "积极分子培养不满一年即列为发展对象（2022-03-01 至 2023-02-28）"
    ]


def test_thought_reports_every_finished_quarter_of_cultivation():
    d = Dates(applied_on=D(2024, 1, 2), talked_on=D(2024, 1, 10), activist_on=D(2024, 2, 1))
    # 2024 Q1 and Q2 are finished on 2024-08-01; Q3 is still open, so it cannot be missing yet
    assert pipeline_problems(d, today=D(2024, 8, 1), report_dates=[D(2024, 3, 1)]) == [
        "培养期间缺少思想汇报：2024年第2季度"
    ]
    assert pipeline_problems(d, today=D(2024, 8, 1), report_dates=[D(2024, 3, 1), D(2024, 6, 30)]) == []


def test_training_hours_and_approval_within_three_months():
    reports = [D(2022, m, 1) for m in (3, 6, 9, 12)] + [D(2023, m, 1) for m in (3, 6, 9, 12)] + [D(2024, 3, 1)]
    base = {
        "applied_on": D(2022, 1, 5), "talked_on": D(2022, 1, 20), "activist_on": D(2022, 3, 1),
        "target_on": D(2023, 3, 1), "admitted_on": D(2024, 1, 10),
    }  # fmt: skip
    short = Dates(**base, training_hours=20, approved_on=D(2024, 2, 1))
    assert pipeline_problems(short, today=D(2024, 3, 1), report_dates=reports) == ["发展对象集中培训不足 24 学时"]
    pending = Dates(**base, training_hours=24)
    assert pipeline_problems(pending, today=D(2024, 4, 10), report_dates=reports) == []
    assert pipeline_problems(pending, today=D(2024, 4, 11), report_dates=reports) == [
        "支部大会通过后三个月内未经上级党委审批（应于 2024-04-10 前）"
    ]


def test_probation_one_year_extendable_once_by_six_to_twelve_months():
    reports = [D(2022, m, 1) for m in (3, 6, 9, 12)] + [D(2023, m, 1) for m in (3, 6, 9, 12)] + [D(2024, 3, 1)]
    base = {
        "applied_on": D(2022, 1, 5), "talked_on": D(2022, 1, 20), "activist_on": D(2022, 3, 1),
        "target_on": D(2023, 3, 1), "training_hours": 24, "admitted_on": D(2024, 1, 10),
        "approved_on": D(2024, 2, 1),
    }  # fmt: skip
    d = Dates(**base)
    assert pipeline_problems(d, today=D(2025, 1, 10), report_dates=reports) == []
    assert pipeline_problems(d, today=D(2025, 1, 11), report_dates=reports) == [
        "预备期已满未按期讨论转正（应于 2025-01-10 前）"
    ]
    extended = Dates(**base, extension_months=6)
    assert pipeline_problems(extended, today=D(2025, 7, 10), report_dates=reports) == []
    assert pipeline_problems(Dates(**base, extension_months=3), today=D(2024, 5, 1), report_dates=reports) == [
        "预备期只能延长一次，时间为半年至一年"
    ]


def test_quarters_between_crosses_years():
    assert quarters_between(D(2023, 11, 30), D(2024, 4, 1)) == [(2023, 4), (2024, 1), (2024, 2)]
