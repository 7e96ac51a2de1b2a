"""Celery jobs of the shared mechanisms. Tasks take ids and call services; running one twice is harmless."""

from __future__ import annotations

import tempfile

from celery import shared_task

from .context import origin
from .models import Job
from .services import job_finish, job_progress, job_start


def _claim(job_id: int, what: str) -> tuple[Job, bool]:
    """(the job, whether to run it now, marked running). Not a finished one (a redelivered message does nothing),
    nor one whose submitter's account is gone: it fails, it would run with nobody's rights."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.is_finished:
        return job, False
    if job.created_by is None:
        job_finish(job_id, ok=False, result={}, message=f"提交人账号已不存在，{what}未执行")
        return job, False
    job_start(job_id)
    return job, True


@shared_task(acks_late=True)
def import_job_run(job_id: int) -> dict:
    """Run a queued import. A job that already finished is left alone (a redelivered message does nothing)."""
    from .xlsx.importer import workbook_import

    job, run = _claim(job_id, "导入")
    if not run:
        return job.result
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


@shared_task(acks_late=True)
def export_job_run(job_id: int) -> dict:
    """Write a queued export into the job's file (export_write audits it as the submitter's). A finished job is left
    alone; a refused one (a year missing, the right to unmask withdrawn meanwhile) fails with the reason."""
    from django.core.files import File

    from .xlsx.exporter import ExportRefused, export_write

    job, run = _claim(job_id, "导出")
    if not run:
        return job.result
    params = job.params
    kind, year = params["kind"], params.get("year")
    job_progress(job_id, 10, "正在写入 Excel")
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as fh, origin("task"):
        try:
            count = export_write(
                kind=kind, actor=job.created_by, fp=fh, year=year, unmasked=bool(params.get("unmasked"))
            )
        except (ValueError, ExportRefused) as exc:
            job_finish(job_id, ok=False, result={}, message=str(exc))
            return {}
        fh.seek(0)
        filename = "-".join([kind, *([str(year)] if year else [])]) + ".xlsx"
        # save=False: the instance's status is the one read before job_start; the row keeps its live columns
        job.output_file.save(f"export-{job.pk}.xlsx", File(fh), save=False)
        Job.objects.filter(pk=job_id).update(output_file=job.output_file.name)
    result = {"rows": count, "filename": filename}
    job_finish(job_id, ok=True, result=result, message=f"已导出 {count} 行")
    return result


@shared_task(acks_late=True)
def audit_archive_run() -> dict:
    """The monthly audit archiving (core/archive.py); a second run the same day finds nothing to move."""
    from .archive import audit_archive

    with origin("task"):
        done = audit_archive()
    return {"rows": done.rows, "file": done.path.name if done.path else "", "sha256": done.sha256}
