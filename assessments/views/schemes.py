"""Scheme pages (考核方案): the county's schemes by year and group (with the list's Excel export), a new scheme, last
year's copied in one click, and the editor — settings, indicators, veto items — with the workflow panel (计算 as a job
whose progress shows inline, 发布 refused while scores are missing, 撤回发布 with a reason).

Everyone inside the county reads a scheme; only the county department (MANAGE over the county) sees the edit
controls, and every write is refused to anyone else before a form is even read. A published scheme shows locked.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from core.exceptions import NotInScope, id_from
from core.models import Job
from core.selectors import job_get_for, job_list
from core.views import ScopedListView, apply_service_errors
from core.xlsx.writer import ExportTable
from organizations.models import Organization

from .. import selectors
from ..choices import MAX_TOTAL, IndicatorMethod, SchemeStatus
from ..forms import mark_invalid
from ..forms.schemes import PARAM_LABELS, IndicatorForm, ReopenForm, SchemeCreateForm, SchemeSettingsForm, VetoItemForm
from ..models import Indicator, Result, Scheme, VetoItem
from ..services import schemes as services
from ..services import workflow
from ..sources import SOURCES

STATUS_BADGES = {
    SchemeStatus.DRAFT: "text-bg-warning",
    SchemeStatus.COMPUTED: "text-bg-info",
    SchemeStatus.PUBLISHED: "text-bg-success",
}
EXPORT_HEADERS = [
    "县",
    "年度",
    "考核类别",
    "方案名称",
    "状态",
    "指标数",
    "分值合计",
    "述职评议权重（%）",
    "考核组织数",
    "已有总分",
    "未完成",
    "计算时间",
    "发布时间",
]


def scheme_counts(schemes) -> None:
    """Set on each scheme: n_orgs, n_scored (a total), n_missing, n_indicators, max_sum (two queries for all)."""
    ids = [s.pk for s in schemes]
    results = {
        row["scheme_id"]: row
        for row in Result.objects.filter(scheme_id__in=ids)
        .values("scheme_id")
        .annotate(n=Count("id"), scored=Count("id", filter=Q(total__isnull=False)))
    }
    indicators = {
        row["scheme_id"]: row
        for row in Indicator.objects.filter(scheme_id__in=ids)
        .values("scheme_id")
        .annotate(n=Count("id"), points=Sum("max_points"))
    }
    for s in schemes:
        r = results.get(s.pk, {})
        i = indicators.get(s.pk, {})
        s.n_orgs, s.n_scored = r.get("n", 0), r.get("scored", 0)
        s.n_missing = s.n_orgs - s.n_scored
        s.n_indicators, s.max_sum = i.get("n", 0), i.get("points")
        s.badge = STATUS_BADGES[s.status]


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _managed_counties(user) -> list[Organization]:
    return [c for c in selectors.counties_for(user) if selectors.may_manage_county(user, c)]


class SchemeListView(ScopedListView):
    """The schemes of the user's counties, newest year first, each with its state and how far its scoring got."""

    template_name = "assessments/schemes/list.html"
    paginate_by = 100

    def year(self) -> int | None:
        value = self.request.GET.get("year", "")
        return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else None

    def get_base_queryset(self):
        qs = selectors.scheme_list(actor=self.request.user)
        year = self.year()
        return qs.filter(year=year) if year else qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        rows = list(ctx["object_list"])
        scheme_counts(rows)
        managed = {c.pk for c in _managed_counties(user)}
        taken = set(selectors.scheme_list(actor=user).values_list("county_id", "year", "group"))
        last_year = timezone.localdate().year + 1
        for s in rows:
            s.may_manage = s.county_id in managed
            following = s.year + 1
            s.copy_year = (
                following
                if s.may_manage and following <= last_year and (s.county_id, following, s.group) not in taken
                else None
            )
        ctx.update(
            {
                "tab": "schemes",
                "may_manage": bool(managed),
                "rows": rows,
                "years": selectors.scheme_years(actor=user),
                "year": self.year(),
                "many_counties": len({s.county_id for s in rows}) > 1,
            }
        )
        return ctx

    def export_table(self, queryset) -> ExportTable:
        schemes = list(queryset)
        scheme_counts(schemes)

        def rows():
            for s in schemes:
                yield [
                    s.county.name,
                    s.year,
                    s.group,
                    str(s),
                    s.get_status_display(),
                    s.n_indicators,
                    s.max_sum,
                    s.appraisal_weight,
                    s.n_orgs,
                    s.n_scored,
                    s.n_missing,
                    _local(s.computed_at),
                    _local(s.published_at),
                ]

        return ExportTable("考核方案", EXPORT_HEADERS, rows(), filename="考核方案.xlsx")


