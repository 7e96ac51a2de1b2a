"""Forms of the dispatch pages (第一书记, 驻村工作队员): register, end, check in. The rules are the services'."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from ..choices import DispatchRole
from ..services.dispatch import CHECKIN_NOTE_MAX
from .weak import IndentedOrganizationField, date_field, style_form


class DispatchRegisterForm(forms.Form):
    organization = IndentedOrganizationField(label="派驻村（社区）", queryset=None, empty_label="请选择派驻组织")
    name = forms.CharField(label="姓名", max_length=50)
    role = forms.ChoiceField(label="派驻身份", choices=DispatchRole.choices, initial=DispatchRole.FIRST_SECRETARY)
    unit = forms.CharField(label="派出单位", max_length=100)
    unit_post = forms.CharField(label="原单位职务", max_length=50, required=False)
    start_on = date_field("派驻开始日期")
    end_on = date_field("派驻结束日期", required=False, help_text="任期未定可不填。")
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].set_queryset(organizations)
        if not self.is_bound:
            self.initial.setdefault("start_on", timezone.localdate())
        style_form(self)


class DispatchEndForm(forms.Form):
    end_on = date_field("派驻结束日期")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("end_on", timezone.localdate())
        style_form(self)


class CheckInForm(forms.Form):
    on = date_field("到岗日期")
    note = forms.CharField(
        label="工作内容",
        max_length=CHECKIN_NOTE_MAX,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "如：走访农户、召开村两委会议"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("on", timezone.localdate())
        style_form(self)
