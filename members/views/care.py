"""失联排查, 流动党员 on a member's file, points configuration and training coverage."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from core.exceptions import NotInScope, id_from
from core.scope import Action, in_scope, subtree_range_q
from core.views import ScopedListView, apply_service_errors, xlsx_response
from core.xlsx.writer import ExportTable, write_table
from organizations.models import Organization
from organizations.views import tree_context

from .. import config_services
from ..choices import ACTIVE_STATUSES, LostContactStatus, MemberStatus
from ..contact import lost_contact_decide, lost_contact_resolve
from ..filtersets import LostContactFilterSet
from ..flow import flow_record_close, flow_record_open
from ..forms import (
    FlowCloseForm,
    FlowOpenForm,
    LostContactDecisionForm,
    LostContactResolveForm,
    PointItemForm,
    StarRuleForm,
)
from ..models import FlowRecord, LostContactCase, Member, PointItem, StarRule
from .members import _MemberStepView, _selected_org, _share, _visible_ancestors, _year

PAGE_SIZE = 50
AUDIT_LIMIT = 20
MEMBER_OBJECT_TYPE = "members.member"
CURSOR_PARAMS = ("after", "before", "last", "page", "export")
DETAIL_TABS = ("info", "memberships", "status", "training", "points", "flows", "audit")
STATUS_BADGES = {
    MemberStatus.NORMAL: "text-bg-success",
    MemberStatus.FLOWED_OUT: "text-bg-warning",
    MemberStatus.FLOWED_IN: "text-bg-info",
    MemberStatus.LOST_CONTACT: "text-bg-danger",
}


# --- 失联党员排查 --------------------------------------------------------------------------------------------------

LOST_STATUS_BADGES = {
    LostContactStatus.CANDIDATE: "text-bg-warning",
    LostContactStatus.CONFIRMED: "text-bg-danger",
    LostContactStatus.DISMISSED: "text-bg-secondary",
    LostContactStatus.RESOLVED: "text-bg-success",
}
LOST_EXPORT_HEADERS = [
    "姓名", "身份证号（脱敏）", "支部代码", "支部", "党籍状态", "最后联系/参加组织生活日期", "发现日期", "处理状态",
    "确认/排除日期", "恢复联系日期", "说明",
]  # fmt: skip


def _lost_contact_list(actor, action: str = Action.VIEW) -> QuerySet[LostContactCase]:
    return LostContactCase.objects.restrict(actor, action).select_related("member__person", "member__branch")


def _lost_contact_get_for(actor, pk, action: str = Action.VIEW) -> LostContactCase:
    case = _lost_contact_list(actor, action).filter(pk=id_from(pk)).first()
    if case is None:
        raise NotInScope()
    return case


class LostContactListView(ScopedListView):
    """失联党员排查: the cases of the actor's scope (or `?org=<id>`), open ones first; confirm, dismiss, resolve."""

    template_name = "members/lost_contact.html"
    filterset_class = LostContactFilterSet
    selected: Organization | None = None

    def get_base_queryset(self):
        order = Case(
            *[When(status=s, then=Value(i)) for i, s in enumerate(LostContactStatus.values)],
            output_field=IntegerField(),
        )
        return _lost_contact_list(self.request.user).order_by(order, "-found_on", "-id")

    def get_queryset(self):
        data = self.request.GET.copy()
        for name in ("export", "org", "page"):
            data.pop(name, None)
        self.selected = _selected_org(self.request)
        if self.selected is not None:
            data["organization"] = str(self.selected.pk)
        self.filterset = self.filterset_class(data or None, queryset=self.get_base_queryset(), request=self.request)
        return self.filterset.qs if self.filterset.is_bound else self.filterset.queryset

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        for case in ctx["object_list"]:
            case.can_change = in_scope(user, Action.CHANGE, case.member.branch.path)
        scope = _lost_contact_list(user).order_by()
        if self.selected is not None:
            scope = scope.filter(subtree_range_q("member__branch__path", self.selected.path))
        counts = dict(scope.values_list("status").annotate(n=Count("id")).order_by())
        query = self.request.GET.copy()
        for name in ("export", "page", "status"):
            query.pop(name, None)
        crumbs = _visible_ancestors(user, self.selected) if self.selected is not None else []
        ctx.update(tree_context(user, self.selected, crumbs=crumbs))
        ctx.update(
            {
                "status_counts": [(s, counts.get(s, 0), LOST_STATUS_BADGES[s]) for s in LostContactStatus.values],
                "status": self.request.GET.get("status", ""),
                "status_query": query.urlencode(),
                "selected": self.selected,
                "crumbs": crumbs,
                "lost_badges": LOST_STATUS_BADGES,
                "status_badges": STATUS_BADGES,
            }
        )
        return ctx

    def export_table(self, queryset) -> ExportTable:
        rows = (
            [
                c.member.person.name,
                c.member.person.id_number_masked,
                c.member.branch.code,
                c.member.branch.name,
                c.member.status,
                c.last_contact_on,
                c.found_on,
                c.status,
                c.decided_on,
                c.resolved_on,
                c.note,
            ]
            for c in queryset.iterator(chunk_size=2000)
        )
        return ExportTable("失联党员排查", LOST_EXPORT_HEADERS, rows, "失联党员排查.xlsx")


