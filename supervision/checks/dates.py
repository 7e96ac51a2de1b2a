"""Dates that contradict each other: a training certificate whose dates are not the training's, a person on a
meeting's attendance list who was not a member of the branch that day (or had died, been expelled, had membership
stopped or moved out of the county), a first secretary's duty check-in outside the dispatch."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Exists, F, OuterRef, Q

from meetings.choices import AttendanceStatus
from meetings.models import Attendance, Meeting
from meetings.selectors import NOT_ATTENDING_STATUSES
from members.models import Member, Membership, StatusChange, TrainingRecord
from organizations.models import Organization

from ..choices import CheckKind
from ..models import Dispatch, DutyCheckIn
from ..services.findings import Fault
from .common import day_text, evidence, meeting_label

LISTED = (AttendanceStatus.PRESENT, AttendanceStatus.LEAVE)
STATUS_WORDS = {
    "死亡": "已去世",
    "出党": "已出党",
    "停止党籍": "已停止党籍",
    "转出": "组织关系已转出县外",
}
DATES_SHOWN = 20


# --- Training certificates -------------------------------------------------------------------------------------


def certificate_dates(today: dt.date) -> Iterator[Fault]:
    """A training record whose certificate states other dates than the training's (TrainingRecord.certificate_mismatch)."""
    start_differs = Q(certificate_start_on__isnull=False) & ~Q(certificate_start_on=F("start_on"))
    end_differs = Q(certificate_end_on__isnull=False) & ~Q(certificate_end_on=F("end_on"))
    rows = (
        TrainingRecord.objects.filter(start_differs | end_differs)
        .select_related("member__person", "member__branch")
        .order_by("member__branch_id", "member_id", "start_on", "id")
    )
    for t in rows:
        member, name = t.member, t.member.person.name
        training = f"{day_text(t.start_on)}至{day_text(t.end_on)}"
        certificate = f"{day_text(t.certificate_start_on)}至{day_text(t.certificate_end_on)}"
        organizer = f"（{t.organizer}）" if t.organizer else ""
        yield Fault(
            organization_id=member.branch_id,
            check_kind=CheckKind.CERTIFICATE_DATES,
            key=f"{CheckKind.CERTIFICATE_DATES}:{t.pk}:{day_text(t.certificate_start_on)}:"
            f"{day_text(t.certificate_end_on)}",
            description=(
                f"{member.branch.name}党员{name}参加“{t.course}”{organizer}的培训台账记载培训时间为{training}，"
                f"而培训证书所载时间为{certificate}，两者不一致，培训记录或证书的真实性存疑。"
            ),
            evidence=evidence(
                f"{name}“{t.course}”培训证书日期（{certificate}）与培训日期（{training}）不符",
                [
                    ("党员", f"{name}（{member.branch.name}）"),
                    ("培训班次", t.course),
                    ("主办单位", t.organizer or "—"),
                    ("培训日期", training),
                    ("证书所载日期", certificate),
                    ("学时", f"{t.hours.normalize():f}"),
                ],
                refs=[("member", member.pk, name), ("training", t.pk, t.course)],
            ),
        )


# --- Attendance lists ------------------------------------------------------------------------------------------


def _not_member_reason(*, held_on: dt.date, branch_id: int, member: Member, spans: list[tuple]) -> str:
    """Why `member` was not a member of the branch on `held_on`, from their memberships (branch, start, end)."""
    if member.joined_on > held_on:
        return f"{member.joined_on.isoformat()}才入党，会议时尚未入党"
    here = [(start, end) for b, start, end in spans if b == branch_id]
    later = sorted(start for start, _ in here if start > held_on)
    earlier = sorted(end for _, end in here if end is not None and end < held_on)
    if earlier and not later:
        return f"已于{(earlier[-1] + dt.timedelta(days=1)).isoformat()}转出本支部"
    if later:
        return f"{later[0].isoformat()}才转入本支部，会议时尚未转入"
    return "会议时不是本支部党员"


