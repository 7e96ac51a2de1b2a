"""Member list, file, forms, team structure, training and points."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from core.audit import ACTION_LABELS, audit_describe
from core.exceptions import NotInScope, id_from
from core.models import AuditEvent
from core.scope import Action, in_scope, scope_paths
from core.views import ScopedListView, apply_service_errors
from organizations import selectors as org_selectors
from organizations.models import Organization
from organizations.views import tree_context

from .. import config_services, development, selectors, services
from ..choices import ACTIVE_STATUSES, MemberStatus
from ..filtersets import MemberFilterSet
from ..forms import (
    MemberCreateForm,
    MemberStatusForm,
    MemberTransferForm,
    PointRecordForm,
    TrainingRecordForm,
)
from ..models import Member
from ..rules import FINAL_STATUSES, age_on

PAGE_SIZE = 50
AUDIT_LIMIT = 20
MEMBER_OBJECT_TYPE = "members.member"
CURSOR_PARAMS = ("after", "before", "last", "page", "export", "count")
DETAIL_TABS = ("info", "memberships", "status", "training", "points", "flows", "audit")
STATUS_BADGES = {
    MemberStatus.NORMAL: "text-bg-success",
    MemberStatus.FLOWED_OUT: "text-bg-warning",
    MemberStatus.FLOWED_IN: "text-bg-info",
    MemberStatus.LOST_CONTACT: "text-bg-danger",
}


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


def _with(query, **params) -> str:
    extended = query.copy()
    for name, value in params.items():
        extended[name] = value
    return extended.urlencode()


def _visible_ancestors(actor, org: Organization) -> list[Organization]:
    """The ancestors the actor may see (for the breadcrumb): a township's staff do not see the county above."""
    return [a for a in org_selectors.ancestors(org) if in_scope(actor, Action.VIEW, a.path)]


def _selected_org(request, param: str = "org") -> Organization | None:
    value = request.GET.get(param)
    return org_selectors.organization_get_for(request.user, id_from(value)) if value else None


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
                "count_query": _with(query, count="1"),
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

    def get(self, request, *args, **kwargs):
        if request.GET.get("count") == "1":
            return self.count_fragment()
        return super().get(request, *args, **kwargs)

    def count_fragment(self) -> HttpResponse:
        """The exact number of members the filters match, fetched by the page after it has rendered (htmx): a
        county-wide COUNT over a million files costs more than the whole page, so the page does not wait for it."""
        return HttpResponse(f"{self.get_queryset().count():,}", content_type="text/plain; charset=utf-8")

    def _can_create(self) -> bool:
        user = self.request.user
        if self.selected is not None:
            return in_scope(user, Action.CHANGE, self.selected.path)
        return _can_change_somewhere(user)


# --- Detail -------------------------------------------------------------------------------------------------------


def _audit_rows(member: Member) -> list[dict]:
    """The latest events of this file, their values in words."""
    events = AuditEvent.objects.filter(object_type=MEMBER_OBJECT_TYPE, object_id=str(member.pk)).order_by("-at", "-id")
    kept = []
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
        kept.append(e)
    return [{"event": e, "label": ACTION_LABELS.get(e.action, e.action)} for e in audit_describe(kept[:AUDIT_LIMIT])]


def _detail_context(request, member: Member, *, revealed: dict | None = None) -> dict:
    user = request.user
    memberships = list(member.memberships.select_related("branch").order_by("-start_on", "-id"))
    status_changes = list(member.status_changes.order_by("-changed_on", "-id"))
    crumbs = _visible_ancestors(user, member.branch)
    tab = request.GET.get("tab")
    return {
        **_training_tab(member),
        **_points_tab(member, request.GET.get("year")),
        **_flows_tab(member),
        "member": member,
        "person": member.person,
        "age": age_on(member.person.birth_date, timezone.localdate()),
        "memberships": memberships,
        "status_changes": status_changes,
        "audit_rows": _audit_rows(member),
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


def _flows_tab(member: Member) -> dict:
    """流动: the member's flows, newest first; the open one (at most one) can be ended, a new one opened if none."""
    flows = list(member.flows.order_by("-start_on", "-id"))
    open_flow = next((f for f in flows if f.end_on is None), None)
    return {
        "flows": flows,
        "open_flow": open_flow,
        "may_open_flow": open_flow is None and member.status not in FINAL_STATUSES,
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
            return org_selectors.organization_get_for(request.user, id_from(value), Action.CHANGE)
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