class _LostContactStepView(LoginRequiredMixin, View):
    template_name = "members/lost_contact_form.html"
    title = ""
    form_class = None

    def context(self, case, form):
        crumbs = _visible_ancestors(self.request.user, case.member.branch)
        return {
            "form": form,
            "case": case,
            "member": case.member,
            "title": f"{self.title} · {case.member.person.name}",
            "heading": self.title,
            "cancel_url": reverse("members:lost_contact") + f"?org={case.member.branch_id}",
            "lost_badges": LOST_STATUS_BADGES,
            "status_badges": STATUS_BADGES,
            "crumbs": crumbs,
            **tree_context(self.request.user, case.member.branch, crumbs=crumbs),
        }

    def apply(self, case, form):  # pragma: no cover - interface
        raise NotImplementedError

    def get(self, request, pk):
        case = _lost_contact_get_for(request.user, pk, Action.CHANGE)
        return render(request, self.template_name, self.context(case, self.form_class()))

    def post(self, request, pk):
        case = _lost_contact_get_for(request.user, pk, Action.CHANGE)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                message = self.apply(case, form)
            except ValidationError as exc:
                apply_service_errors(form, exc)
                case = _lost_contact_get_for(request.user, pk, Action.CHANGE)
            else:
                messages.success(request, message)
                return redirect(reverse("members:lost_contact") + f"?org={case.member.branch_id}")
        return render(request, self.template_name, self.context(case, form))


class LostContactDecideView(_LostContactStepView):
    title = "确认或排除失联"
    form_class = LostContactDecisionForm

    def apply(self, case, form) -> str:
        data = form.cleaned_data
        confirmed = data["decision"] == "confirm"
        lost_contact_decide(
            actor=self.request.user, case=case, confirmed=confirmed, on=data["on"], note=data["note"].strip()
        )
        name = case.member.person.name
        return f"已确认 {name} 失联，党籍状态改为“失联”。" if confirmed else f"已排除 {name} 的失联疑点。"


class LostContactResolveView(_LostContactStepView):
    title = "恢复联系"
    form_class = LostContactResolveForm

    def apply(self, case, form) -> str:
        data = form.cleaned_data
        lost_contact_resolve(actor=self.request.user, case=case, on=data["on"], note=data["note"].strip())
        return f"{case.member.person.name} 已恢复联系，党籍状态恢复为“正常”。"


# --- 流动党员 (the 流动 tab of a member's file) ------------------------------------------------------------------


