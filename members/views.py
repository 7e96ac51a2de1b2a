"""Member pages: the member list beside the organization tree, a member's file (with its training, points and flow
tabs), its forms and the team structure; the 发展党员 board and candidate pages, 失联党员排查, training coverage and
the county's points configuration.

Reads go through selectors with the actor, writes through services; anything outside the actor's scope is 404.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from core.audit import ACTION_LABELS, diff
from core.exceptions import NotInScope
from core.models import AuditEvent
from core.scope import Action, in_scope, scope_paths, subtree_range_q
from core.views import ScopedListView, apply_service_errors, xlsx_response
from core.xlsx.writer import ExportTable, write_table
from organizations import selectors as org_selectors
from organizations.models import Organization
from organizations.views import tree_context

from . import config_services, development, selectors, services
from .choices import ACTIVE_STATUSES, DevelopmentStage, LostContactStatus, MemberStatus
from .contact import lost_contact_decide, lost_contact_resolve
from .filtersets import CandidateFilterSet, LostContactFilterSet, MemberFilterSet
from .forms import (
    CandidateRegisterForm,
    CandidateStepsForm,
    LostContactDecisionForm,
    LostContactResolveForm,
    MemberCreateForm,
    MemberStatusForm,
    MemberTransferForm,
    PointItemForm,
    PointRecordForm,
    StarRuleForm,
    ThoughtReportForm,
    TrainingRecordForm,
)
from .models import Candidate, LostContactCase, Member, PointItem, StarRule
from .pipeline import (
    ACTIVIST_AT_LEAST,
    APPROVAL_WITHIN,
    MIN_TRAINING_HOURS,
    PROBATION,
    TALK_WITHIN,
    Dates,
    pipeline_problems,
)
from .rules import age_on

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


def _pk(value) -> int:
    """An id from the URL or query string; anything that is not a number is simply 'not found'."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotInScope() from None
    if not 0 < pk < 2**63:
        raise NotInScope()
    return pk


# --- Keyset pagination -------------------------------------------------------------------------------------------


@dataclass
class KeysetPage:
    """One page of rows in id order, with the cursors of its neighbours (never an OFFSET, whatever the depth)."""

    rows: list
    has_previous: bool
    has_next: bool

    @property
    def first_id(self):
        return self.rows[0].pk if self.rows else None

    @property
    def last_id(self):
        return self.rows[-1].pk if self.rows else None


def _cursor(value) -> int | None:
    """A page cursor (a member id); anything else, or a number no database column holds, means 'no cursor'."""
    try:
        cursor = int(value)
    except (TypeError, ValueError):
        return None
    return cursor if 0 <= cursor < 2**63 else None


def keyset_page(queryset: QuerySet, params, size: int = PAGE_SIZE) -> KeysetPage:
    """The page after `?after=<id>`, before `?before=<id>`, the last one (`?last=1`) or the first: size + 1 ids
    seeked on the primary key, then their rows (two queries whatever the page), so page 500 costs what page 1 costs."""
    after, before = _cursor(params.get("after")), _cursor(params.get("before"))
    backwards = before is not None or bool(params.get("last"))
    if backwards:
        qs = queryset.filter(pk__lt=before) if before is not None else queryset
        ids = list(qs.order_by("-pk").values_list("pk", flat=True)[: size + 1])
    else:
        qs = queryset.filter(pk__gt=after) if after is not None else queryset
        ids = list(qs.order_by("pk").values_list("pk", flat=True)[: size + 1])
    more = len(ids) > size
    # Two steps: the ids alone come from the indexes (on SQLite the join to the tree and the sort then never touch
    # the wide rows); the page's rows are then fetched by primary key.
    rows = list(queryset.filter(pk__in=ids[:size]).order_by("pk")) if ids else []
    if backwards:
        return KeysetPage(rows=rows, has_previous=more, has_next=before is not None)
    # A cursor only exists because a page came before; no query is spent proving it.
    return KeysetPage(rows=rows, has_previous=after is not None, has_next=more)


# --- List ---------------------------------------------------------------------------------------------------------


def _visible_ancestors(actor, org: Organization) -> list[Organization]:
    """The ancestors the actor may see (for the breadcrumb): a township's staff do not see the county above."""
    return [a for a in org_selectors.ancestors(org) if in_scope(actor, Action.VIEW, a.path)]