def _status_timelines(member_ids=None) -> dict[int, list[tuple[dt.date, int, str]]]:
    """{member: [(date, id, status), …]} for members who ever reached a status that ends their organizational life."""
    ended = StatusChange.objects.filter(status__in=NOT_ATTENDING_STATUSES).values("member_id")
    rows = StatusChange.objects.filter(member_id__in=ended).values_list("member_id", "changed_on", "id", "status")
    timelines: dict[int, list] = defaultdict(list)
    for member_id, on, pk, status in rows:
        timelines[member_id].append((on, pk, status))
    for line in timelines.values():
        line.sort()
    return timelines


def _status_on(timeline: list[tuple[dt.date, int, str]], day: dt.date) -> tuple[str, dt.date] | None:
    """The status in force on `day` (the latest change on or before it) and since when."""
    current = None
    for on, _, status in timeline:
        if on > day:
            break
        current = (status, on)
    return current


def attendance_dates(today: dt.date) -> Iterator[Fault]:
    """Meetings whose attendance list (出席 or 请假) names someone who on the meeting's day was not a member of the
    branch (no membership of it covering the day, or not yet joined the party), or whose status on that day ended
    their organizational life (死亡, 出党, 停止党籍, 转出). One finding per meeting, listing each person and why."""
    covering = Membership.objects.filter(
        member_id=OuterRef("member_id"),
        branch_id=OuterRef("meeting__branch_id"),
        start_on__lte=OuterRef("meeting__held_on"),
    ).filter(Q(end_on__isnull=True) | Q(end_on__gte=OuterRef("meeting__held_on")))
    outside = (
        Attendance.objects.filter(status__in=LISTED)
        .filter(~Exists(covering) | Q(member__joined_on__gt=F("meeting__held_on")))
        .values_list("meeting_id", "member_id", "status")
    )
    problems: dict[int, dict[int, tuple[str, str | None]]] = defaultdict(dict)  # meeting → member → (status, reason)
    outside_rows = list(outside)

    timelines = _status_timelines()
    status_rows = []
    if timelines:
        first_end = {m: min(on for on, _, s in line if s in NOT_ATTENDING_STATUSES) for m, line in timelines.items()}
        earliest = min(first_end.values())
        status_rows = Attendance.objects.filter(
            status__in=LISTED, member_id__in=list(first_end), meeting__held_on__gte=earliest
        ).values_list("meeting_id", "member_id", "status", "meeting__held_on")
        for meeting_id, member_id, status, held_on in status_rows:
            if held_on < first_end[member_id]:
                continue
            state = _status_on(timelines[member_id], held_on)
            if state and state[0] in NOT_ATTENDING_STATUSES:
                word = STATUS_WORDS.get(state[0], state[0])
                problems[meeting_id][member_id] = (status, f"{state[1].isoformat()}{word}")
    for meeting_id, member_id, status in outside_rows:
        problems[meeting_id].setdefault(member_id, (status, None))
    if not problems:
        return

    meetings = {m.pk: m for m in Meeting.objects.filter(pk__in=list(problems)).select_related("branch").order_by()}
    member_ids = {member_id for people in problems.values() for member_id in people}
    members = {m.pk: m for m in Member.objects.filter(pk__in=member_ids).select_related("person")}
    spans: dict[int, list[tuple]] = defaultdict(list)
    for member_id, branch_id, start, end in Membership.objects.filter(member_id__in=member_ids).values_list(
        "member_id", "branch_id", "start_on", "end_on"
    ):
        spans[member_id].append((branch_id, start, end))

    for meeting_id in sorted(problems, key=lambda pk: (meetings[pk].held_at, pk)):
        meeting = meetings[meeting_id]
        people = []
        for member_id, (status, reason) in problems[meeting_id].items():
            member = members[member_id]
            if reason is None:
                reason = _not_member_reason(
                    held_on=meeting.held_on, branch_id=meeting.branch_id, member=member, spans=spans[member_id]
                )
            people.append((member.person.name, member_id, status, reason))
        people.sort()
        label = meeting_label(meeting.held_on, meeting.kind)
        listing = "；".join(f"{name}（登记为{status}，{reason}）" for name, _, status, reason in people)
        yield Fault(
            organization_id=meeting.branch_id,
            check_kind=CheckKind.ATTENDANCE_DATES,
            key=f"{CheckKind.ATTENDANCE_DATES}:{meeting_id}",
            description=(
                f"{meeting.branch.name}{label}（主题：{meeting.topic}）的出席名单中有 {len(people)} 人"
                f"当天不在本支部党籍期内：{listing}。会议记录与党员档案矛盾，疑似补记或虚报。"
            ),
            evidence=evidence(
                f"{meeting.branch.name}{label}的出席名单中有 {len(people)} 人当天不是本支部在册党员",
                [("会议", f"{meeting.branch.name} {label}（主题：{meeting.topic}）")]
                + [(name, f"登记为{status}；{reason}") for name, _, status, reason in people],
                refs=[("meeting", meeting.pk, f"{meeting.branch.name} {label}")]
                + [("member", member_id, name) for name, member_id, _, _ in people],
            ),
        )