class FlowOpenView(_MemberStepView):
    """登记流出或流入 on a member's file (a change of 党籍状态 to 流出/流入 opens one by itself)."""

    title = "登记流动"
    tab = "flows"

    def make_form(self, member, data=None):
        return FlowOpenForm(data)

    def apply(self, member, form) -> str | None:
        data = form.cleaned_data
        try:
            flow = flow_record_open(
                actor=self.request.user,
                member=member,
                direction=data["direction"],
                place=data["place"],
                start_on=data["start_on"],
                contact=data["contact"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return None
        return f"已登记 {member.person.name} {flow.start_on:%Y-%m-%d} 起{flow.direction}（{flow.place}）。"


class FlowCloseView(_MemberStepView):
    """结束流动: the member came back; only an open flow of a member the user may change (otherwise 404)."""

    title = "结束流动"
    tab = "flows"

    def flow(self, member) -> FlowRecord:
        flow = member.flows.filter(pk=id_from(self.kwargs["flow_pk"]), end_on__isnull=True).first()
        if flow is None:
            raise NotInScope()
        return flow

    def make_form(self, member, data=None):
        return FlowCloseForm(data)

    def context(self, member, form):
        flow = self.flow(member)
        return {
            **super().context(member, form),
            "heading": f"结束流动：{flow.direction} {flow.place}（{flow.start_on} 起）",
        }

    # The flow is looked up (or refused as 404) in context() and apply(), within the member the user may change.
    def get(self, request, pk, flow_pk):
        return super().get(request, pk)

    def post(self, request, pk, flow_pk):
        return super().post(request, pk)

    def apply(self, member, form) -> str | None:
        flow = self.flow(member)
        try:
            flow_record_close(actor=self.request.user, flow=flow, end_on=form.cleaned_data["end_on"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return None
        return f"已结束 {member.person.name} 的{flow.direction}（{flow.place}），结束日期 {flow.end_on:%Y-%m-%d}。"


# --- Points configuration (county organization department only) ---------------------------------------------------


class PointsConfigRequiredMixin(LoginRequiredMixin):
    """The points items and star rules are the county's: other roles are refused (403), whatever they may see."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not config_services.may_configure_points(request.user):
            raise PermissionDenied("只有县委组织部管理员可以设置积分项目和星级标准。")
        return super().dispatch(request, *args, **kwargs)


def _config_context(item_form=None, rule_form=None) -> dict:
    items = PointItem.objects.annotate(used=Count("pointrecord")).order_by("-is_active", "-points", "name")
    rules = list(StarRule.objects.order_by("-min_points"))
    for rule in rules:
        rule.star_range = range(rule.stars)
    return {
        "items": items,
        "rules": rules,
        "item_form": item_form or PointItemForm(),
        "rule_form": rule_form or StarRuleForm(),
    }


class PointsConfigView(PointsConfigRequiredMixin, View):
    template_name = "members/points_config.html"

    def get(self, request):
        return render(request, self.template_name, _config_context())


class PointItemCreateView(PointsConfigRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = PointItemForm(request.POST)
        if form.is_valid():
            try:
                item = config_services.point_item_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已新增积分项目“{item.name}”。")
                return redirect("members:point_items")
        return render(request, PointsConfigView.template_name, _config_context(item_form=form))


class StarRuleCreateView(PointsConfigRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = StarRuleForm(request.POST)
        if form.is_valid():
            try:
                rule = config_services.star_rule_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已新增星级标准“{rule.label}”。")
                return redirect("members:point_items")
        return render(request, PointsConfigView.template_name, _config_context(rule_form=form))


def _get_or_404(model, pk):
    obj = model.objects.filter(pk=id_from(pk)).first()
    if obj is None:
        raise NotInScope()
    return obj


class _ConfigEditView(PointsConfigRequiredMixin, View):
    template_name = "members/points_config_form.html"
    model = None
    form_class = None
    fields: tuple[str, ...] = ()
    title = ""

    def update(self, obj, data):  # pragma: no cover - interface
        raise NotImplementedError

    def render_form(self, obj, form):
        ctx = {"form": form, "obj": obj, "title": self.title, "cancel_url": reverse("members:point_items")}
        return render(self.request, self.template_name, ctx)

    def get(self, request, pk):
        obj = _get_or_404(self.model, pk)
        return self.render_form(obj, self.form_class(initial={f: getattr(obj, f) for f in self.fields}))

    def post(self, request, pk):
        obj = _get_or_404(self.model, pk)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                obj = self.update(obj, form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已保存“{obj}”。")
                return redirect("members:point_items")
        return self.render_form(obj, form)


class PointItemEditView(_ConfigEditView):
    model = PointItem
    form_class = PointItemForm
    fields = ("name", "points", "is_active")
    title = "修改积分项目"

    def update(self, obj, data):
        return config_services.point_item_update(actor=self.request.user, item=obj, **data)


class StarRuleEditView(_ConfigEditView):
    model = StarRule
    form_class = StarRuleForm
    fields = ("min_points", "stars", "label")
    title = "修改星级标准"

    def update(self, obj, data):
        return config_services.star_rule_update(actor=self.request.user, rule=obj, **data)


class PointItemDeactivateView(PointsConfigRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        item = _get_or_404(PointItem, pk)
        try:
            config_services.point_item_deactivate(actor=request.user, item=item)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已停用积分项目“{item.name}”；已有记录保留。")
        return redirect("members:point_items")


# --- Training coverage (培训覆盖) ----------------------------------------------------------------------------------

COVERAGE_EXPORT_HEADERS = ["支部代码", "支部", "在册党员", "参训党员", "参训率（%）", "培训学时合计"]


def training_coverage(*, actor, organization: Organization | None, year: int) -> list[dict]:
    """Per branch of the subtree: active members, those with at least one course starting in `year`, and the hours
    of those courses — one grouped query (the join to the courses is counted distinct per member)."""
    members = Member.objects.restrict(actor, Action.VIEW).filter(status__in=ACTIVE_STATUSES)
    if organization is not None:
        members = members.filter(subtree_range_q("branch__path", organization.path))
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    in_year = Q(trainings__start_on__gte=start, trainings__start_on__lte=end)
    rows = (
        members.values("branch_id", "branch__code", "branch__name")
        .annotate(
            active=Count("id", distinct=True),
            trained=Count("id", filter=in_year, distinct=True),
            hours=Sum("trainings__hours", filter=in_year),
        )
        .order_by("branch__code")
    )
    return [
        {
            "branch_id": r["branch_id"],
            "code": r["branch__code"],
            "name": r["branch__name"],
            "active": r["active"],
            "trained": r["trained"],
            "share": _share(r["trained"], r["active"]),
            "hours": r["hours"] or Decimal(0),
        }
        for r in rows
    ]


class TrainingCoverageView(LoginRequiredMixin, View):
    """培训覆盖: for each branch of a township (or of `?org=<id>`), who attended a course in `?year=`."""

    template_name = "members/training_coverage.html"

    def get(self, request):
        user = request.user
        selected = _selected_org(request)
        year = _year(request.GET.get("year"), timezone.localdate().year)
        rows = training_coverage(actor=user, organization=selected, year=year)
        if request.GET.get("export") == "xlsx":
            fh = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
            table = [[r["code"], r["name"], r["active"], r["trained"], r["share"], r["hours"]] for r in rows]
            write_table(ExportTable(f"{year}年培训覆盖", COVERAGE_EXPORT_HEADERS, table), fh)
            return xlsx_response(fh, f"培训覆盖-{year}.xlsx")
        active = sum(r["active"] for r in rows)
        trained = sum(r["trained"] for r in rows)
        query = request.GET.copy()
        query.pop("export", None)
        export_query = query.copy()
        export_query["export"] = "xlsx"
        if "year" not in export_query:
            export_query["year"] = str(year)
        crumbs = _visible_ancestors(user, selected) if selected is not None else []
        ctx = {
            "rows": rows,
            "year": year,
            "years": list(range(timezone.localdate().year, timezone.localdate().year - 6, -1)),
            "active_total": active,
            "trained_total": trained,
            "share_total": _share(trained, active),
            "hours_total": sum((r["hours"] for r in rows), Decimal(0)),
            "untrained_branches": sum(1 for r in rows if r["trained"] == 0),
            "export_query": export_query.urlencode(),
            "selected": selected,
            "crumbs": crumbs,
            **tree_context(user, selected, crumbs=crumbs),
        }
        return render(request, self.template_name, ctx)
