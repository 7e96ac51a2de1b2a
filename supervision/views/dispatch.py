"""Dispatched cadres (第一书记, 驻村工作队员): the list with those not on duty at the top, registering one, a
dispatch's check-in calendar with the one-tap check-in for today (a phone page), and ending a dispatch."""

from __future__ import annotations

import calendar
import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from core.exceptions import id_from
from core.scope import Action, in_scope
from core.views import ScopedListView, apply_service_errors
from core.xlsx.writer import ExportTable
from organizations import selectors as org_selectors
from organizations.choices import Domain, OrgKind

from ..filtersets.dispatch import DispatchPageFilterSet
from ..forms.dispatch import CheckInForm, DispatchEndForm, DispatchRegisterForm
from ..selectors import dispatch as selectors
from ..selectors.weak import township_name, townships_for
from ..services import dispatch as services

NOT_ON_DUTY_SHOWN = 20
CALENDAR_MONTHS = 3
CHECK_INS_SHOWN = 20  # the calendars show the rest
EXPORT_HEADERS = ["派驻组织代码", "派驻组织", "所属乡镇", "姓名", "派驻身份", "派出单位", "原单位职务", "派驻开始日期", "派驻结束日期", "派驻状态", "最近到岗日期", "近期到岗天数", "累计到岗天数", "到岗情况", "备注"]  # fmt: skip
VILLAGE_DOMAINS = (Domain.RURAL, Domain.COMMUNITY)
BRANCH_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)


def manageable_organizations(user, *, all_orgs: bool = False):
    """Where `user` may register a dispatch: the village and community branches by default, any organization of
    the MANAGE scope on request."""
    qs = org_selectors.organization_list(actor=user, action=Action.MANAGE).order_by("path")
    return qs if all_orgs else qs.filter(domain__in=VILLAGE_DOMAINS, kind__in=BRANCH_KINDS)


def _state(d, today: dt.date) -> str:
    if d.start_on > today:
        return "未开始"
    if d.end_on is not None and d.end_on < today:
        return "已结束"
    return "在派"


def _decorate(rows, today: dt.date):
    rows = list(rows)
    townships = townships_for(d.organization.path for d in rows)
    for d in rows:
        d.township_name = township_name(townships, d.organization)
        d.duty = selectors.duty_status(d, today)
        d.state = _state(d, today)
        d.absent_days = d.duty.days_since_last(today)
    return rows


