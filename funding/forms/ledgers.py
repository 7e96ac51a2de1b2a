"""Forms of an organization's ledger: 下达, 拨付 and 支出, to add and to correct. They only shape the input: amounts
stay text so that services.ledger (parse_amount) says in Chinese what is wrong with them, and every rule (dates in
the year, within what was allocated, 专款专用) is the service's."""

from __future__ import annotations

from django import forms

from meetings.forms import MultipleFileField, MultipleFileInput

from ..models import Allocation, Disbursement, Expenditure, FundCategory, FundSource
from ..services.ledger import FILES_PER_EXPENDITURE

DATE = {"type": "date"}
FILES_HELP = f"发票、收据照片（JPG、PNG）或 PDF，每个不超过 10 MB，最多 {FILES_PER_EXPENDITURE} 个。"


def _date(label: str, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
    )


def _amount(label: str = "金额（元）") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "如 1200.50"}),
    )


def _money_text(value) -> str:
    return "" if value is None else f"{value:.2f}"


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, (forms.HiddenInput, forms.CheckboxInput)):
            continue
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


class CategoryChoiceField(forms.ModelChoiceField):
    """A category, with what it can still spend in this ledger when the form knows it (支出)."""

    def __init__(self, *args, balances: dict | None = None, **kwargs):
        self.balances = balances or {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        if obj.pk in self.balances:
            return f"{obj.name}（可用 {self.balances[obj.pk]:,.2f} 元）"
        return obj.name


def _categories(current: FundCategory | None = None):
    qs = FundCategory.objects.filter(active=True)
    return (qs | FundCategory.objects.filter(pk=current.pk)).distinct() if current is not None else qs


def _sources(current: FundSource | None = None):
    qs = FundSource.objects.filter(active=True)
    return (qs | FundSource.objects.filter(pk=current.pk)).distinct() if current is not None else qs


class AllocationForm(forms.Form):
    """下达: to add one (the ledger's year comes from the page), or to correct one. Category and source can change
    only while nothing has arrived against it (the service says so too)."""

    category = forms.ModelChoiceField(label="经费类别", queryset=None, empty_label="请选择经费类别")
    source = forms.ModelChoiceField(label="资金来源", queryset=None, empty_label="请选择资金来源")
    amount = _amount("下达金额（元）")
    allocated_on = _date("下达日期")
    deadline = _date("拨付时限", required=False, help_text="不填则按经费类别的拨付时限天数计算（不超过 12 月 31 日）。")
    document_no = forms.CharField(label="文号", max_length=100, required=False)
    note = forms.CharField(label="摘要", max_length=200, required=False)

    def __init__(self, *args, allocation: Allocation | None = None, arrived=None, **kwargs):
        self.allocation = allocation
        if allocation is not None:
            kwargs.setdefault(
                "initial",
                {
                    "category": allocation.category_id,
                    "source": allocation.source_id,
                    "amount": _money_text(allocation.amount),
                    "allocated_on": allocation.allocated_on,
                    "deadline": allocation.deadline,
                    "document_no": allocation.document_no,
                    "note": allocation.note,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories(allocation.category if allocation else None)
        self.fields["source"].queryset = _sources(allocation.source if allocation else None)
        if allocation is not None:
            self.fields["deadline"].required = True
            self.fields["deadline"].help_text = ""
            if arrived:
                for name in ("category", "source"):
                    self.fields[name].disabled = True
                    self.fields[name].help_text = f"已拨付 {arrived:,.2f} 元，不能再改。"
        _style(self)

    def service_fields(self) -> dict:
        """What the service takes: everything on create; on correction the fields that may change."""
        data = dict(self.cleaned_data)
        for name, field in self.fields.items():
            if field.disabled:
                data.pop(name, None)
        for name in ("document_no", "note"):
            data[name] = data.get(name) or ""
        return data


class DisbursementForm(forms.Form):
    """拨付 against one allocation (the page names it); the amount offered is what it still lacks."""

    amount = _amount("拨付金额（元）")
    paid_on = _date("拨付日期")
    voucher = forms.CharField(label="凭证号", max_length=60, required=False)
    note = forms.CharField(label="摘要", max_length=200, required=False)

    def __init__(self, *args, disbursement: Disbursement | None = None, **kwargs):
        if disbursement is not None:
            kwargs.setdefault(
                "initial",
                {
                    "amount": _money_text(disbursement.amount),
                    "paid_on": disbursement.paid_on,
                    "voucher": disbursement.voucher,
                    "note": disbursement.note,
                },
            )
        super().__init__(*args, **kwargs)
        _style(self)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("voucher", "note"):
            data[name] = data.get(name) or ""
        return data


class ExpenditureForm(forms.Form):
    """支出 from a category's funds; attachments (vouchers) go with a new one."""

    category = CategoryChoiceField(label="经费类别", queryset=None, empty_label="请选择经费类别")
    amount = _amount("支出金额（元）")
    spent_on = _date("支出日期")
    purpose = forms.CharField(
        label="用途", max_length=200, widget=forms.TextInput(attrs={"placeholder": "如 购买办公用品"})
    )
    voucher = forms.CharField(label="凭证号", max_length=60, required=False)
    source = forms.ModelChoiceField(label="资金来源", queryset=None, required=False, empty_label="不指定")
    note = forms.CharField(label="摘要", max_length=200, required=False)
    files = MultipleFileField(
        label="支出凭证",
        required=False,
        help_text=FILES_HELP,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )

    def __init__(self, *args, expenditure: Expenditure | None = None, balances: dict | None = None, **kwargs):
        self.expenditure = expenditure
        if expenditure is not None:
            kwargs.setdefault(
                "initial",
                {
                    "category": expenditure.category_id,
                    "amount": _money_text(expenditure.amount),
                    "spent_on": expenditure.spent_on,
                    "purpose": expenditure.purpose,
                    "voucher": expenditure.voucher,
                    "source": expenditure.source_id,
                    "note": expenditure.note,
                },
            )
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        category.queryset = _categories(expenditure.category if expenditure else None)
        category.balances = balances or {}
        self.fields["source"].queryset = _sources(expenditure.source if expenditure else None)
        if expenditure is not None:
            category.disabled = True
            category.help_text = "支出的经费类别不能修改；记错类别请删除后重新录入。"
            del self.fields["files"]
        _style(self)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if self.expenditure is not None:
            data.pop("category", None)
        for name in ("voucher", "note"):
            data[name] = data.get(name) or ""
        return data
