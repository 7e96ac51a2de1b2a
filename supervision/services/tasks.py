"""Task dispatch (党建任务流水派送): the county or a township sends a task to organizations of its subtree; each
reports completion with evidence; the sender accepts it or returns it with a comment.

Rules:
- The sender is an organization where the actor may MANAGE; every target lies strictly below the sender. Targets
  outside that subtree are refused by name, and nothing is sent.
- The deadline is today or later when the task is sent.
- A receiving organization (CHANGE) reports while the task is 待办理 or 已退回; a report after the deadline is taken
  and stays visible as late. The sender's staff (MANAGE over the sender) review a report: 已通过, or 已退回 with a
  comment. No other step exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.attachments import check_uploads, store_uploads
from core.audit import AuditBatch, audit_log
from core.exceptions import NotInScope
from core.scope import Action, in_scope
from organizations.models import Organization
from organizations.services import ensure_in_scope

from ..choices import AssignmentStatus
from ..models import Task, TaskAssignment, TaskAttachment, TaskEvidence

FILES_PER_TASK = 10
SHOW_NAMES = 10


def _raise(problems: dict) -> None:
    if problems:
        raise ValidationError({k: v if isinstance(v, list) else [v] for k, v in problems.items()})


def _names(orgs: list[Organization]) -> str:
    shown = "、".join(o.name for o in orgs[:SHOW_NAMES])
    return shown + (f" 等 {len(orgs)} 个组织" if len(orgs) > SHOW_NAMES else "")


@transaction.atomic
def task_dispatch(
    *,
    actor,
    sender: Organization,
    title: str,
    body: str,
    deadline: dt.date | None,
    targets: Iterable[Organization],
    targets_note: str = "",
    files: Iterable = (),
) -> Task:
    """Send a task from `sender` to `targets` (organizations below it)."""
    ensure_in_scope(actor, Action.MANAGE, sender)
    targets = list({o.pk: o for o in targets}.values())
    title, body = (title or "").strip(), (body or "").strip()
    problems = {}
    if not title:
        problems["title"] = "请填写任务名称。"
    elif len(title) > 200:
        problems["title"] = "任务名称不超过 200 字。"
    if not body:
        problems["body"] = "请填写任务内容。"
    today = timezone.localdate()
    if deadline is None:
        problems["deadline"] = "请填写完成时限。"
    elif deadline < today:
        problems["deadline"] = f"完成时限 {deadline} 已经过去，请填写今天（{today}）或以后的日期。"
    if not targets:
        problems["targets"] = "请至少选择一个承办组织。"
    outside = [o for o in targets if not (o.path.startswith(sender.path) and o.path != sender.path)]
    if outside:
        problems["targets"] = f"以下组织不在{sender.name}的下级范围内，不能派送：{_names(outside)}。"
    else:
        foreign = [o for o in targets if not in_scope(actor, Action.MANAGE, o.path)]
        if foreign:
            problems["targets"] = f"以下组织不在您的管理范围内，不能派送：{_names(foreign)}。"
    checked, file_problems = check_uploads(files, already=0, limit=FILES_PER_TASK)
    if file_problems:
        problems["files"] = file_problems
    _raise(problems)
    task = Task.objects.create(
        sender=sender,
        title=title,
        body=body,
        deadline=deadline,
        targets_note=(targets_note or "").strip()[:300],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    assignments = TaskAssignment.objects.bulk_create(
        [TaskAssignment(task=task, organization=o) for o in sorted(targets, key=lambda o: o.path)]
    )
    audit_log(
        actor=actor,
        action="dispatch",
        obj=task,
        org_path=sender.path,
        after={
            "title": title,
            "deadline": deadline.isoformat(),  # the audit row is JSON
            "organizations": len(assignments),
            "targets_note": task.targets_note,
        },
    )
    batch = AuditBatch(actor)
    paths = {o.pk: o.path for o in targets}
    for a in TaskAssignment.objects.filter(task=task).select_related("organization"):
        batch.add_instance("create", a, org_path=paths[a.organization_id], after={"task": task.pk})
    batch.save()
    store_uploads(
        actor,
        checked,
        make=lambda **fields: TaskAttachment(task=task, **fields),
        org_path=sender.path,
        owner={"task": task.pk},
    )
    return task


@transaction.atomic
def task_report(*, actor, assignment: TaskAssignment, report: str, files: Iterable = ()) -> TaskAssignment:
    """The receiving organization reports completion (again, after a return)."""
    assignment = TaskAssignment.objects.select_for_update().select_related("organization", "task").get(pk=assignment.pk)
    org = assignment.organization
    if not in_scope(actor, Action.CHANGE, org.path):
        if in_scope(actor, Action.VIEW, org.path):
            raise PermissionDenied("您的角色只能查看，不能上报任务完成情况。")
        raise NotInScope()
    if assignment.status == AssignmentStatus.REPORTED:
        raise ValidationError({"status": "已上报，正在等待审核，不能重复上报。"})
    if assignment.status == AssignmentStatus.ACCEPTED:
        raise ValidationError({"status": "任务已审核通过，不能再上报。"})
    report = (report or "").strip()
    problems = {}
    if not report:
        problems["report"] = "请填写完成情况。"
    checked, file_problems = check_uploads(files, already=assignment.evidence.count(), limit=FILES_PER_TASK)
    if file_problems:
        problems["files"] = file_problems
    _raise(problems)
    before = {"status": assignment.status}
    now = timezone.now()
    assignment.status = AssignmentStatus.REPORTED
    assignment.report = report
    assignment.reported_at = now
    assignment.reported_by = actor if getattr(actor, "pk", None) else None
    assignment.report_count += 1
    assignment.save()
    late = timezone.localtime(now).date() > assignment.task.deadline
    audit_log(
        actor=actor,
        action="report",
        obj=assignment,
        org_path=org.path,
        before=before,
        after={"status": assignment.status, "report": report},
        note="逾期上报" if late else "",
    )
    store_uploads(
        actor,
        checked,
        make=lambda **fields: TaskEvidence(assignment=assignment, **fields),
        org_path=org.path,
        owner={"assignment": assignment.pk},
    )
    return assignment


@transaction.atomic
def task_review(*, actor, assignment: TaskAssignment, accept: bool, comment: str = "") -> TaskAssignment:
    """The sender accepts a reported task or returns it with a comment."""
    assignment = (
        TaskAssignment.objects.select_for_update().select_related("organization", "task__sender").get(pk=assignment.pk)
    )
    sender = assignment.task.sender
    if not in_scope(actor, Action.MANAGE, sender.path):
        if in_scope(actor, Action.VIEW, assignment.organization.path):
            raise PermissionDenied(f"只有发送单位（{sender.name}）可以审核此任务。")
        raise NotInScope()
    if assignment.status != AssignmentStatus.REPORTED:
        raise ValidationError({"status": f"任务当前为“{assignment.status}”，只有已上报的任务可以审核。"})
    comment = (comment or "").strip()
    if not accept and not comment:
        raise ValidationError({"comment": "退回须填写意见，说明需要补充或改正什么。"})
    if len(comment) > 500:
        raise ValidationError({"comment": "审核意见不超过 500 字。"})
    before = {"status": assignment.status}
    assignment.status = AssignmentStatus.ACCEPTED if accept else AssignmentStatus.RETURNED
    assignment.review_comment = comment
    assignment.reviewed_at = timezone.now()
    assignment.reviewed_by = actor if getattr(actor, "pk", None) else None
    assignment.save()
    audit_log(
        actor=actor,
        action="review",
        obj=assignment,
        org_path=assignment.organization.path,
        before=before,
        after={"status": assignment.status, "review_comment": comment},
    )
    return assignment