def _selected_org(request, param: str = "org") -> Organization | None:
    value = request.GET.get(param)
    return org_selectors.organization_get_for(request.user, _pk(value)) if value else None


def _can_change_somewhere(user) -> bool:
    paths = scope_paths(user, Action.CHANGE)
    return paths is None or bool(paths)


class MemberListView(ScopedListView):
    """The member list of the actor's scope, or of the subtree of `?org=<id>`; filtered, exportable, keyset-paged."""

    template_name = "members/list.html"
    filterset_class = MemberFilterSet
    export_kind = "members"
    paginate_by = None  # keyset pages, see keyset_page()
    selected: Organization | None = None

    def get_base_queryset(self):
        return selectors.member_list(actor=self.request.user)

    def get_queryset(self):
        data = self.request.GET.copy()
        for name in (*CURSOR_PARAMS, "org"):
            data.pop(name, None)
        self.selected = _selected_org(self.request)
        if self.selected is not None:
            data["organization"] = str(self.selected.pk)
        self.filterset = self.filterset_class(data or None, queryset=self.get_base_queryset(), request=self.request)
        return self.filterset.qs if self.filterset.is_bound else self.filterset.queryset

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        # The page shows masked numbers only: the encrypted ones are not even read.
        rows = self.object_list.defer("phone_encrypted", "person__id_number_encrypted")
        page = keyset_page(rows, self.request.GET)
        today = timezone.localdate()
        for m in page.rows:
            m.age = age_on(m.person.birth_date, today)
        query = self.request.GET.copy()
        for name in CURSOR_PARAMS:
            query.pop(name, None)
        export_query = query.copy()
        export_query["export"] = "xlsx"
        crumbs = _visible_ancestors(user, self.selected) if self.selected is not None else []
        ctx.update(tree_context(user, self.selected, crumbs=crumbs))
        ctx.update(
            {
                "page": page,
                "object_list": page.rows,
                "total": self.object_list.count(),
                "base_query": query.urlencode(),
                "export_query": export_query.urlencode(),
                "selected": self.selected,
                "crumbs": crumbs,
                "can_create": self._can_create(),
                "can_configure_points": config_services.may_configure_points(user),
                "status_badges": STATUS_BADGES,
            }
        )
        return ctx

    def _can_create(self) -> bool:
        user = self.request.user
        if self.selected is not None:
            return in_scope(user, Action.CHANGE, self.selected.path)
        return _can_change_somewhere(user)


# --- Detail -------------------------------------------------------------------------------------------------------


def _audit_rows(member: Member, branch_names: dict[int, str]) -> list[dict]:
    """The latest events of this file; branch ids in the values read as branch names."""
    events = AuditEvent.objects.filter(object_type=MEMBER_OBJECT_TYPE, object_id=str(member.pk)).order_by("-at", "-id")
    rows = []
    previous = None
    # A transfer is logged once on each side (转出 and 转入, for the two townships); the file shows it once.
    for e in events[: AUDIT_LIMIT * 2]:
        if (
            previous is not None
            and e.action == previous.action == "transfer"
            and (e.actor_id, e.before, e.after) == (previous.actor_id, previous.before, previous.after)
        ):
            continue
        previous = e
        values = []
        # Transfers and status changes keep whole snapshots; the page shows what changed.
        before, after = diff(e.before, e.after) if isinstance(e.before, dict) else (e.before, e.after)
        for snap in (before, after):
            if isinstance(snap, dict) and snap.get("branch") is not None:
                snap = {**snap, "branch": branch_names.get(snap["branch"], f"#{snap['branch']}")}
            values.append(snap)
        rows.append(
            {"event": e, "label": ACTION_LABELS.get(e.action, e.action), "before": values[0], "after": values[1]}
        )
    return rows[:AUDIT_LIMIT]


