"""Reads of dispatched tasks: what an actor may see, what is overdue, and each organization's completion rate (read
by the assessment's task-completion indicator)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from core.exceptions import NotInScope, id_from
from core.scope import ALL, Action, scope_paths, subtree_q, subtree_range_q
from organizations.models import Organization

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


def task_sent_list(*, actor, today: dt.date | None = None) -> QuerySet[Task]:
    """我发出的: tasks whose sender lies in the actor's scope, each with the counts of its assignments (派送数,
    已上报 = waiting for review, 已通过, 已退回, 逾期未报), the urgent first: those with overdue receivers, then the open
    ones by deadline, the finished ones last."""
    today = today or timezone.localdate()
    qs = Task.objects.restrict(actor).select_related("sender")
    return with_counts(qs, actor=actor, today=today).order_by(
        Case(
            When(overdue__gt=0, then=Value(0)),
            When(assigned__gt=0, accepted=F("assigned"), then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        "deadline",
        "-id",
    )


def with_counts(tasks: QuerySet[Task], *, actor, today: dt.date | None = None) -> QuerySet[Task]:
    """Tasks annotated with the counts of the assignments the actor sees (its whole sending for the sender's staff,
    its own organizations for a receiver): assigned, reported (waiting for review), accepted, returned, overdue."""
    today = today or timezone.localdate()
    paths = scope_paths(actor, Action.VIEW)
    seen = Q() if paths is ALL else subtree_q("assignments__organization__path", paths)

    def count(q: Q | None = None) -> Count:
        condition = seen & q if q is not None else seen
        return Count("assignments", filter=condition or None)

    return tasks.annotate(
        assigned=count(),
        reported=count(Q(assignments__status=AssignmentStatus.REPORTED)),
        accepted=count(Q(assignments__status=AssignmentStatus.ACCEPTED)),
        returned=count(Q(assignments__status=AssignmentStatus.RETURNED)),
        overdue=count(Q(assignments__status__in=WAITING_STATUSES, deadline__lt=today)),
    )


def assignment_received_list(*, actor, today: dt.date | None = None) -> QuerySet[TaskAssignment]:
    """我收到的 (待办): assignments of organizations where the actor reports (CHANGE), except those of tasks it reviews
    itself (the sender in its MANAGE scope: a township's own tasks to its villages are its sending, not its to-do).
    Overdue first, then returned, pending, reported and accepted; by deadline within each."""
    today = today or timezone.localdate()
    qs = assignment_list(actor=actor, action=Action.CHANGE)
    managed = scope_paths(actor, Action.MANAGE)
    if managed is ALL:
        return qs.none()
    if managed:
        qs = qs.exclude(subtree_q("task__sender__path", managed))
    return qs.order_by(
        Case(
            When(overdue_q(today), then=Value(0)),
            When(status=AssignmentStatus.RETURNED, then=Value(1)),
            When(status=AssignmentStatus.PENDING, then=Value(2)),
            When(status=AssignmentStatus.REPORTED, then=Value(3)),
            default=Value(4),
            output_field=IntegerField(),
        ),
        "task__deadline",
        "-task_id",
    )


def urgency(assignment: TaskAssignment, today: dt.date | None = None) -> tuple:
    """How a task's assignment rows sort on its page: overdue, waiting for review, returned, pending, accepted."""
    order = {
        AssignmentStatus.REPORTED: 1,
        AssignmentStatus.RETURNED: 2,
        AssignmentStatus.PENDING: 3,
        AssignmentStatus.ACCEPTED: 4,
    }
    return (0 if is_overdue(assignment, today) else order[assignment.status], assignment.organization.path)


def dispatch_targets(
    *,
    actor,
    sender: Organization,
    within: Organization | None = None,
    kinds=(),
    domains=(),
    direct_only: bool = False,
) -> QuerySet[Organization]:
    """The organizations a task from `sender` may go to, chosen by filters on the tree: strictly below `sender`
    (below `within` when given, itself `sender` or one of its descendants), of the given kinds (OrgKind) and domains
    (Domain), the direct children only or the whole subtree; always inside the actor's MANAGE scope. "All village
    branches of a township" = sender the township, kinds=[党支部], domains=[农村]. `within` outside the sender's
    subtree matches nothing. Ordered by path (the tree's order)."""
    root = within or sender
    if not root.path.startswith(sender.path):
        return Organization.objects.none()
    qs = Organization.objects.restrict(actor, Action.MANAGE).exclude(pk=sender.pk)
    if direct_only:
        qs = qs.filter(parent_id=root.pk)
    else:
        qs = qs.filter(subtree_range_q("path", root.path)).exclude(pk=root.pk)
    if kinds:
        qs = qs.filter(kind__in=list(kinds))
    if domains:
        qs = qs.filter(domain__in=list(domains))
    return qs.order_by("path")


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
