"""Forms of the county department's decisions on results: the three rules' parameters (三个一律参数), a veto (一票否决)
and a manual change of grade. They only shape the input: numbers stay text, and the services
(services.schemes.rule_settings_update, services.scoring.veto_set / grade_override_set) say in Chinese what is wrong."""

from __future__ import annotations

from django import forms

from ..choices import Grade
from ..models import RuleSettings


def style(form: forms.Form) -> None:
    """Bootstrap classes on every control."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def _label(name: str) -> str:
    return str(RuleSettings._meta.get_field(name).verbose_name)


def _number(name: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=_label(name),
        max_length=4,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class RuleSettingsForm(forms.Form):
    """三个一律参数 of one county."""

    failed_on = forms.BooleanField(label="规则一：不合格（等次为“差”）的，次年一律不得提拔重用", required=False)
    not_moved_up_on = forms.BooleanField(label="规则二：连续未晋位升级的，次年一律不得评先评优", required=False)
    not_moved_up_years = _number("not_moved_up_years", "连续几年未晋位升级触发规则二（1–5，默认 2）。")
    bottom_on = forms.BooleanField(label="规则三：连续后三名的，次年一律调整岗位或降职", required=False)
    bottom_years = _number("bottom_years", "连续几年后三名触发规则三（1–5，默认 3）。")
    bottom_n = _number("bottom_n", "倒数几名算“后三名”（1–20，默认 3）：得分严格低于本组织的组织少于此数。")
    min_group_size = _number(
        "min_group_size", "考核类别中已评分的组织不超过此数时不评后三名（默认 6：六个及以下的类别不评）。"
    )

    def __init__(self, *args, settings: RuleSettings | None = None, **kwargs):
        if settings is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                name: getattr(settings, name)
                for name in (
                    "failed_on", "not_moved_up_on", "not_moved_up_years", "bottom_on", "bottom_years", "bottom_n",
                    "min_group_size",
                )
            }  # fmt: skip
        super().__init__(*args, **kwargs)
        style(self)


class VetoForm(forms.Form):
    """一票否决 of one result, or lifting it."""

    vetoed = forms.TypedChoiceField(
        label="一票否决",
        choices=[("1", "一票否决（等次定为“差”）"), ("0", "不否决")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    item = forms.ChoiceField(label="否决事项", required=False)
    reason = forms.CharField(
        label="否决说明",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "未列入否决事项的，请写明事实和依据"}),
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {str(item.pk): item for item in items}
        self.fields["item"].choices = [
            ("", "（不选，填写说明）"),
            *((pk, item.name) for pk, item in self.items.items()),
        ]
        if not self.items:
            self.fields["item"].widget = forms.HiddenInput()
        style(self)
        self.fields["vetoed"].widget.attrs["class"] = "form-check-input"

    def values(self) -> dict:
        data = self.cleaned_data
        return {"vetoed": data["vetoed"], "item": self.items.get(data.get("item") or ""), "reason": data["reason"]}


class GradeOverrideForm(forms.Form):
    """A manual change of grade with its reason (blank grade: follow the rules again)."""

    grade = forms.ChoiceField(
        label="调整后等次",
        required=False,
        choices=[("", "不调整（按规则确定）"), *((str(g.value), g.label) for g in Grade)],
    )
    reason = forms.CharField(
        label="调整原因",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "调整等次须写明原因，记入审计日志"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def values(self) -> dict:
        return {"grade": self.cleaned_data["grade"] or None, "reason": self.cleaned_data["reason"]}
