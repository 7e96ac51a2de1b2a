"""Compliance pages: the rates of a subtree by township or branch, the overdue reminders, and the standards."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from accounts.selectors import may_configure_county
from core.exceptions import id_from
from core.scope import Action, in_scope
from core.views import apply_service_errors
from core.xlsx.writer import ExportTable, write_table
from organizations import selectors as org_selectors

from .. import compliance, services
from ..choices import MEETING_HOLDING_KINDS
from ..forms import StandardForm
from ..models import MeetingStandard
from .meetings import year_of

QUARTER_HEADERS = ["组织代码", "组织名称", "季度状态", "达标项", "未达标项", "进行中项"]
OVERDUE_HEADERS = ["组织代码", "组织名称", "会议类型", "周期", "截止日期", "要求次数", "实际次数", "状态"]


def _export(table: ExportTable):
    import tempfile

    from core.views import xlsx_response

    fh = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_table(table, fh)
    return xlsx_response(fh, table.filename)


def selected_org(request):
    """`?organization=<id>` when given (scoped), else the actor's own top node."""
    value = request.GET.get("organization")
    if value:
        return org_selectors.organization_get_for(request.user, id_from(value))
    return org_selectors.scope_roots(actor=request.user).order_by("depth", "code").first()


class ComplianceView(LoginRequiredMixin, View):
    """达标情况 of a subtree: one row per child (township for the county, branch for a township), rates over the
    cells decided so far, attendance rates, and a drill-down to each branch's calendar."""

    def get(self, request):
        today = timezone.localdate()
        year = year_of(request, today.year)
        org = selected_org(request)
        if org is None:
            return render(request, "meetings/compliance.html", {"org": None, "tab": "compliance"})
        if request.GET.get("export") == "xlsx":
            from core.xlsx.registry import export_kinds

            table = export_kinds()["compliance"](
                request.user,
                year=year,
                unmasked=False,
                queryset=compliance.holding_branches(actor=request.user, organization=org),
            )
            table.filename = f"三会一课达标情况_{org.code}_{year}.xlsx"
            return _export(table)
        by_branch, groups = compliance.compliance_summary(actor=request.user, year=year, today=today, organization=org)
        total = compliance.Tally()
        for name in ("met", "missed", "open", "expected", "present", "meetings", "branches"):
            setattr(total, name, sum(getattr(g, name) for g in groups))
        ranked = compliance.rank_by_rate(groups)
        crumbs = [a for a in org_selectors.ancestors(org) if in_scope(request.user, Action.VIEW, a.path)]
        return render(
            request,
            "meetings/compliance.html",
            {
                "org": org,
                "crumbs": crumbs,
                "year": year,
                "years": list(range(today.year, today.year - 5, -1)),
                "rows": [
                    (rank, g, g.organization is not None and g.organization.kind in MEETING_HOLDING_KINDS)
                    for rank, g in sorted(ranked, key=lambda r: r[1].organization.code if r[1].organization else "")
                ],
                "total": total,
                "today": today,
                "tab": "compliance",
            },
        )


class OverdueView(LoginRequiredMixin, View):
    """提醒: the requirements missed this year (period over, minimum not reached) and those still to be held before
    this month ends."""

    def get(self, request):
        today = timezone.localdate()
        year = year_of(request, today.year)
        org = selected_org(request)
        overdue = compliance.overdue_cells(actor=request.user, year=year, today=today, organization=org) if org else []
        soon = compliance.due_this_month_cells(actor=request.user, today=today, organization=org) if org else []
        if request.GET.get("export") == "xlsx":
            rows = [
                [c.branch.code, c.branch.name, c.kind, c.period.label, c.period.end, c.required, c.actual, label]
                for label, cells in (("未达标", overdue), ("本月到期未开", soon))
                for c in cells
            ]
            return _export(ExportTable("逾期提醒", OVERDUE_HEADERS, rows, filename=f"三会一课逾期提醒_{year}.xlsx"))
        by_branch: dict[int, list] = {}
        for c in overdue:
            by_branch.setdefault(c.branch.id, []).append(c)
        # The branches that missed most come first: that is who the township calls.
        grouped = sorted(by_branch.values(), key=lambda cells: (-len(cells), cells[0].branch.code))
        return render(
            request,
            "meetings/overdue.html",
            {
                "org": org,
                "year": year,
                "years": list(range(today.year, today.year - 5, -1)),
                "overdue": [(cells[0].branch, cells) for cells in grouped[:300]],
                "overdue_total": len(overdue),
                "overdue_branches": len(grouped),
                "soon": [(c, (c.period.end - today).days) for c in soon[:500]],
                "soon_total": len(soon),
                "today": today,
                "tab": "overdue",
            },
        )


