"""An organization's ledger for a year (经费台账): per category its figures and its three kinds of record; the forms
that add, correct and delete them (下达 and 拨付 by the managing level, MANAGE; 支出 by the organization, CHANGE);
and the spending vouchers (served through the scope). The records list of a subtree is views/records.py.

Every write calls services.ledger, which checks the scope again and refuses (changing nothing) what breaks a rule;
its messages land next to the field they name."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from core.attachments import file_response
from core.exceptions import NotInScope, id_from
from core.money import yuan
from core.scope import Action, in_scope
from core.views import apply_service_errors
from organizations import selectors as org_selectors
from organizations.models import Organization

from .. import selectors
from ..forms.ledgers import AllocationForm, DisbursementForm, ExpenditureForm
from ..models import ExpenditureAttachment
from ..selectors import ZERO, Figures
from ..services import ledger as services
from .summaries import figure_cells, ledger_url, summary_url, visible_ancestors, year_choices, year_from

REFUSED = {
    Action.MANAGE: "经费下达和拨付由上级组织部门录入，您的角色只能查看。",
    Action.CHANGE: "您的角色只能查看经费台账，不能录入支出。",
}


def _require(user, action: str, org: Organization) -> None:
    """A user who sees the organization but may not do `action` there is refused (403); the services would answer
    "not found"."""
    if not in_scope(user, action, org.path):
        raise PermissionDenied(REFUSED[action])


def _one(queryset, pk):
    row = queryset.filter(pk=id_from(pk)).first()
    if row is None:
        raise NotInScope()
    return row


def _back(org: Organization, year: int, category_id: int | None = None):
    anchor = f"#category-{category_id}" if category_id else ""
    return redirect(f"{ledger_url(org, year)}{anchor}")


def _service_error_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


# --- The ledger ------------------------------------------------------------------------------------------------


def _decorate(lines, today: dt.date) -> None:
    """What arrived against each allocation, what it still lacks and whether it is overdue; the figures' cells."""
    for line in lines:
        arrived: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for d in line.disbursements:
            arrived[d.allocation_id] += d.amount
        for record in (*line.allocations, *line.disbursements, *line.expenditures):
            record.amount_text = yuan(record.amount)
        for d in line.disbursements:
            d.allocation_text = (
                f"{d.allocation.allocated_on:%Y-%m-%d} · {d.source.name} · {yuan(d.allocation.amount)} 元"
            )
            if d.allocation.document_no:
                d.allocation_text += f" · {d.allocation.document_no}"
        for a in line.allocations:
            a.arrived = arrived[a.pk]
            a.outstanding = max(a.amount - a.arrived, ZERO)
            a.outstanding_text = yuan(a.outstanding)
            a.overdue_days = (today - a.deadline).days if a.outstanding and a.deadline < today else 0
        line.cells = figure_cells(line.figures)
        line.has_records = bool(line.allocations or line.disbursements or line.expenditures)


class LedgerView(LoginRequiredMixin, View):
    """经费台账 of one organization for one year (this year unless one is picked)."""

    template_name = "funding/ledgers/ledger.html"

    def get(self, request, pk):
        user = request.user
        today = timezone.localdate()
        org = org_selectors.organization_get_for(user, id_from(pk))
        year = year_from(request, today.year)
        lines = selectors.organization_ledger(actor=user, organization=org, year=year)
        _decorate(lines, today)
        total = Figures()
        for line in lines:
            total.add(line.figures)
        crumbs = visible_ancestors(user, org)
        ctx = {
            "tab": "records",
            "org": org,
            "year": year,
            "today": today,
            "years": year_choices(user, today.year, year),
            "lines": [line for line in lines if line.has_records],
            "empty_lines": [line for line in lines if not line.has_records and line.category.active],
            "cards": figure_cells(total),
            "crumbs": crumbs,
            "can_manage": in_scope(user, Action.MANAGE, org.path),
            "can_change": in_scope(user, Action.CHANGE, org.path),
            "summary_url": summary_url(org if org.numchild else (crumbs[-1] if crumbs else org), year),
            "overdue_count": sum(1 for line in lines for a in line.allocations if a.overdue_days),
        }
        return render(request, self.template_name, ctx)


# --- Forms -----------------------------------------------------------------------------------------------------


class _FormView(LoginRequiredMixin, View):
    template_name = "funding/ledgers/form.html"

    def render_form(self, form, *, org, year, title, status=200, **extra):
        ctx = {
            "tab": "records",
            "form": form,
            "org": org,
            "year": year,
            "title": title,
            "cancel_url": ledger_url(org, year),
            **extra,
        }
        return render(self.request, self.template_name, ctx, status=status)


