"""保障标准: the county's standards in force in a year with their figures over a subtree, the organizations below
them (or every organization they cover), the Excel of that list, and the forms that add and change a standard
(county administrators)."""

from __future__ import annotations

import datetime as dt
import tempfile

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from core.exceptions import NotInScope, id_from
from core.views import apply_service_errors, xlsx_response
from core.xlsx.writer import ExportTable, write_table
from members.choices import ACTIVE_STATUSES
from organizations import selectors as org_selectors
from organizations.models import Organization

from ..forms.standards import StandardFilterForm, StandardForm
from ..models import FundStandard
from ..services import config as services
from ..standards import StandardRow, basis_text, reference_day, scope_text, standards_overview, years_text

ROWS_PER_PAGE = 100
EXPORT_HEADERS = [
    "年度", "保障标准", "经费类别", "组织代码", "党组织", "所属乡镇", "党员人数", "最低金额（元）", "实际到位（元）",
    "差额（元）", "结果",
]  # fmt: skip
COUNTED_STATUSES = "、".join(s for s in ("正常", "流出", "流入", "失联") if s in ACTIVE_STATUSES)


def refuse_unless_configurer(user) -> None:
    if not services.may_configure_funding(user):
        raise PermissionDenied(services.REFUSED)


def chosen_root(request, param: str = "org") -> Organization:
    """The organization of `?org=` (in the user's scope, else 404), or the user's first scope root."""
    raw = request.GET.get(param)
    if raw:
        return org_selectors.organization_get_for(request.user, id_from(raw))
    root = org_selectors.scope_roots(actor=request.user).order_by("path").first()
    if root is None:
        raise PermissionDenied("您的账号没有可查看的组织。")
    return root


def chosen_year(request, default: int) -> int:
    raw = request.GET.get("year", "")
    today = timezone.localdate()
    if raw.isdigit() and 2000 <= int(raw) <= today.year + 1:
        return int(raw)
    return default


def townships_of(orgs) -> dict[str, str]:
    """{path of a depth-2 organization: its name} for the organizations given (one query)."""
    step = Organization.steplen
    paths = {o.path[: 2 * step] for o in orgs if o.depth >= 2}
    return dict(Organization.objects.filter(path__in=paths).values_list("path", "name"))


def township_name(townships: dict[str, str], org: Organization) -> str:
    return townships.get(org.path[: 2 * Organization.steplen], "") if org.depth >= 2 else ""


class StandardViolationsView(LoginRequiredMixin, View):
    """`?org=` (subtree, default the user's own), `?year=` (default the last year over), `?standard=`, `?view=all`
    (every organization covered, not only those below), `?export=xlsx`."""

    template_name = "funding/standards/list.html"

    def get(self, request):
        user = request.user
        today = timezone.localdate()
        root = chosen_root(request)
        year = chosen_year(request, today.year - 1)
        standard = None
        if request.GET.get("standard"):
            standard = FundStandard.objects.filter(pk=id_from(request.GET["standard"])).first()
            if standard is None:
                raise NotInScope()
        show_all = request.GET.get("view") == "all"
        in_force, rows = standards_overview(actor=user, root=root, year=year, today=today, standard=standard)
        shown = rows if show_all else [r for r in rows if r.short]
        townships = townships_of(r.organization for r in shown)
        if request.GET.get("export") == "xlsx":
            return self.export(shown, townships, root, year, show_all)
        page = Paginator(shown, ROWS_PER_PAGE).get_page(request.GET.get("page"))
        for row in page.object_list:
            row.township_name = township_name(townships, row.organization)
        query = request.GET.copy()
        query.pop("page", None)
        export_query = query.copy()
        export_query["export"] = "xlsx"
        for force in in_force:
            force.scope_text = scope_text(force.standard)
            force.years_text = years_text(force.standard)
        form = StandardFilterForm(
            initial={
                "org": root.pk, "year": year, "standard": standard.pk if standard else "", "view": "all" if show_all else ""
            },
            user=user, selected=root,
        )  # fmt: skip
        ctx = {
            "tab": "standards",
            "form": form,
            "root": root,
            "year": year,
            "year_over": dt.date(year, 12, 31) < today,
            "counted_on": reference_day(year, today),
            "counted_statuses": COUNTED_STATUSES,
            "in_force": in_force,
            "unknown": [f for f in in_force if not f.evaluable],
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.paginator.num_pages > 1,
            "rows": page.object_list,
            "show_all": show_all,
            "short_count": sum(1 for r in rows if r.short),
            "covered_count": len(rows),
            "query_without_page": query.urlencode(),
            "export_query": export_query.urlencode(),
            "may_configure": services.may_configure_funding(user),
        }
        return render(request, self.template_name, ctx)

    def export(self, rows: list[StandardRow], townships, root, year: int, show_all: bool):
        data = (
            [
                r.year, r.standard.name, r.standard.category.name, r.organization.code, r.organization.name,
                township_name(townships, r.organization), r.members, r.minimum, r.received, r.shortfall, r.verdict,
            ]
            for r in rows
        )  # fmt: skip
        what = "标准覆盖组织" if show_all else "低于标准的组织"
        table = ExportTable(what, EXPORT_HEADERS, data, f"经费保障标准-{root.name}-{year}年-{what}.xlsx")
        fh = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        write_table(table, fh)
        return xlsx_response(fh, table.filename)


class _StandardFormView(LoginRequiredMixin, View):
    template_name = "funding/config/form.html"
    title = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            refuse_unless_configurer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, status=200, standard=None):
        ctx = {
            "tab": "config",
            "form": form,
            "title": self.title,
            "submit": "保存",
            "icon": "bi-rulers",
            "note": "按固定金额的标准填写最低金额；按收入倍数的标准填写倍数，最低金额 = 倍数 × 当年农村居民人均可支配收入。",
            "standard": standard,
            "basis_text": basis_text(standard) if standard else "",
        }
        return render(self.request, self.template_name, ctx, status=status)


class StandardCreateView(_StandardFormView):
    title = "新增经费保障标准"

    def get(self, request):
        return self.render_form(StandardForm())

    def post(self, request):
        form = StandardForm(request.POST)
        if form.is_valid():
            try:
                standard = services.standard_create(actor=request.user, **form.values())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已新增保障标准“{standard.name}”。")
                return redirect("funding:config")
        return self.render_form(form, status=400)


class StandardUpdateView(_StandardFormView):
    title = "修改经费保障标准"

    def _standard(self, pk) -> FundStandard:
        standard = FundStandard.objects.select_related("category").filter(pk=id_from(pk)).first()
        if standard is None:
            raise NotInScope()
        return standard

    def get(self, request, pk):
        standard = self._standard(pk)
        return self.render_form(StandardForm(standard=standard), standard=standard)

    def post(self, request, pk):
        standard = self._standard(pk)
        form = StandardForm(request.POST, standard=standard)
        if form.is_valid():
            try:
                standard = services.standard_update(actor=request.user, standard=standard, **form.values())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已保存保障标准“{standard.name}”。")
                return redirect("funding:config")
        return self.render_form(form, status=400, standard=standard)