def quarter_of_request(request, year: int, today) -> int:
    """`?quarter=1…4`; by default the quarter running today (the year's last one for a past year)."""
    value = request.GET.get("quarter", "")
    if value in ("1", "2", "3", "4"):
        return int(value)
    return compliance.quarter_of(today) if year == today.year else 4


class QuarterView(LoginRequiredMixin, View):
    """支部季度达标名单: the subtree's branches with their quarter's status (达标 once every meeting the quarter asks
    for is held, 未达标 once one was missed, 进行中 otherwise), filtered by `?status=`; the leaders' dashboard links
    its figures here, and each figure equals this list's count."""

    paginate_by = 50

    def get(self, request):
        today = timezone.localdate()
        year = year_of(request, today.year)
        quarter = quarter_of_request(request, year, today)
        org = selected_org(request)
        rows = (
            compliance.quarter_branches(actor=request.user, year=year, quarter=quarter, today=today, organization=org)
            if org
            else []
        )
        counts = {s: 0 for s in compliance.ComplianceStatus.values}
        for r in rows:
            counts[r.status] += 1
        status = request.GET.get("status", "")
        if status in counts:
            rows = [r for r in rows if r.status == status]
        else:
            status = ""
        if request.GET.get("export") == "xlsx":
            table = ExportTable(
                "季度达标",
                QUARTER_HEADERS,
                ([r.branch.code, r.branch.name, r.status, r.met, r.missed, r.open] for r in rows),
                filename=f"三会一课季度达标_{year}Q{quarter}.xlsx",
            )
            return _export(table)
        query = {"year": year, "quarter": quarter, **({"organization": org.pk} if org else {})}
        page = Paginator(rows, self.paginate_by).get_page(request.GET.get("page"))
        return render(
            request,
            "meetings/quarter.html",
            {
                "org": org,
                "year": year,
                "quarter": quarter,
                "status": status,
                "counts": counts,
                "years": list(range(today.year, today.year - 5, -1)),
                "page_obj": page,
                "paginator": page.paginator,
                "is_paginated": page.has_other_pages(),
                "object_list": page.object_list,
                "base_query": urlencode(query),
                "query_without_page": urlencode({**query, **({"status": status} if status else {})}),
                "today": today,
                "tab": "compliance",
            },
        )


class StandardListView(LoginRequiredMixin, View):
    def get(self, request):
        from ..choices import KIND_ORDER

        standards = sorted(MeetingStandard.objects.all(), key=lambda s: KIND_ORDER.get(s.kind, 99))
        return render(
            request,
            "meetings/standards.html",
            {"standards": standards, "can_edit": may_configure_county(request.user), "tab": "standards"},
        )


class StandardEditView(LoginRequiredMixin, View):
    def _standard(self, request, pk):
        if not may_configure_county(request.user):
            raise PermissionDenied("只有县委组织部管理员可以修改三会一课标准。")
        standard = MeetingStandard.objects.filter(pk=id_from(pk)).first()
        if standard is None:
            raise PermissionDenied("未找到该标准。")
        return standard

    def get(self, request, pk):
        standard = self._standard(request, pk)
        return render(
            request,
            "meetings/standard_form.html",
            {"form": StandardForm(instance=standard), "standard": standard, "tab": "standards"},
        )

    def post(self, request, pk):
        standard = self._standard(request, pk)
        form = StandardForm(request.POST, instance=MeetingStandard.objects.get(pk=standard.pk))
        if form.is_valid():
            try:
                services.standard_update(
                    actor=request.user,
                    standard=standard,
                    period_type=form.cleaned_data["period_type"],
                    min_count=form.cleaned_data["min_count"],
                    exemption=form.cleaned_data["exemption"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已修改“{standard.kind}”的标准，达标情况即按新标准计算。")
                return redirect("meetings:standards")
        return render(
            request, "meetings/standard_form.html", {"form": form, "standard": standard, "tab": "standards"}, status=400
        )
