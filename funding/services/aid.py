"""Writes of 党内关爱帮扶: aid given to a member in difficulty.

Rules:
- The aid is recorded at the branch the member belonged to on the day it was given (members.Membership, both ends
  inclusive; a file without any membership history falls back to its current branch), and its year is that day's.
  The clerk needs CHANGE over that branch: a member since transferred in from another township was aided by the
  branch of that day, and it is that branch's record.
- The day is not in the future, not before the member joined, and not after a death or expulsion (出党) recorded
  on an earlier day.
- Amounts are positive Decimal yuan with at most two decimals (core.money.parse_amount); the source is an active
  资金来源. Every write is audited at the branch's path; a refused write changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import audit_log, snapshot
from core.money import parse_amount
from core.scope import Action
from members.models import Member, Membership, StatusChange
from members.rules import FINAL_STATUSES
from organizations.models import Organization
from organizations.services import ensure_in_scope

from ..models import Aid, FundSource

AID_FIELDS = ("member", "branch", "year", "amount", "given_on", "reason", "source")
REASON_MAX = 200


def _raise(problems: dict) -> None:
    if problems:
        raise ValidationError({k: v if isinstance(v, list) else [v] for k, v in problems.items()})


def branch_on(member: Member, on: dt.date) -> Organization | None:
    """The branch `member` belonged to on `on` (the latest membership covering the day); None when none did. A file
    with no membership history at all answers its current branch."""
    membership = (
        Membership.objects.filter(member=member, start_on__lte=on)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=on))
        .select_related("branch")
        .order_by("-start_on", "-id")
        .first()
    )
    if membership is not None:
        return membership.branch
    if not Membership.objects.filter(member=member).exists():
        return member.branch
    return None


@transaction.atomic
def aid_create(*, actor, member: Member, amount, given_on: dt.date, reason: str, source: FundSource) -> Aid:
    """Record aid given to `member` on `given_on`, at the member's branch of that day."""
    problems = {}
    if given_on is None:
        _raise({"given_on": "请填写发放日期。"})
    branch = branch_on(member, given_on)
    if branch is None:
        # Whose record this would be is unknown; the member's current branch decides who may hear why.
        ensure_in_scope(actor, Action.CHANGE, member.branch)
        _raise({"given_on": f"{member.person.name}在 {given_on} 不是本县任何支部的党员，不能登记这天的帮扶。"})
    ensure_in_scope(actor, Action.CHANGE, branch)
    if given_on > timezone.localdate():
        problems["given_on"] = f"发放日期 {given_on} 晚于今天。"
    elif given_on < member.joined_on:
        problems["given_on"] = f"发放日期 {given_on} 早于{member.person.name}的入党日期 {member.joined_on}。"
    else:
        final = (
            StatusChange.objects.filter(member=member, status__in=FINAL_STATUSES, changed_on__lt=given_on)
            .order_by("changed_on")
            .first()
        )
        if final is not None:
            problems["given_on"] = (
                f"{member.person.name}已于 {final.changed_on} {final.status}，不能登记此后发放的帮扶。"
            )
    try:
        value = parse_amount(amount)
    except ValidationError as exc:
        problems["amount"] = exc.messages[0]
    reason = (reason or "").strip()
    if not reason:
        problems["reason"] = "请填写帮扶事由。"
    elif len(reason) > REASON_MAX:
        problems["reason"] = f"帮扶事由不超过 {REASON_MAX} 字。"
    if source is None:
        problems["source"] = "请选择资金来源。"
    elif not source.active:
        problems["source"] = f"资金来源“{source.name}”已停用。"
    _raise(problems)
    aid = Aid.objects.create(
        member=member, branch=branch, year=given_on.year, amount=value, given_on=given_on, reason=reason,
        source=source, created_by=actor if getattr(actor, "pk", None) else None, created_at=timezone.now(),
    )  # fmt: skip
    audit_log(actor=actor, action="create", obj=aid, org_path=branch.path, after=snapshot(aid, AID_FIELDS))
    return aid


@transaction.atomic
def aid_delete(*, actor, aid: Aid) -> None:
    """Remove an aid record entered in error (CHANGE over the branch it was recorded at)."""
    ensure_in_scope(actor, Action.CHANGE, aid.branch)
    audit_log(actor=actor, action="delete", obj=aid, org_path=aid.branch.path, before=snapshot(aid, AID_FIELDS))
    aid.delete()
