"""经费设置: the county's categories, sources, standards and rural income per year. Everyone signed in reads them;
the county administrators add and change them (services.config)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views import View

from core.exceptions import NotInScope, id_from
from core.money import yuan
from core.views import apply_service_errors

from ..choices import DEFAULT_CATEGORIES, DEFAULT_SOURCES
from ..forms.config import CategoryForm, IncomeForm, SourceForm, money_text
from ..models import FundCategory, FundSource, RuralIncome
from ..services import config as services
from ..standards import basis_text, incomes, scope_text, standard_list, years_text
from .standards import refuse_unless_configurer

FORM_TEMPLATE = "funding/config/form.html"


class ConfigView(LoginRequiredMixin, View):
    template_name = "funding/config/index.html"

    def get(self, request):
        categories = list(FundCategory.objects.all())
        sources = list(FundSource.objects.all())
        standards = list(standard_list())
        for s in standards:
            s.scope_text, s.years_text, s.basis_text = scope_text(s), years_text(s), basis_text(s)
        rows = incomes()
        for income in rows:
            income.amount_text = yuan(income.amount)
        names = {c.name for c in categories}, {s.name for s in sources}
        missing = sum(1 for n, _ in DEFAULT_CATEGORIES if n not in names[0]) + sum(
            1 for n in DEFAULT_SOURCES if n not in names[1]
        )
        ctx = {
            "tab": "config",
            "categories": categories,
            "sources": sources,
            "standards": standards,
            "incomes": rows,
            "missing_defaults": missing,
            "may_configure": services.may_configure_funding(request.user),
        }
        return render(request, self.template_name, ctx)


class _ConfigFormView(LoginRequiredMixin, View):
    """A form of the configuration: county administrators only (others 403, in words)."""

    title = ""
    icon = "bi-sliders"
    note = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            refuse_unless_configurer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, status=200):
        ctx = {
            "tab": "config",
            "form": form,
            "title": self.title,
            "submit": "保存",
            "icon": self.icon,
            "note": self.note,
        }
        return render(self.request, FORM_TEMPLATE, ctx, status=status)

    def attempt(self, form, write, message):
        """Run the service on a valid form; its errors land on the form."""
        if form.is_valid():
            try:
                obj = write(form)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(self.request, message(obj))
                return redirect("funding:config")
        return self.render_form(form, status=400)


def _get(model, pk):
    obj = model.objects.filter(pk=id_from(pk)).first()
    if obj is None:
        raise NotInScope()
    return obj


class CategoryCreateView(_ConfigFormView):
    title = "新增经费类别"

    def get(self, request):
        return self.render_form(CategoryForm(creating=True, initial={"disburse_within_days": 30, "order": 0}))

    def post(self, request):
        return self.attempt(
            CategoryForm(request.POST, creating=True),
            lambda f: services.category_create(actor=request.user, **f.values()),
            lambda c: f"已新增经费类别“{c.name}”。",
        )


class CategoryUpdateView(_ConfigFormView):
    title = "修改经费类别"
    note = "改名或调整拨付时限不影响已登记的账目；停用后不能再用于新的下达和支出。"

    def get(self, request, pk):
        c = _get(FundCategory, pk)
        initial = {
            "name": c.name, "disburse_within_days": c.disburse_within_days, "order": c.order, "active": c.active,
            "note": c.note,
        }  # fmt: skip
        return self.render_form(CategoryForm(initial=initial))

    def post(self, request, pk):
        category = _get(FundCategory, pk)
        return self.attempt(
            CategoryForm(request.POST),
            lambda f: services.category_update(actor=request.user, category=category, **f.values()),
            lambda c: f"已保存经费类别“{c.name}”。",
        )


class SourceCreateView(_ConfigFormView):
    title = "新增资金来源"

    def get(self, request):
        return self.render_form(SourceForm(creating=True, initial={"order": 0}))

    def post(self, request):
        return self.attempt(
            SourceForm(request.POST, creating=True),
            lambda f: services.source_create(actor=request.user, **f.values()),
            lambda s: f"已新增资金来源“{s.name}”。",
        )


class SourceUpdateView(_ConfigFormView):
    title = "修改资金来源"

    def get(self, request, pk):
        s = _get(FundSource, pk)
        return self.render_form(SourceForm(initial={"name": s.name, "order": s.order, "active": s.active}))

    def post(self, request, pk):
        source = _get(FundSource, pk)
        return self.attempt(
            SourceForm(request.POST),
            lambda f: services.source_update(actor=request.user, source=source, **f.values()),
            lambda s: f"已保存资金来源“{s.name}”。",
        )


class IncomeSetView(_ConfigFormView):
    """录入 or 修改 a year's income (`?year=` fills the form with what is recorded)."""

    title = "录入农村居民人均可支配收入"
    icon = "bi-graph-up"
    note = "按收入倍数计算的保障标准用当年的数值；未录入的年度，这些标准无法评估。"

    def get(self, request):
        initial = {}
        raw = request.GET.get("year", "")
        if raw.isdigit():
            income = RuralIncome.objects.filter(year=int(raw)).first()
            initial = {"year": raw}
            if income is not None:
                initial.update({"amount": money_text(income.amount), "note": income.note})
        return self.render_form(IncomeForm(initial=initial))

    def post(self, request):
        return self.attempt(
            IncomeForm(request.POST),
            lambda f: services.rural_income_set(actor=request.user, **f.cleaned_data),
            lambda i: f"已保存{i.year}年农村居民人均可支配收入 {yuan(i.amount)} 元。",
        )


class DefaultsEnsureView(_ConfigFormView):
    http_method_names = ["post"]

    def post(self, request):
        categories, sources = services.defaults_ensure(actor=request.user)
        if categories or sources:
            messages.success(request, f"已补齐默认经费类别 {len(categories)} 个、资金来源 {len(sources)} 个。")
        else:
            messages.info(request, "默认经费类别和资金来源都已存在。")
        return redirect("funding:config")
