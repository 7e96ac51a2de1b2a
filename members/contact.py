"""失联党员: finding members out of contact for six months or more, and tracking each case to its end."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import AuditBatch, audit_log
from core.bulk import filter_in
from core.scope import Action
from meetings.choices import AttendanceStatus
from meetings.models import Attendance
from organizations.services import ensure_in_scope

from .choices import LostContactStatus, MemberStatus
from .models import LostContactCase, Member, Membership, PointRecord, StatusChange, TrainingRecord

OUT_OF_CONTACT_FOR = relativedelta(months=6)
OPEN = (LostContactStatus.CANDIDATE, LostContactStatus.CONFIRMED)

# Where a sign of contact can be found: (model, date field, filter). Attendance counts when the member came or asked
# for leave (the branch reached them); 缺席 is no sign of contact.
ACTIVITY_SOURCES = (
    (Membership, "start_on", {}),
    (StatusChange, "changed_on", {}),
    (TrainingRecord, "end_on", {}),
    (PointRecord, "recorded_on", {}),
    (Attendance, "meeting__held_on", {"status__in": (AttendanceStatus.PRESENT, AttendanceStatus.LEAVE)}),
)


def last_activity(member_ids) -> dict[int, dt.date]:
    """{member id: the latest date of any sign of contact} — one grouped query per source."""
    latest: dict[int, dt.date] = {}
    for model, field, extra in ACTIVITY_SOURCES:
        rows = (
            model.objects.filter(member_id__in=member_ids, **extra)
            .values_list("member_id")
            .annotate(m=Max(field))
            .order_by()
        )
        for member_id, day in rows:
            if day and (member_id not in latest or day > latest[member_id]):
                latest[member_id] = day
    return latest


@transaction.atomic
def lost_contact_find(*, today: dt.date) -> int:
    """Open a 待确认 case for every normal member with no sign of contact since six months before `today`.

    Idempotent: members with an open case, or whose case was dismissed within the last six months, are skipped.
    """
    cutoff = today - OUT_OF_CONTACT_FOR
    members = Member.objects.filter(status=MemberStatus.NORMAL, joined_on__lt=cutoff)
    skip = set(LostContactCase.objects.filter(status__in=OPEN).values_list("member_id", flat=True)) | set(
        LostContactCase.objects.filter(status=LostContactStatus.DISMISSED, decided_on__gt=cutoff).values_list(
            "member_id", flat=True
        )
    )
    ids = [pk for pk in members.values_list("id", flat=True) if pk not in skip]
    latest = {}
    for start in range(0, len(ids), 5000):
        latest.update(last_activity(ids[start : start + 5000]))
    found = [pk for pk in ids if latest.get(pk, dt.date.min) < cutoff]
    cases = [
        LostContactCase(member_id=pk, last_contact_on=latest.get(pk), found_on=today, note="系统按月排查")
        for pk in found
    ]
    LostContactCase.objects.bulk_create(cases, batch_size=2000)
    audit = AuditBatch(None)
    paths = dict(
        (m.pk, m.branch.path)
        for m in filter_in(Member.objects.select_related("branch").only("branch__path"), "pk", found)
    )
    for case in LostContactCase.objects.filter(member_id__in=found, found_on=today, status=LostContactStatus.CANDIDATE):
        audit.add(
            action="create",
            object_type="members.lostcontactcase",
            object_id=case.pk,
            object_repr=f"失联排查 #{case.pk}",
            org_path=paths.get(case.member_id, ""),
            after={"last_contact_on": case.last_contact_on and case.last_contact_on.isoformat()},
        )
    audit.save()
    return len(cases)


def _check_date(on: dt.date, *, not_before: dt.date | None, label: str) -> None:
    if on > timezone.localdate():
        raise ValidationError({"on": "日期不能晚于今天。"})
    if not_before and on < not_before:
        raise ValidationError({"on": f"日期不能早于{label} {not_before}。"})


@transaction.atomic
def lost_contact_decide(
    *, actor, case: LostContactCase, confirmed: bool, on: dt.date, note: str = ""
) -> LostContactCase:
    """The branch secretary confirms (the member's status becomes 失联) or dismisses a candidate case."""
    ensure_in_scope(actor, Action.CHANGE, case.member.branch)
    if case.status != LostContactStatus.CANDIDATE:
        raise ValidationError({"status": f"该排查已是“{case.status}”，不能再次确认或排除。"})
    _check_date(on, not_before=case.found_on, label="发现日期")
    case.status = LostContactStatus.CONFIRMED if confirmed else LostContactStatus.DISMISSED
    case.decided_on = on
    case.note = note or case.note
    case.save(update_fields=["status", "decided_on", "note"])
    if confirmed:
        from .services import member_status_change

        member_status_change(actor=actor, member=case.member, status=MemberStatus.LOST_CONTACT, on=on, note=note)
    audit_log(
        actor=actor,
        action="update",
        obj=case,
        org_path=case.member.branch.path,
        after={"status": case.status, "decided_on": on.isoformat()},
    )
    return case


@transaction.atomic
def lost_contact_resolve(*, actor, case: LostContactCase, on: dt.date, note: str = "") -> LostContactCase:
    """Contact restored: the case closes and the member is 正常 again."""
    ensure_in_scope(actor, Action.CHANGE, case.member.branch)
    if case.status != LostContactStatus.CONFIRMED:
        raise ValidationError({"status": "只有已确认失联的排查可以办结。"})
    _check_date(on, not_before=case.decided_on, label="确认日期")
    case.status = LostContactStatus.RESOLVED
    case.resolved_on = on
    case.note = note or case.note
    case.save(update_fields=["status", "resolved_on", "note"])
    from .services import member_status_change

    # Back to the status the member had before being lost (流出 stays 流出), 正常 when there was none.
    earlier = (
        case.member.status_changes.exclude(status=MemberStatus.LOST_CONTACT)
        .filter(changed_on__lte=case.decided_on)
        .order_by("-changed_on", "-id")
        .values_list("status", flat=True)
        .first()
    )
    member_status_change(actor=actor, member=case.member, status=earlier or MemberStatus.NORMAL, on=on, note="恢复联系")
    audit_log(
        actor=actor,
        action="update",
        obj=case,
        org_path=case.member.branch.path,
        after={"status": case.status, "resolved_on": on.isoformat()},
    )
    return case
