"""Cadres dispatched to villages (第一书记, 驻村工作队员) and their duty check-ins (到岗).

Rules:
- The county's and townships' staff (MANAGE over the village) register a dispatch and end it; the village's
  secretary and the staff above (CHANGE) record check-ins. Read-only roles are told so; outside the scope is
  "not found".
- A dispatch ends on or after its start, and not before a check-in already recorded.
- A check-in lies within the dispatch (start to end, or to today while it runs), never in the future, once a day
  (the model's checkin_once_a_day constraint).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import audit_log, snapshot
from core.exceptions import NotInScope
from core.scope import Action, in_scope
from organizations.models import Organization

from ..choices import DispatchRole
from ..models import Dispatch, DutyCheckIn

AUDIT_FIELDS = ("organization", "name", "role", "unit", "unit_post", "start_on", "end_on", "note")
CHECKIN_AUDIT_FIELDS = ("dispatch", "on", "note")
LIMITS = {"name": (50, "姓名"), "unit": (100, "派出单位"), "unit_post": (50, "原单位职务"), "note": (200, "备注")}
CHECKIN_NOTE_MAX = 200
ALREADY_CHECKED_IN = "{name} {on:%Y-%m-%d} 已登记到岗，同一天只登记一次。"


def _raise(problems: dict) -> None:
    if problems:
        raise ValidationError({k: v if isinstance(v, list) else [v] for k, v in problems.items()})


def _ensure(actor, action: str, organization: Organization, refused: str) -> None:
    if in_scope(actor, action, organization.path):
        return
    if in_scope(actor, Action.VIEW, organization.path):
        raise PermissionDenied(refused)
    raise NotInScope()


def _lock(dispatch: Dispatch) -> Dispatch:
    return Dispatch.objects.select_for_update().select_related("organization").get(pk=dispatch.pk)


@transaction.atomic
def dispatch_register(
    *,
    actor,
    organization: Organization,
    name: str,
    role: str,
    unit: str,
    unit_post: str = "",
    start_on: dt.date | None,
    end_on: dt.date | None = None,
    note: str = "",
) -> Dispatch:
    """Register a cadre dispatched to `organization` by `unit` from `start_on` (to `end_on`, when known)."""
    _ensure(actor, Action.MANAGE, organization, "您的角色只能查看，驻村干部由县、乡镇组织部门登记。")
    values = {
        "name": (name or "").strip(),
        "unit": (unit or "").strip(),
        "unit_post": (unit_post or "").strip(),
        "note": (note or "").strip(),
    }
    problems = {}
    if not values["name"]:
        problems["name"] = "请填写姓名。"
    if not values["unit"]:
        problems["unit"] = "请填写派出单位。"
    for field, (limit, label) in LIMITS.items():
        if field not in problems and len(values[field]) > limit:
            problems[field] = f"{label}不超过 {limit} 字。"
    if role not in DispatchRole.values:
        problems["role"] = f"派驻身份应为：{'、'.join(DispatchRole.values)}。"
    if start_on is None:
        problems["start_on"] = "请填写派驻开始日期。"
    elif end_on is not None and end_on < start_on:
        problems["end_on"] = f"派驻结束日期 {end_on:%Y-%m-%d} 早于开始日期 {start_on:%Y-%m-%d}。"
    _raise(problems)
    dispatch = Dispatch.objects.create(organization=organization, role=role, start_on=start_on, end_on=end_on, **values)
    audit_log(
        actor=actor, action="create", obj=dispatch, org_path=organization.path, after=snapshot(dispatch, AUDIT_FIELDS)
    )
    return dispatch


@transaction.atomic
def dispatch_end(*, actor, dispatch: Dispatch, end_on: dt.date | None) -> Dispatch:
    """Set (or correct) the day the dispatch ends."""
    dispatch = _lock(dispatch)
    _ensure(actor, Action.MANAGE, dispatch.organization, "您的角色只能查看，驻村干部的派驻期由县、乡镇组织部门调整。")
    problems = {}
    if end_on is None:
        problems["end_on"] = "请填写派驻结束日期。"
    elif end_on < dispatch.start_on:
        problems["end_on"] = f"派驻结束日期 {end_on:%Y-%m-%d} 早于开始日期 {dispatch.start_on:%Y-%m-%d}。"
    else:
        last = dispatch.check_ins.aggregate(last=Max("on"))["last"]
        if last is not None and end_on < last:
            problems["end_on"] = f"{end_on:%Y-%m-%d} 之后还有到岗记录（最后一次 {last:%Y-%m-%d}），结束日期不能早于它。"
    _raise(problems)
    before = snapshot(dispatch, AUDIT_FIELDS)
    dispatch.end_on = end_on
    dispatch.save(update_fields=["end_on"])
    audit_log(
        actor=actor,
        action="update",
        obj=dispatch,
        org_path=dispatch.organization.path,
        before=before,
        after=snapshot(dispatch, AUDIT_FIELDS),
    )
    return dispatch


@transaction.atomic
def checkin_record(*, actor, dispatch: Dispatch, on: dt.date | None, note: str = "") -> DutyCheckIn:
    """Record that the dispatched cadre was on duty in the village on `on`."""
    dispatch = _lock(dispatch)
    _ensure(actor, Action.CHANGE, dispatch.organization, "您的角色只能查看，不能登记到岗。")
    today = timezone.localdate()
    note = (note or "").strip()
    problems = {}
    if on is None:
        problems["on"] = "请填写到岗日期。"
    elif on > today:
        problems["on"] = f"到岗日期 {on:%Y-%m-%d} 晚于今天，不能登记。"
    elif on < dispatch.start_on:
        problems["on"] = f"到岗日期 {on:%Y-%m-%d} 早于派驻开始日期 {dispatch.start_on:%Y-%m-%d}。"
    elif dispatch.end_on is not None and on > dispatch.end_on:
        problems["on"] = f"到岗日期 {on:%Y-%m-%d} 晚于派驻结束日期 {dispatch.end_on:%Y-%m-%d}，派驻已结束。"
    elif DutyCheckIn.objects.filter(dispatch=dispatch, on=on).exists():
        problems["on"] = ALREADY_CHECKED_IN.format(name=dispatch.name, on=on)
    if len(note) > CHECKIN_NOTE_MAX:
        problems["note"] = f"工作内容不超过 {CHECKIN_NOTE_MAX} 字。"
    _raise(problems)
    check_in = DutyCheckIn(
        dispatch=dispatch, on=on, note=note, recorded_by=actor if getattr(actor, "pk", None) else None
    )
    try:
        with transaction.atomic():
            check_in.save()
    except IntegrityError:  # a double tap that passed the check at the same moment
        raise ValidationError({"on": [ALREADY_CHECKED_IN.format(name=dispatch.name, on=on)]}) from None
    audit_log(
        actor=actor,
        action="create",
        obj=check_in,
        org_path=dispatch.organization.path,
        after=snapshot(check_in, CHECKIN_AUDIT_FIELDS),
    )
    return check_in