class SchemeCreateView(LoginRequiredMixin, View):
    """A new scheme for a year and a group; the organizations of the group join it at once."""

    template_name = "assessments/schemes/create.html"

    def counties(self, user) -> list[Organization]:
        counties = _managed_counties(user)
        if not counties:
            raise PermissionDenied(services.REFUSED)
        return counties

    def form(self, user, data=None):
        counties = self.counties(user)
        queryset = Organization.objects.filter(pk__in=[c.pk for c in counties]).order_by("path")
        groups = _groups_of(counties)
        return SchemeCreateForm(data, counties=queryset, groups=groups)

    def render_form(self, form, status=200):
        mark_invalid(form)
        ctx = {"form": form, "tab": "schemes", "may_manage": True}
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request):
        return self.render_form(self.form(request.user))

    def post(self, request):
        form = self.form(request.user, request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)
        data = form.cleaned_data
        try:
            scheme = services.scheme_create(
                actor=request.user, county=data["county"], year=data["year"], group=data["group"], name=data["name"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(form, status=400)
        messages.success(request, f"已建立{scheme}，列入考核的组织 {scheme.results.count()} 个。请设置考核指标。")
        return redirect("assessments:scheme_detail", pk=scheme.pk)


def _groups_of(counties) -> list[str]:
    """The assessment groups organizations of these counties are in (the form offers them)."""
    from core.scope import subtree_q

    orgs = Organization.objects.filter(subtree_q("path", [c.path for c in counties])).exclude(assessment_group="")
    return sorted(set(orgs.values_list("assessment_group", flat=True)))


def _source_help() -> list[dict]:
    """Each source's label and what it computes, its parameters spelled with their default values."""
    out = []
    for source in SOURCES.values():
        text = source.description
        for name, default in source.defaults.items():
            text = text.replace(f" {name} ", f" {default} ")
        if source.defaults:
            text += "（扣分值可调）"
        out.append({"label": source.label, "description": text})
    return out


def _scheme_for(request, pk) -> Scheme:
    return selectors.scheme_get_for(request.user, id_from(pk))


def _latest_job(user, scheme: Scheme) -> Job | None:
    return (
        job_list(actor=user)
        .filter(kind=workflow.COMPUTE_JOB_KIND, org_path=scheme.county.path, params__year=scheme.year)
        .order_by("-created_at", "-id")
        .first()
    )


class SchemeDetailView(LoginRequiredMixin, View):
    """The editor (MANAGE) or the scheme read-only (everyone else in the county)."""

    template_name = "assessments/schemes/detail.html"

    def context(self, request, scheme: Scheme, *, bound: dict | None = None) -> dict:
        user = request.user
        bound = bound or {}
        scheme = selectors.scheme_with_parts(scheme)
        may_manage = selectors.may_manage_county(user, scheme.county)
        editable = may_manage and not scheme.is_published
        indicators = scheme.indicator_list
        max_sum = sum((i.max_points for i in indicators), start=MAX_TOTAL * 0)
        for indicator in indicators:
            indicator.source_label = SOURCES[indicator.source].label if indicator.source in SOURCES else ""
            indicator.param_text = "，".join(
                f"{PARAM_LABELS.get(k, k)} {v}" for k, v in (indicator.params or {}).items()
            )
            if editable:
                indicator.form = bound.get(f"ind{indicator.pk}") or IndicatorForm(
                    indicator=indicator, prefix=f"ind{indicator.pk}"
                )
        counts = Result.objects.filter(scheme=scheme).aggregate(
            n=Count("id"), scored=Count("id", filter=Q(total__isnull=False))
        )
        ctx = {
            "tab": "schemes",
            "scheme": scheme,
            "badge": STATUS_BADGES[scheme.status],
            "may_manage": may_manage,
            "editable": editable,
            "indicators": indicators,
            "manual_count": sum(1 for i in indicators if i.method == IndicatorMethod.MANUAL),
            "max_sum": max_sum,
            "sum_ok": not indicators or max_sum == MAX_TOTAL,
            "veto_items": scheme.veto_list,
            "n_orgs": counts["n"],
            "n_scored": counts["scored"],
            "sources": _source_help(),
            "sees_drafts": selectors.sees_drafts(user, scheme.county),
            "steps": [(s.value, s.label) for s in SchemeStatus],
            "errors": bound.get("errors", []),
        }
        if ctx["sees_drafts"] and not scheme.is_published:
            ctx["missing"] = selectors.missing_scores(scheme)
        if editable:
            ctx["settings_form"] = bound.get("settings") or SchemeSettingsForm(scheme=scheme)
            ctx["indicator_form"] = bound.get("indicator") or IndicatorForm(prefix="new")
            ctx["veto_form"] = bound.get("veto") or VetoItemForm()
            ctx["open_indicator"] = bound.get("open_indicator")
        if may_manage:
            year_schemes = workflow.schemes_of(scheme.year, scheme.county)
            ctx["year_schemes"] = year_schemes
            ctx["compute_problems"] = workflow.compute_problems(year_schemes)
            ctx["job"] = _latest_job(user, scheme)
            if scheme.is_published:
                ctx["reopen_form"] = bound.get("reopen") or ReopenForm()
        return ctx

    def render_page(self, request, scheme, *, bound=None, status=200):
        for form in (bound or {}).values():
            if hasattr(form, "is_bound"):
                mark_invalid(form)
        return render(request, self.template_name, self.context(request, scheme, bound=bound), status=status)

    def get(self, request, pk):
        return self.render_page(request, _scheme_for(request, pk))


class _ManageView(SchemeDetailView):
    """A write posted from the editor: refused (403) to anyone who may not manage the county, before anything else."""

    http_method_names = ["post"]

    def scheme(self, request, pk) -> Scheme:
        scheme = _scheme_for(request, pk)
        if not selectors.may_manage_county(request.user, scheme.county):
            raise PermissionDenied(services.REFUSED)
        return scheme

    def back(self, scheme, anchor: str = ""):
        return redirect(reverse("assessments:scheme_detail", args=[scheme.pk]) + (f"#{anchor}" if anchor else ""))

    def refused(self, request, scheme, exc: ValidationError, anchor: str = ""):
        """A refusal with nowhere on the page to show it (a locked scheme has no forms): a message at the top."""
        for message in exc.messages:
            messages.error(request, message)
        return self.back(scheme, anchor)

    def remove(self, request, scheme, delete, done: str, anchor: str):
        """A delete button of the editor: `delete()` is the service call; its refusal or `done` at the top."""
        try:
            delete()
        except ValidationError as exc:
            return self.refused(request, scheme, exc, anchor)
        messages.success(request, done)
        return self.back(scheme, anchor)

    def invalid(self, request, scheme, bound: dict):
        scheme.refresh_from_db()
        if scheme.is_published:
            errors = [
                e for form in bound.values() if hasattr(form, "errors") for es in form.errors.values() for e in es
            ]
            return self.refused(request, scheme, ValidationError(errors or [services.LOCKED.format(scheme=scheme)]))
        return self.render_page(request, scheme, bound=bound, status=400)


class SchemeUpdateView(_ManageView):
    def post(self, request, pk):
        scheme = self.scheme(request, pk)
        form = SchemeSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.scheme_update(actor=request.user, scheme=scheme, **form.values())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "方案设置已保存。")
                return self.back(scheme, "settings")
        return self.invalid(request, scheme, {"settings": form})


class SchemeCopyView(_ManageView):
    """Last year's scheme (settings, indicators, veto items) for the following year, in one click."""

    def post(self, request, pk):
        source = self.scheme(request, pk)
        try:
            scheme = services.scheme_copy(actor=request.user, source=source)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("assessments:scheme_list")
        messages.success(
            request,
            f"已按{source}建立{scheme}：指标 {scheme.indicators.count()} 项，否决事项 {scheme.veto_items.count()} 项，"
            f"列入考核的组织 {scheme.results.count()} 个。",
        )
        return redirect("assessments:scheme_detail", pk=scheme.pk)


class IndicatorAddView(_ManageView):
    def post(self, request, pk):
        scheme = self.scheme(request, pk)
        form = IndicatorForm(request.POST, prefix="new")
        if form.is_valid():
            try:
                indicator = services.indicator_add(actor=request.user, scheme=scheme, **form.values(adding=True))
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已添加指标“{indicator.name}”（{indicator.max_points} 分）。")
                return self.back(scheme, "indicators")
        return self.invalid(request, scheme, {"indicator": form})


def _indicator_of(scheme: Scheme, ipk) -> Indicator:
    indicator = Indicator.objects.filter(pk=id_from(ipk), scheme=scheme).first()
    if indicator is None:
        raise NotInScope()
    return indicator


class IndicatorUpdateView(_ManageView):
    def post(self, request, pk, ipk):
        scheme = self.scheme(request, pk)
        indicator = _indicator_of(scheme, ipk)
        prefix = f"ind{indicator.pk}"
        form = IndicatorForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                services.indicator_update(actor=request.user, indicator=indicator, **form.values(adding=False))
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"指标“{form.cleaned_data['name']}”已保存。")
                return self.back(scheme, "indicators")
        return self.invalid(request, scheme, {prefix: form, "open_indicator": indicator.pk})


