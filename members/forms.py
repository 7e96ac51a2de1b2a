"""Forms of the member pages. The rules of a member file live in the services (members.rules); these give labels,
widgets and the basic shape of each value, and service errors come back onto the field they name."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from core.idnumber import IdNumberError, parse_id_number
from organizations.forms import BootstrapErrorsMixin, DateInput

from .choices import Education, MemberCategory, MemberStatus
from .rules import PHONE_RE, PHONE_REASON


def _bootstrap(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"


class BranchCodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "autocomplete": "off", "autocapitalize": "characters"}


class MemberCreateForm(BootstrapErrorsMixin, forms.Form):
    """A new member file; the person is matched by ID number (gender and birth date come from it)."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号", min_length=18, max_length=18, help_text="18 位公民身份号码；性别和出生日期由身份证号得出。"
    )
    branch_code = BranchCodeField(label="所在支部代码", help_text="支部的组织代码，可在组织树中搜索名称查到。")
    category = forms.ChoiceField(label="人员类别", choices=MemberCategory.choices, initial=MemberCategory.FULL)
    joined_on = forms.DateField(label="入党日期", widget=DateInput())
    full_member_on = forms.DateField(label="转正日期", widget=DateInput(), required=False, help_text="预备党员留空。")
    phone = forms.CharField(label="手机号码", max_length=11, required=False)
    ethnicity = forms.CharField(label="民族", max_length=20, required=False, initial="汉族")
    education = forms.ChoiceField(label="学历", choices=[("", "（未填写）"), *Education.choices], required=False)
    occupation = forms.CharField(label="职业", max_length=50, required=False)
    address = forms.CharField(label="住址", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["phone"].widget.input_type = "tel"
        self.fields["phone"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_id_number(self) -> str:
        try:
            return parse_id_number(self.cleaned_data["id_number"]).number
        except IdNumberError as exc:
            raise forms.ValidationError(f"身份证号有误：{exc}。") from None

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError(f"{PHONE_REASON}。")
        return phone

    def service_fields(self, branch) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "id_number": data["id_number"],
            "branch": branch,
            "category": data["category"],
            "joined_on": data["joined_on"],
            "full_member_on": data["full_member_on"],
            "phone": data["phone"],
            "ethnicity": data["ethnicity"].strip(),
            "education": data["education"],
            "occupation": data["occupation"].strip(),
            "address": data["address"].strip(),
        }


class MemberTransferForm(BootstrapErrorsMixin, forms.Form):
    """组织关系转接 to another branch inside the user's scope."""

    branch_code = BranchCodeField(
        label="转入支部代码", help_text="转入支部的组织代码（可在组织树中搜索名称查到），须在您的管理范围内。"
    )
    on = forms.DateField(
        label="转接日期", widget=DateInput(), help_text="新组织关系的起始日期；原组织关系截止到前一天。"
    )
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        _bootstrap(self)


class MemberStatusForm(BootstrapErrorsMixin, forms.Form):
    """A change of 党籍状态; the current status is not offered."""

    status = forms.ChoiceField(label="新的党籍状态", choices=MemberStatus.choices)
    on = forms.DateField(label="变更日期", widget=DateInput())
    place = forms.CharField(
        label="去向/来源", max_length=200, required=False, help_text="流出填写流入地，流入填写来源地。"
    )
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "请选择"), *[c for c in MemberStatus.choices if c[0] != current]]
        self.fields["on"].initial = timezone.localdate()
        _bootstrap(self)
