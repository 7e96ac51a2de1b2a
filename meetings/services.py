"""Writes of meetings: record with attendance and attachments, edit (with a reason once it is old), delete.

Every write checks the actor's scope, runs in one transaction and leaves an audit row; a failed write changes
nothing (files stored for a meeting that then fails are removed again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import may_configure_county
from core.attachments import check_uploads, delete_stored, store_uploads
from core.audit import audit_log, snapshot
from core.scope import Action
from organizations.services import ensure_in_scope

from . import rules
from .choices import AttendanceStatus, Exemption, PeriodType
from .models import Attendance, Meeting, MeetingAttachment, MeetingStandard, Speech
from .selectors import attendees_on

MEETING_AUDIT_FIELDS = (
    "branch",
    "kind",
    "held_at",
    "place",
    "topic",
    "host",
    "recorder",
    "minutes",
    "expected_count",
    "present_count",
    "leave_count",
    "backfilled",
)
EDITABLE_FIELDS = (
    "kind",
    "held_at",
    "place",
    "topic",
    "host",
    "recorder",
    "minutes",
    "expected_count",
    "present_count",
)
STANDARD_AUDIT_FIELDS = ("kind", "period_type", "min_count", "exemption", "note")


@dataclass(frozen=True)
class AttendanceEntry:
    member_id: int
    status: str
    reason: str = ""


def local_time(held_at: dt.datetime) -> dt.datetime:
    """An aware time; a naive one is read as Asia/Shanghai wall-clock time."""
    if timezone.is_naive(held_at):
        return timezone.make_aware(held_at, timezone.get_default_timezone())
    return held_at


def _attendance_summary(entries: Iterable[AttendanceEntry], names: dict[int, str]) -> str:
    by_status = {s: [] for s in AttendanceStatus.values}
    for e in entries:
        name = names.get(e.member_id, f"#{e.member_id}")
        by_status[e.status].append(f"{name}（{e.reason}）" if e.reason else name)
    parts = [f"出席 {len(by_status[AttendanceStatus.PRESENT])} 人"]
    for status in (AttendanceStatus.LEAVE, AttendanceStatus.ABSENT):
        if by_status[status]:
            parts.append(f"{status} {len(by_status[status])} 人：{'、'.join(by_status[status])}")
    return "；".join(parts)


def _snapshot(meeting: Meeting, attendance: str | None = None) -> dict:
    data = snapshot(meeting, MEETING_AUDIT_FIELDS)
    if attendance is not None:
        data["attendance"] = attendance
    return data


def _check_attendance(branch, held_on: dt.date, entries: list[AttendanceEntry]) -> tuple[dict[int, str], list[str]]:
    eligible = {m.pk: m.person.name for m in attendees_on(branch=branch, on=held_on)}
    cleaned = [(e.member_id, e.status, e.reason) for e in entries]
    return eligible, rules.attendance_problems(cleaned, eligible=eligible, branch_name=branch.name, held_on=held_on)


def _apply_counts(meeting: Meeting, entries: list[AttendanceEntry] | None, expected, present) -> dict:
    """Counts derive from the attendance list when there is one; otherwise (historical records) they are given."""
    if entries is not None:
        meeting.has_attendance = True
        meeting.expected_count = len(entries)
        meeting.present_count = sum(e.status == AttendanceStatus.PRESENT for e in entries)
        meeting.leave_count = sum(e.status == AttendanceStatus.LEAVE for e in entries)
        return {}
    problems = rules.count_problems(expected=expected, present=present)
    if not problems:
        meeting.has_attendance = False
        meeting.expected_count = expected or 0
        meeting.present_count = present or 0
        meeting.leave_count = 0
    return problems


def _duplicate_message(meeting: Meeting) -> str:
    return (
        f"{meeting.branch.name}在 {timezone.localtime(meeting.held_at):%Y-%m-%d %H:%M} 已登记过一次“{meeting.kind}”"
        f"（会议 #{meeting.pk}），请勿重复登记。"
    )


def _raise(problems: dict) -> None:
    if problems:
        raise ValidationError({k: v if isinstance(v, list) else [v] for k, v in problems.items()})


def _check_fields(meeting: Meeting, now: dt.datetime) -> dict:
    problems = {}
    if problem := rules.kind_problem(meeting.kind):
        problems["kind"] = problem
    if not (meeting.topic or "").strip():
        problems["topic"] = "请填写会议主题。"
    problems.update(
        rules.held_problems(
            held_on=meeting.held_on, held_at=meeting.held_at, now=now, founded_on=meeting.branch.founded_on
        )
    )
    return problems


@transaction.atomic
def meeting_record(
    *,
    actor,
    branch,
    kind: str,
    held_at: dt.datetime,
    topic: str,
    place: str = "",
    host: str = "",
    recorder: str = "",
    minutes: str = "",
    attendance: list[AttendanceEntry] | None = None,
    expected_count: int | None = None,
    present_count: int | None = None,
    submission_key: str = "",
    files: Iterable = (),
) -> Meeting:
    """Record a meeting of `branch` with its attendance (members of the branch on that day) and attachments.

    A repeated `submission_key` (a double tap on 提交) returns the meeting saved the first time and writes nothing.
    """
    ensure_in_scope(actor, Action.CHANGE, branch)
    if submission_key:
        earlier = Meeting.objects.filter(submission_key=submission_key).first()
        if earlier is not None:
            if earlier.branch_id != branch.pk:
                raise ValidationError({"submission_key": "提交标识已被其他会议使用，请刷新页面后重新填写。"})
            return earlier
    if problem := rules.holding_problem(branch):
        raise ValidationError({"branch": problem})
    now = timezone.now()
    held_at = local_time(held_at)
    meeting = Meeting(
        branch=branch,
        kind=kind,
        held_at=held_at,
        held_on=timezone.localtime(held_at).date(),
        place=place.strip(),
        topic=(topic or "").strip(),
        host=host.strip(),
        recorder=recorder.strip(),
        minutes=minutes,
        submission_key=submission_key,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        updated_at=now,
    )
    meeting.backfilled = rules.is_backfilled(held_on=meeting.held_on, entered_on=timezone.localtime(now).date())
    problems = _check_fields(meeting, now)
    names: dict[int, str] = {}
    if attendance is not None and "held_at" not in problems:
        names, attendance_problems = _check_attendance(branch, meeting.held_on, attendance)
        if attendance_problems:
            problems["attendance"] = attendance_problems
    problems.update(_apply_counts(meeting, attendance, expected_count, present_count))
    uploads = _checked_uploads(files, already=0)
    if "attachments" in uploads:
        problems["attachments"] = uploads["attachments"]
    _raise(problems)
    existing = Meeting.objects.filter(branch=branch, kind=kind, held_at=held_at).select_related("branch").first()
    if existing is not None:
        raise ValidationError({"held_at": _duplicate_message(existing)})
    try:
        with transaction.atomic():
            meeting.save()
    except IntegrityError:
        # A concurrent double tap got there first: hand back its meeting rather than a second one or an error.
        earlier = Meeting.objects.filter(submission_key=submission_key).first() if submission_key else None
        if earlier is not None and earlier.branch_id == branch.pk:
            return earlier
        existing = Meeting.objects.filter(branch=branch, kind=kind, held_at=held_at).select_related("branch").first()
        raise ValidationError(
            {"held_at": _duplicate_message(existing) if existing else "会议未能保存，请重试。"}
        ) from None
    if attendance is not None:
        Attendance.objects.bulk_create(
            [
                Attendance(meeting=meeting, member_id=e.member_id, status=e.status, reason=e.reason.strip())
                for e in attendance
            ]
        )
    summary = _attendance_summary(attendance, names) if attendance is not None else None
    note = f"补录：召开后超过 {rules.BACKFILL_AFTER_DAYS} 天登记" if meeting.backfilled else ""
    audit_log(
        actor=actor, action="create", obj=meeting, org_path=branch.path, after=_snapshot(meeting, summary), note=note
    )
    _store_uploads(actor, meeting, uploads.get("files", []))
    return meeting


@transaction.atomic
def meeting_update(
    *, actor, meeting: Meeting, reason: str = "", attendance: list[AttendanceEntry] | None = None, **fields
) -> Meeting:
    """Change a meeting. One held more than 30 days ago (before or after the change) needs a reason, which is kept
    on the meeting and in the audit."""
    ensure_in_scope(actor, Action.CHANGE, meeting.branch)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    meeting = Meeting.objects.select_for_update().select_related("branch").get(pk=meeting.pk)
    names_before = _names_of_attendance(meeting)
    before = _snapshot(meeting, names_before)
    old_held_on = meeting.held_on
    now = timezone.now()
    today = timezone.localtime(now).date()
    for name, value in fields.items():
        if name in ("expected_count", "present_count"):
            continue
        setattr(meeting, name, value.strip() if isinstance(value, str) and name != "minutes" else value)
    if "held_at" in fields:
        meeting.held_at = local_time(fields["held_at"])
        meeting.held_on = timezone.localtime(meeting.held_at).date()
    problems = _check_fields(meeting, now)
    late = rules.needs_edit_reason(held_on=old_held_on, today=today) or rules.needs_edit_reason(
        held_on=meeting.held_on, today=today
    )
    reason = (reason or "").strip()
    if late and not reason:
        problems["reason"] = f"该会议召开已超过 {rules.LATE_EDIT_AFTER_DAYS} 天，修改须填写原因。"
    names: dict[int, str] = {}
    if attendance is not None and "held_at" not in problems:
        names, attendance_problems = _check_attendance(meeting.branch, meeting.held_on, attendance)
        if attendance_problems:
            problems["attendance"] = attendance_problems
    elif attendance is None and meeting.has_attendance and "held_at" in fields and meeting.held_on != old_held_on:
        current = [
            AttendanceEntry(a.member_id, a.status, a.reason) for a in meeting.attendance.all().order_by("member_id")
        ]
        names, attendance_problems = _check_attendance(meeting.branch, meeting.held_on, current)
        if attendance_problems:
            problems["held_at"] = ["改期后名单中有人在新日期不是本支部党员：", *attendance_problems]
    if attendance is not None:
        problems.update(_apply_counts(meeting, attendance, None, None))
    elif not meeting.has_attendance and ("expected_count" in fields or "present_count" in fields):
        problems.update(
            _apply_counts(
                meeting,
                None,
                fields.get("expected_count", meeting.expected_count),
                fields.get("present_count", meeting.present_count),
            )
        )
    _raise(problems)
    clash = (
        Meeting.objects.filter(branch=meeting.branch, kind=meeting.kind, held_at=meeting.held_at)
        .exclude(pk=meeting.pk)
        .select_related("branch")
        .first()
    )
    if clash is not None:
        raise ValidationError({"held_at": _duplicate_message(clash)})
    if late:
        meeting.late_edit_reason = reason[:200]
        meeting.late_edited_at = now
    meeting.updated_at = now
    meeting.save()
    summary = names_before
    if attendance is not None:
        meeting.attendance.all().delete()
        Attendance.objects.bulk_create(
            [
                Attendance(meeting=meeting, member_id=e.member_id, status=e.status, reason=e.reason.strip())
                for e in attendance
            ]
        )
        summary = _attendance_summary(attendance, names)
    note = f"逾期修改，原因：{reason}" if late else reason
    audit_log(
        actor=actor,
        action="update",
        obj=meeting,
        org_path=meeting.branch.path,
        before=before,
        after=_snapshot(meeting, summary),
        note=note,
    )
    return meeting


def _names_of_attendance(meeting: Meeting) -> str | None:
    if not meeting.has_attendance:
        return None
    rows = meeting.attendance.select_related("member__person").order_by("member__person__name", "member_id")
    entries = [AttendanceEntry(a.member_id, a.status, a.reason) for a in rows]
    return _attendance_summary(entries, {a.member_id: a.member.person.name for a in rows})


@transaction.atomic
def meeting_delete(*, actor, meeting: Meeting, reason: str) -> None:
    """Delete a meeting (it no longer counts for compliance). Always needs a reason; attachments go with it."""
    ensure_in_scope(actor, Action.CHANGE, meeting.branch)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "删除会议须填写原因。"})
    before = _snapshot(meeting, _names_of_attendance(meeting))
    files = [a.file.name for a in meeting.attachments.all()]
    storage = MeetingAttachment._meta.get_field("file").storage
    audit_log(actor=actor, action="delete", obj=meeting, org_path=meeting.branch.path, before=before, note=reason)
    meeting.delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in files])


# --- Attachments ----------------------------------------------------------------------------------------------------


def _checked_uploads(files: Iterable, *, already: int) -> dict:
    """Read and check uploads: {'files': [CheckedUpload]} or {'attachments': [problems]}."""
    checked, problems = check_uploads(files, already=already, limit=rules.ATTACHMENTS_PER_MEETING)
    return {"attachments": problems} if problems else {"files": checked}


def _store_uploads(actor, meeting: Meeting, checked: list) -> list[MeetingAttachment]:
    return store_uploads(
        actor,
        checked,
        make=lambda **fields: MeetingAttachment(meeting=meeting, **fields),
        org_path=meeting.branch.path,
        owner={"meeting": meeting.pk},
    )


@transaction.atomic
def attachment_add(*, actor, meeting: Meeting, files: Iterable) -> list[MeetingAttachment]:
    ensure_in_scope(actor, Action.CHANGE, meeting.branch)
    uploads = _checked_uploads(files, already=meeting.attachments.count())
    if "attachments" in uploads:
        raise ValidationError({"attachments": uploads["attachments"]})
    return _store_uploads(actor, meeting, uploads["files"])


@transaction.atomic
def attachment_delete(*, actor, attachment: MeetingAttachment) -> None:
    meeting = attachment.meeting
    ensure_in_scope(actor, Action.CHANGE, meeting.branch)
    delete_stored(actor, attachment, org_path=meeting.branch.path, owner={"meeting": meeting.pk})


# --- Speech materials ------------------------------------------------------------------------------------------

SPEECH_MAX_CHARS = 20000


def _speech_audit(speech: Speech, name: str) -> dict:
    return {"meeting": speech.meeting_id, "member": speech.member_id, "name": name, "text": speech.text}


@transaction.atomic
def speech_save(*, actor, meeting: Meeting, member, text: str) -> Speech:
    """Keep a member's speech material (发言材料) at a meeting, as text the nightly check compares: one per member,
    a second one replaces the first. The member must be on the meeting's attendance list."""
    ensure_in_scope(actor, Action.CHANGE, meeting.branch)
    text = (text or "").strip()
    problems = {}
    if not text:
        problems["text"] = "请填写发言材料内容。"
    elif len(text) > SPEECH_MAX_CHARS:
        problems["text"] = f"发言材料不超过 {SPEECH_MAX_CHARS} 字（现有 {len(text)} 字）。"
    if member is None or not Attendance.objects.filter(meeting=meeting, member=member).exists():
        problems["member"] = "请选择该次会议出席名单中的党员。"
    _raise(problems)
    name = member.person.name
    speech = Speech.objects.select_for_update().filter(meeting=meeting, member=member).first()
    if speech is None:
        speech = Speech.objects.create(meeting=meeting, member=member, text=text, created_at=timezone.now())
        audit_log(
            actor=actor,
            action="create",
            obj=speech,
            org_path=meeting.branch.path,
            after=_speech_audit(speech, name),
            note=f"{name}的发言材料",
        )
        return speech
    if speech.text == text:
        return speech
    before = _speech_audit(speech, name)
    speech.text = text
    speech.save(update_fields=["text"])
    audit_log(
        actor=actor,
        action="update",
        obj=speech,
        org_path=meeting.branch.path,
        before=before,
        after=_speech_audit(speech, name),
        note=f"{name}的发言材料",
    )
    return speech