class IndicatorDeleteView(_ManageView):
    def post(self, request, pk, ipk):
        scheme = self.scheme(request, pk)
        indicator = _indicator_of(scheme, ipk)
        delete = partial(services.indicator_delete, actor=request.user, indicator=indicator)
        return self.remove(request, scheme, delete, f"已删除指标“{indicator.name}”。", "indicators")


class VetoItemAddView(_ManageView):
    def post(self, request, pk):
        scheme = self.scheme(request, pk)
        form = VetoItemForm(request.POST)
        if form.is_valid():
            try:
                item = services.veto_item_add(actor=request.user, scheme=scheme, name=form.cleaned_data["name"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已添加一票否决事项“{item.name}”。")
                return self.back(scheme, "vetoes")
        return self.invalid(request, scheme, {"veto": form})


class VetoItemDeleteView(_ManageView):
    def post(self, request, pk, vpk):
        scheme = self.scheme(request, pk)
        item = VetoItem.objects.filter(pk=id_from(vpk), scheme=scheme).first()
        if item is None:
            raise NotInScope()
        delete = partial(services.veto_item_delete, actor=request.user, item=item)
        return self.remove(request, scheme, delete, f"已删除一票否决事项“{item.name}”。", "vetoes")


class SchemeComputeView(_ManageView):
    """Queue the computation of the scheme's year in its county (every scheme of that year: the three rules look at
    all of them); the editor then shows the job's progress."""

    def post(self, request, pk):
        scheme = self.scheme(request, pk)
        try:
            job = workflow.compute_submit(actor=request.user, year=scheme.year, county=scheme.county)
        except ValidationError as exc:
            return self.refused(request, scheme, exc, "workflow")
        messages.info(request, f"已提交{scheme.year}年度考核计算（任务 #{job.pk}）。")
        return self.back(scheme, "workflow")


class SchemeJobView(LoginRequiredMixin, View):
    """The compute job's panel, polled by the editor every second while the job runs. When the job has finished the
    editor reloads (HX-Refresh) so the scheme's new state shows."""

    def get(self, request, pk, job_pk):
        scheme = _scheme_for(request, pk)
        job = job_get_for(request.user, id_from(job_pk))
        if job.kind != workflow.COMPUTE_JOB_KIND:
            raise NotInScope()
        response = render(request, "assessments/schemes/_job.html", {"job": job, "scheme": scheme})
        if job.is_finished and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response


class SchemePublishView(_ManageView):
    def post(self, request, pk):
        scheme = self.scheme(request, pk)
        try:
            scheme = workflow.scheme_publish(actor=request.user, scheme=scheme)
        except ValidationError as exc:
            return self.refused(request, scheme, exc, "workflow")
        messages.success(request, f"{scheme}已发布，结果已锁定。")
        return self.back(scheme)


class SchemeReopenView(_ManageView):
    def post(self, request, pk):
        scheme = self.scheme(request, pk)
        form = ReopenForm(request.POST)
        if form.is_valid():
            try:
                scheme = workflow.scheme_reopen(actor=request.user, scheme=scheme, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                if not hasattr(exc, "error_dict"):
                    return self.refused(request, scheme, exc, "workflow")
                apply_service_errors(form, exc)
            else:
                messages.warning(request, f"{scheme}已撤回发布，可以修改；修改后请重新计算，再发布。")
                return self.back(scheme)
        return self.render_page(request, scheme, bound={"reopen": form}, status=400)
