"""Forms of the county's funding configuration: categories, sources and the year's rural income. They only shape
the input: numbers and amounts stay text where the service (services.config, core.money.parse_amount) says in
Chinese what is wrong with them. The small helpers here serve the standards and aid forms too."""

from __future__ import annotations

from django import forms

DATE = {"type": "date"}


def style(form: forms.Form, *, small: bool = False) -> None:
    """Bootstrap classes on every control (small ones on a filter bar)."""
    suffix = " form-select-sm" if small else ""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select" + suffix)
        else:
            widget.attrs.setdefault("class", "form-control" + (" form-control-sm" if small else ""))


def date_field(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"), **kwargs)


def amount_field(label: str = "金额（元）", *, required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "如 1200.50"}),
    )


def number_field(label: str, *, required: bool = True, help_text: str = "", placeholder: str = "") -> forms.CharField:
    """A whole number kept as text: the service answers what is wrong with it."""
    attrs = {"inputmode": "numeric", "autocomplete": "off"}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.CharField(
        label=label, max_length=10, required=required, help_text=help_text, widget=forms.TextInput(attrs=attrs)
    )


def money_text(value) -> str:
    return "" if value is None else f"{value:.2f}"


class CategoryForm(forms.Form):
    name = forms.CharField(label="经费类别", max_length=50)
    disburse_within_days = number_field(
        "拨付时限（天）", help_text="下达后多少天内应拨付到位，用作下达的默认拨付时限。"
    )
    order = number_field("排序", required=False, help_text="数字小的排在前面。")
    active = forms.BooleanField(label="启用", required=False, initial=True)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:  # a new category starts active
            del self.fields["active"]
        style(self)

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["order"] = data.get("order") or 0
        return data


class SourceForm(forms.Form):
    name = forms.CharField(label="资金来源", max_length=50)
    order = number_field("排序", required=False, help_text="数字小的排在前面。")
    active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["active"]
        style(self)

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["order"] = data.get("order") or 0
        return data


class IncomeForm(forms.Form):
    year = number_field("年度", placeholder="如 2025")
    amount = amount_field("农村居民人均可支配收入（元）")
    note = forms.CharField(
        label="依据", max_length=200, required=False, help_text="如：县统计局《2025年国民经济和社会发展统计公报》。"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)
