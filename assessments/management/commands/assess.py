"""`manage.py assess --year YYYY [--timeout SECONDS]`: compute a year's assessment (every county, every group) through
the Celery job and wait for it (formats.md, "Commands").

The job row is made here and the task sent with `delay`: with a broker configured a worker runs it and this command
polls the job row, printing each progress message as it changes; with none (CELERY_TASK_ALWAYS_EAGER) the task runs
in this process and has finished when `delay` returns. Either way the outcome is read from the job row: its summary
and per-scheme counts, or, exit status 1, the reasons it could not run. Running it twice changes nothing the second
time (the computation writes only what differs).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assessments.choices import FIRST_YEAR
from assessments.services.workflow import COMPUTE_JOB_KIND
from core.audit import audit_log
from core.context import origin
from core.models import Job
from core.services import job_finish

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "计算一个年度的考核结果（排名、等次、晋位升级和“三个一律”，所有考核类别），通过后台任务运行并等待完成。"

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="考核年度，如 2025")
        parser.add_argument(
            "--timeout", type=int, default=3600, help="最多等待的秒数（默认 3600）；超时后任务仍在后台继续"
        )

    def handle(self, *args, year: str, timeout: int, **options):
        last_year = timezone.localdate().year + 1
        if not (str(year).isdigit() and FIRST_YEAR <= int(year) <= last_year):
            raise CommandError(f"年度“{year}”不正确，应为 {FIRST_YEAR}—{last_year} 之间的四位年份，如 2025")
        if timeout <= 0:
            raise CommandError("--timeout 应为正整数（秒）")
        year = int(year)
        from assessments.tasks import assessment_compute_run

        with origin("command"):
            job = Job.objects.create(
                kind=COMPUTE_JOB_KIND, params={"year": year, "county": None}, message="排队中", org_path=""
            )
            audit_log(actor=None, action="compute_submit", obj=job, after={"year": year}, note=f"{year}年度考核计算")
        self.stdout.write(f"已提交 {year} 年度考核计算（后台任务 #{job.pk}）")
        try:
            assessment_compute_run.delay(job.pk)
        except Exception as exc:  # eager: the task's own failure; otherwise the broker could not be reached
            job.refresh_from_db()
            if not job.is_finished:
                reason = f"无法把计算任务发送到任务队列：{type(exc).__name__}: {exc}"
                job_finish(job.pk, ok=False, result={"errors": [reason]}, message=reason)
                raise CommandError(reason + "。请检查 CELERY_BROKER_URL 和消息队列服务。") from None
            self.stderr.write(f"{type(exc).__name__}: {exc}")
        job = self._wait(job, timeout)
        if job.status != Job.Status.SUCCEEDED:
            errors = list((job.result or {}).get("errors") or [job.message or "计算失败"])
            for reason in errors:
                self.stderr.write(reason)
            raise CommandError(f"{year} 年度考核计算失败：共 {len(errors)} 个问题。")
        self._report(job)

    def _wait(self, job: Job, timeout: int) -> Job:
        """Poll the job row until it has finished, echoing each new progress message; CommandError on timeout."""
        deadline = time.monotonic() + timeout
        shown = None
        while True:
            job.refresh_from_db()
            if job.is_finished:
                return job
            step = (job.progress, job.message)
            if job.status == Job.Status.RUNNING and step != shown:
                self.stdout.write(f"[{job.progress:3d}%] {job.message}")
                shown = step
            if time.monotonic() >= deadline:
                if job.status == Job.Status.PENDING:
                    state = "任务仍在排队，没有工作进程接手：请确认 Celery worker 已启动并连接到同一消息队列"
                else:
                    state = f"任务仍在进行（{job.progress}%：{job.message}），完成后可在后台任务中查看结果"
                raise CommandError(f"等待超时：后台任务 #{job.pk} 在 {timeout} 秒内没有完成。{state}。")
            time.sleep(POLL_SECONDS)

    def _report(self, job: Job) -> None:
        result = job.result or {}
        self.stdout.write(self.style.SUCCESS(job.message))
        for name, c in (result.get("schemes") or {}).items():
            self.stdout.write(
                f"  {name}：新增考核对象 {c['added']} 个，系统计算得分变化 {c['indicators']} 项，"
                f"总分变化 {c['totals']} 个，排名等次变化 {c['results']} 个"
            )
        for county, c in (result.get("penalties") or {}).items():
            self.stdout.write(
                f"  {county}“三个一律”：新增 {c['created']} 条，更新 {c['updated']} 条，撤销 {c['deleted']} 条"
            )
