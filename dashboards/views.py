"""The three dashboards: the leader's county view, the department's work desk, the secretary's phone home.

The subtree (`?org=`) and year (`?year=`) chosen at the top are carried into every link, so a drill-down opens the
list of the same organizations and year; each figure is that list's count. The subtree is one of the user's scope
roots or a child of one with children of its own (a township): the organizations every list's picker accepts.
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from accounts.choices import Role
from core.exceptions import NotInScope, id_from
from core.scope import ALL, Action, scope_paths
from core.selectors import job_list
from organizations import selectors as org_selectors
from organizations.models import Organization

from .figures.desk import DESK
from .figures.leader import LEADER
from .secretary import secretary_context
from .snapshots import snapshot_read
from .tasks_box import task_figures

YEARS_BACK = 5
JOBS_SHOWN = 5


def home(request):
    """Each kind of user starts at the page made for them: a branch secretary at the phone home, a leader at the
    county view, department staff at the work desk."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    roles = set() if user.is_superuser else user.roles()
    if roles == {Role.BRANCH_SECRETARY}:
        return redirect("dashboards:secretary")
    if roles and roles <= {Role.LEADER, Role.INSPECTOR}:
        return redirect("dashboards:leader")
    return redirect("dashboards:desk")


def org_choices(user) -> tuple[list[Organization], list[Organization]]:
    """(the user's scope roots, the subtrees a dashboard can show: those roots and their children with children)."""
    roots = list(org_selectors.scope_roots(actor=user).order_by("depth", "code"))
    children = Organization.objects.filter(parent__in=roots, numchild__gt=0).order_by("code") if len(roots) < 20 else []
    return roots, [*roots, *children]


class Selection:
    """The dashboard's subtree and year from the query string, and the links that carry them."""

    def __init__(self, request):
        today = timezone.localdate()
        self.today = today
        roots, self.choices = org_choices(request.user)
        self.years = list(range(today.year, today.year - YEARS_BACK, -1))
        try:
            self.year = int(request.GET.get("year", today.year))
        except ValueError:
            self.year = today.year
        if self.year not in self.years:
            self.year = today.year
        value = request.GET.get("org")
        if value:
            pk = id_from(value)
            found = [o for o in self.choices if o.pk == pk]
            if not found:
                raise NotInScope()
            self.org = found[0]
        else:
            self.org = self.choices[0] if self.choices else None
        # A list opened without an organization shows the user's whole scope: the same rows when the chosen subtree
        # is that scope (one root), and a cleaner link.
        self.whole_scope = len(roots) == 1 and self.org is not None and self.org.pk == roots[0].pk

    def query(self, **extra) -> str:
        params = {"year": self.year, **({"org": self.org.pk} if self.org else {})}
        params.update(extra)
        return urlencode(params)

    def link(self, name: str, *, org_param: str | None = "organization", args=(), **params) -> str:
        """The URL of a list for the chosen subtree: `org_param` names the list's organization filter (None: the list
        has none; the subtree is the user's scope)."""
        if org_param and not self.whole_scope:
            params = {org_param: self.org.pk, **params}
        params = {k: v for k, v in params.items() if v is not None}
        url = reverse(name, args=args)
        return f"{url}?{urlencode(params)}" if params else url


def _snapshot_context(kind: str, sel: Selection) -> dict:
    snapshot, fresh = snapshot_read(kind=kind, organization=sel.org, year=sel.year)
    return {"data": snapshot.data, "computed_at": snapshot.computed_at, "fresh": fresh}


