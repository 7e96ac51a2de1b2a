"""发展党员: the board, candidates, their steps and thought reports."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from core.exceptions import NotInScope, id_from
from core.scope import Action, in_scope
from core.views import ScopedListView, apply_service_errors
from core.xlsx.writer import ExportTable
from organizations import selectors as org_selectors
from organizations.models import Organization
from organizations.views import tree_context

from .. import development
from ..choices import DevelopmentStage, MemberStatus
from ..filtersets import CandidateFilterSet
from ..forms import (
    CandidateRegisterForm,
    CandidateStepsForm,
    ThoughtReportForm,
)
from ..models import Candidate
from ..pipeline import (
    ACTIVIST_AT_LEAST,
    APPROVAL_WITHIN,
    MIN_TRAINING_HOURS,
    PROBATION,
    TALK_WITHIN,
    candidate_problems,
)
from ..rules import age_on
from .members import _branch_for, _can_change_somewhere, _selected_org, _service_errors, _visible_ancestors

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


# --- 发展党员 ------------------------------------------------------------------------------------------------------

BOARD_STAGES = (
    # stage, icon
    (DevelopmentStage.APPLICANT, "bi-envelope-paper"),
    (DevelopmentStage.ACTIVIST, "bi-person-up"),
    (DevelopmentStage.TARGET, "bi-bullseye"),
    (DevelopmentStage.PROBATIONARY, "bi-hourglass-split"),
)
STAGE_BADGES = {
    DevelopmentStage.APPLICANT: "text-bg-secondary",
    DevelopmentStage.ACTIVIST: "text-bg-info",
    DevelopmentStage.TARGET: "text-bg-primary",
    DevelopmentStage.PROBATIONARY: "text-bg-warning",
    DevelopmentStage.FULL: "text-bg-success",
}
BOARD_EXPORT_HEADERS = [
    "阶段", "姓名", "身份证号（脱敏）", "培养支部代码", "培养支部", "递交申请日期", "谈话日期", "确定积极分子日期",
    "列为发展对象日期", "集中培训学时", "接收预备党员日期", "上级审批日期", "延长预备期（月）", "逾期与问题",
]  # fmt: skip


def _candidate_list(actor, action: str = Action.VIEW) -> QuerySet[Candidate]:
    return Candidate.objects.restrict(actor, action).select_related("person", "branch")


def _candidate_get_for(actor, pk, action: str = Action.VIEW) -> Candidate:
    """The candidate, or NotInScope (404) when missing or outside the actor's scope for `action`."""
    candidate = _candidate_list(actor, action).filter(pk=id_from(pk)).first()
    if candidate is None:
        raise NotInScope()
    return candidate


def _candidate_problems(c: Candidate, report_dates: list[dt.date]) -> list[str]:
    """The same checks the board runs (members.pipeline), for one person."""
    return candidate_problems(c, today=timezone.localdate(), report_dates=report_dates)


def _prefill_branch(request, refusal: str) -> Organization | None:
    """The branch of `?branch=<id>` (CHANGE needed, else 404); without it, refuse roles that change nothing."""
    value = request.GET.get("branch")
    if value:
        return org_selectors.organization_get_for(request.user, id_from(value), Action.CHANGE)
    if not _can_change_somewhere(request.user):
        raise PermissionDenied(refusal)
    return None


