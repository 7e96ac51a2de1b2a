"""Weak and lax organizations (软弱涣散党组织): designated on a date for a reason, rectified step by step, lifted
(摘帽) on a date.

Rules:
- The county's and townships' staff (MANAGE over the organization) designate, record steps and lift; a branch
  secretary reads only. Outside the scope is "not found".
- An organization has at most one open designation (the model's weak_one_open_per_org constraint).
- No date lies in the future. A step lies between the designation and today; a lift between the designation and
  today. A lifted designation is closed: no more steps, no second lift.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_log, snapshot
from core.exceptions import NotInScope
from core.scope import Action, in_scope
from organizations.models import Organization

from ..models import WeakOrganization, WeakRectificationStep

AUDIT_FIELDS = ("organization", "designated_on", "reason", "measures", "lifted_on", "lift_note")
STEP_AUDIT_FIELDS = ("weak", "done_on", "description")
LIFT_NOTE_MAX = 300


def _raise(problems: dict) -> None:
    if problems:
        raise ValidationError({k: v if isinstance(v, list) else [v] for k, v in problems.items()})


def _ensure_manage(actor, organization: Organization) -> None:
    """MANAGE over the organization; a reader in scope is told why, anyone else gets 'not found'."""
    if in_scope(actor, Action.MANAGE, organization.path):
        return
    if in_scope(actor, Action.VIEW, organization.path):
        raise PermissionDenied("您的角色只能查看，软弱涣散党组织的认定、整顿和摘帽由县、乡镇组织部门办理。")
    raise NotInScope()


def _open_of(organization: Organization) -> WeakOrganization | None:
    return WeakOrganization.objects.filter(organization=organization, lifted_on__isnull=True).first()


def _already_open(open_weak: WeakOrganization) -> str:
    return f"{open_weak.organization.name}已在软弱涣散整顿中（{open_weak.designated_on:%Y-%m-%d} 认定），摘帽后才能再次认定。"


def _lock(weak: WeakOrganization) -> WeakOrganization:
    return WeakOrganization.objects.select_for_update().select_related("organization").get(pk=weak.pk)


def _check_text(problems: dict, field: str, value: str, empty: str, limit: int | None = None, label: str = "") -> str:
    value = (value or "").strip()
    if not value:
        problems[field] = empty
    elif limit and len(value) > limit:
        problems[field] = f"{label}不超过 {limit} 字。"
    return value


@transaction.atomic
def weak_designate(
    *, actor, organization: Organization, designated_on: dt.date | None, reason: str, measures: str = ""
) -> WeakOrganization:
    """Designate `organization` 软弱涣散 from `designated_on` for `reason`, with the planned rectification measures."""
    _ensure_manage(actor, organization)
    # Serialize designations of one organization, so two clerks cannot both pass the "one open" check.
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    today = timezone.localdate()
    problems = {}
    if designated_on is None:
        problems["designated_on"] = "请填写认定日期。"
    elif designated_on > today:
        problems["designated_on"] = f"认定日期 {designated_on:%Y-%m-%d} 晚于今天，不能登记。"
    reason = _check_text(problems, "reason", reason, "请填写软弱涣散的主要表现（认定原因）。")
    measures = (measures or "").strip()
    open_weak = _open_of(organization)
    if open_weak is not None:
        problems["organization"] = _already_open(open_weak)
    _raise(problems)
    weak = WeakOrganization(
        organization=organization,
        designated_on=designated_on,
        reason=reason,
        measures=measures,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            weak.save()
    except IntegrityError:  # a concurrent designation won the race
        raise ValidationError({"organization": [_already_open(_open_of(organization) or weak)]}) from None
    audit_log(actor=actor, action="create", obj=weak, org_path=organization.path, after=snapshot(weak, AUDIT_FIELDS))
    return weak


@transaction.atomic
def weak_update(*, actor, weak: WeakOrganization, reason: str, measures: str = "") -> WeakOrganization:
    """Correct the reason or the planned measures of an open designation."""
    weak = _lock(weak)
    _ensure_manage(actor, weak.organization)
    problems = {}
    if weak.lifted_on is not None:
        problems["lifted_on"] = f"已于 {weak.lifted_on:%Y-%m-%d} 摘帽，不能再修改。"
    reason = _check_text(problems, "reason", reason, "请填写软弱涣散的主要表现（认定原因）。")
    _raise(problems)
    before = snapshot(weak, AUDIT_FIELDS)
    weak.reason, weak.measures = reason, (measures or "").strip()
    weak.save(update_fields=["reason", "measures"])
    audit_log(
        actor=actor,
        action="update",
        obj=weak,
        org_path=weak.organization.path,
        before=before,
        after=snapshot(weak, AUDIT_FIELDS),
    )
    return weak


@transaction.atomic
def weak_step_add(*, actor, weak: WeakOrganization, done_on: dt.date | None, description: str) -> WeakRectificationStep:
    """Record one rectification step (what was done, on which day) of an open designation."""
    weak = _lock(weak)
    _ensure_manage(actor, weak.organization)
    today = timezone.localdate()
    problems = {}
    if weak.lifted_on is not None:
        problems["weak"] = f"该组织已于 {weak.lifted_on:%Y-%m-%d} 摘帽，整顿已结束，不能再添加整顿进展。"
    if done_on is None:
        problems["done_on"] = "请填写整顿进展的日期。"
    elif done_on > today:
        problems["done_on"] = f"日期 {done_on:%Y-%m-%d} 晚于今天，不能登记。"
    elif done_on < weak.designated_on:
        problems["done_on"] = f"日期 {done_on:%Y-%m-%d} 早于认定日期 {weak.designated_on:%Y-%m-%d}。"
    description = _check_text(problems, "description", description, "请填写整顿措施及进展。")
    _raise(problems)
    step = WeakRectificationStep.objects.create(
        weak=weak,
        done_on=done_on,
        description=description,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_log(
        actor=actor,
        action="create",
        obj=step,
        org_path=weak.organization.path,
        after=snapshot(step, STEP_AUDIT_FIELDS),
    )
    return step


@transaction.atomic
def weak_lift(*, actor, weak: WeakOrganization, lifted_on: dt.date | None, note: str) -> WeakOrganization:
    """Lift the designation (摘帽) on `lifted_on`, saying why the rectification is judged done."""
    weak = _lock(weak)
    _ensure_manage(actor, weak.organization)
    today = timezone.localdate()
    problems = {}
    if weak.lifted_on is not None:
        problems["lifted_on"] = f"该组织已于 {weak.lifted_on:%Y-%m-%d} 摘帽，不能重复摘帽。"
    elif lifted_on is None:
        problems["lifted_on"] = "请填写摘帽日期。"
    elif lifted_on > today:
        problems["lifted_on"] = f"摘帽日期 {lifted_on:%Y-%m-%d} 晚于今天，不能登记。"
    elif lifted_on < weak.designated_on:
        problems["lifted_on"] = f"摘帽日期 {lifted_on:%Y-%m-%d} 早于认定日期 {weak.designated_on:%Y-%m-%d}。"
    note = _check_text(
        problems, "note", note, "请填写摘帽说明（整顿成效、验收情况）。", limit=LIFT_NOTE_MAX, label="摘帽说明"
    )
    _raise(problems)
    before = snapshot(weak, AUDIT_FIELDS)
    weak.lifted_on, weak.lift_note = lifted_on, note
    weak.save(update_fields=["lifted_on", "lift_note"])
    after = snapshot(weak, AUDIT_FIELDS)
    audit_log(
        actor=actor,
        action="lift",
        obj=weak,
        org_path=weak.organization.path,
        before={"lifted_on": before["lifted_on"]},
        after={"lifted_on": after["lifted_on"], "lift_note": after["lift_note"]},
    )
    return weak
