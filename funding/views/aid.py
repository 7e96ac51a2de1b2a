"""党内关爱帮扶: totals per year and township and the list (filters year, subtree, source; Excel), the form that
records aid to a member of the user's branches, and removing a record entered in error."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.db.models.functions import Substr
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from core.exceptions import NotInScope, id_from
from core.money import yuan
from core.scope import ALL, Action, scope_paths, subtree_range_q
from core.views import ScopedListView, apply_service_errors
from core.xlsx.writer import ExportTable
from members.models import Member
from organizations import selectors as org_selectors
from organizations.models import Organization

from ..forms.aid import MEMBER_CHOICES_MAX, AidFilterForm, AidForm, AidPickForm
from ..selectors import ZERO, aid_list
from ..services import aid as services
from .standards import township_name, townships_of

EXPORT_HEADERS = [
    "发放日期",
    "年度",
    "帮扶对象",
    "所在支部",
    "所属乡镇",
    "金额（元）",
    "资金来源",
    "帮扶事由",
    "登记人",
]
NO_CHANGE = "您的角色只能查看关爱帮扶记录，帮扶由支部或乡镇登记。"


def may_record(user) -> bool:
    paths = scope_paths(user, Action.CHANGE)
    return paths is ALL or bool(paths)


def _may_change(paths, path: str) -> bool:
    return paths is ALL or any(path.startswith(p) for p in paths)


class AidListView(ScopedListView):
    template_name = "funding/aid/list.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.org = None
        raw = request.GET.get("org")
        if raw and request.user.is_authenticated:
            self.org = org_selectors.organization_get_for(request.user, id_from(raw))

    def get_base_queryset(self):
        qs = aid_list(actor=self.request.user).order_by("-given_on", "-id")
        self.filter_form = AidFilterForm(self.request.GET or None, user=self.request.user, selected=self.org)
        if self.filter_form.is_bound and self.filter_form.is_valid():
            data = self.filter_form.cleaned_data
            if data.get("year"):
                qs = qs.filter(year=data["year"])
            if data.get("source"):
                qs = qs.filter(source_id=data["source"])
        if self.org is not None:
            qs = qs.filter(subtree_range_q("branch__path", self.org.path))
        return qs

    def totals(self, queryset) -> tuple[list[dict], dict]:
        """Per year and township (the organization at the second level of the tree): count and sum."""
        width = 2 * Organization.steplen
        groups = list(
            queryset.annotate(unit=Substr("branch__path", 1, width))
            .values("year", "unit")
            .annotate(n=Count("id"), total=Sum("amount"))
            .order_by("-year", "unit")
        )
        names = dict(Organization.objects.filter(path__in={g["unit"] for g in groups}).values_list("path", "name"))
        rows, by_year = [], {}
        for g in groups:
            total = g["total"] or ZERO
            rows.append({"year": g["year"], "unit": names.get(g["unit"], "—"), "n": g["n"], "total": yuan(total)})
            year = by_year.setdefault(g["year"], {"n": 0, "total": ZERO})
            year["n"] += g["n"]
            year["total"] += total
        grand = {
            "n": sum(y["n"] for y in by_year.values()),
            "total": yuan(sum((y["total"] for y in by_year.values()), ZERO)),
        }
        years = [{"year": y, "n": v["n"], "total": yuan(v["total"])} for y, v in sorted(by_year.items(), reverse=True)]
        return rows, {"years": years, **grand}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        rows = list(ctx["object_list"])
        townships = townships_of(a.branch for a in rows)
        paths = scope_paths(user, Action.CHANGE)
        for a in rows:
            a.township_name = township_name(townships, a.branch)
            a.amount_text = yuan(a.amount)
            a.may_delete = _may_change(paths, a.branch.path)
        totals, summary = self.totals(self.get_queryset())
        ctx.update(
            {
                "tab": "aid",
                "object_list": rows,
                "form": self.filter_form,
                "totals": totals,
                "summary": summary,
                "may_record": may_record(user),
            }
        )
        return ctx

    def export_table(self, queryset) -> ExportTable:
        rows = list(queryset.select_related("created_by"))
        townships = townships_of(a.branch for a in rows)
        data = (
            [
                a.given_on, a.year, a.member.person.name, a.branch.name, township_name(townships, a.branch), a.amount,
                a.source.name, a.reason, (a.created_by.full_name or a.created_by.username) if a.created_by else "",
            ]
            for a in rows
        )  # fmt: skip
        return ExportTable("关爱帮扶", EXPORT_HEADERS, data, "党内关爱帮扶.xlsx")


def _members_offered(user, pick: AidPickForm):
    """(members to offer, more than could be offered, narrowed at all): the user's CHANGE scope, narrowed by the
    pick form; at most MEMBER_CHOICES_MAX."""
    qs = Member.objects.restrict(user, Action.CHANGE)
    narrowed = False
    if pick.is_valid():
        if pick.cleaned_data.get("branch") is not None:
            qs = qs.filter(branch=pick.cleaned_data["branch"])
            narrowed = True
        if pick.cleaned_data.get("q"):
            qs = qs.filter(person__name__icontains=pick.cleaned_data["q"].strip())
            narrowed = True
    ids = list(qs.order_by("branch__path", "person__name", "id").values_list("pk", flat=True)[: MEMBER_CHOICES_MAX + 1])
    members = (
        Member.objects.filter(pk__in=ids[:MEMBER_CHOICES_MAX])
        .select_related("person", "branch")
        .order_by("branch__path", "person__name", "id")
    )
    return members, len(ids) > MEMBER_CHOICES_MAX, narrowed


class AidCreateView(LoginRequiredMixin, View):
    template_name = "funding/aid/form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_record(request.user):
            raise PermissionDenied(NO_CHANGE)
        return super().dispatch(request, *args, **kwargs)

    def _render(self, form, pick, too_many, status=200):
        ctx = {
            "tab": "aid",
            "form": form,
            "pick": pick,
            "too_many": too_many,
            "limit": MEMBER_CHOICES_MAX,
            "action": f"{reverse('funding:aid_create')}?{self.request.GET.urlencode()}",
        }
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request):
        pick = AidPickForm(request.GET or None, user=request.user)
        members, too_many, _ = _members_offered(request.user, pick)
        initial = {}
        wanted = request.GET.get("member", "")
        if wanted.isdigit():
            initial["member"] = members.filter(pk=int(wanted)).first()
        return self._render(AidForm(members=members, initial=initial), pick, too_many)

    def post(self, request):
        pick = AidPickForm(request.GET or None, user=request.user)
        # Any member of the user's CHANGE scope validates; the list shown was only a narrowing of it.
        scope = Member.objects.restrict(request.user, Action.CHANGE).select_related("person", "branch")
        form = AidForm(request.POST, members=scope)
        if form.is_valid():
            try:
                aid = services.aid_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"已登记对{aid.member.person.name}的关爱帮扶 {yuan(aid.amount)} 元（{aid.branch.name}，{aid.given_on}）。",
                )
                return redirect("funding:aid_list")
        members, too_many, _ = _members_offered(request.user, pick)
        chosen = form.cleaned_data.get("member") if hasattr(form, "cleaned_data") else None
        if chosen is not None:
            members = members | Member.objects.filter(pk=chosen.pk)
        form.fields["member"].queryset = members.select_related("person", "branch")
        return self._render(form, pick, too_many, status=400)


class AidDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        aid = aid_list(actor=request.user).filter(pk=id_from(pk)).first()
        if aid is None:
            raise NotInScope()
        services.aid_delete(actor=request.user, aid=aid)
        messages.success(
            request, f"已删除对{aid.member.person.name}的帮扶记录（{aid.given_on}，{yuan(aid.amount)} 元）。"
        )
        return redirect("funding:aid_list")