class PipelineBoardView(ScopedListView):
    """发展党员看板: everyone in the pipeline of the actor's scope (or of `?org=<id>`), a column per stage, with what
    is overdue for each (members.development.pipeline_board). Stage and "只看有逾期" narrow the columns; the counts
    at the top always show all four stages."""

    template_name = "members/pipeline.html"
    filterset_class = CandidateFilterSet
    paginate_by = None
    selected: Organization | None = None

    def get_base_queryset(self):
        return Candidate.objects.restrict(self.request.user, Action.VIEW).exclude(stage=DevelopmentStage.FULL)

    def get_queryset(self):
        data = self.request.GET.copy()
        for name in ("export", "org", "page"):
            data.pop(name, None)
        self.selected = _selected_org(self.request)
        if self.selected is not None:
            data["organization"] = str(self.selected.pk)
        self.filterset = self.filterset_class(data or None, queryset=self.get_base_queryset(), request=self.request)
        return self.filterset.qs if self.filterset.is_bound else self.filterset.queryset

    def _wanted(self) -> tuple[str, bool]:
        form = self.filterset.form
        if not self.filterset.is_bound or not form.is_valid():
            return "", False
        return form.cleaned_data.get("stage") or "", bool(form.cleaned_data.get("overdue"))

    def board(self, queryset) -> tuple[list, list]:
        """(every row of the filtered subtree, the rows shown after the stage and overdue filters)."""
        ids = set(queryset.values_list("pk", flat=True))
        rows = [(c, problems) for c, problems in development.pipeline_board(actor=self.request.user) if c.pk in ids]
        stage, overdue = self._wanted()
        shown = [(c, p) for c, p in rows if (not stage or c.stage == stage) and (not overdue or p)]
        return rows, shown

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        rows, shown = self.board(self.object_list)
        stage, overdue = self._wanted()
        columns = []
        for key, icon in BOARD_STAGES:
            everyone = [r for r in rows if r[0].stage == key]
            columns.append(
                {
                    "stage": key,
                    "icon": icon,
                    "total": len(everyone),
                    "overdue": sum(1 for _, p in everyone if p),
                    "rows": [r for r in shown if r[0].stage == key],
                    "hidden": bool(stage) and stage != key,
                }
            )
        query = self.request.GET.copy()
        query.pop("export", None)
        query.pop("stage", None)
        crumbs = _visible_ancestors(user, self.selected) if self.selected is not None else []
        ctx.update(tree_context(user, self.selected, crumbs=crumbs))
        ctx.update(
            {
                "columns": columns,
                "total": len(rows),
                "overdue_total": sum(1 for _, p in rows if p),
                "shown_total": len(shown),
                "stage": stage,
                "overdue_only": overdue,
                "stage_query": query.urlencode(),
                "selected": self.selected,
                "crumbs": crumbs,
                "can_create": in_scope(user, Action.CHANGE, self.selected.path)
                if self.selected is not None
                else _can_change_somewhere(user),
                "stage_badges": STAGE_BADGES,
            }
        )
        return ctx

    def export_table(self, queryset) -> ExportTable:
        _, shown = self.board(queryset)
        rows = (
            [
                c.stage,
                c.person.name,
                c.person.id_number_masked,
                c.branch.code,
                c.branch.name,
                c.applied_on,
                c.talked_on,
                c.activist_on,
                c.target_on,
                c.training_hours,
                c.admitted_on,
                c.approved_on,
                c.extension_months or None,
                "；".join(problems),
            ]
            for c, problems in shown
        )
        return ExportTable("发展党员", BOARD_EXPORT_HEADERS, rows, "发展党员.xlsx")


def _pipeline_context(user, candidate: Candidate | None = None, branch: Organization | None = None) -> dict:
    org = candidate.branch if candidate is not None else branch
    crumbs = _visible_ancestors(user, org) if org is not None else []
    return {"crumbs": crumbs, "stage_badges": STAGE_BADGES, **tree_context(user, org, crumbs=crumbs)}


def _step_rows(c: Candidate) -> list[dict]:
    """The steps of one person with their dates and the time limit each must meet (细则 arts. 13, 32)."""
    probation_end = c.admitted_on + PROBATION + relativedelta(months=c.extension_months) if c.admitted_on else None
    hours = c.training_hours
    return [
        {"label": "递交入党申请书", "date": c.applied_on, "rule": ""},
        {"label": "党组织派人谈话", "date": c.talked_on, "rule": f"申请后一个月内（{c.applied_on + TALK_WITHIN} 前）"},
        {"label": "确定为入党积极分子", "date": c.activist_on, "rule": "每半年考察一次；每季度至少一篇思想汇报"},
        {
            "label": "列为发展对象",
            "date": c.target_on,
            "rule": f"积极分子培养满一年（{c.activist_on + ACTIVIST_AT_LEAST} 起）"
            if c.activist_on
            else "积极分子培养满一年",
        },
        {
            "label": "集中培训",
            "date": None,
            "value": f"{hours} 学时" if hours is not None else None,
            "rule": f"不少于 3 天或 {MIN_TRAINING_HOURS} 学时",
        },
        {"label": "支部大会接收为预备党员", "date": c.admitted_on, "rule": ""},
        {
            "label": "上级党委审批",
            "date": c.approved_on,
            "rule": f"三个月内（{c.admitted_on + APPROVAL_WITHIN} 前）" if c.admitted_on else "支部大会通过后三个月内",
        },
        {
            "label": "延长预备期",
            "date": None,
            "value": f"{c.extension_months} 个月" if c.extension_months else "未延长",
            "rule": "只能延长一次，半年至一年",
        },
        {
            "label": "转为正式党员",
            "date": c.full_on,
            "rule": f"预备期满（{probation_end}）时讨论" if probation_end else "预备期一年",
        },
    ]


class CandidateDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        user = request.user
        candidate = _candidate_get_for(user, pk)
        reports = list(candidate.person.thought_reports.order_by("-submitted_on", "-id"))
        ctx = {
            "candidate": candidate,
            "person": candidate.person,
            "age": age_on(candidate.person.birth_date, timezone.localdate()),
            "steps": _step_rows(candidate),
            "problems": _candidate_problems(candidate, [r.submitted_on for r in reports]),
            "reports": reports,
            "can_change": in_scope(user, Action.CHANGE, candidate.branch.path),
            **_pipeline_context(user, candidate),
        }
        return render(request, "members/candidate_detail.html", ctx)


class CandidateCreateView(LoginRequiredMixin, View):
    """登记入党申请人, in the branch of `?branch=<id>` or the one whose code is entered."""

    template_name = "members/candidate_form.html"

    def context(self, branch, form):
        return {
            "form": form,
            "branch": branch,
            "title": "登记入党申请人",
            "intro": f"已预填培养支部“{branch.name}”（{branch.code}）。" if branch else "",
            "cancel_url": reverse("members:pipeline") + (f"?org={branch.pk}" if branch else ""),
            **_pipeline_context(self.request.user, branch=branch),
        }

    def get(self, request):
        branch = _prefill_branch(request, "您的角色无权登记入党申请人。")
        form = CandidateRegisterForm(initial={"branch_code": branch.code} if branch else None)
        return render(request, self.template_name, self.context(branch, form))

    def post(self, request):
        branch = _prefill_branch(request, "您的角色无权登记入党申请人。")
        form = CandidateRegisterForm(request.POST)
        if form.is_valid():
            target = _branch_for(request.user, form)
            if target is not None:
                data = form.cleaned_data
                try:
                    candidate = development.candidate_register(
                        actor=request.user,
                        branch=target,
                        name=data["name"],
                        id_number=data["id_number"],
                        applied_on=data["applied_on"],
                    )
                except ValidationError as exc:
                    _service_errors(form, exc, {"branch": "branch_code"})
                else:
                    messages.success(request, f"已将 {candidate.person.name} 登记为入党申请人。")
                    return redirect("members:candidate_detail", pk=candidate.pk)
        return render(request, self.template_name, self.context(branch, form))


class _CandidateStepView(LoginRequiredMixin, View):
    """A write on one person in the pipeline: only with CHANGE on their branch (otherwise 404)."""

    template_name = "members/candidate_form.html"
    title = ""

    def make_form(self, candidate, data=None):  # pragma: no cover - interface
        raise NotImplementedError

    def apply(self, candidate, form) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError

    def context(self, candidate, form):
        return {
            "form": form,
            "candidate": candidate,
            "title": f"{self.title} · {candidate.person.name}",
            "heading": self.title,
            "cancel_url": reverse("members:candidate_detail", args=[candidate.pk]),
            **_pipeline_context(self.request.user, candidate),
        }

    def get(self, request, pk):
        candidate = _candidate_get_for(request.user, pk, Action.CHANGE)
        return render(request, self.template_name, self.context(candidate, self.make_form(candidate)))

    def post(self, request, pk):
        candidate = _candidate_get_for(request.user, pk, Action.CHANGE)
        form = self.make_form(candidate, request.POST)
        if form.is_valid():
            message = self.apply(candidate, form)
            if message:
                messages.success(request, message)
                return redirect("members:candidate_detail", pk=candidate.pk)
        # The service may have set values on the instance before refusing them: show the stored ones.
        candidate = _candidate_get_for(request.user, pk, Action.CHANGE)
        return render(request, self.template_name, self.context(candidate, form))


class CandidateStepsView(_CandidateStepView):
    title = "记录培养步骤"

    def make_form(self, candidate, data=None):
        return CandidateStepsForm(data, initial=CandidateStepsForm.initial_for(candidate))

    def apply(self, candidate, form) -> str | None:
        steps = {name: form.cleaned_data[name] for name in CandidateStepsForm.FIELDS}
        try:
            candidate = development.candidate_record_steps(actor=self.request.user, candidate=candidate, **steps)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return None
        return f"已保存 {candidate.person.name} 的培养步骤，当前阶段：{candidate.stage}。"


class ThoughtReportCreateView(_CandidateStepView):
    title = "新增思想汇报"

    def make_form(self, candidate, data=None):
        return ThoughtReportForm(data)

    def apply(self, candidate, form) -> str | None:
        data = form.cleaned_data
        try:
            report = development.thought_report_add(
                actor=self.request.user,
                candidate=candidate,
                submitted_on=data["submitted_on"],
                title=data["title"].strip(),
                text=data["text"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return None
        return f"已登记 {candidate.person.name} {report.submitted_on:%Y-%m-%d} 的思想汇报。"