def _detail_context(request, member: Member, *, revealed: dict | None = None) -> dict:
    user = request.user
    memberships = list(member.memberships.select_related("branch").order_by("-start_on", "-id"))
    status_changes = list(member.status_changes.order_by("-changed_on", "-id"))
    branch_names = {m.branch_id: f"{m.branch.name}（{m.branch.code}）" for m in memberships}
    branch_names[member.branch_id] = f"{member.branch.name}（{member.branch.code}）"
    crumbs = _visible_ancestors(user, member.branch)
    tab = request.GET.get("tab")
    return {
        **_training_tab(member),
        **_points_tab(member, request.GET.get("year")),
        "flows": list(member.flows.order_by("-start_on", "-id")),
        "member": member,
        "person": member.person,
        "age": age_on(member.person.birth_date, timezone.localdate()),
        "memberships": memberships,
        "status_changes": status_changes,
        "audit_rows": _audit_rows(member, branch_names),
        "revealed": revealed,
        "can_change": in_scope(user, Action.CHANGE, member.branch.path),
        "can_reveal": in_scope(user, Action.VIEW_PERSONAL, member.branch.path),
        "is_active": member.status in ACTIVE_STATUSES,
        "status_badges": STATUS_BADGES,
        "tab": tab if tab in DETAIL_TABS else "info",
        "crumbs": crumbs,
        **tree_context(user, member.branch, crumbs=crumbs),
    }


def _year(value, default: int) -> int:
    """A year from the query string; anything else (or an absurd year) falls back to `default`."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        return default
    return year if 1921 <= year <= 2100 else default


def _training_tab(member: Member) -> dict:
    """培训台账: the member's courses, newest first, and the hours of each year (by the year a course started)."""
    trainings = list(member.trainings.order_by("-start_on", "-id"))
    by_year: dict[int, dict] = {}
    for t in trainings:
        row = by_year.setdefault(t.start_on.year, {"year": t.start_on.year, "count": 0, "hours": Decimal(0)})
        row["count"] += 1
        row["hours"] += t.hours
    return {
        "trainings": trainings,
        "training_years": sorted(by_year.values(), key=lambda r: r["year"], reverse=True),
        "training_mismatches": sum(1 for t in trainings if t.certificate_mismatch),
    }


def _points_tab(member: Member, year_param) -> dict:
    """积分: one year's records, its total and star level (the county's rules, via member_points)."""
    this_year = timezone.localdate().year
    years = set(member.point_records.values_list("year", flat=True).distinct().order_by())
    year = _year(year_param, max(years) if years and this_year not in years else this_year)
    records = list(member.point_records.filter(year=year).select_related("item").order_by("-recorded_on", "-id"))
    summary = development.member_points(members=Member.objects.filter(pk=member.pk), year=year).get(member.pk)
    total, stars, label = summary if summary else (None, 0, "")
    return {
        "point_year": year,
        "point_years": sorted(years | {this_year, year}, reverse=True),
        "point_records": records,
        "point_total": total,
        "point_stars": range(stars),
        "point_label": label,
    }


class MemberDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        member = selectors.member_get_for(request.user, pk)
        return render(request, "members/detail.html", _detail_context(request, member))


class MemberRevealView(LoginRequiredMixin, View):
    """POST only: the full ID and phone numbers on the returned page, once; the service audits the view."""

    http_method_names = ["post"]

    def post(self, request, pk):
        member = selectors.member_get_for(request.user, pk, Action.VIEW_PERSONAL)
        numbers = services.member_reveal(actor=request.user, member=member)
        response = render(request, "members/detail.html", _detail_context(request, member, revealed=numbers))
        response["Cache-Control"] = "no-store"  # the numbers must not stay in a browser or proxy cache
        return response


# --- Forms --------------------------------------------------------------------------------------------------------


def _service_errors(form, exc: ValidationError, names: dict[str, str]) -> None:
    """The service's errors on the form's fields (`names` maps the service's field names to the form's)."""
    if hasattr(exc, "error_dict"):
        exc = ValidationError({names.get(k, k): v for k, v in exc.error_dict.items()})
    apply_service_errors(form, exc)


def _branch_for(user, form, field: str = "branch_code") -> Organization | None:
    code = form.cleaned_data[field]
    try:
        return org_selectors.organization_by_code_for(user, code, Action.CHANGE)
    except NotInScope:
        form.add_error(field, f"未找到组织代码为“{code}”的组织，或该组织不在您的管理范围内。")
        return None


