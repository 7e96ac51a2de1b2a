"""Findings pages (问题清单/整改清单): the board of an organization's children by status, the filtered list and its
Excel export, a finding with its evidence and rectification timeline and the steps the user may take now, the
registration and correction forms, and the evidence files (served through the scope)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View

from core.attachments import file_response
from core.exceptions import id_from
from core.scope import Action, in_scope, scope_paths
from core.views import ScopedListView, apply_service_errors
from core.xlsx.writer import ExportTable
from members.models import ThoughtReport, TrainingRecord
from organizations import selectors as org_selectors
from organizations.models import Organization

from ..choices import CheckKind, FindingStatus, FindingStep
from ..filtersets.findings import FindingPageFilterSet
from ..forms.findings import FindingCreateForm, FindingStepForm, FindingUpdateForm
from ..models import FindingEvent, FindingEvidence
from ..selectors import findings as selectors
from ..services import findings as services
from ..textdiff import side_by_side

# The board's columns: (heading, BoardCounts field, the list's parameters that select exactly those rows).
BOARD_COLUMNS = [
    ("待整改", "open", {"status": FindingStatus.OPEN}),
    ("整改中", "in_progress", {"status": FindingStatus.IN_PROGRESS}),
    ("已整改", "rectified", {"status": FindingStatus.RECTIFIED}),
    ("已销号", "closed", {"status": FindingStatus.CLOSED}),
    ("逾期", "overdue", {"overdue": "1"}),
    ("重复发生", "repeated", {"repeated": "1"}),
    ("合计", "total", {}),
]
STEP_BUTTONS = {
    FindingStep.START: ("btn-primary", "bi-play-circle"),
    FindingStep.REPORT: ("btn-primary", "bi-check2-circle"),
    FindingStep.SIGN_OFF: ("btn-success", "bi-patch-check"),
    FindingStep.SEND_BACK: ("btn-outline-danger", "bi-arrow-counterclockwise"),
    FindingStep.NOTE: ("btn-outline-secondary", "bi-chat-left-text"),
}
STEP_HELP = {
    FindingStep.START: "责任组织开始整改，填写整改措施。",
    FindingStep.REPORT: "整改完成后填写完成情况，可附佐证材料，报上级审核销号。",
    FindingStep.SIGN_OFF: "上级组织审核整改到位，予以销号。",
    FindingStep.SEND_BACK: "整改不到位，退回责任组织重新整改（须填写原因）。",
    FindingStep.NOTE: "补充情况说明或佐证材料，不改变整改状态。",
}
EXPORT_HEADERS = [
    "组织代码",
    "责任组织",
    "发现日期",
    "年度",
    "问题来源",
    "检查项目",
    "问题类别",
    "严重程度",
    "问题描述",
    "责任人",
    "整改时限",
    "是否逾期",
    "整改状态",
    "重复发生",
    "整改完成日期",
    "销号日期",
    "登记时间",
]


def _list_url(**params) -> str:
    return f"{reverse('supervision:finding_list')}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def _board_year(request, default: int) -> int | None:
    """`?year=2025`, `?year=all` (every year: None) or the current year."""
    value = request.GET.get("year")
    if value == "all":
        return None
    try:
        year = int(value) if value else default
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


def _visible_ancestors(actor, org: Organization) -> list[Organization]:
    return [a for a in org_selectors.ancestors(org) if in_scope(actor, Action.VIEW, a.path)]


def _may_inspect(user) -> bool:
    paths = scope_paths(user, Action.INSPECT)
    return paths is None or bool(paths)


# --- Board ----------------------------------------------------------------------------------------------------------


class FindingBoardView(LoginRequiredMixin, View):
    """问题整改 of one organization (the user's scope root unless one is picked): a line per child organization with
    its subtree's findings by status, overdue and repeated ones, a totals line, and the same by source. Every number
    opens the list of exactly those findings."""

    def get(self, request):
        user = request.user
        today = timezone.localdate()
        roots = list(org_selectors.scope_roots(actor=user).order_by("code"))
        if request.GET.get("organization"):
            org = org_selectors.organization_get_for(user, id_from(request.GET["organization"]))
        else:
            org = roots[0] if roots else None
        year = _board_year(request, today.year)
        ctx = {"tab": "findings", "year": year, "today": today, "can_create": _may_inspect(user), "org": org}
        if org is None:
            return render(request, "supervision/findings/board.html", ctx)
        board = selectors.finding_board(actor=user, organization=org, year=year, today=today)

        def cells(counts, **params):
            return [
                {
                    "label": label,
                    "value": getattr(counts, field),
                    "url": _list_url(**params, year=year, **extra),
                    "field": field,
                }
                for label, field, extra in BOARD_COLUMNS
            ]

        rows = []
        for row in board.rows:
            params = {"organization": row.organization.pk, "own_only": "1" if row.own else None}
            drill = None
            if not row.own and row.organization.numchild:
                drill = f"{reverse('supervision:finding_board')}?{urlencode({'organization': row.organization.pk, 'year': year or 'all'})}"
            rows.append({"row": row, "cells": cells(row.counts, **params), "drill": drill})
        sources = [
            {"source": r.key, "cells": cells(r.counts, organization=org.pk, source=r.key)} for r in board.by_source
        ]
        crumbs = _visible_ancestors(user, org)
        years = sorted({*selectors.finding_years(actor=user), today.year}, reverse=True)
        ctx.update(
            {
                "board": board,
                "columns": [c[0] for c in BOARD_COLUMNS],
                "rows": rows,
                "totals": cells(board.totals, organization=org.pk),
                "sources": sources,
                "crumbs": crumbs,
                "picker": self._picker(user, roots, org),
                "years": years,
                "up": crumbs[-1] if crumbs else None,
            }
        )
        return render(request, "supervision/findings/board.html", ctx)

    @staticmethod
    def _picker(user, roots, org) -> list[tuple[int, str]]:
        """The county and its townships (the scope roots and the level below), and the organization shown."""
        children = org_selectors.organization_list(actor=user).filter(parent__in=roots).order_by("code")
        by_parent: dict[int, list] = {}
        for child in children:
            by_parent.setdefault(child.parent_id, []).append(child)
        choices = []
        for root in roots:
            choices.append((root.pk, root.name))
            choices.extend((c.pk, f"　{c.name}") for c in by_parent.get(root.pk, []) if c.numchild)
        if org.pk not in {pk for pk, _ in choices}:
            choices.append((org.pk, org.name))
        return choices


# --- List -----------------------------------------------------------------------------------------------------------


class FindingListView(ScopedListView):
    template_name = "supervision/findings/list.html"
    filterset_class = FindingPageFilterSet
    paginate_by = 50

    def get_base_queryset(self):
        return selectors.finding_list(actor=self.request.user).order_by("-found_on", "-id")

    def get_queryset(self):
        qs = super().get_queryset()
        # A filter the form refuses (an organization outside the scope, a year that is no year) matches nothing
        # rather than being dropped silently.
        if self.filterset.is_bound and not self.filterset.is_valid():
            return qs.none()
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            {
                "tab": "findings",
                "today": timezone.localdate(),
                "can_create": _may_inspect(self.request.user),
            }
        )
        return ctx

    def export_table(self, queryset) -> ExportTable:
        today = timezone.localdate()

        def rows():
            for f in queryset.iterator(chunk_size=2000):
                yield [
                    f.organization.code,
                    f.organization.name,
                    f.found_on,
                    f.year,
                    f.source,
                    CheckKind(f.check_kind).label if f.check_kind else "",
                    f.category,
                    f.severity,
                    f.description,
                    f.responsible,
                    f.deadline,
                    "是" if f.is_overdue(today) else "否",
                    f.status,
                    "是" if f.repeated else "否",
                    f.rectified_on,
                    f.closed_on,
                    timezone.localtime(f.created_at).replace(tzinfo=None),
                ]

        return ExportTable("问题清单", EXPORT_HEADERS, rows(), filename="问题清单.xlsx")


# --- Detail and steps -----------------------------------------------------------------------------------------------


def _reverse(name: str, pk) -> str | None:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def _ref_links(user, refs) -> list[dict]:
    """The records behind a system check's finding as links; a thought report or a training record opens its
    person's page (a member's file, or an applicant's development record), a record without a page stays text."""
    refs = [r for r in refs if isinstance(r, dict)]
    ids = {kind: [] for kind in ("thoughtreport", "training", "allocation")}
    for r in refs:
        if r.get("type") in ids and str(r.get("id", "")).isdigit():
            ids[r["type"]].append(int(r["id"]))
    reports = {}
    if ids["thoughtreport"]:
        for pk, member_id, candidate_id in (
            ThoughtReport.objects.restrict(user)
            .filter(pk__in=ids["thoughtreport"])
            .values_list("pk", "person__member__id", "person__candidate__id")
        ):
            if member_id:
                reports[pk] = reverse("members:detail", args=[member_id])
            elif candidate_id:
                reports[pk] = _reverse("members:candidate_detail", candidate_id)
    trainings = {}
    if ids["training"]:
        trainings = {
            pk: reverse("members:detail", args=[member_id])
            for pk, member_id in TrainingRecord.objects.restrict(user)
            .filter(pk__in=ids["training"])
            .values_list("pk", "member_id")
        }
    ledgers = {}
    if ids["allocation"]:
        from funding.models import Allocation

        ledgers = {
            pk: f"{reverse('funding:ledger', args=[org_id])}?{urlencode({'year': year})}"
            for pk, org_id, year in Allocation.objects.restrict(user)
            .filter(pk__in=ids["allocation"])
            .values_list("pk", "organization_id", "year")
        }
    direct = {"meeting": "meetings:detail", "member": "members:detail", "organization": "organizations:detail"}
    links = []
    for r in refs:
        kind, pk, label = r.get("type"), r.get("id"), str(r.get("label") or "")
        url = None
        if str(pk).isdigit():
            pk = int(pk)
            if kind in direct:
                url = _reverse(direct[kind], pk)
            elif kind == "thoughtreport":
                url = reports.get(pk)
            elif kind == "training":
                url = trainings.get(pk)
            elif kind == "dispatch":
                url = _reverse("supervision:dispatch_detail", pk)
            elif kind == "allocation":
                url = ledgers.get(pk)
            elif kind == "fund_standard":
                url = f"{reverse('funding:standard_violations')}?{urlencode({'standard': pk})}"
        links.append({"label": label or f"{kind} {pk}", "url": url, "type": kind})
    return links


def evidence_context(user, evidence) -> dict | None:
    """What a system check saw, shaped for the page (the shared schema: summary, rows, pair, refs); anything
    malformed is left out rather than failing the page."""
    if not isinstance(evidence, dict) or not evidence:
        return None
    rows = [
        (str(r[0]), "" if r[1] is None else str(r[1]))
        for r in evidence.get("rows") or []
        if isinstance(r, (list, tuple)) and len(r) >= 2
    ]
    pair = None
    raw = evidence.get("pair")
    if isinstance(raw, dict) and isinstance(raw.get("left"), dict) and isinstance(raw.get("right"), dict):
        left_html, right_html = side_by_side(str(raw["left"].get("text") or ""), str(raw["right"].get("text") or ""))
        similarity = raw.get("similarity")
        pair = {
            "left_title": str(raw["left"].get("title") or "材料一"),
            "right_title": str(raw["right"].get("title") or "材料二"),
            "left_html": left_html,
            "right_html": right_html,
            "similarity": similarity if isinstance(similarity, (int, float)) else None,
        }
    refs = evidence.get("refs")
    return {
        "summary": str(evidence.get("summary") or ""),
        "rows": rows,
        "pair": pair,
        "refs": _ref_links(user, refs if isinstance(refs, list) else []),
    }


class FindingDetailView(LoginRequiredMixin, View):
    template_name = "supervision/findings/detail.html"

    def context(self, request, finding, *, bound: dict | None = None, errors=None) -> dict:
        user = request.user
        today = timezone.localdate()
        events = list(FindingEvent.objects.filter(finding=finding).select_related("actor").order_by("at", "id"))
        files: dict[int | None, list] = {}
        for f in FindingEvidence.objects.filter(finding=finding).order_by("uploaded_at", "id"):
            files.setdefault(f.event_id, []).append(f)
        for e in events:
            e.evidence_files = files.get(e.pk, [])
        forms = []
        for step in selectors.finding_steps_for(user, finding):
            form = (bound or {}).get(step) or FindingStepForm(step=step)
            css, icon = STEP_BUTTONS[step]
            forms.append({"step": step, "form": form, "css": css, "icon": icon, "help": STEP_HELP[step]})
        previous = None
        if finding.previous_id:
            previous = selectors.finding_list(actor=user).filter(pk=finding.previous_id).first()
        return {
            "finding": finding,
            "tab": "findings",
            "today": today,
            "overdue": finding.is_overdue(today),
            "overdue_days": (today - finding.deadline).days,
            "events": events,
            "unattached_files": files.get(None, []),
            "step_forms": forms,
            "errors": errors or [],
            "previous": previous,
            "evidence": evidence_context(user, finding.evidence),
            "check_label": CheckKind(finding.check_kind).label if finding.check_kind else "",
            "can_edit": in_scope(user, Action.INSPECT, finding.organization.path)
            and finding.status != FindingStatus.CLOSED,
            "statuses": FindingStatus.values,
            "next_step": services.NEXT_STEP[finding.status],
        }

    def get(self, request, pk):
        finding = selectors.finding_get_for(request.user, pk)
        return render(request, self.template_name, self.context(request, finding))


class FindingAdvanceView(FindingDetailView):
    """One step (开始整改, 报告整改完成, 销号, 退回重改, 补充说明) posted from the finding's page."""

    http_method_names = ["post"]

    def post(self, request, pk):
        finding = selectors.finding_get_for(request.user, pk)
        step = request.POST.get("step", "")
        form = FindingStepForm(request.POST, request.FILES, step=step if step in FindingStep.values else None)
        if form.is_valid():
            try:
                services.finding_advance(
                    actor=request.user,
                    finding=finding,
                    step=form.cleaned_data["step"],
                    note=form.cleaned_data["note"],
                    files=form.cleaned_data.get("files") or [],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已{step}。")
                return redirect("supervision:finding_detail", pk=finding.pk)
        finding.refresh_from_db()
        # A step the page offers shows its errors in its own form; any other (a stale page, a forged post) above.
        offered = step in selectors.finding_steps_for(request.user, finding)
        errors = [] if offered else [m for ms in form.errors.values() for m in ms]
        return render(
            request, self.template_name, self.context(request, finding, bound={step: form}, errors=errors), status=400
        )


class FindingEvidenceFileView(LoginRequiredMixin, View):
    """A rectification evidence file, to those who may see its finding only."""

    def get(self, request, pk):
        row = FindingEvidence.objects.restrict(request.user).filter(pk=id_from(pk)).first()
        return file_response(row, download=bool(request.GET.get("download")))


# --- Register and correct -------------------------------------------------------------------------------------------


class FindingCreateView(LoginRequiredMixin, View):
    """Register a finding of an inspection, a visit, a duty-report review or a patrol (系统检查 ones come only from
    the nightly checks)."""

    template_name = "supervision/findings/form.html"

    def organizations(self, user):
        orgs = Organization.objects.restrict(user, Action.INSPECT).order_by("path")
        if not orgs.exists():
            raise PermissionDenied("您的角色不能登记问题（须为组织部、乡镇管理员或考核组成员）。")
        return orgs

    def render_form(self, form, status=200):
        ctx = {"form": form, "title": "登记问题", "tab": "findings", "creating": True}
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request):
        orgs = self.organizations(request.user)
        initial = {}
        if request.GET.get("organization"):
            initial["organization"] = orgs.filter(pk=id_from(request.GET["organization"])).first()
        return self.render_form(FindingCreateForm(organizations=orgs, initial=initial))

    def post(self, request):
        form = FindingCreateForm(request.POST, request.FILES, organizations=self.organizations(request.user))
        if not form.is_valid():
            return self.render_form(form, status=400)
        data = form.cleaned_data
        try:
            finding = services.finding_create(
                actor=request.user,
                organization=data["organization"],
                source=data["source"],
                category=data["category"],
                severity=data["severity"],
                description=data["description"],
                responsible=data["responsible"],
                found_on=data["found_on"],
                deadline=data["deadline"],
                files=data["files"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(form, status=400)
        note = "（上年同类问题，标记为重复发生）" if finding.repeated else ""
        messages.success(request, f"已登记问题：{finding.organization.name} · {finding.category}{note}")
        return redirect("supervision:finding_detail", pk=finding.pk)


class FindingUpdateView(LoginRequiredMixin, View):
    template_name = "supervision/findings/form.html"

    def finding(self, request, pk):
        finding = selectors.finding_get_for(request.user, pk)
        if not in_scope(request.user, Action.INSPECT, finding.organization.path):
            raise PermissionDenied("您的角色不能修改问题（须为组织部、乡镇管理员或考核组成员）。")
        return finding

    def render_form(self, form, finding, status=200):
        ctx = {"form": form, "finding": finding, "title": "修改问题", "tab": "findings", "creating": False}
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request, pk):
        finding = self.finding(request, pk)
        if finding.status == FindingStatus.CLOSED:
            messages.error(request, "问题已销号，不能再修改。")
            return redirect("supervision:finding_detail", pk=finding.pk)
        return self.render_form(FindingUpdateForm(finding=finding), finding)

    def post(self, request, pk):
        finding = self.finding(request, pk)
        form = FindingUpdateForm(request.POST, finding=finding)
        if not form.is_valid():
            return self.render_form(form, finding, status=400)
        try:
            services.finding_update(actor=request.user, finding=finding, **form.changed_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(form, finding, status=400)
        messages.success(request, "问题已修改。")
        return redirect("supervision:finding_detail", pk=finding.pk)
