"""动态登记月报 (per branch, per month) and 逐月通报 (townships ranked, printable) pages, with their Excel files."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from core.exceptions import id_from
from core.figures import percent
from core.scope import Action, in_scope
from core.views import ScopedListView, xlsx_response
from core.xlsx.writer import ExportTable, write_table
from organizations import selectors as org_selectors
from organizations.models import Organization

from ..choices import MEETING_HOLDING_KINDS
from ..reports import (
    KINDS,
    bulletin_get,
    bulletin_organization_get_for,
    bulletin_publish,
    bulletin_rows,
    may_build_reports,
    may_publish_bulletin,
    may_read_bulletin,
    month_label,
    month_start,
    month_text,
    monthly_report_list,
    monthly_report_submit,
    monthly_report_totals,
    parse_month,
    previous_month,
    report_row_values,
)

COUNTY_KIND = "县委"
REPORT_EXPORT_HEADERS = [
    "月份", "支部代码", "支部名称", *KINDS, "会议合计", "补录", "应到人次", "实到人次", "出席率(%)", "本月到期要求",
    "达标", "达标率(%)",
]  # fmt: skip
BULLETIN_EXPORT_HEADERS = ["排名", "组织代码", "乡镇（单位）", "支部数", "本月到期要求", "达标", "达标率(%)"]


def _month_or_default(value) -> dt.date:
    """The month asked for; the previous month (the last one built) when none or a bad one is given."""
    month = parse_month(value)
    today = timezone.localdate()
    if month is None or month > month_start(today) or month.year < 1921:
        return previous_month(today)
    return month


def _organization_options(actor, selected: Organization | None) -> list[Organization]:
    """The actor's scope roots and the committees right under them (the townships of a county) for the filter."""
    roots = list(org_selectors.scope_roots(actor=actor).order_by("code"))
    children = (
        org_selectors.organization_list(actor=actor)
        .filter(parent_id__in=[r.pk for r in roots])
        .exclude(kind__in=MEETING_HOLDING_KINDS)
        .order_by("code")
    )
    by_parent: dict[int, list[Organization]] = {}
    for child in children:
        by_parent.setdefault(child.parent_id, []).append(child)
    options = []
    for root in roots:
        options.append(root)
        options.extend(by_parent.get(root.pk, []))
    if selected is not None and all(o.pk != selected.pk for o in options):
        options.append(selected)
    return options


def bulletin_county(actor, organization: Organization | None) -> Organization | None:
    """The county whose bulletin the report page links to: the selected organization's county (the nearest 县委 at or
    above it), if the actor may read that bulletin."""
    if organization is None:
        roots = list(org_selectors.scope_roots(actor=actor)[:2])
        if len(roots) != 1:
            return None
        organization = roots[0]
    chain = [*org_selectors.ancestors(organization), organization]
    counties = [o for o in chain if o.kind == COUNTY_KIND]
    county = counties[-1] if counties else None
    return county if county is not None and may_read_bulletin(actor, county) else None


class MonthlyReportListView(ScopedListView):
    """动态登记月报: `?month=YYYY-MM&organization=<id>` — one row per branch of the actor's subtree (a township's
    staff see their township's branches), each kind's count, total, 补录, attendance and the cells due that month;
    a totals row over all pages; `?export=xlsx` downloads the same rows with the totals; managers may (re)build the
    month (生成月报)."""

    template_name = "meetings/report_list.html"
    paginate_by = 100
    _filters: tuple[dt.date, Organization | None] | None = None

    def filters(self) -> tuple[dt.date, Organization | None]:
        if self._filters is None:
            month = _month_or_default(self.request.GET.get("month"))
            value = self.request.GET.get("organization")
            selected = org_selectors.organization_get_for(self.request.user, id_from(value)) if value else None
            self._filters = (month, selected)
        return self._filters

    def get_base_queryset(self):
        month, selected = self.filters()
        return monthly_report_list(actor=self.request.user, month=month, organization=selected)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        month, selected = self.filters()
        reports = list(ctx["object_list"])
        for report in reports:
            report.values = report_row_values(report)
        queryset = self.object_list
        totals = monthly_report_totals(queryset)
        built_at = queryset.aggregate(at=Max("built_at"))["at"]
        county = bulletin_county(user, selected)
        query = {"month": month_text(month)}
        if selected is not None:
            query["organization"] = str(selected.pk)
        export_query = {**query, "export": "xlsx"}
        crumbs = (
            [a for a in org_selectors.ancestors(selected) if in_scope(user, Action.VIEW, a.path)] if selected else []
        )
        ctx.update(
            {
                "reports": reports,
                "totals": totals,
                "kinds": KINDS,
                "month": month,
                "month_value": month_text(month),
                "month_label": month_label(month),
                "max_month": month_text(month_start(timezone.localdate())),
                "selected": selected,
                "crumbs": crumbs,
                "organizations": _organization_options(user, selected),
                "built_at": built_at,
                "may_build": may_build_reports(user),
                "county": county,
                "bulletin_url": reverse("meetings:bulletin", args=[county.pk, month_text(month)]) if county else "",
                "query_without_page": urlencode(query),
                "export_query": urlencode(export_query),
                "column_count": len(KINDS) + 7,
            }
        )
        return ctx

    def export_table(self, queryset) -> ExportTable:
        month, selected = self.filters()
        label = month_text(month)

        def rows():
            for report in queryset.iterator(chunk_size=2000):
                values = report_row_values(report)
                yield [
                    label,
                    report.branch.code,
                    report.branch.name,
                    *values["kind_counts"],
                    report.meetings_total,
                    report.backfilled_total,
                    report.expected_total,
                    report.present_total,
                    values["attendance_rate"],
                    report.due_total,
                    report.met_total,
                    values["compliance_rate"],
                ]
            t = monthly_report_totals(queryset)
            yield [
                label,
                None,
                f"合计（{t.branches} 个支部）",
                *t.kind_counts,
                t.meetings,
                t.backfilled,
                t.expected,
                t.present,
                t.attendance_rate,
                t.due,
                t.met,
                t.compliance_rate,
            ]

        scope = f"{selected.name}-" if selected else ""
        return ExportTable("动态登记月报", REPORT_EXPORT_HEADERS, rows(), f"动态登记月报-{scope}{label}.xlsx")


