"""Findings (问题清单) and their rectification (整改清单).

Rules:
- Inspectors and department staff (the INSPECT action) register findings in their scope; only the system registers
  those of source 系统检查, each under a check key that names the fault, so a fault seen again on a later night is
  not registered twice (`findings_raise`).
- The status moves one step at a time (choices.FINDING_TRANSITIONS): the responsible organization (CHANGE) starts
  and reports the rectification; the level above it (MANAGE over the parent organization) signs it off or sends it
  back. The organization that owns a finding never signs off its own.
- A finding whose organization had one of the same category the year before is marked repeated and points at it,
  whichever of the two was registered first.
- Deadlines are never in the past when set by hand, and never before the day the problem was found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.attachments import check_uploads, store_uploads
from core.audit import AuditBatch, audit_log, snapshot
from core.bulk import bulk_insert, reserve_ids
from core.exceptions import NotInScope
from core.scope import Action, in_scope
from organizations.models import Organization
from organizations.selectors import secretaries_on, secretary_on

from ..choices import (
    CHECK_CATEGORY,
    FINDING_TRANSITIONS,
    CheckKind,
    FindingCategory,
    FindingSource,
    FindingStatus,
    FindingStep,
    Severity,
)
from ..models import Finding, FindingEvent, FindingEvidence

FILES_PER_STEP = 10
# System-check findings get this many days to be rectified.
SYSTEM_FINDING_DAYS = getattr(settings, "SUPERVISION_SYSTEM_FINDING_DAYS", 30)
AUDIT_FIELDS = (
    "organization",
    "source",
    "category",
    "severity",
    "description",
    "responsible",
    "found_on",
    "deadline",
    "status",
    "repeated",
    "check_kind",
)
EDITABLE_FIELDS = ("category", "severity", "description", "responsible", "deadline")
STEP_NEEDS_NOTE = {
    FindingStep.START: "请填写整改措施。",
    FindingStep.REPORT: "请填写整改完成情况。",
    FindingStep.SEND_BACK: "请填写退回原因。",
    FindingStep.NOTE: "请填写说明。",
}
NEXT_STEP = {
    FindingStatus.OPEN: "开始整改",
    FindingStatus.IN_PROGRESS: "报告整改完成",
    FindingStatus.RECTIFIED: "上级销号或退回重改",
    FindingStatus.CLOSED: "无（已销号）",
}


def _raise(problems: dict) -> None:
    if problems:
        raise ValidationError({k: v if isinstance(v, list) else [v] for k, v in problems.items()})


def may_sign_off(actor, organization: Organization) -> bool:
    """Sign-off belongs to the level above: MANAGE over the parent. A county root has no level above but the
    system (and a superuser)."""
    if organization.parent_id is None:
        return actor is None or bool(getattr(actor, "is_superuser", False))
    parent_path = organization.path[: -Organization.steplen]
    return in_scope(actor, Action.MANAGE, parent_path)


def _check_fields(finding: Finding, *, today: dt.date, new_deadline: bool) -> dict:
    problems = {}
    if finding.source not in FindingSource.values:
        problems["source"] = f"问题来源应为：{'、'.join(FindingSource.values)}。"
    if finding.category not in FindingCategory.values:
        problems["category"] = f"问题类别应为：{'、'.join(FindingCategory.values)}。"
    if finding.severity not in Severity.values:
        problems["severity"] = f"严重程度应为：{'、'.join(Severity.values)}。"
    if not (finding.description or "").strip():
        problems["description"] = "请填写问题描述。"
    if finding.found_on is None:
        problems["found_on"] = "请填写发现日期。"
    elif finding.found_on > today:
        problems["found_on"] = f"发现日期 {finding.found_on} 晚于今天，不能登记。"
    if finding.deadline is None:
        problems["deadline"] = "请填写整改时限。"
    elif new_deadline and finding.deadline < today:
        problems["deadline"] = f"整改时限 {finding.deadline} 已经过去，请填写今天或以后的日期。"
    elif finding.found_on and finding.deadline < finding.found_on:
        problems["deadline"] = "整改时限不能早于发现日期。"
    if len(finding.responsible or "") > 50:
        problems["responsible"] = "责任人不超过 50 字。"
    return problems


def _previous_of(finding: Finding) -> Finding | None:
    return (
        Finding.objects.filter(
            organization_id=finding.organization_id, category=finding.category, year=finding.year - 1
        )
        .order_by("-found_on", "-id")
        .first()
    )


def _mark_next_year(finding: Finding) -> int:
    """A finding registered for a year whose next year already has one of the same kind makes that one repeated."""
    return Finding.objects.filter(
        organization_id=finding.organization_id, category=finding.category, year=finding.year + 1, repeated=False
    ).update(repeated=True, previous=finding)


def _store_files(actor, finding: Finding, event: FindingEvent | None, checked) -> None:
    store_uploads(
        actor,
        checked,
        make=lambda **fields: FindingEvidence(finding=finding, event=event, **fields),
        org_path=finding.organization.path,
        owner={"finding": finding.pk},
    )


@transaction.atomic
def finding_create(
    *,
    actor,
    organization: Organization,
    source: str,
    category: str,
    description: str,
    deadline: dt.date,
    severity: str = Severity.MINOR,
    responsible: str = "",
    found_on: dt.date | None = None,
    files: Iterable = (),
) -> Finding:
    """Register a finding found by an inspection, a visit, a duty-report review or a patrol."""
    if not in_scope(actor, Action.INSPECT, organization.path):
        if in_scope(actor, Action.VIEW, organization.path):
            raise PermissionDenied("您的角色不能登记问题（须为组织部、乡镇管理员或该组织的考核组成员）。")
        raise NotInScope()
    if source == FindingSource.SYSTEM and actor is not None:
        raise ValidationError({"source": "“系统检查”的问题由夜间检查自动登记，不能手工登记。"})
    today = timezone.localdate()
    found_on = found_on or today
    if not (responsible or "").strip():
        person = secretary_on(organization=organization, on=today)
        responsible = person.name if person else ""
    now = timezone.now()
    finding = Finding(
        organization=organization,
        source=source,
        category=category,
        severity=severity,
        description=(description or "").strip(),
        responsible=(responsible or "").strip(),
        found_on=found_on,
        year=found_on.year,
        deadline=deadline,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        updated_at=now,
    )
    problems = _check_fields(finding, today=today, new_deadline=True)
    checked, file_problems = check_uploads(files, already=0, limit=FILES_PER_STEP)
    if file_problems:
        problems["files"] = file_problems
    _raise(problems)
    finding.previous = _previous_of(finding)
    finding.repeated = finding.previous is not None
    finding.save()
    event = FindingEvent.objects.create(
        finding=finding,
        step=FindingStep.CREATE,
        to_status=FindingStatus.OPEN,
        note=f"来源：{source}",
        actor=finding.created_by,
        at=now,
    )
    _mark_next_year(finding)
    audit_log(
        actor=actor,
        action="create",
        obj=finding,
        org_path=organization.path,
        after=snapshot(finding, AUDIT_FIELDS),
        note="上年同类问题重复发生" if finding.repeated else "",
    )
    _store_files(actor, finding, event, checked)
    return finding


@transaction.atomic
def finding_update(*, actor, finding: Finding, **fields) -> Finding:
    """Correct a finding's description, category, severity, responsible person or deadline (not once signed off)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    finding = Finding.objects.select_for_update().select_related("organization").get(pk=finding.pk)
    if not in_scope(actor, Action.INSPECT, finding.organization.path):
        raise NotInScope()
    if finding.source == FindingSource.SYSTEM and "category" in fields and fields["category"] != finding.category:
        raise ValidationError({"category": "系统检查问题的类别由检查项目决定，不能修改。"})
    if finding.status == FindingStatus.CLOSED:
        raise ValidationError({"status": "问题已销号，不能再修改。"})
    before = snapshot(finding, AUDIT_FIELDS)
    old_category, old_deadline = finding.category, finding.deadline
    for name, value in fields.items():
        setattr(finding, name, value.strip() if isinstance(value, str) else value)
    today = timezone.localdate()
    _raise(_check_fields(finding, today=today, new_deadline=finding.deadline != old_deadline))
    if finding.category != old_category:
        finding.previous = _previous_of(finding)
        finding.repeated = finding.previous is not None
    finding.updated_at = timezone.now()
    finding.save()
    if finding.category != old_category:
        _mark_next_year(finding)
    audit_log(
        actor=actor,
        action="update",
        obj=finding,
        org_path=finding.organization.path,
        before=before,
        after=snapshot(finding, AUDIT_FIELDS),
    )
    return finding


