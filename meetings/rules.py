"""The rules a meeting record must keep, as plain functions shared by the services, the import and the API."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from .choices import MEETING_HOLDING_KINDS, AttendanceStatus, Exemption, MeetingKind

# A meeting entered more than this many days after it was held is marked 补录 (back-filled).
BACKFILL_AFTER_DAYS = getattr(settings, "MEETING_BACKFILL_AFTER_DAYS", 15)
# Editing a meeting held more than this many days ago needs a reason.
LATE_EDIT_AFTER_DAYS = getattr(settings, "MEETING_LATE_EDIT_AFTER_DAYS", 30)
ATTACHMENTS_PER_MEETING = 20


def holding_problem(org) -> str | None:
    if org.kind not in MEETING_HOLDING_KINDS:
        return f"{org.name}是{org.kind}，三会一课只能由党支部或党总支登记"
    return None


def applies_to(exemption: str, *, has_committee: bool, has_party_groups: bool) -> bool:
    """Does a standard with `exemption` bind a branch with these flags?"""
    if exemption == Exemption.NEEDS_COMMITTEE:
        return has_committee
    if exemption == Exemption.NEEDS_PARTY_GROUPS:
        return has_party_groups
    return True


def held_problems(*, held_on: dt.date, held_at: dt.datetime, now: dt.datetime, founded_on: dt.date | None) -> dict:
    problems = {}
    if held_at > now:
        problems["held_at"] = "召开时间不能晚于当前时间（不能登记尚未召开的会议）。"
    elif founded_on and held_on < founded_on:
        problems["held_at"] = f"召开日期早于该支部的成立日期 {founded_on}。"
    return problems


def kind_problem(kind: str) -> str | None:
    if kind not in MeetingKind.values:
        return f"未知的会议类型“{kind}”，应为：{'、'.join(MeetingKind.values)}"
    return None


def is_backfilled(*, held_on: dt.date, entered_on: dt.date) -> bool:
    return (entered_on - held_on).days > BACKFILL_AFTER_DAYS


def needs_edit_reason(*, held_on: dt.date, today: dt.date) -> bool:
    return (today - held_on).days > LATE_EDIT_AFTER_DAYS


def count_problems(*, expected: int | None, present: int | None) -> dict:
    """Counts given without an attendance list; a blank one is 0."""
    problems = {}
    for field, value in (("expected_count", expected), ("present_count", present)):
        if value is not None and value < 0:
            problems[field] = "人数不能为负数。"
    if not problems and (present or 0) > (expected or 0):
        problems["present_count"] = f"实到人数 {present or 0} 多于应到人数 {expected or 0}。"
    return problems


def attendance_problems(entries, *, eligible: dict[int, str], branch_name: str, held_on: dt.date) -> list[str]:
    """Problems of an attendance list: [(member_id, status, reason)] against {member id: name} of those who were
    members of the branch on the day."""
    problems = []
    seen = set()
    for member_id, status, reason in entries:
        if member_id in seen:
            problems.append(f"党员 #{member_id} 在名单中出现了两次。")
            continue
        seen.add(member_id)
        if member_id not in eligible:
            problems.append(f"党员 #{member_id} 在 {held_on} 不是{branch_name}的党员，不能登记出席。")
        if status not in AttendanceStatus.values:
            problems.append(f"出席情况“{status}”无效，应为：{'、'.join(AttendanceStatus.values)}。")
        elif status == AttendanceStatus.LEAVE and not (reason or "").strip():
            problems.append(f"{eligible.get(member_id, '#' + str(member_id))}请假，须填写请假原因。")
    return problems
