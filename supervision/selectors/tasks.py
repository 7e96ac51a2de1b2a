"""Reads of dispatched tasks: what an actor may see, what is overdue, and each organization's completion rate (read
by the assessment's task-completion indicator)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.exceptions import NotInScope, id_from
from core.scope import Action

from ..choices import AssignmentStatus
from ..models import Task, TaskAssignment

WAITING_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.RETURNED)


def task_list(*, actor) -> QuerySet[Task]:
    """Tasks the actor sent (its scope holds the sender) or received (its scope holds one of the receivers)."""
    sent = Task.objects.restrict(actor).values("pk")
    received = TaskAssignment.objects.restrict(actor).values("task_id")
    return Task.objects.filter(Q(pk__in=sent) | Q(pk__in=received)).select_related("sender")


def task_get_for(actor, pk) -> Task:
    task = task_list(actor=actor).filter(pk=id_from(pk)).first()
    if task is None:
        raise NotInScope()
    return task


def assignment_list(*, actor, action: str = Action.VIEW) -> QuerySet[TaskAssignment]:
    return TaskAssignment.objects.restrict(actor, action).select_related("task__sender", "organization")


def assignment_get_for(actor, pk, action: str = Action.VIEW) -> TaskAssignment:
    assignment = assignment_list(actor=actor, action=action).filter(pk=id_from(pk)).first()
    if assignment is None:
        raise NotInScope()
    return assignment


def overdue_q(today: dt.date | None = None) -> Q:
    """Assignments still waiting for a report after the deadline."""
    return Q(status__in=WAITING_STATUSES, task__deadline__lt=today or timezone.localdate())


def is_overdue(assignment: TaskAssignment, today: dt.date | None = None) -> bool:
    return assignment.status in WAITING_STATUSES and assignment.task.deadline < (today or timezone.localdate())


def reported_late(assignment: TaskAssignment) -> bool:
    return bool(assignment.reported_at and timezone.localtime(assignment.reported_at).date() > assignment.task.deadline)


@dataclass(frozen=True)
class Completion:
    """An organization's tasks due in a year: how many it received, had accepted, had accepted on time, and how
    many still wait past their deadline. `rate` = accepted ÷ received (exact), None when it received none."""

    assigned: int = 0
    accepted: int = 0
    on_time: int = 0
    overdue: int = 0

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.accepted, self.assigned) if self.assigned else None

    @property
    def on_time_rate(self) -> Fraction | None:
        return Fraction(self.on_time, self.assigned) if self.assigned else None


def task_completion(*, year: int, organization_ids=None, today: dt.date | None = None) -> dict[int, Completion]:
    """{organization id: Completion} over the tasks whose deadline falls in `year` (all organizations with any,
    or those of `organization_ids`). One query."""
    today = today or timezone.localdate()
    rows = TaskAssignment.objects.filter(task__deadline__year=year)
    if organization_ids is not None:
        rows = rows.filter(organization_id__in=list(organization_ids))
    counts: dict[int, list[int]] = {}
    for org_id, status, reported_at, deadline in rows.values_list(
        "organization_id", "status", "reported_at", "task__deadline"
    ):
        c = counts.setdefault(org_id, [0, 0, 0, 0])
        c[0] += 1
        if status == AssignmentStatus.ACCEPTED:
            c[1] += 1
            if reported_at and timezone.localtime(reported_at).date() <= deadline:
                c[2] += 1
        elif status in WAITING_STATUSES and deadline < today:
            c[3] += 1
    return {org_id: Completion(*c) for org_id, c in counts.items()}