@transaction.atomic
def finding_advance(*, actor, finding: Finding, step: str, note: str = "", files: Iterable = ()) -> FindingEvent:
    """Move a finding one step along 待整改 → 整改中 → 已整改 → 已销号 (or add a note with evidence)."""
    finding = Finding.objects.select_for_update().select_related("organization").get(pk=finding.pk)
    org = finding.organization
    if not in_scope(actor, Action.VIEW, org.path):
        raise NotInScope()
    if step not in FindingStep.values or step == FindingStep.CREATE:
        raise ValidationError({"step": "无效的整改环节。"})
    if step == FindingStep.NOTE:
        to_status = finding.status
        if finding.status == FindingStatus.CLOSED:
            raise ValidationError({"step": "问题已销号，不能再补充材料。"})
    else:
        to_status = FINDING_TRANSITIONS.get((finding.status, step))
        if to_status is None:
            raise ValidationError(
                {
                    "step": f"问题当前为“{finding.status}”，不能“{step}”（不能跳过环节）；下一步应为：{NEXT_STEP[finding.status]}。"
                }
            )
    if step in (FindingStep.SIGN_OFF, FindingStep.SEND_BACK):
        if not may_sign_off(actor, org):
            raise PermissionDenied(f"问题须由{org.name}的上级组织审核销号，责任组织不能为自己的问题{step}。")
    elif not in_scope(actor, Action.CHANGE, org.path):
        raise PermissionDenied(f"只有{org.name}及其上级的工作人员可以{step}。")
    note = (note or "").strip()
    problems = {}
    if step in STEP_NEEDS_NOTE and not note:
        problems["note"] = STEP_NEEDS_NOTE[step]
    checked, file_problems = check_uploads(files, already=0, limit=FILES_PER_STEP)
    if file_problems:
        problems["files"] = file_problems
    _raise(problems)
    now = timezone.now()
    before = {"status": finding.status}
    from_status = finding.status
    finding.status = to_status
    if step == FindingStep.REPORT:
        finding.rectified_on = timezone.localtime(now).date()
    elif step == FindingStep.SEND_BACK:
        finding.rectified_on = None
    elif step == FindingStep.SIGN_OFF:
        finding.closed_on = timezone.localtime(now).date()
    finding.updated_at = now
    finding.save()
    event = FindingEvent.objects.create(
        finding=finding,
        step=step,
        from_status=from_status,
        to_status=to_status,
        note=note,
        actor=actor if getattr(actor, "pk", None) else None,
        at=now,
    )
    audit_log(
        actor=actor,
        action="advance",
        obj=finding,
        org_path=org.path,
        before=before,
        after={"status": to_status},
        note=f"{step}：{note}" if note else step,
    )
    _store_files(actor, finding, event, checked)
    return event


