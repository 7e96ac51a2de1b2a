"""The checks a member file must pass, shared by the form, the API and the 党员 sheet (one place, one wording)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from core.idnumber import IdInfo

from .choices import MIN_JOIN_AGE, MemberCategory

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
PHONE_REASON = "手机号码应为 11 位数字，以 13–19 开头"


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def member_problems(
    *,
    info: IdInfo,
    birth_date: dt.date | None,
    gender: str | None,
    category: str,
    joined_on: dt.date | None,
    full_member_on: dt.date | None,
    phone: str,
    today: dt.date | None = None,
) -> dict[str, str]:
    """{field: reason} for every rule the values break; empty when the file is consistent."""
    today = today or timezone.localdate()
    problems: dict[str, str] = {}
    if birth_date and birth_date != info.birth_date:
        problems["birth_date"] = f"与身份证号中的出生日期 {info.birth_date} 不一致"
    if gender and gender != info.gender:
        problems["gender"] = f"与身份证号中的性别（{info.gender}）不一致"
    if joined_on:
        if joined_on > today:
            problems["joined_on"] = "不能晚于今天"
        elif age_on(info.birth_date, joined_on) < MIN_JOIN_AGE:
            problems["joined_on"] = f"入党时未满 {MIN_JOIN_AGE} 周岁（出生于 {info.birth_date}）"
    if full_member_on:
        if joined_on and full_member_on < joined_on:
            problems["full_member_on"] = "转正日期不能早于入党日期"
        elif full_member_on > today:
            problems["full_member_on"] = "不能晚于今天"
        if category == MemberCategory.PROBATIONARY:
            problems["full_member_on"] = "预备党员尚未转正，不应填写转正日期"
    if phone and not PHONE_RE.match(phone):
        problems["phone"] = PHONE_REASON
    return problems


def star_for(total, rules) -> tuple[int, str]:
    """(stars, label) for a yearly points total: the highest rule whose minimum the total reaches.

    `rules` are (min_points, stars, label) in any order; a total below every minimum is 不合格 with 0 stars.
    """
    best = (0, "不合格")
    best_min = None
    for min_points, stars, label in rules:
        if total >= min_points and (best_min is None or min_points > best_min):
            best, best_min = (stars, label), min_points
    return best


def training_problems(*, start_on: dt.date, end_on: dt.date, hours, today: dt.date) -> dict[str, str]:
    """{field: reason} for a 培训台账 entry that may not be recorded (a certificate's own dates are kept as they are:
    they are evidence, and the nightly check reports those that differ)."""
    problems: dict[str, str] = {}
    if end_on < start_on:
        problems["end_on"] = "结束日期不能早于开始日期。"
    if start_on > today:
        problems["start_on"] = "开始日期不能晚于今天。"
    if hours is None or hours <= 0:
        problems["hours"] = "学时应大于 0。"
    return problems


def point_record_problems(
    *, item_name: str, item_active: bool, year: int, recorded_on: dt.date, joined_on: dt.date, today: dt.date
) -> dict[str, str]:
    """{field: reason} for a points record that may not be made: the item in use, the date in the year, not in the
    future and not before the member joined."""
    problems: dict[str, str] = {}
    if not item_active:
        problems["item"] = f"积分项目“{item_name}”已停用。"
    if recorded_on.year != year:
        problems["recorded_on"] = f"记录日期应在 {year} 年内。"
    elif recorded_on > today:
        problems["recorded_on"] = "记录日期不能晚于今天。"
    elif recorded_on < joined_on:
        problems["recorded_on"] = f"记录日期不能早于入党日期 {joined_on}。"
    return problems


# Member files live in branches (党支部) and general branches (党总支); committees hold them through their branches.
MEMBER_HOLDING_KINDS = ("党支部", "党总支")
# Statuses that end a file for good: no further change of status or transfer is recorded after them.
FINAL_STATUSES = ("出党", "死亡")


def branch_problem(org) -> str | None:
    if org.kind not in MEMBER_HOLDING_KINDS:
        return f"{org.name}是{org.kind}，党员档案只能建在党支部或党总支"
    return None


def status_change_problem(
    *, current: str, on: dt.date, joined_on: dt.date, last_change: dt.date | None, today: dt.date
) -> str | None:
    if current in FINAL_STATUSES:
        return f"党籍状态为“{current}”的档案不能再变更状态"
    if on > today:
        return "变更日期不能晚于今天"
    if on < joined_on:
        return f"变更日期不能早于入党日期 {joined_on}"
    if last_change and on < last_change:
        return f"变更日期不能早于上一次状态变更 {last_change}"
    return None


# --- 流动党员 ------------------------------------------------------------------------------------------------------

FLOW_DIRECTIONS = ("流出", "流入")
# Statuses during which a member's flow goes on: contact lost (or membership suspended) while away is still away.
FLOW_KEEPING_STATUSES = ("失联", "停止党籍")


def flow_open_problems(
    *,
    status: str,
    joined_on: dt.date,
    direction: str,
    place: str,
    start_on: dt.date,
    open_flow=None,
    last_end: dt.date | None = None,
    today: dt.date,
) -> dict[str, str]:
    """{field: reason} for a flow that may not be opened; `open_flow` is the member's flow without an end (if any),
    `last_end` the latest end of the member's closed flows."""
    if status in FINAL_STATUSES:
        return {"member": f"党籍状态为“{status}”的档案不能登记流动。"}
    problems: dict[str, str] = {}
    if direction not in FLOW_DIRECTIONS:
        problems["direction"] = "流动方向应为“流出”或“流入”。"
    if not place.strip():
        problems["place"] = "请填写流入地（流出到何处）。" if direction == "流出" else "请填写来源地（从何处流入）。"
    if start_on > today:
        problems["start_on"] = "开始日期不能晚于今天。"
    elif start_on < joined_on:
        problems["start_on"] = f"开始日期不能早于入党日期 {joined_on}。"
    elif last_end and start_on < last_end:
        problems["start_on"] = f"开始日期不能早于上一次流动的结束日期 {last_end}。"
    if open_flow is not None:
        problems["member"] = (
            f"该党员已有未结束的流动（{open_flow.direction}，{open_flow.place}，自 {open_flow.start_on} 起），"
            "请先结束该流动。"
        )
    return problems


def flow_close_problems(*, start_on: dt.date, end_on: dt.date, ended_on: dt.date | None, today: dt.date) -> dict:
    """{field: reason} for closing a flow that started on `start_on` (and perhaps already ended on `ended_on`)."""
    if ended_on is not None:
        return {"end_on": f"该流动已于 {ended_on} 结束。"}
    if end_on > today:
        return {"end_on": "结束日期不能晚于今天。"}
    if end_on < start_on:
        return {"end_on": f"结束日期不能早于流动的开始日期 {start_on}。"}
    return {}