class DashboardView(LoginRequiredMixin, View):
    kind = ""
    template_name = ""

    def allowed(self, user) -> bool:
        return True

    def get(self, request):
        if not self.allowed(request.user):
            raise PermissionDenied("您的角色无权查看此工作台。")
        sel = Selection(request)
        ctx = {"sel": sel, "tab": self.kind}
        if sel.org is not None:
            ctx.update(_snapshot_context(self.kind, sel))
            ctx["links"] = self.links(sel, ctx["data"])
            ctx["figures"] = self.figures(ctx["data"], ctx["links"])
            ctx.update(self.live(request, sel))
        return render(request, self.template_name, ctx)

    def links(self, sel: Selection, data: dict) -> dict:
        return {}

    def figures(self, data: dict, links: dict) -> list[dict]:
        return []

    def live(self, request, sel: Selection) -> dict:
        return {}


def figure(key, label, value, url, *, note="", tone="", count=True) -> dict:
    """One figure card; `count`: the value is a count of the list behind `url` (the browser test checks it)."""
    return {"key": key, "label": label, "value": value, "url": url, "note": note, "tone": tone,
            "count": value if count else None}  # fmt: skip


class LeaderView(DashboardView):
    """县领导: overview figures, rankings with arrows, the townships' trend, the compliance heat map, member
    structure, weak organizations and absent first secretaries; `?print=1` lays it out for A4."""

    kind = LEADER
    template_name = "dashboards/leader.html"

    def get(self, request):
        if request.GET.get("print"):
            self.template_name = "dashboards/leader_print.html"
        return super().get(request)

    def links(self, sel: Selection, data: dict) -> dict:
        o, y = data["overview"], sel.year
        rankings_year = data["rankings"]["year"]
        quarter = {"year": y, "quarter": o["quarter"]}
        return {
            "organizations": sel.link("organizations:tree", org_param="org"),
            "members": sel.link("members:list", org_param="org", status="在册"),
            "structure": sel.link("members:structure", org_param="org"),
            "compliant": sel.link("meetings:quarter", **quarter, status="达标"),
            "missed": sel.link("meetings:quarter", **quarter, status="未达标"),
            "running": sel.link("meetings:quarter", **quarter, status="进行中"),
            "branches": sel.link("meetings:quarter", **quarter),
            "compliance": sel.link("meetings:compliance", year=y),
            "funds": sel.link("funding:summary", year=y),
            "findings_open": sel.link("supervision:finding_list", year=y, status="待整改"),
            "findings_in_progress": sel.link("supervision:finding_list", year=y, status="整改中"),
            "findings_overdue": sel.link("supervision:finding_list", year=y, overdue="1"),
            "penalties": sel.link("assessments:penalty_list", year=o["penalty_year"]),
            "rankings": sel.link("assessments:ranking", org_param=None, year=rankings_year),
            "weak": sel.link("supervision:weak_list"),
            "not_on_duty": sel.link("supervision:dispatch_list", role="第一书记", not_on_duty="1"),
        }

    def figures(self, data: dict, links: dict) -> list[dict]:
        o = data["overview"]
        rate = f"{o['arrival_rate']}%" if o["arrival_rate"] is not None else "—"
        return [
            figure("organizations", "党组织", o["organizations"], links["organizations"], note="个（含本级）"),
            figure("members", "在册党员", o["members"], links["members"], note="名"),
            figure("compliant", f"第{o['quarter']}季度三会一课达标支部", o["compliant"], links["compliant"],
                   note=f"共 {o['branches']} 个支部，进行中 {o['running']} 个", tone="good"),
            figure("missed", f"第{o['quarter']}季度未达标支部", o["missed"], links["missed"],
                   note="有会议周期已过仍未召开", tone="bad"),
            figure("funds", "经费到位率", rate, links["funds"], note=f"未到位 {o['owed']} 元", count=False),
            figure("findings_open", "问题待整改", o["findings_open"], links["findings_open"],
                   note=f"整改中 {o['findings_in_progress']} 个"),
            figure("findings_overdue", "整改逾期", o["findings_overdue"], links["findings_overdue"], note="个问题",
                   tone="bad"),
            figure("penalties", "“三个一律”处理", o["penalties"], links["penalties"],
                   note=f"{o['penalty_year']}年度考核，本年执行", tone="bad"),
        ]  # fmt: skip


