"""形式主义检查: the nightly checks, what each looks for and with which settings, their runs (what each check saw and
registered, linked to the findings it raised), and 立即运行 for county administrators."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View

from accounts.selectors import may_configure_county
from core.scope import Action
from core.views import ActionRequiredMixin, ScopedListView
from core.xlsx.writer import ExportTable
from meetings import rules as meeting_rules

from ..checks import CHECKS
from ..checks.common import lookback_days, meeting_hours, similarity_threshold
from ..checks.runs import check_runs, checks_submit, run_counts, run_totals, running_check
from ..choices import CHECK_CATEGORY, CheckKind, FindingSource

RUNS_PER_PAGE = 20


def check_rules() -> dict[str, str]:
    """What each check looks for, with the settings in force (shown on the page)."""
    threshold = f"{similarity_threshold() * 100:g}%"
    hours = f"{meeting_hours():g}"
    lookback = lookback_days()
    return {
        CheckKind.DUPLICATE_SPEECH: f"同一次会议中两名党员的发言材料相似度达到 {threshold}",
        CheckKind.DUPLICATE_REPORT: f"同一支部的两份思想汇报相似度达到 {threshold}",
        CheckKind.CERTIFICATE_DATES: "培训证书所载起止日期与培训台账记载的培训日期不一致",
        CheckKind.ATTENDANCE_DATES: "出席或请假名单中的人员在会议当天不是本支部党员（尚未入党、尚未转入、已转出），"
        "或已去世、出党、停止党籍",
        CheckKind.DISPATCH_DATES: "驻村干部的到岗记录早于派驻开始日期或晚于派驻结束日期",
        CheckKind.MEETING_OVERLAP: f"同一党员在相隔不到 {hours} 小时、地点不同的两次会议上都登记为出席",
        CheckKind.BACKFILLED: f"近 {lookback} 天内召开、召开超过 {meeting_rules.BACKFILL_AFTER_DAYS} 天后才登记的会议"
        "（按支部和月份汇总）",
        CheckKind.ELECTION_OVERDUE: "党组织任期已届满仍未换届",
        CheckKind.MEETING_MISSING: f"近 {lookback} 天内结束的周期（月、季度、年度）中规定会议未达到最少次数",
        CheckKind.FUNDS_LATE: f"拨付时限在近 {lookback} 天内且已过的经费下达，截至时限（含当天）到位的金额少于下达金额："
        "时限后才补足的为逾期到位，至今未补足的为欠拨（较重）",
        CheckKind.FUNDS_BELOW_STANDARD: f"最后一天在近 {lookback} 天内的已结束年度，符合县定经费保障标准（领域、组织类型、"
        "党员人数）的党组织当年该类别到位资金低于标准最低金额；未录入当年农村居民人均可支配收入的倍数标准无法评估，"
        "不登记问题，请在经费设置中补录",
    }


def findings_url(kind: str) -> str:
    """The findings list filtered to one check's findings ('' while that page does not exist)."""
    try:
        base = reverse("supervision:finding_list")
    except NoReverseMatch:
        return ""
    return f"{base}?{urlencode({'source': FindingSource.SYSTEM, 'check_kind': kind})}"


def _trigger(job) -> str:
    if job.params.get("trigger") == "manual" or job.created_by_id:
        return f"手动运行（{job.created_by.full_name or job.created_by.username}）" if job.created_by else "手动运行"
    if job.params.get("trigger") == "demo":
        return "生成演示数据时运行"
    return "每晚自动运行"


def _duration(job) -> str:
    if not (job.started_at and job.finished_at):
        return "—"
    seconds = max(0, int((job.finished_at - job.started_at).total_seconds()))
    return f"{seconds // 60} 分 {seconds % 60} 秒" if seconds >= 60 else f"{seconds} 秒"


def _described(runs) -> list[dict]:
    rows = []
    for job in runs:
        seen, new = run_totals(job)
        rows.append(
            {
                "job": job,
                "trigger": _trigger(job),
                "duration": _duration(job),
                "seen": seen,
                "new": new,
                "counts": [c for c in run_counts(job) if c.seen is not None],
            }
        )
    return rows


class CheckRunListView(ActionRequiredMixin, ScopedListView):
    """The checks and their runs; `?export=xlsx` downloads the runs with each check's figures. Polled (htmx) while a
    run is queued or in progress, so its progress shows without reloading."""

    required_action = Action.INSPECT
    template_name = "supervision/checks/runs.html"
    paginate_by = RUNS_PER_PAGE

    def get_base_queryset(self):
        return check_runs()

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["supervision/checks/_panel.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        runs = _described(ctx["object_list"])
        latest = check_runs().filter(status="succeeded").first()
        latest_counts = {c.kind: c for c in run_counts(latest)} if latest else {}
        rules = check_rules()
        checks = [
            {
                "kind": kind,
                "label": CheckKind(kind).label,
                "category": CHECK_CATEGORY[kind],
                "rule": rules[kind],
                "latest": latest_counts.get(kind),
                "findings_url": findings_url(kind),
            }
            for kind in CHECKS
        ]
        running = running_check()
        ctx.update(
            {
                "tab": "checks",
                "runs": runs,
                "checks": checks,
                "latest": latest,
                "running": running,
                "polling": any(not r["job"].is_finished for r in runs) or running is not None,
                "may_run": may_configure_county(self.request.user),
                "settings_shown": [
                    ("文本相似度阈值", f"{similarity_threshold() * 100:g}%", "SUPERVISION_SIMILARITY_THRESHOLD"),
                    ("两地参会间隔", f"{meeting_hours():g} 小时", "SUPERVISION_MEETING_HOURS"),
                    ("回溯天数", f"{lookback_days()} 天", "SUPERVISION_LOOKBACK_DAYS"),
                    (
                        "补录认定",
                        f"召开后超过 {meeting_rules.BACKFILL_AFTER_DAYS} 天登记",
                        "MEETING_BACKFILL_AFTER_DAYS",
                    ),
                ],
                "schedule": "每天 01:30（北京时间）",
            }
        )
        return ctx

    def export_table(self, queryset) -> ExportTable:
        kinds = list(CHECKS)
        headers = ["提交时间", "运行方式", "状态", "开始时间", "完成时间", "发现问题", "新登记"]
        for kind in kinds:
            headers += [f"{CheckKind(kind).label}（发现）", f"{CheckKind(kind).label}（新登记）"]

        def local(moment):
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else None

        def rows():
            for job in queryset.iterator(chunk_size=500):
                seen, new = run_totals(job)
                result = job.result or {}
                row = [
                    local(job.created_at),
                    _trigger(job),
                    job.get_status_display(),
                    local(job.started_at),
                    local(job.finished_at),
                    seen,
                    new,
                ]
                for kind in kinds:
                    figures = result.get(kind) or {}
                    row += [figures.get("seen"), figures.get("new")]
                yield row

        return ExportTable("检查运行记录", headers, rows(), f"形式主义检查运行记录-{timezone.localdate():%Y%m%d}.xlsx")


class CheckRunNowView(LoginRequiredMixin, View):
    """立即运行: queue a run of every check (county administrators; a Celery job, eager without a broker)."""

    http_method_names = ["post"]

    def post(self, request):
        try:
            job = checks_submit(actor=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect("supervision:check_runs")
        job.refresh_from_db()
        if job.status == job.Status.SUCCEEDED:
            messages.success(request, job.message + "。")
        elif job.status == job.Status.FAILED:
            messages.error(request, job.message)
        else:
            messages.info(request, "已提交检查，正在运行，本页会显示进度。")
        return redirect("supervision:check_runs")
