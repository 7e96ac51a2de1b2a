"""The runs of the checks as the page shows them (core.Job rows of kind formalism_checks), and 立即运行."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.selectors import may_configure_county
from core.audit import audit_log
from core.models import Job
from core.queue import job_enqueue

from ..choices import CheckKind

CHECKS_JOB_KIND = "formalism_checks"
# A run neither finished nor older than this still counts as running (one whose worker died does not block for ever).
RUNNING_FOR_AT_MOST = dt.timedelta(hours=2)


def check_runs() -> QuerySet[Job]:
    """Every run of the checks, the latest first (the nightly ones and those started by hand)."""
    return Job.objects.filter(kind=CHECKS_JOB_KIND).select_related("created_by").order_by("-created_at", "-id")


def running_check(now: dt.datetime | None = None) -> Job | None:
    """The run queued or in progress, if any."""
    now = now or timezone.now()
    return (
        check_runs()
        .filter(status__in=(Job.Status.PENDING, Job.Status.RUNNING), created_at__gte=now - RUNNING_FOR_AT_MOST)
        .first()
    )


@dataclass(frozen=True)
class CheckCount:
    kind: str
    label: str
    seen: int | None
    new: int | None


def run_counts(job: Job) -> list[CheckCount]:
    """The run's figures per check, in the order the checks run (None for a check the run did not reach)."""
    result = job.result or {}
    counts = []
    for kind, label in CheckKind.choices:
        figures = result.get(kind) or {}
        counts.append(CheckCount(kind, label, figures.get("seen"), figures.get("new")))
    return counts


def run_totals(job: Job) -> tuple[int, int]:
    result = job.result or {}
    return (
        sum(int(r.get("seen", 0)) for r in result.values() if isinstance(r, dict)),
        sum(int(r.get("new", 0)) for r in result.values() if isinstance(r, dict)),
    )


@transaction.atomic
def checks_submit(*, actor) -> Job:
    """立即运行: queue a run of every check now (county administrators only; one run at a time). The task is sent
    after the commit, so the worker finds the job row."""
    from ..tasks import formalism_checks_run

    if not may_configure_county(actor):
        raise PermissionDenied("只有县委组织部管理员可以立即运行形式主义检查。")
    running = running_check()
    if running is not None:
        raise ValidationError(
            f"已有一次检查{running.get_status_display()}（{timezone.localtime(running.created_at):%Y-%m-%d %H:%M} 提交），"
            "请等它完成后再运行。"
        )
    job = Job.objects.create(
        kind=CHECKS_JOB_KIND,
        created_by=actor if getattr(actor, "pk", None) else None,
        params={"trigger": "manual"},
        message="排队中",
    )
    audit_log(actor=actor, action="create", obj=job, note="立即运行形式主义检查")
    job_enqueue(job, formalism_checks_run, job_id=job.pk)
    return job
