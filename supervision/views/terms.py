"""换届提醒: the organizations in scope whose committee term is overdue or ends within one or six months, and those
with no election date recorded; exported to Excel as shown."""

from __future__ import annotations

import tempfile

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from core.exceptions import id_from
from core.scope import subtree_range_q
from core.views import xlsx_response
from core.xlsx.writer import ExportTable, write_table
from organizations import selectors as org_selectors

from ..choices import TermStatus
from ..selectors.terms import TERM_BUCKETS, missing_election, term_rows
from ..selectors.weak import township_name, townships_for

MISSING = "missing"
MISSING_LABEL = "未录入换届日期"
MISSING_SHOWN = 200
EXPORT_HEADERS = ["换届状态", "组织代码", "党组织", "组织类型", "所属乡镇", "上次换届日期", "任期（年）", "任期届满日期", "剩余天数（负数为逾期）"]  # fmt: skip
BUCKET_STYLE = {
    TermStatus.OVERDUE: "danger",
    TermStatus.WITHIN_MONTH: "warning",
    TermStatus.WITHIN_HALF_YEAR: "info",
}


class TermListView(LoginRequiredMixin, View):
    """Sections 已逾期 / 1个月内到期 / 6个月内到期 / 未录入换届日期; `?status=` shows (and exports) one of them,
    `?organization=<id>` narrows them to its subtree (a dashboard's drill-down)."""

    template_name = "supervision/terms/list.html"

    def get(self, request):
        today = timezone.localdate()
        orgs = org_selectors.organization_list(actor=request.user)
        org_query = ""
        if request.GET.get("organization"):
            within = org_selectors.organization_get_for(request.user, id_from(request.GET["organization"]))
            orgs = orgs.filter(subtree_range_q("path", within.path))
            org_query = f"organization={within.pk}&"
        wanted = request.GET.get("status", "")
        if wanted not in (*TermStatus.values, MISSING):
            wanted = ""
        rows = term_rows(today=today, organizations=orgs)
        missing = missing_election(organizations=orgs)
        missing_count = missing.count()
        by_status = {status: [] for status in TERM_BUCKETS}
        for row in rows:
            by_status[row.status].append(row)
        shown_missing = list(missing) if request.GET.get("export") == "xlsx" else list(missing[:MISSING_SHOWN])
        townships = townships_for([r.organization.path for r in rows] + [o.path for o in shown_missing])
        if request.GET.get("export") == "xlsx":
            return self.export(by_status, shown_missing, townships, wanted, today)
        sections = [
            {
                "status": status,
                "label": status.label,
                "style": BUCKET_STYLE[status],
                "rows": [
                    {
                        "org": r.organization,
                        "township": township_name(townships, r.organization),
                        "ends_on": r.ends_on,
                        "days": r.days_left(today),
                        "overdue_days": -r.days_left(today),
                    }
                    for r in by_status[status]
                ],
            }
            for status in TERM_BUCKETS
            if not wanted or wanted == status
        ]
        ctx = {
            "today": today,
            "wanted": wanted,
            "counts": [(s, s.label, len(by_status[s]), BUCKET_STYLE[s]) for s in TERM_BUCKETS],
            "missing_count": missing_count,
            "missing_key": MISSING,
            "sections": sections,
            "show_missing": not wanted or wanted == MISSING,
            "missing": [(o, township_name(townships, o)) for o in shown_missing],
            "missing_more": max(missing_count - MISSING_SHOWN, 0),
            "org_query": org_query,
            "export_query": org_query + (f"status={wanted}&" if wanted else "") + "export=xlsx",
            "tab": "terms",
        }
        return render(request, self.template_name, ctx)

    def export(self, by_status, missing, townships, wanted, today):
        def rows():
            for status in TERM_BUCKETS:
                if wanted and wanted != status:
                    continue
                for r in by_status[status]:
                    org = r.organization
                    yield [
                        status.label,
                        org.code,
                        org.name,
                        org.kind,
                        township_name(townships, org),
                        org.last_election_on,
                        org.effective_term_years,
                        r.ends_on,
                        r.days_left(today),
                    ]
            if not wanted or wanted == MISSING:
                for org in missing:
                    yield [MISSING_LABEL, org.code, org.name, org.kind, township_name(townships, org), None, org.effective_term_years, None, None]  # fmt: skip

        fh = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        write_table(ExportTable("换届提醒", EXPORT_HEADERS, rows()), fh)
        return xlsx_response(fh, f"换届提醒-{today:%Y%m%d}.xlsx")
