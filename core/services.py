"""Writes of shared records: background jobs (imports for now; exports and computations reuse them)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .audit import audit_log
from .models import Job
from .queue import job_enqueue
from .scope import Action, scope_paths

IMPORT_KIND = "import"


@transaction.atomic
def import_job_submit(*, actor, filename: str, content: bytes, dry_run: bool = False) -> Job:
    """Store an uploaded workbook and queue its import; the page polls the job for progress and the result."""
    from .tasks import import_job_run

    paths = scope_paths(actor, Action.MANAGE)
    job = Job.objects.create(
        kind=IMPORT_KIND,
        created_by=actor,
        org_path=paths[0] if paths else "",
        params={"filename": filename[:200], "dry_run": dry_run},
        message="排队中",
    )
    job.input_file.save(f"import-{job.pk}.xlsx", ContentFile(content), save=True)
    audit_log(actor=actor, action="import_submit", obj=job, org_path=job.org_path, after={"filename": filename})
    job_enqueue(job, import_job_run, job.pk)
    return job


def job_progress(job_id: int, percent: int, message: str) -> None:
    """Progress is written outside the import's transaction, so a polling page sees it while the job runs."""
    Job.objects.filter(pk=job_id).update(progress=max(0, min(100, percent)), message=message[:200])


def job_start(job_id: int) -> None:
    Job.objects.filter(pk=job_id).update(status=Job.Status.RUNNING, started_at=timezone.now(), message="开始处理")


def job_finish(job_id: int, *, ok: bool, result: dict, message: str) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.SUCCEEDED if ok else Job.Status.FAILED,
        progress=100,
        result=result,
        message=message[:200],
        finished_at=timezone.now(),
    )


EXPORT_KIND = "export"


@transaction.atomic
def export_job_submit(*, actor, kind: str, year: int | None = None, unmasked: bool = False) -> Job:
    """Queue a registered export (the `export_xlsx` command's kinds) to be written in the background; the file waits
    in the import/export centre. Refused at once, nothing queued, for an unknown kind or an unmasked export the
    actor may not make."""
    from .tasks import export_job_run
    from .xlsx.registry import UNMASKABLE_KINDS, YEAR_KINDS, export_kinds

    if kind not in export_kinds():
        raise ValidationError({"kind": f"未知的导出类型“{kind}”"})
    if kind in YEAR_KINDS and not year:
        raise ValidationError({"year": "该导出按年度生成，请填写年度，如 2025。"})
    if unmasked and kind not in UNMASKABLE_KINDS:
        raise ValidationError({"unmasked": f"导出类型“{kind}”没有可完整显示的身份证号或手机号码，不能选择未脱敏导出。"})
    if unmasked and not scope_paths(actor, Action.VIEW_PERSONAL) and not actor.is_superuser:
        raise ValidationError({"unmasked": "您的角色无权导出完整身份证号和手机号码。"})
    paths = scope_paths(actor, Action.VIEW)
    job = Job.objects.create(
        kind=EXPORT_KIND,
        created_by=actor,
        org_path=paths[0] if paths else "",
        params={"kind": kind, "year": year, "unmasked": unmasked},
        message="排队中",
    )
    audit_log(actor=actor, action="create", obj=job, org_path=job.org_path, after=job.params)
    job_enqueue(job, export_job_run, job.pk)
    return job
