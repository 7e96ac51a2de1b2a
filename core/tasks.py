"""Celery jobs of the shared mechanisms. Tasks take ids and call services; running one twice is harmless."""

from __future__ import annotations

from celery import shared_task

from .context import origin
from .models import Job
from .services import job_finish, job_progress, job_start


@shared_task(acks_late=True)
def import_job_run(job_id: int) -> dict:
    """Run a queued import. A job that already finished is left alone (a redelivered message does nothing)."""
    from .xlsx.importer import workbook_import

    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.is_finished:
        return job.result
    if job.created_by is None:
        job_finish(job_id, ok=False, result={}, message="提交人账号已不存在，导入未执行")
        return {}
    job_start(job_id)
    with job.input_file.open("rb") as fh, origin("import"):
        report = workbook_import(
            source=fh,
            actor=job.created_by,
            dry_run=bool(job.params.get("dry_run")),
            progress=lambda pct, msg: job_progress(job_id, pct, msg),
        )
    result = report.as_dict()
    if report.ok:
        message = "；".join(report.summary_lines()) or "没有需要导入的数据"
    else:
        message = f"发现 {len(report.problems)} 处问题，未写入任何数据"
    job_finish(job_id, ok=report.ok, result=result, message=message)
    return result
