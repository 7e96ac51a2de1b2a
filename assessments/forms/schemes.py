"""Forms of the scheme editor: a new scheme, its settings, an indicator, a veto item, reopening published results.
Points and percentages are text fields: the services parse them (parse_points) and name the field that is wrong."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from ..choices import IndicatorMethod
from ..sources import SOURCES

# Labels of the sources' parameters (sources.py names them only by key).
PARAM_LABELS = {"per_open": "每个未整改问题扣分", "per_overdue": "逾期问题再扣分"}
PARAM_NAMES = sorted({name for s in SOURCES.values() for name in s.defaults})
NUMBER = {"inputmode": "decimal", "autocomplete": "off"}


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, (forms.HiddenInput, forms.CheckboxInput)):
            continue
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


def _points(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=20, help_text=help_text, widget=forms.TextInput(attrs=NUMBER)
    )


def _service_checks(form: forms.Form, *names: str) -> None:
    """Fields the service requires: the form lets them through empty so that the service's own message (请填写…)
    shows; they are still marked as required on the page."""
    for name in names:
        field = form.fields[name]
        field.required = False
        field.widget.attrs["aria-required"] = "true"
        field.service_required = True


class SchemeCreateForm(forms.Form):
    county = forms.ModelChoiceField(label="县", queryset=None, empty_label=None)
    year = forms.CharField(label="年度", max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    group = forms.CharField(
        label="考核类别", max_length=50, help_text="与组织信息中的“考核类别”一致，该类别的组织自动列入考核。"
    )
    name = forms.CharField(label="方案名称", max_length=100, required=False, help_text="不填则为“某年度某类别考核”。")

    def __init__(self, *args, counties, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties
        if counties.count() == 1:
            self.fields["county"].widget = forms.HiddenInput()
            self.initial.setdefault("county", counties.first().pk)
        self.initial.setdefault("year", timezone.localdate().year)
        self.fields["group"].widget.attrs["list"] = "scheme-groups"
        self.groups = list(groups)
        _service_checks(self, "year", "group")
        _style(self)


class SchemeSettingsForm(forms.Form):
    name = forms.CharField(label="方案名称", max_length=100, required=False)
    good_min = _points("“好”最低分")
    fair_min = _points("“较好”最低分")
    pass_min = _points("“一般”最低分", "低于此分为“差”。")
    good_cap = forms.CharField(
        label="“好”等次比例上限（%）",
        required=False,
        max_length=3,
        help_text="空 = 不限；如 30 表示至多 30% 的组织评为“好”。",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    appraisal_weight = forms.CharField(
        label="述职评议权重（%）",
        max_length=3,
        help_text="总分 = 指标得分 ×（100 − 权重）% + 述职评议得分 × 权重%；0 = 不计述职评议。",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    upper_weight = forms.CharField(
        label="上级评议占比（%）", max_length=3, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    lower_weight = forms.CharField(
        label="下级评议占比（%）", max_length=3, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    vote_good = _points("“好”票分值")
    vote_fair = _points("“较好”票分值")
    vote_average = _points("“一般”票分值")
    vote_poor = _points("“差”票分值")

    THRESHOLDS = ("good_min", "fair_min", "pass_min", "good_cap")
    APPRAISAL = ("appraisal_weight", "upper_weight", "lower_weight")
    VOTES = ("vote_good", "vote_fair", "vote_average", "vote_poor")

    def __init__(self, *args, scheme=None, **kwargs):
        if scheme is not None and not args and "data" not in kwargs:
            kwargs.setdefault("initial", {name: getattr(scheme, name) for name in self.base_fields})
        kwargs.setdefault("prefix", "settings")
        super().__init__(*args, **kwargs)
        _service_checks(self, "good_min", "fair_min", "pass_min", *self.APPRAISAL, *self.VOTES)
        _style(self)

    def section(self, names):
        return [self[name] for name in names]

    def threshold_fields(self):
        return self.section(self.THRESHOLDS)

    def appraisal_fields(self):
        return self.section(self.APPRAISAL)

    def vote_fields(self):
        return self.section(self.VOTES)

    def values(self) -> dict:
        """The raw texts for scheme_update (it parses and checks them)."""
        return {name: self.cleaned_data[name] for name in self.fields}


class IndicatorForm(forms.Form):
    order = forms.CharField(
        label="序号", max_length=3, required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    name = forms.CharField(label="指标名称", max_length=100)
    max_points = _points("分值")
    method = forms.ChoiceField(label="评分方式", choices=IndicatorMethod.choices, initial=IndicatorMethod.MANUAL)
    source = forms.ChoiceField(
        label="计算来源",
        required=False,
        choices=[("", "—（人工评分）")] + [(s.key, s.label) for s in SOURCES.values()],
        help_text="系统计算的指标按所选来源从业务数据自动得分。",
    )
    description = forms.CharField(
        label="评分标准", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, indicator=None, **kwargs):
        if indicator is not None and not args and "data" not in kwargs:
            initial = {name: getattr(indicator, name) for name in ("order", "name", "max_points", "method", "source")}
            initial["description"] = indicator.description
            for name, value in (indicator.params or {}).items():
                initial[f"param_{name}"] = value
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for name in PARAM_NAMES:
            owners = [s for s in SOURCES.values() if name in s.defaults]
            self.fields[f"param_{name}"] = forms.CharField(
                label=PARAM_LABELS.get(name, name),
                required=False,
                max_length=10,
                help_text=f"默认 {owners[0].defaults[name]} 分" if owners else "",
                widget=forms.TextInput(attrs={**NUMBER, "data-param-of": " ".join(s.key for s in owners)}),
            )
        self.fields["method"].widget.attrs["data-indicator-method"] = ""
        self.fields["source"].widget.attrs["data-indicator-source"] = ""
        _service_checks(self, "name", "max_points", "method")
        _style(self)

    def param_fields(self):
        return [self[f"param_{name}"] for name in PARAM_NAMES]

    def main_fields(self):
        return [self[name] for name in ("order", "name", "max_points", "method", "source")]

    def values(self, *, adding: bool) -> dict:
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "max_points": data["max_points"],
            "method": data["method"] or IndicatorMethod.MANUAL,
            "source": data["source"] if data["method"] == IndicatorMethod.COMPUTED else "",
            "description": data["description"],
        }
        if data["order"] or not adding:
            values["order"] = data["order"]
        source = SOURCES.get(values["source"])
        params = {}
        if source is not None:
            for name in source.defaults:
                raw = (data.get(f"param_{name}") or "").strip()
                if raw:
                    params[name] = raw
        values["params"] = params
        return values


class VetoItemForm(forms.Form):
    name = forms.CharField(
        label="否决事项", max_length=200, help_text="如：发生严重违纪违法问题、意识形态领域出现重大问题。"
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "veto")
        super().__init__(*args, **kwargs)
        _service_checks(self, "name")
        _style(self)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="撤回发布原因", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "reopen")
        super().__init__(*args, **kwargs)
        _service_checks(self, "reason")
        _style(self)