class MemberCreateView(LoginRequiredMixin, View):
    """A new member file, in the branch of `?branch=<id>` or the one whose code is entered."""

    template_name = "members/member_form.html"

    def _branch(self, request) -> Organization | None:
        value = request.GET.get("branch")
        if value:
            return org_selectors.organization_get_for(request.user, _pk(value), Action.CHANGE)
        if not _can_change_somewhere(request.user):
            raise PermissionDenied("您的角色无权新增党员。")
        return None

    def context(self, branch, form):
        cancel = reverse("members:list") + (f"?org={branch.pk}" if branch else "")
        return {
            "form": form,
            "branch": branch,
            "title": "新增党员",
            "intro": f"已预填所在支部“{branch.name}”（{branch.code}）。" if branch else "",
            "cancel_url": cancel,
            **tree_context(self.request.user, branch),
        }

    def get(self, request):
        branch = self._branch(request)
        form = MemberCreateForm(initial={"branch_code": branch.code} if branch else None)
        return render(request, self.template_name, self.context(branch, form))

    def post(self, request):
        branch = self._branch(request)
        form = MemberCreateForm(request.POST)
        if form.is_valid():
            target = _branch_for(request.user, form)
            if target is not None:
                try:
                    member = services.member_create(actor=request.user, **form.service_fields(target))
                except ValidationError as exc:
                    _service_errors(form, exc, {"branch": "branch_code"})
                else:
                    messages.success(request, f"已为 {member.person.name} 建立党员档案。")
                    return redirect("members:detail", pk=member.pk)
        return render(request, self.template_name, self.context(branch, form))


class _MemberStepView(LoginRequiredMixin, View):
    """A step on one member's file (transfer, status change): only with CHANGE on the member's branch."""

    template_name = "members/member_form.html"
    form_class = None
    title = ""
    tab = "info"

    def make_form(self, member, data=None):  # pragma: no cover - interface
        raise NotImplementedError

    def apply(self, member, form):  # pragma: no cover - interface
        raise NotImplementedError

    def context(self, member, form):
        crumbs = _visible_ancestors(self.request.user, member.branch)
        return {
            "form": form,
            "member": member,
            "title": f"{self.title} · {member.person.name}",
            "heading": self.title,
            "cancel_url": reverse("members:detail", args=[member.pk]) + f"?tab={self.tab}",
            "status_badges": STATUS_BADGES,
            **tree_context(self.request.user, member.branch, crumbs=crumbs),
        }

    def get(self, request, pk):
        member = selectors.member_get_for(request.user, pk, Action.CHANGE)
        return render(request, self.template_name, self.context(member, self.make_form(member)))

    def post(self, request, pk):
        member = selectors.member_get_for(request.user, pk, Action.CHANGE)
        form = self.make_form(member, request.POST)
        if form.is_valid():
            message = self.apply(member, form)
            if message:
                messages.success(request, message)
                return redirect(self.success_url(member, form))
        return render(request, self.template_name, self.context(member, form))

    def success_url(self, member, form) -> str:
        return reverse("members:detail", args=[member.pk]) + f"?tab={self.tab}"


class MemberTransferView(_MemberStepView):
    title = "组织关系转接"
    tab = "memberships"

    def make_form(self, member, data=None):
        return MemberTransferForm(data)

    def apply(self, member, form) -> str | None:
        user = self.request.user
        target = _branch_for(user, form)
        if target is None:
            return None
        data = form.cleaned_data
        try:
            services.member_transfer(actor=user, member=member, to_branch=target, on=data["on"], note=data["note"])
        except ValidationError as exc:
            _service_errors(form, exc, {"branch": "branch_code"})
            return None
        return f"已将 {member.person.name} 的组织关系转入“{target.name}”。"


