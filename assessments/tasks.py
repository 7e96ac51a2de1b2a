"""Celery jobs of the assessment. Tasks take ids and call services; running one twice changes nothing."""

from __future__ import annotations

from celery import shared_task
from django.core.exceptions import ValidationError

from core.context import origin
from core.models import Job
from core.services import job_finish, job_progress, job_start
from organizations.models import Organization

from .services.workflow import compute_summary, year_compute


@shared_task(acks_late=True)
def assessment_compute_run(job_id: int) -> dict:
    """Compute a year (params: year, county or none for all) as job `job_id`. A finished job is left alone (a
    redelivered message); a job interrupted mid-way (a worker killed) runs again from the start: each scheme is one
    transaction and every step writes only what differs, so the outcome is that of one uninterrupted run."""
    job = Job.objects.get(pk=job_id)
    if job.is_finished:
        return job.result
    county_id = job.params.get("county")
    county = Organization.objects.get(pk=county_id) if county_id else None
    job_start(job_id)
    try:
        with origin("task"):
            result = year_compute(
                year=int(job.params["year"]), county=county, progress=lambda pct, msg: job_progress(job_id, pct, msg)
            )
    except ValidationError as exc:
        job_finish(job_id, ok=False, result={"errors": exc.messages}, message="；".join(exc.messages)[:200])
        return {"errors": exc.messages}
    except Exception as exc:  # the job row must not stay 进行中 for ever; the worker logs the traceback
        job_finish(job_id, ok=False, result={}, message=f"计算失败：{type(exc).__name__}")
        raise
    job_finish(job_id, ok=True, result=result, message=compute_summary(result))
    return result