# --- System checks ---------------------------------------------------------------------------------------------


@dataclass
class Fault:
    """A fault a nightly check saw: where, which check, the key that names it, and what it saw."""

    organization_id: int
    check_kind: str
    key: str
    description: str
    evidence: dict = field(default_factory=dict)
    severity: str = Severity.MINOR


@transaction.atomic
def findings_raise(faults: Iterable[Fault], *, today: dt.date | None = None) -> list[int]:
    """Register the faults not registered before (by key) as 系统检查 findings; returns the new findings' ids.

    A fault whose key is already on the list (whatever its status: a finding signed off and then seen again stays
    signed off) is skipped, so running the checks every night raises each fault once.
    """
    today = today or timezone.localdate()
    faults = list({f.key: f for f in faults}.values())
    if not faults:
        return []
    known = set()
    keys = [f.key for f in faults]
    for i in range(0, len(keys), 500):
        known.update(Finding.objects.filter(check_key__in=keys[i : i + 500]).values_list("check_key", flat=True))
    new = [f for f in faults if f.key not in known]
    if not new:
        return []
    for f in new:
        if f.check_kind not in CheckKind.values:
            raise ValueError(f"unknown check {f.check_kind}")
        if len(f.key) > 200:
            raise ValueError(f"check key too long: {f.key}")
    org_ids = {f.organization_id for f in new}
    orgs = dict(Organization.objects.filter(pk__in=org_ids).values_list("pk", "path"))
    secretaries = secretaries_on(organization_ids=org_ids, on=today)
    previous = {}
    categories = {CHECK_CATEGORY[f.check_kind] for f in new}
    for pk, org_id, category in Finding.objects.filter(
        organization_id__in=org_ids, category__in=categories, year=today.year - 1
    ).values_list("pk", "organization_id", "category"):
        previous[(org_id, category)] = pk
    now = timezone.now()
    deadline = today + dt.timedelta(days=SYSTEM_FINDING_DAYS)
    ids = reserve_ids(Finding, len(new))
    rows, events, audit = [], [], AuditBatch(None)
    for pk, f in zip(ids, new):
        category = CHECK_CATEGORY[f.check_kind]
        prev = previous.get((f.organization_id, category))
        person = secretaries.get(f.organization_id)
        rows.append(
            (
                pk, f.organization_id, FindingSource.SYSTEM, category, f.severity, f.description[:5000],
                person.name if person else "", today, today.year, deadline, FindingStatus.OPEN, prev is not None,
                prev, f.check_kind, f.key, f.evidence, now, now,
            )
        )  # fmt: skip
        events.append(
            (pk, FindingStep.CREATE, "", FindingStatus.OPEN, f"系统检查：{CheckKind(f.check_kind).label}", now)
        )
        audit.add(
            action="create",
            object_type="supervision.finding",
            object_id=pk,
            object_repr=f"{CheckKind(f.check_kind).label}",
            org_path=orgs.get(f.organization_id, ""),
            after={
                "check_kind": f.check_kind,
                "check_key": f.key,
                "category": category,
                "deadline": deadline.isoformat(),
            },
        )
    bulk_insert(
        Finding,
        [
            "id", "organization_id", "source", "category", "severity", "description", "responsible", "found_on",
            "year", "deadline", "status", "repeated", "previous_id", "check_kind", "check_key", "evidence",
            "created_at", "updated_at",
        ],
        rows,
    )  # fmt: skip
    bulk_insert(FindingEvent, ["finding_id", "step", "from_status", "to_status", "note", "at"], events)
    audit.save()
    return ids