def is_staff(user) -> bool:
    manage = scope_paths(user, Action.MANAGE)
    return manage is ALL or bool(manage)


class DeskView(DashboardView):
    """县、乡镇组织部门: what needs doing in the subtree, the user's task boxes and their background jobs."""

    kind = DESK
    template_name = "dashboards/desk.html"

    def allowed(self, user) -> bool:
        return is_staff(user)

    def links(self, sel: Selection, data: dict) -> dict:
        y = sel.year
        return {
            "meetings_overdue": sel.link("meetings:overdue", year=y),
            "findings_open": sel.link("supervision:finding_list", status="待整改"),
            "findings_in_progress": sel.link("supervision:finding_list", status="整改中"),
            "findings_overdue": sel.link("supervision:finding_list", overdue="1"),
            "checks_open": sel.link("supervision:finding_list", source="系统检查", status="待整改"),
            "weak": sel.link("supervision:weak_list"),
            "terms_overdue": sel.link("supervision:term_list", status="已逾期"),
            "terms_within_month": sel.link("supervision:term_list", status="1个月内到期"),
            "terms_within_half_year": sel.link("supervision:term_list", status="6个月内到期"),
            "terms_missing": sel.link("supervision:term_list", status="missing"),
            "funds_late": sel.link("funding:records", year=y, overdue="1"),
            "not_on_duty": sel.link("supervision:dispatch_list", role="第一书记", not_on_duty="1"),
        }

    def figures(self, data: dict, links: dict) -> list[dict]:
        d = data
        meetings = links["meetings_overdue"]
        return [
            figure("meetings_overdue", "三会一课未达标支部", d["meetings_overdue_branches"], meetings,
                   note=f"{d['year']}年共 {d['meetings_overdue_items']} 项周期已过未开", tone="bad"),
            figure("meetings_due_soon", "本月底前到期未开", d["meetings_due_soon"], meetings + "#soon",
                   note=f"涉及 {d['meetings_due_soon_branches']} 个支部", tone="warn"),
            figure("findings_open", "问题待整改", d["findings_open"], links["findings_open"], note="各年度"),
            figure("findings_in_progress", "问题整改中", d["findings_in_progress"], links["findings_in_progress"]),
            figure("findings_overdue", "整改逾期", d["findings_overdue"], links["findings_overdue"], tone="bad"),
            figure("checks_open", "夜间检查发现待整改", d["checks_open"], links["checks_open"],
                   note="疑似重复材料、时间冲突等"),
            figure("weak", "软弱涣散整顿中", d["weak"], links["weak"]),
            figure("terms_overdue", "换届已逾期", d["terms_overdue"], links["terms_overdue"], tone="bad"),
            figure("terms_within_month", "1个月内到期换届", d["terms_within_month"], links["terms_within_month"],
                   tone="warn"),
            figure("terms_within_half_year", "6个月内到期换届", d["terms_within_half_year"],
                   links["terms_within_half_year"]),
            figure("terms_missing", "未录入换届日期", d["terms_missing"], links["terms_missing"]),
            figure("funds_late", "经费逾期未足额到位", d["funds_late"], links["funds_late"],
                   note=f"{d['year']}年下达", tone="bad"),
            figure("not_on_duty", "第一书记未到岗", d["not_on_duty"], links["not_on_duty"]),
        ]  # fmt: skip

    def live(self, request, sel: Selection) -> dict:
        jobs = list(job_list(actor=request.user).select_related("created_by")[:JOBS_SHOWN])
        return {"tasks": task_figures(request.user), "jobs": jobs}


class SecretaryView(LoginRequiredMixin, View):
    """支部书记的手机首页: this month's due meetings with one-tap entry, the year's calendar, tasks to answer,
    findings to rectify."""

    def get(self, request):
        ctx = secretary_context(request)
        if ctx is None:
            return redirect("dashboards:desk" if is_staff(request.user) else "meetings:list")
        return render(request, "dashboards/secretary.html", ctx)
