"""Weak and lax organizations (软弱涣散): the current list and the history (lifted), a designation with its steps,
and the forms that designate, correct, add a step and lift."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from core.audit import ACTION_LABELS, audit_describe
from core.exceptions import id_from
from core.models import AuditEvent
from core.scope import Action, in_scope
from core.views import ScopedListView, apply_service_errors
from core.xlsx.writer import ExportTable
from organizations import selectors as org_selectors

from ..filtersets.weak import WeakPageFilterSet
from ..forms.weak import WeakDesignateForm, WeakLiftForm, WeakStepForm, WeakUpdateForm
from ..selectors import weak as selectors
from ..services import weak as services

CURRENT_HEADERS = ["组织代码", "党组织", "所属乡镇", "认定日期", "软弱涣散表现", "整顿措施", "整顿进展（条）", "最近进展日期", "最近进展", "整顿天数"]  # fmt: skip
HISTORY_HEADERS = ["组织代码", "党组织", "所属乡镇", "认定日期", "软弱涣散表现", "整顿进展（条）", "摘帽日期", "摘帽说明", "整顿天数"]  # fmt: skip


def manageable_organizations(user):
    """The organizations `user` may designate (MANAGE), the county and townships themselves excluded when the user
    manages below them: weak and lax are the grassroots organizations."""
    return org_selectors.organization_list(actor=user, action=Action.MANAGE).filter(depth__gte=2).order_by("path")


def _decorate(rows, today):
    """Township names and days under rectification for one page of designations (one query for the townships)."""
    rows = list(rows)
    townships = selectors.townships_for(w.organization.path for w in rows)
    for w in rows:
        w.township_name = selectors.township_name(townships, w.organization)
        w.days = selectors.rectification_days(w, today)
    return rows


class WeakListView(ScopedListView):
    """整顿中 (the default) or 已摘帽 (`?view=history`), filtered by township and name, exported as shown."""

    template_name = "supervision/weak/list.html"
    filterset_class = WeakPageFilterSet

    @property
    def history(self) -> bool:
        return self.request.GET.get("view") == "history"

    def get_base_queryset(self):
        user = self.request.user
        return selectors.weak_history(actor=user) if self.history else selectors.weak_current(actor=user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        ctx["object_list"] = _decorate(ctx["object_list"], today)
        ctx["history"] = self.history
        ctx["open_count"] = selectors.weak_current(actor=user).count()
        ctx["lifted_count"] = selectors.weak_history(actor=user).count()
        ctx["can_manage"] = manageable_organizations(user).exists()
        ctx["tab"] = "weak"
        return ctx

    def export_table(self, queryset) -> ExportTable:
        today = timezone.localdate()
        rows = _decorate(queryset, today)
        if self.history:
            data = (
                [
                    w.organization.code,
                    w.organization.name,
                    w.township_name,
                    w.designated_on,
                    w.reason,
                    w.steps_count,
                    w.lifted_on,
                    w.lift_note,
                    w.days,
                ]
                for w in rows
            )
            return ExportTable("已摘帽", HISTORY_HEADERS, data, filename="软弱涣散党组织-已摘帽.xlsx")
        data = (
            [
                w.organization.code,
                w.organization.name,
                w.township_name,
                w.designated_on,
                w.reason,
                w.measures,
                w.steps_count,
                w.last_step_on,
                w.last_step_text or "",
                w.days,
            ]
            for w in rows
        )
        return ExportTable("整顿中", CURRENT_HEADERS, data, filename="软弱涣散党组织-整顿中.xlsx")


class WeakCreateView(LoginRequiredMixin, View):
    template_name = "supervision/weak/form.html"

    def _render(self, form, status=200):
        return render(
            self.request,
            self.template_name,
            {"form": form, "title": "认定软弱涣散党组织", "tab": "weak"},
            status=status,
        )

    def _form(self, data=None):
        initial = {}
        wanted = self.request.GET.get("organization")
        if wanted and wanted.isdigit():
            initial["organization"] = manageable_organizations(self.request.user).filter(pk=int(wanted)).first()
        return WeakDesignateForm(data, organizations=manageable_organizations(self.request.user), initial=initial)

    def get(self, request):
        if not manageable_organizations(request.user).exists():
            messages.error(request, "您的角色只能查看，软弱涣散党组织由县、乡镇组织部门认定。")
            return redirect("supervision:weak_list")
        return self._render(self._form())

    def post(self, request):
        form = self._form(request.POST)
        if not form.is_valid():
            return self._render(form, status=400)
        try:
            weak = services.weak_designate(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self._render(form, status=400)
        messages.success(request, f"已认定{weak.organization.name}为软弱涣散党组织。")
        return redirect("supervision:weak_detail", pk=weak.pk)


class WeakDetailView(LoginRequiredMixin, View):
    """A designation: what it was set for, the steps in time order, the forms to add a step and to lift."""

    template_name = "supervision/weak/detail.html"

    def render_detail(self, weak, *, step_form=None, lift_form=None, update_form=None, status=200):
        user = self.request.user
        today = timezone.localdate()
        _decorate([weak], today)
        can_manage = in_scope(user, Action.MANAGE, weak.organization.path)
        events = list(
            AuditEvent.objects.restrict(user)
            .filter(object_type="supervision.weakorganization", object_id=str(weak.pk))
            .order_by("-at", "-id")[:20]
        )
        ctx = {
            "weak": weak,
            "steps": selectors.weak_steps(weak),
            "can_manage": can_manage and weak.lifted_on is None,
            "step_form": step_form or WeakStepForm(),
            "lift_form": lift_form or WeakLiftForm(),
            "update_form": update_form or WeakUpdateForm(initial={"reason": weak.reason, "measures": weak.measures}),
            "events": [(e, ACTION_LABELS.get(e.action, e.action)) for e in audit_describe(events)],
            "earlier": selectors.weak_list(actor=user)
            .filter(organization=weak.organization)
            .exclude(pk=weak.pk)
            .order_by("-designated_on"),
            "tab": "weak",
        }
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request, pk):
        return self.render_detail(selectors.weak_get_for(request.user, id_from(pk)))


class _WeakWriteView(LoginRequiredMixin, View):
    form_class = None
    form_name = ""

    def post(self, request, pk):
        weak = selectors.weak_get_for(request.user, id_from(pk))
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                message = self.perform(weak, form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect("supervision:weak_detail", pk=weak.pk)
        return WeakDetailView(request=request).render_detail(
            selectors.weak_get_for(request.user, weak.pk), status=400, **{self.form_name: form}
        )

    def perform(self, weak, data) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class WeakStepAddView(_WeakWriteView):
    form_class = WeakStepForm
    form_name = "step_form"

    def perform(self, weak, data) -> str:
        services.weak_step_add(actor=self.request.user, weak=weak, **data)
        return "已添加整顿进展。"


class WeakLiftView(_WeakWriteView):
    form_class = WeakLiftForm
    form_name = "lift_form"

    def perform(self, weak, data) -> str:
        services.weak_lift(actor=self.request.user, weak=weak, **data)
        return f"{weak.organization.name}已摘帽。"


class WeakUpdateView(_WeakWriteView):
    form_class = WeakUpdateForm
    form_name = "update_form"

    def perform(self, weak, data) -> str:
        services.weak_update(actor=self.request.user, weak=weak, **data)
        return "已修改认定信息。"