def _initial_category(request) -> int | None:
    value = request.GET.get("category", "")
    return int(value) if value.isdigit() and 0 < int(value) < 2**63 else None


def _default_day(year: int, today: dt.date) -> dt.date | None:
    return today if today.year == year else None


class AllocationCreateView(_FormView):
    """录入下达 for an organization in the year the page was opened for."""

    def setup_org(self, request, pk):
        org = org_selectors.organization_get_for(request.user, id_from(pk))
        _require(request.user, Action.MANAGE, org)
        return org, year_from(request, timezone.localdate().year)

    def get(self, request, pk):
        org, year = self.setup_org(request, pk)
        initial = {"category": _initial_category(request), "allocated_on": _default_day(year, timezone.localdate())}
        return self.render_form(AllocationForm(initial=initial), org=org, year=year, title="录入下达")

    def post(self, request, pk):
        org, year = self.setup_org(request, pk)
        form = AllocationForm(request.POST)
        if form.is_valid():
            try:
                allocation = services.allocation_create(
                    actor=request.user, organization=org, year=year, **form.service_fields()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已录入下达：{allocation.category.name} {yuan(allocation.amount)} 元。")
                return _back(org, year, allocation.category_id)
        return self.render_form(form, org=org, year=year, title="录入下达", status=400)


class AllocationUpdateView(_FormView):
    def setup_allocation(self, request, pk):
        allocation = _one(selectors.allocation_list(actor=request.user), pk)
        _require(request.user, Action.MANAGE, allocation.organization)
        return allocation, services.disbursed_of(allocation.pk)

    def render_allocation(self, form, allocation, status=200):
        return self.render_form(
            form,
            org=allocation.organization,
            year=allocation.year,
            title="修改下达",
            status=status,
            record=allocation,
        )

    def get(self, request, pk):
        allocation, arrived = self.setup_allocation(request, pk)
        return self.render_allocation(AllocationForm(allocation=allocation, arrived=arrived), allocation)

    def post(self, request, pk):
        allocation, arrived = self.setup_allocation(request, pk)
        form = AllocationForm(request.POST, allocation=allocation, arrived=arrived)
        if form.is_valid():
            try:
                allocation = services.allocation_update(
                    actor=request.user, allocation=allocation, **form.service_fields()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "下达记录已修改。")
                return _back(allocation.organization, allocation.year, allocation.category_id)
        return self.render_allocation(form, allocation, status=400)


class _DeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]
    action = Action.MANAGE
    label = ""

    def lookup(self, user, pk):  # pragma: no cover - interface
        raise NotImplementedError

    def perform(self, user, record) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def post(self, request, pk):
        record = self.lookup(request.user, pk)
        _require(request.user, self.action, record.organization)
        try:
            self.perform(request.user, record)
        except ValidationError as exc:
            messages.error(request, f"未能删除{self.label}：{_service_error_text(exc)}")
        else:
            messages.success(request, f"已删除{self.label}：{record.category.name} {yuan(record.amount)} 元。")
        return _back(record.organization, record.year, record.category_id)


class AllocationDeleteView(_DeleteView):
    label = "下达记录"

    def lookup(self, user, pk):
        return _one(selectors.allocation_list(actor=user), pk)

    def perform(self, user, record):
        services.allocation_delete(actor=user, allocation=record)


class DisbursementCreateView(_FormView):
    """拨付 against one allocation: what it still lacks is offered as the amount."""

    def setup_allocation(self, request, pk):
        allocation = _one(selectors.allocation_list(actor=request.user), pk)
        _require(request.user, Action.MANAGE, allocation.organization)
        return allocation, allocation.amount - services.disbursed_of(allocation.pk)

    def render_disbursement(self, form, allocation, remaining, status=200):
        return self.render_form(
            form,
            org=allocation.organization,
            year=allocation.year,
            title="录入拨付",
            status=status,
            context_lines=[("对应下达", selectors.allocation_text(allocation)), ("还可拨付", f"{yuan(remaining)} 元")],
        )

    def get(self, request, pk):
        allocation, remaining = self.setup_allocation(request, pk)
        today = timezone.localdate()
        paid_on = today if today.year == allocation.year and today >= allocation.allocated_on else None
        form = DisbursementForm(initial={"amount": f"{remaining:.2f}" if remaining > 0 else "", "paid_on": paid_on})
        return self.render_disbursement(form, allocation, remaining)

    def post(self, request, pk):
        allocation, remaining = self.setup_allocation(request, pk)
        form = DisbursementForm(request.POST)
        if form.is_valid():
            try:
                d = services.disbursement_create(actor=request.user, allocation=allocation, **form.service_fields())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已录入拨付：{allocation.category.name} {yuan(d.amount)} 元。")
                return _back(allocation.organization, allocation.year, allocation.category_id)
        return self.render_disbursement(form, allocation, remaining, status=400)