class DispatchListView(ScopedListView):
    """Every dispatch in scope (filters: township, role, state, 未到岗), with the current ones not on duty first."""

    template_name = "supervision/dispatch/list.html"
    filterset_class = DispatchPageFilterSet

    def get_base_queryset(self):
        return selectors.dispatch_list(actor=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        ctx["object_list"] = _decorate(ctx["object_list"], today)
        absent = selectors.not_on_duty(actor=user, today=today)
        ctx["absent"] = _decorate(absent[:NOT_ON_DUTY_SHOWN], today)
        ctx["counts"] = selectors.duty_counts(actor=user, today=today)
        ctx["absent_more"] = max(ctx["counts"].not_on_duty - NOT_ON_DUTY_SHOWN, 0)
        ctx["duty_days"] = selectors.duty_checkin_days()
        ctx["can_manage"] = manageable_organizations(user, all_orgs=True).exists()
        ctx["today"] = today
        ctx["tab"] = "dispatch"
        return ctx

    def export_table(self, queryset) -> ExportTable:
        today = timezone.localdate()

        def rows():
            for d in _decorate(queryset, today):
                yield [
                    d.organization.code,
                    d.organization.name,
                    d.township_name,
                    d.name,
                    d.role,
                    d.unit,
                    d.unit_post,
                    d.start_on,
                    d.end_on,
                    d.state,
                    d.last_check_in_on,
                    d.recent_check_ins,
                    d.total_check_ins,
                    d.duty.label,
                    d.note,
                ]

        return ExportTable("驻村干部", EXPORT_HEADERS, rows(), filename="驻村第一书记和工作队员.xlsx")


class DispatchCreateView(LoginRequiredMixin, View):
    template_name = "supervision/dispatch/form.html"

    def _form(self, data=None):
        all_orgs = self.request.GET.get("all") == "1"
        initial = {}
        wanted = self.request.GET.get("organization")
        orgs = manageable_organizations(self.request.user, all_orgs=all_orgs)
        if wanted and wanted.isdigit():
            initial["organization"] = orgs.filter(pk=int(wanted)).first()
        return DispatchRegisterForm(data, organizations=orgs, initial=initial), all_orgs

    def _render(self, form, all_orgs, status=200):
        ctx = {"form": form, "all_orgs": all_orgs, "title": "登记驻村干部", "tab": "dispatch"}
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request):
        if not manageable_organizations(request.user, all_orgs=True).exists():
            messages.error(request, "您的角色只能查看，驻村干部由县、乡镇组织部门登记。")
            return redirect("supervision:dispatch_list")
        return self._render(*self._form())

    def post(self, request):
        form, all_orgs = self._form(request.POST)
        if not form.is_valid():
            return self._render(form, all_orgs, status=400)
        try:
            dispatch = services.dispatch_register(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self._render(form, all_orgs, status=400)
        messages.success(request, f"已登记：{dispatch.organization.name} {dispatch.role} {dispatch.name}。")
        return redirect("supervision:dispatch_detail", pk=dispatch.pk)


def _month_start(value: str | None, today: dt.date) -> dt.date:
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        first = dt.date(year, month, 1)
    except ValueError:
        return today.replace(day=1)
    return first if 2000 <= year <= 2100 else today.replace(day=1)


def _add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_grid(first: dt.date, checked: set[dt.date], dispatch, today: dt.date) -> dict:
    """One month as weeks of cells (Monday first) marked 到岗 / outside the dispatch / future."""
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        cells = []
        for day in week:
            in_period = dispatch.start_on <= day and (dispatch.end_on is None or day <= dispatch.end_on)
            cells.append(
                {
                    "day": day,
                    "in_month": day.month == first.month,
                    "checked": day in checked,
                    "in_period": in_period,
                    "future": day > today,
                    "today": day == today,
                }
            )
        weeks.append(cells)
    return {
        "first": first,
        "weeks": weeks,
        "count": sum(1 for d in checked if (d.year, d.month) == (first.year, first.month)),
    }


class DispatchDetailView(LoginRequiredMixin, View):
    """A dispatch: its duty status, the check-ins as calendars and a list, one tap to check in today."""

    template_name = "supervision/dispatch/detail.html"

    def render_detail(self, dispatch, *, checkin_form=None, end_form=None, status=200):
        user = self.request.user
        today = timezone.localdate()
        _decorate([dispatch], today)
        check_ins = selectors.check_ins_of(dispatch)
        checked = {c.on for c in check_ins}
        last_month = _month_start(self.request.GET.get("month"), today)
        # Newest first (a phone shows this month on top); wide screens put them back in time order.
        months = [month_grid(_add_months(last_month, -i), checked, dispatch, today) for i in range(CALENDAR_MONTHS)]
        can_check_in = in_scope(user, Action.CHANGE, dispatch.organization.path)
        in_period_today = dispatch.start_on <= today and (dispatch.end_on is None or today <= dispatch.end_on)
        ctx = {
            "dispatch": dispatch,
            "check_ins": check_ins[:CHECK_INS_SHOWN],
            "check_ins_more": max(len(check_ins) - CHECK_INS_SHOWN, 0),
            "months": months,
            "prev_month": _add_months(last_month, -CALENDAR_MONTHS).strftime("%Y-%m"),
            "next_month": _add_months(last_month, CALENDAR_MONTHS).strftime("%Y-%m")
            if _add_months(last_month, 1) <= today
            else None,
            "today": today,
            "checked_today": today in checked,
            "can_check_in": can_check_in,
            "can_check_in_today": can_check_in and in_period_today and today not in checked,
            "can_manage": in_scope(user, Action.MANAGE, dispatch.organization.path),
            "checkin_form": checkin_form or CheckInForm(),
            "end_form": end_form or DispatchEndForm(initial={"end_on": dispatch.end_on or today}),
            "duty_days": selectors.duty_checkin_days(),
            "tab": "dispatch",
        }
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request, pk):
        return self.render_detail(selectors.dispatch_get_for(request.user, id_from(pk)))


class DispatchCheckInView(LoginRequiredMixin, View):
    def post(self, request, pk):
        dispatch = selectors.dispatch_get_for(request.user, id_from(pk))
        form = CheckInForm(request.POST)
        if form.is_valid():
            try:
                check_in = services.checkin_record(actor=request.user, dispatch=dispatch, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已登记 {dispatch.name} {check_in.on:%Y-%m-%d} 到岗。")
                return redirect("supervision:dispatch_detail", pk=dispatch.pk)
        fresh = selectors.dispatch_get_for(request.user, dispatch.pk)
        return DispatchDetailView(request=request).render_detail(fresh, checkin_form=form, status=400)


class DispatchEndView(LoginRequiredMixin, View):
    def post(self, request, pk):
        dispatch = selectors.dispatch_get_for(request.user, id_from(pk))
        form = DispatchEndForm(request.POST)
        if form.is_valid():
            try:
                services.dispatch_end(actor=request.user, dispatch=dispatch, end_on=form.cleaned_data["end_on"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, f"已将 {dispatch.name} 的派驻结束日期设为 {form.cleaned_data['end_on']:%Y-%m-%d}。"
                )
                return redirect("supervision:dispatch_detail", pk=dispatch.pk)
        fresh = selectors.dispatch_get_for(request.user, dispatch.pk)
        return DispatchDetailView(request=request).render_detail(fresh, end_form=form, status=400)
