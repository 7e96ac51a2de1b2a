"""Celery jobs of supervision. Tasks take plain values and call services; running twice = running once."""

from __future__ import annotations

from celery import shared_task

from core.context import origin
from core.models import Job
from core.services import job_finish, job_progress, job_start

from .checks import run_checks
from .checks.runs import CHECKS_JOB_KIND


def _summary(result: dict) -> str:
    seen = sum(r["seen"] for r in result.values())
    new = sum(r["new"] for r in result.values())
    return f"检查完成：{len(result)} 项检查发现 {seen} 个问题，其中新登记 {new} 个"


@shared_task(acks_late=True)
def formalism_checks_run(job_id: int | None = None) -> dict:
    """The nightly formalism checks (the beat job at 01:30, or 立即运行 on the page with `job_id`): every check runs
    and its new faults are registered as findings. A job that already finished is left alone (a redelivered
    message); the findings are keyed, so a run repeated anyway registers nothing twice."""
    if job_id is not None:
        job = Job.objects.get(pk=job_id)
        if job.is_finished:
            return job.result
    else:
        job = Job.objects.create(kind=CHECKS_JOB_KIND, params={"trigger": "nightly"}, message="排队中")
    return checks_job_run(job, source="task")


def checks_job_run(job: Job, *, source: str) -> dict:
    """Run the checks as `job` (a formalism_checks Job), with its progress and result, under the audit `source`:
    the Celery job above, or seed_demo (whose run then shows on the checks page like a night's)."""
    job_start(job.pk)
    try:
        with origin(source):
            result = run_checks(progress=lambda pct, msg: job_progress(job.pk, pct, msg))
    except Exception as exc:  # the job row must not stay 进行中 for ever; the worker logs the traceback
        job_finish(job.pk, ok=False, result={}, message=f"检查失败：{type(exc).__name__}")
        raise
    job_finish(job.pk, ok=True, result=result, message=_summary(result))
    return result