class DisbursementUpdateView(_FormView):
    def setup_disbursement(self, request, pk):
        d = _one(selectors.disbursement_list(actor=request.user), pk)
        _require(request.user, Action.MANAGE, d.organization)
        return d

    def render_disbursement(self, form, d, status=200):
        return self.render_form(
            form,
            org=d.organization,
            year=d.year,
            title="修改拨付",
            status=status,
            record=d,
            context_lines=[("对应下达", selectors.allocation_text(d.allocation))],
        )

    def get(self, request, pk):
        d = self.setup_disbursement(request, pk)
        return self.render_disbursement(DisbursementForm(disbursement=d), d)

    def post(self, request, pk):
        d = self.setup_disbursement(request, pk)
        form = DisbursementForm(request.POST, disbursement=d)
        if form.is_valid():
            try:
                services.disbursement_update(actor=request.user, disbursement=d, **form.service_fields())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "拨付记录已修改。")
                return _back(d.organization, d.year, d.category_id)
        return self.render_disbursement(form, d, status=400)


class DisbursementDeleteView(_DeleteView):
    label = "拨付记录"

    def lookup(self, user, pk):
        return _one(selectors.disbursement_list(actor=user), pk)

    def perform(self, user, record):
        services.disbursement_delete(actor=user, disbursement=record)


def _balances(user, org: Organization, year: int) -> dict[int, Decimal]:
    """What each category of the ledger can still spend (到位 − 支出)."""
    return {
        line.category.pk: line.figures.disbursed - line.figures.spent
        for line in selectors.organization_ledger(actor=user, organization=org, year=year)
        if line.figures.disbursed
    }


class ExpenditureCreateView(_FormView):
    """录入支出 (a village secretary on a phone, usually): category with what it can still spend, amount, date, purpose,
    voucher number and photos of the vouchers."""

    def setup_org(self, request, pk):
        org = org_selectors.organization_get_for(request.user, id_from(pk))
        _require(request.user, Action.CHANGE, org)
        return org, year_from(request, timezone.localdate().year)

    def get(self, request, pk):
        org, year = self.setup_org(request, pk)
        initial = {"category": _initial_category(request), "spent_on": _default_day(year, timezone.localdate())}
        form = ExpenditureForm(initial=initial, balances=_balances(request.user, org, year))
        return self.render_form(form, org=org, year=year, title="录入支出", multipart=True)

    def post(self, request, pk):
        org, year = self.setup_org(request, pk)
        form = ExpenditureForm(request.POST, request.FILES, balances=_balances(request.user, org, year))
        if form.is_valid():
            data = form.service_fields()
            try:
                e = services.expenditure_create(
                    actor=request.user, organization=org, year=year, files=data.pop("files") or [], **data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已录入支出：{e.purpose} {yuan(e.amount)} 元。")
                return _back(org, year, e.category_id)
        return self.render_form(form, org=org, year=year, title="录入支出", multipart=True, status=400)


class ExpenditureUpdateView(_FormView):
    def setup_expenditure(self, request, pk):
        e = _one(selectors.expenditure_list(actor=request.user), pk)
        _require(request.user, Action.CHANGE, e.organization)
        return e

    def render_expenditure(self, form, e, status=200):
        return self.render_form(form, org=e.organization, year=e.year, title="修改支出", status=status, record=e)

    def get(self, request, pk):
        e = self.setup_expenditure(request, pk)
        return self.render_expenditure(ExpenditureForm(expenditure=e), e)

    def post(self, request, pk):
        e = self.setup_expenditure(request, pk)
        form = ExpenditureForm(request.POST, expenditure=e)
        if form.is_valid():
            try:
                services.expenditure_update(actor=request.user, expenditure=e, **form.service_fields())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "支出记录已修改。")
                return _back(e.organization, e.year, e.category_id)
        return self.render_expenditure(form, e, status=400)


class ExpenditureDeleteView(_DeleteView):
    action = Action.CHANGE
    label = "支出记录"

    def lookup(self, user, pk):
        return _one(selectors.expenditure_list(actor=user), pk)

    def perform(self, user, record):
        services.expenditure_delete(actor=user, expenditure=record)


class ExpenditureFileView(LoginRequiredMixin, View):
    """A spending voucher, to those who see the organization's ledger only."""

    def get(self, request, pk):
        row = ExpenditureAttachment.objects.restrict(request.user).filter(pk=id_from(pk)).first()
        return file_response(row, download=bool(request.GET.get("download")))
