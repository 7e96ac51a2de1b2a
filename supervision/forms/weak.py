"""Forms of the weak-organization pages (软弱涣散): designate, correct, add a step, lift. The rules are the
services'; these only shape the input."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from ..services.weak import LIFT_NOTE_MAX

DATE = {"type": "date"}


def style_form(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, (forms.HiddenInput, forms.CheckboxInput)):
            continue
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


def date_field(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"), **kwargs)


class IndentedOrganizationField(forms.ModelChoiceField):
    """Organizations indented by their depth below the shallowest one offered."""

    def __init__(self, *args, top_depth: int = 1, **kwargs):
        self.top_depth = top_depth
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        return "　" * max(obj.depth - self.top_depth, 0) + obj.name

    def set_queryset(self, organizations) -> None:
        self.queryset = organizations
        first = organizations.order_by("depth").only("depth").first()
        self.top_depth = first.depth if first is not None else 1


class WeakDesignateForm(forms.Form):
    organization = IndentedOrganizationField(label="党组织", queryset=None, empty_label="请选择党组织")
    designated_on = date_field("认定日期")
    reason = forms.CharField(
        label="软弱涣散表现（认定原因）",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="如：班子不团结、软弱无力；组织生活不正常；党员教育管理缺失等。",
    )
    measures = forms.CharField(
        label="整顿措施", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].set_queryset(organizations)
        if not self.is_bound:
            self.initial.setdefault("designated_on", timezone.localdate())
        style_form(self)


class WeakUpdateForm(forms.Form):
    reason = forms.CharField(
        label="软弱涣散表现（认定原因）", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    measures = forms.CharField(
        label="整顿措施", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class WeakStepForm(forms.Form):
    done_on = date_field("日期")
    description = forms.CharField(label="整顿措施及进展", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("done_on", timezone.localdate())
        style_form(self)


class WeakLiftForm(forms.Form):
    lifted_on = date_field("摘帽日期")
    note = forms.CharField(
        label="摘帽说明",
        max_length=LIFT_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="整顿成效、验收情况。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("lifted_on", timezone.localdate())
        style_form(self)