# --- Duty check-ins of dispatched cadres ----------------------------------------------------------------------------


def dispatch_dates(today: dt.date) -> Iterator[Fault]:
    """A dispatched cadre's duty check-ins (到岗记录) dated before the dispatch began or after it ended."""
    outside = DutyCheckIn.objects.filter(
        Q(on__lt=F("dispatch__start_on")) | Q(dispatch__end_on__isnull=False, on__gt=F("dispatch__end_on"))
    ).values_list("dispatch_id", "on")
    days: dict[int, list[dt.date]] = defaultdict(list)
    for dispatch_id, on in outside:
        days[dispatch_id].append(on)
    if not days:
        return
    dispatches = Dispatch.objects.filter(pk__in=list(days)).select_related("organization").order_by("pk")
    orgs = {o.pk: o for o in Organization.objects.filter(pk__in=dispatches.values("organization_id"))}
    for d in dispatches:
        org = orgs[d.organization_id]
        dates = sorted(days[d.pk])
        before = [x for x in dates if x < d.start_on]
        after = [x for x in dates if d.end_on and x > d.end_on]
        period = f"{d.start_on.isoformat()}至{d.end_on.isoformat() if d.end_on else '今'}"
        shown = "、".join(x.isoformat() for x in dates[:DATES_SHOWN]) + ("等" if len(dates) > DATES_SHOWN else "")
        parts = []
        if before:
            parts.append(f"{len(before)} 天在派驻开始之前")
        if after:
            parts.append(f"{len(after)} 天在派驻结束之后")
        yield Fault(
            organization_id=d.organization_id,
            check_kind=CheckKind.DISPATCH_DATES,
            key=f"{CheckKind.DISPATCH_DATES}:{d.pk}",
            description=(
                f"{d.unit}派驻{org.name}的{d.role}{d.name}，派驻期为{period}，但有 {len(dates)} 天到岗记录不在派驻期内"
                f"（{'，'.join(parts)}）：{shown}。到岗记录与派驻时间矛盾，疑似补记或代签。"
            ),
            evidence=evidence(
                f"{d.role}{d.name}有 {len(dates)} 天到岗记录不在派驻期（{period}）内",
                [
                    ("驻村干部", f"{d.name}（{d.role}）"),
                    ("派出单位", d.unit),
                    ("派驻组织", org.name),
                    ("派驻期", period),
                    ("派驻期外的到岗日期", "、".join(x.isoformat() for x in dates)),
                ],
                refs=[("dispatch", d.pk, f"{d.role}{d.name}"), ("organization", org.pk, org.name)],
            ),
        )