@transaction.atomic
def speech_delete(*, actor, speech: Speech) -> None:
    """Remove a speech material (entered for the wrong member or meeting)."""
    meeting = speech.meeting
    ensure_in_scope(actor, Action.CHANGE, meeting.branch)
    name = speech.member.person.name
    audit_log(
        actor=actor,
        action="delete",
        obj=speech,
        org_path=meeting.branch.path,
        before=_speech_audit(speech, name),
        note=f"{name}的发言材料",
    )
    speech.delete()


# --- Standards --------------------------------------------------------------------------------------------------


@transaction.atomic
def standard_update(
    *, actor, standard: MeetingStandard, period_type: str, min_count: int, exemption: str, note: str = ""
):
    """Change a kind's minimum frequency. The standards belong to the county: county administrators only."""
    if not may_configure_county(actor):
        raise PermissionDenied("只有县委组织部管理员可以修改三会一课标准。")
    problems = {}
    if period_type not in PeriodType.values:
        problems["period_type"] = "周期应为每月、每季度或每年。"
    if exemption not in Exemption.values:
        problems["exemption"] = "适用范围无效。"
    if min_count is None or not 0 <= int(min_count) <= 31:
        problems["min_count"] = "最少次数应在 0 到 31 之间（0 表示不作要求）。"
    _raise(problems)
    standard = MeetingStandard.objects.select_for_update().get(pk=standard.pk)
    before = snapshot(standard, STANDARD_AUDIT_FIELDS)
    standard.period_type, standard.min_count, standard.exemption = period_type, int(min_count), exemption
    standard.note = (note or "").strip()
    standard.updated_at = timezone.now()
    standard.save()
    audit_log(
        actor=actor, action="update", obj=standard, before=before, after=snapshot(standard, STANDARD_AUDIT_FIELDS)
    )
    return standard