class MonthlyReportBuildView(LoginRequiredMixin, View):
    """生成月报: queue the build of a month for the manager's subtree (a Celery job; eager without a broker)."""

    http_method_names = ["post"]

    def post(self, request):
        month = parse_month(request.POST.get("month"))
        back = {"month": month_text(month)} if month else {}
        organization = request.POST.get("organization")
        if organization and organization.isdigit():
            back["organization"] = organization
        target = reverse("meetings:reports") + (f"?{urlencode(back)}" if back else "")
        if month is None:
            messages.error(request, "请选择要生成的月份（YYYY-MM）。")
            return redirect(target)
        try:
            job = monthly_report_submit(actor=request.user, month=month)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect(target)
        job.refresh_from_db()
        if job.status == job.Status.SUCCEEDED:
            messages.success(request, job.message + "。")
        elif job.status == job.Status.FAILED:
            messages.error(request, job.message)
        else:
            messages.info(request, f"已提交生成{month_label(month)}动态登记月报，正在处理，稍后刷新本页查看。")
            return redirect("core:job", pk=job.pk)
        return redirect(target)


def _bulletin_target(request, pk, month: str) -> tuple[Organization, dt.date]:
    organization = bulletin_organization_get_for(request.user, id_from(pk))
    day = parse_month(month)
    if day is None or len(month) != 7 or day > month_start(timezone.localdate()):
        raise Http404("没有这个月份的通报。")
    return organization, day


class BulletinView(LoginRequiredMixin, View):
    """逐月通报 of a county and month: the townships ranked by their branches' compliance (frozen once published,
    a live preview before), printable on A4 and downloadable as Excel (`?export=xlsx`).

    Readers (see meetings.reports.may_read_bulletin): whoever may view the county itself, and staff granted at one of
    the county's townships — they see all townships' figures, not the other townships' branches. Anyone else: 404.
    The 发布 button is for those who manage the county (its administrators)."""

    template_name = "meetings/bulletin_detail.html"

    def get(self, request, pk, month):
        organization, day = _bulletin_target(request, pk, month)
        bulletin = bulletin_get(organization=organization, month=day)
        rows = bulletin.rows if bulletin is not None else bulletin_rows(organization=organization, month=day)
        if request.GET.get("export") == "xlsx":
            return self.export(organization, day, rows)
        today = timezone.localdate()
        ranked = [r for r in rows if r["rank"] is not None]
        ctx = {
            "organization": organization,
            "month": day,
            "month_value": month_text(day),
            "month_label": month_label(day),
            "bulletin": bulletin,
            "rows": rows,
            "ranked_count": len(ranked),
            "unranked_count": len(rows) - len(ranked),
            "due_total": sum(r["due"] for r in rows),
            "met_total": sum(r["met"] for r in rows),
            "branches_total": sum(r["branches"] for r in rows),
            "may_publish": may_publish_bulletin(request.user, organization),
            "month_over": day < month_start(today),
            "previous_url": reverse("meetings:bulletin", args=[organization.pk, month_text(previous_month(day))]),
            "next_url": (
                reverse("meetings:bulletin", args=[organization.pk, month_text(_next_month(day))])
                if _next_month(day) <= month_start(today)
                else ""
            ),
            "report_url": reverse("meetings:reports")
            + "?"
            + urlencode({"month": month_text(day)})
            + (f"&organization={organization.pk}" if in_scope(request.user, Action.VIEW, organization.path) else ""),
            "periods_due": _periods_due_text(day),
        }
        ctx["rate_total"] = percent(ctx["met_total"], ctx["due_total"])
        return render(request, self.template_name, ctx)

    def export(self, organization, day, rows):
        table = (
            [
                r["rank"],
                r["code"],
                r["name"],
                r["branches"],
                r["due"],
                r["met"],
                Decimal(r["rate"]) if r["rate"] is not None else None,
            ]
            for r in rows
        )
        fh = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        write_table(ExportTable("逐月通报", BULLETIN_EXPORT_HEADERS, table), fh)
        return xlsx_response(fh, f"逐月通报-{organization.name}-{month_text(day)}.xlsx")


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _periods_due_text(day: dt.date) -> str:
    parts = [f"{day.month}月的月度要求"]
    if day.month % 3 == 0:
        parts.append(f"第{'一二三四'[day.month // 3 - 1]}季度的季度要求")
    if day.month == 12:
        parts.append(f"{day.year}年的年度要求")
    return "、".join(parts)


class BulletinPublishView(LoginRequiredMixin, View):
    """发布 / 重新发布: freeze the month's ranking (county administrators only)."""

    http_method_names = ["post"]

    def post(self, request, pk, month):
        organization, day = _bulletin_target(request, pk, month)
        republish = bulletin_get(organization=organization, month=day) is not None
        try:
            bulletin_publish(
                actor=request.user, organization=organization, month=day, note=request.POST.get("note", "")
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            verb = "重新发布" if republish else "发布"
            messages.success(request, f"已{verb}{organization.name}{month_label(day)}三会一课逐月通报。")
        return redirect("meetings:bulletin", pk=organization.pk, month=month_text(day))
