"""Celery jobs of the meetings capability. Tasks take plain values and call services; running twice = once."""

from __future__ import annotations

from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.context import origin
from core.models import Job
from core.services import job_finish, job_start

from .reports import REPORT_JOB_KIND, month_text, monthly_report_build, parse_month, previous_month


@shared_task(acks_late=True)
def monthly_report_run(month: str | None = None, job_id: int | None = None) -> dict:
    """Build the 动态登记月报 of `month` (YYYY-MM; default: the previous month in Asia/Shanghai — the beat job runs on
    the 1st). With `job_id` (the page's 生成月报) the job's submitter builds their subtree; without, the system builds
    every branch under a job row of its own. A job that already finished is left alone (a redelivered message)."""
    day = parse_month(month) if month else previous_month(timezone.localdate())
    if job_id is not None:
        job = Job.objects.select_related("created_by").get(pk=job_id)
        if job.is_finished:
            return job.result
        if job.created_by is None:
            job_finish(job_id, ok=False, result={}, message="提交人账号已不存在，月报未生成")
            return {}
        actor = job.created_by
    else:
        job = Job.objects.create(kind=REPORT_JOB_KIND, params={"month": month_text(day) if day else str(month)})
        actor = None
    if day is None:
        job_finish(job.pk, ok=False, result={}, message=f"月份“{month}”无效，应为 YYYY-MM")
        return {}
    job_start(job.pk)
    try:
        with origin("task"):
            build = monthly_report_build(month=day, actor=actor, job=job)
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        job_finish(job.pk, ok=False, result={}, message="；".join(messages))
        return {}
    except Exception as exc:  # the job row must not stay 进行中 for ever; the worker logs the traceback
        job_finish(job.pk, ok=False, result={}, message=f"生成失败：{type(exc).__name__}")
        raise
    result = build.as_dict()
    job_finish(job.pk, ok=True, result=result, message=build.message)
    return result