class MemberStatusView(_MemberStepView):
    title = "党籍状态变更"
    tab = "status"

    def make_form(self, member, data=None):
        return MemberStatusForm(data, current=member.status)

    def apply(self, member, form) -> str | None:
        data = form.cleaned_data
        try:
            services.member_status_change(
                actor=self.request.user,
                member=member,
                status=data["status"],
                on=data["on"],
                place=data["place"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return None
        return f"已将 {member.person.name} 的党籍状态变更为“{data['status']}”。"


# --- Team structure -----------------------------------------------------------------------------------------------

DIMENSIONS = (
    # key, title, column header, chart type
    ("age", "年龄结构", "年龄段", "bar"),
    ("education", "学历结构", "学历", "bar"),
    ("gender", "性别结构", "性别", "pie"),
    ("ethnicity", "民族结构", "民族", "pie"),
    ("category", "人员类别", "类别", "pie"),
    ("status", "党籍状态", "状态", "bar"),
)
HIGHER_EDUCATION = ("研究生", "大学本科", "大学专科")


def _share(n: int, total: int) -> float:
    return round(n * 100 / total, 1) if total else 0.0


class MemberStructureView(LoginRequiredMixin, View):
    """Counts and shares of a subtree's members by age band, education, gender, ethnicity, category and status."""

    def get(self, request):
        user = request.user
        selected = _selected_org(request)
        counts = selectors.member_structure(actor=user, organization=selected)
        band_labels = {key: label for key, label, *_ in selectors.AGE_BANDS}
        dimensions = []
        for key, title, column, chart in DIMENSIONS:
            total = sum(counts[key].values())
            items = [
                {
                    "key": value,
                    "name": band_labels.get(value, value) if key == "age" else (value or "未填写"),
                    "value": n,
                    "share": _share(n, total),
                    "highlight": key == "age" and value == selectors.YOUTH_BAND,
                }
                for value, n in counts[key].items()
            ]
            dimensions.append(
                {"key": key, "title": title, "column": column, "chart": chart, "total": total, "items": items}
            )
        active_total = sum(counts["age"].values())
        youth = counts["age"].get(selectors.YOUTH_BAND, 0)
        higher = sum(counts["education"].get(e, 0) for e in HIGHER_EDUCATION)
        crumbs = _visible_ancestors(user, selected) if selected is not None else []
        ctx = {
            "selected": selected,
            "crumbs": crumbs,
            "dimensions": dimensions,
            "chart_data": [
                {"key": d["key"], "title": d["title"], "chart": d["chart"], "items": d["items"]} for d in dimensions
            ],
            "active_total": active_total,
            "files_total": sum(counts["status"].values()),
            "youth": youth,
            "youth_share": _share(youth, active_total),
            "female_share": _share(counts["gender"].get("女", 0), active_total),
            "minority_share": _share(counts["ethnicity"].get("少数民族", 0), active_total),
            "higher_share": _share(higher, active_total),
            "probationary": counts["category"].get("预备党员", 0),
            **tree_context(user, selected, crumbs=crumbs),
        }
        return render(request, "members/structure.html", ctx)


# --- Training and points on a member's file -----------------------------------------------------------------------


class TrainingCreateView(_MemberStepView):
    title = "新增培训记录"
    tab = "training"

    def make_form(self, member, data=None):
        return TrainingRecordForm(data)

    def apply(self, member, form) -> str | None:
        data = form.cleaned_data
        try:
            record = development.training_record_add(actor=self.request.user, member=member, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return None
        message = f"已为 {member.person.name} 新增培训记录“{record.course}”。"
        if record.certificate_mismatch:
            message += "证书所载日期与培训日期不符，已标出。"
        return message


class PointRecordCreateView(_MemberStepView):
    title = "新增积分记录"
    tab = "points"

    def make_form(self, member, data=None):
        return PointRecordForm(data)

    def apply(self, member, form) -> str | None:
        data = form.cleaned_data
        try:
            record = development.point_record_add(
                actor=self.request.user,
                member=member,
                item=data["item"],
                year=data["year"],
                recorded_on=data["recorded_on"],
                note=data["note"].strip(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return None
        return f"已为 {member.person.name} 记录 {record.year} 年度积分“{record.item.name}”（{record.points} 分）。"

    def success_url(self, member, form) -> str:
        return super().success_url(member, form) + f"&year={form.cleaned_data['year']}"


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
    candidate = _candidate_list(actor, action).filter(pk=_pk(pk)).first()
    if candidate is None:
        raise NotInScope()
    return candidate


def _candidate_problems(c: Candidate, report_dates: list[dt.date]) -> list[str]:
    """The same checks the board runs (members.pipeline), for one person."""
    dates = Dates(
        applied_on=c.applied_on,
        talked_on=c.talked_on,
        activist_on=c.activist_on,
        target_on=c.target_on,
        training_hours=float(c.training_hours) if c.training_hours is not None else None,
        admitted_on=c.admitted_on,
        approved_on=c.approved_on,
        full_on=c.full_on,
        extension_months=c.extension_months,
    )
    return pipeline_problems(dates, today=timezone.localdate(), report_dates=report_dates)


def _prefill_branch(request, refusal: str) -> Organization | None:
    """The branch of `?branch=<id>` (CHANGE needed, else 404); without it, refuse roles that change nothing."""
    value = request.GET.get("branch")
    if value:
        return org_selectors.organization_get_for(request.user, _pk(value), Action.CHANGE)
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
    case = _lost_contact_list(actor, action).filter(pk=_pk(pk)).first()
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
    obj = model.objects.filter(pk=_pk(pk)).first()
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
