"""Forms of the organization pages. Validation that matters lives in the services; these give labels and widgets."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from core.idnumber import IdNumberError, parse_id_number

from .choices import PostTitle
from .models import Organization, Post
from .services import ORG_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _bootstrap(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = css


class BootstrapErrorsMixin:
    """Fields with errors get Bootstrap's `is-invalid`, whether the form or a service found the problem."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self._errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css:
                    widget.attrs["class"] = f"{css} is-invalid".strip()


class OrganizationForm(BootstrapErrorsMixin, forms.ModelForm):
    """An organization's own fields; its place in the tree is set on creation and changed by moving."""

    class Meta:
        model = Organization
        fields = list(ORG_FIELDS)
        widgets = {"founded_on": DateInput(), "last_election_on": DateInput()}
        error_messages = {"code": {"unique": "该组织代码已被使用，请换一个。"}}
        help_texts = {
            "code": "全县唯一，字母或数字，最多 32 位；建议以上级组织代码开头，例如 T01 的下级用 T01001。",
            "name": "使用全称，例如“城关镇东街村党支部”。",
            "kind": "县委 / 党委 / 党工委 / 党组 / 党总支 / 党支部。",
            "domain": "“五位一体”领域：农村、社区、机关、事业单位、国有企业、非公企业、社会组织。",
            "assessment_group": "参加年度考核排名的类别，如“乡镇党委”“村（社区）党组织”；空白表示不参加考核。",
            "has_committee": "正式党员 7 人以上的支部设支部委员会，需按月召开支部委员会会议。",
            "has_party_groups": "设党小组的支部需按月召开党小组会。",
            "last_election_on": "用于计算任期届满日期和换届是否逾期。",
            "term_years": "空白按规定：村（社区）党组织和乡镇党委 5 年，其他 3 年。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "请选择"), *[c for c in self.fields["kind"].choices if c[0]]]
        self.fields["domain"].choices = [("", "（未设置）"), *[c for c in self.fields["domain"].choices if c[0]]]
        term = self.fields["term_years"]
        term.widget.attrs.update({"min": 1, "max": 10})
        term.validators += [
            MinValueValidator(1, "任期年数应在 1 到 10 年之间。"),
            MaxValueValidator(10, "任期年数应在 1 到 10 年之间。"),
        ]
        _bootstrap(self)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        founded, elected = data.get("founded_on"), data.get("last_election_on")
        if founded and founded > today:
            self.add_error("founded_on", "成立日期不能晚于今天。")
        if elected and elected > today:
            self.add_error("last_election_on", "上次换届日期不能晚于今天。")
        if founded and elected and elected < founded:
            self.add_error("last_election_on", "上次换届日期不能早于成立日期。")
        return data

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ORG_FIELDS}


class OrganizationMoveForm(BootstrapErrorsMixin, forms.Form):
    parent = forms.CharField(
        label="新上级组织代码",
        max_length=32,
        help_text="输入新上级组织的组织代码（可在左侧组织树中搜索）。该组织及其全部下级组织将一并移动。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        self.fields["parent"].widget.attrs.update({"autocomplete": "off", "placeholder": "例如 T02"})

    def clean_parent(self) -> str:
        return self.cleaned_data["parent"].strip()


class PostCreateForm(BootstrapErrorsMixin, forms.Form):
    """A new post: the person is found by ID number, or registered if not yet known."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号",
        max_length=18,
        min_length=18,
        help_text="18 位公民身份号码，按 GB 11643 校验；系统中已有此人时按身份证号匹配。",
    )
    title = forms.ChoiceField(label="职务", choices=PostTitle.choices)
    start_on = forms.DateField(label="任职日期", widget=DateInput())
    end_on = forms.DateField(label="离任日期", widget=DateInput(), required=False, help_text="仍在任的留空。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_id_number(self) -> str:
        try:
            return parse_id_number(self.cleaned_data["id_number"]).number
        except IdNumberError as exc:
            raise forms.ValidationError(f"身份证号有误：{exc}。") from None

    def clean(self):
        data = super().clean()
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", "离任日期不能早于任职日期。")
        return data


class PostEditForm(BootstrapErrorsMixin, forms.ModelForm):
    class Meta:
        model = Post
        fields = ["title", "start_on", "end_on"]
        widgets = {"start_on": DateInput(), "end_on": DateInput()}
        help_texts = {"end_on": "任期结束时填写离任日期；仍在任的留空。误录的职务请删除。"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", "离任日期不能早于任职日期。")
        return data

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}
