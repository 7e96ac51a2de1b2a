"""Reads of shared records, scoped like everything else."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .exceptions import NotInScope
from .models import AuditEvent, Job
from .scope import Action


def audit_event_list(*, actor) -> QuerySet[AuditEvent]:
    """Audit events of the actor's account-management subtree (county and township administrators)."""
    return AuditEvent.objects.restrict(actor, Action.MANAGE_ACCOUNTS)


def job_list(*, actor) -> QuerySet[Job]:
    """The actor's own jobs and the jobs of the subtree they manage."""
    mine = Q(created_by=actor) if getattr(actor, "pk", None) else Q(pk__in=[])
    scoped = Job.objects.restrict(actor, Action.MANAGE).values("pk")
    return Job.objects.filter(mine | Q(pk__in=scoped)).select_related("created_by")


def job_get_for(actor, pk) -> Job:
    job = job_list(actor=actor).filter(pk=pk).first()
    if job is None:
        raise NotInScope()
    return job
