"""流动党员: opening and closing a member's flow records, and keeping them in step with the 党籍状态."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import audit_log, snapshot
from core.scope import Action
from organizations.services import ensure_in_scope

from .models import FlowRecord, Member
from .rules import FLOW_DIRECTIONS, FLOW_KEEPING_STATUSES, flow_close_problems, flow_open_problems

FLOW_AUDIT_FIELDS = ("member", "direction", "place", "start_on", "end_on", "contact")


def open_flow_of(member: Member) -> FlowRecord | None:
    """The member's flow without an end (the constraint flowrecord_one_open_flow allows at most one)."""
    return member.flows.filter(end_on__isnull=True).first()


@transaction.atomic
def flow_record_open(
    *, actor, member: Member, direction: str, place: str, start_on: dt.date, contact: str = ""
) -> FlowRecord:
    """Record that a member flowed out to (流出) or in from (流入) `place` on `start_on`; one open flow at a time."""
    ensure_in_scope(actor, Action.CHANGE, member.branch)
    # Two writers opening a flow for the same member queue on the member's row; the second sees the first's flow.
    list(Member.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True))
    problems = flow_open_problems(
        status=member.status,
        joined_on=member.joined_on,
        direction=direction,
        place=place,
        start_on=start_on,
        open_flow=open_flow_of(member),
        last_end=member.flows.aggregate(last=Max("end_on"))["last"],
        today=timezone.localdate(),
    )
    if problems:
        raise ValidationError(problems)
    flow = FlowRecord(
        member=member, direction=direction, place=place.strip(), start_on=start_on, contact=contact.strip()
    )
    flow.full_clean(exclude=["member"])
    flow.save()
    audit_log(
        actor=actor,
        action="create",
        obj=flow,
        org_path=member.branch.path,
        after=snapshot(flow, FLOW_AUDIT_FIELDS),
    )
    return flow


@transaction.atomic
def flow_record_close(*, actor, flow: FlowRecord, end_on: dt.date) -> FlowRecord:
    """The member came back (or moved on): the flow ends on `end_on`, no earlier than it started."""
    member = flow.member
    ensure_in_scope(actor, Action.CHANGE, member.branch)
    # Read the stored row under lock: the caller's copy may be stale (closed meanwhile in another request).
    stored = FlowRecord.objects.select_for_update().get(pk=flow.pk)
    problems = flow_close_problems(
        start_on=stored.start_on, end_on=end_on, ended_on=stored.end_on, today=timezone.localdate()
    )
    if problems:
        raise ValidationError(problems)
    before = snapshot(stored, FLOW_AUDIT_FIELDS)
    flow.end_on = end_on
    flow.full_clean(exclude=["member"])
    flow.save(update_fields=["end_on"])
    audit_log(
        actor=actor,
        action="update",
        obj=flow,
        org_path=member.branch.path,
        before=before,
        after=snapshot(flow, FLOW_AUDIT_FIELDS),
    )
    return flow


# The status change form and API call the date `on`; the flow's own names would point at fields they do not have.
STATUS_CHANGE_FIELDS = {"start_on": "on", "end_on": "on"}


def flow_follow_status(*, actor, member: Member, status: str, on: dt.date, place: str = "") -> None:
    """The one rule tying flows to 党籍状态, run by member_status_change inside its transaction:

    - to 流出 / 流入: a flow in that direction opens on `on` (to `place`), unless one is already open (a member back
      from 失联 is still away; a flow registered on the 流动 tab first is simply the same flow). An open flow the
      other way ends on `on` first.
    - to 失联 / 停止党籍: nothing; the member is no less away.
    - to anything else (正常, 转出, 出党, 死亡): the open flow, if any, ends on `on`.
    """
    current = open_flow_of(member)
    try:
        if status in FLOW_DIRECTIONS:
            if current is not None and current.direction == status:
                return
            if current is not None:
                flow_record_close(actor=actor, flow=current, end_on=on)
            flow_record_open(actor=actor, member=member, direction=status, place=place, start_on=on)
        elif status not in FLOW_KEEPING_STATUSES and current is not None:
            flow_record_close(actor=actor, flow=current, end_on=on)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({STATUS_CHANGE_FIELDS.get(k, k): v for k, v in exc.error_dict.items()}) from None
