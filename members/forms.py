"""Forms of the member pages. The rules of a member file live in the services (members.rules); these give labels,
widgets and the basic shape of each value, and service errors come back onto the field they name."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from core.idnumber import IdNumberError, parse_id_number
from organizations.forms import BootstrapErrorsMixin, DateInput

from .choices import Education, FlowDirection, MemberCategory, MemberStatus
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


# --- 发展党员 ------------------------------------------------------------------------------------------------------


class CandidateRegisterForm(BootstrapErrorsMixin, forms.Form):
    """Someone handed in an application (入党申请书): they enter the pipeline as 入党申请人."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", min_length=18, max_length=18, help_text="18 位公民身份号码。")
    branch_code = BranchCodeField(label="培养支部代码", help_text="支部的组织代码，可在组织树中搜索名称查到。")
    applied_on = forms.DateField(label="递交申请日期", widget=DateInput())

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


EXTENSION_CHOICES = [(0, "不延长"), *[(m, f"{m} 个月") for m in range(6, 13)]]


class CandidateStepsForm(BootstrapErrorsMixin, forms.Form):
    """The dates of the later steps; the stage follows from them (the service checks their order)."""

    talked_on = forms.DateField(
        label="谈话日期", widget=DateInput(), required=False, help_text="应在递交申请后一个月内。"
    )
    activist_on = forms.DateField(label="确定积极分子日期", widget=DateInput(), required=False)
    target_on = forms.DateField(
        label="列为发展对象日期", widget=DateInput(), required=False, help_text="确定积极分子满一年后。"
    )
    training_hours = forms.DecimalField(
        label="集中培训学时",
        required=False,
        min_value=0,
        max_digits=5,
        decimal_places=1,
        help_text="发展对象集中培训不少于 3 天或 24 学时。",
    )
    admitted_on = forms.DateField(label="接收预备党员日期", widget=DateInput(), required=False)
    approved_on = forms.DateField(
        label="上级审批日期", widget=DateInput(), required=False, help_text="支部大会通过后三个月内。"
    )
    extension_months = forms.TypedChoiceField(
        label="延长预备期", choices=EXTENSION_CHOICES, coerce=int, initial=0, help_text="只能延长一次，半年至一年。"
    )
    full_on = forms.DateField(
        label="转正日期", widget=DateInput(), required=False, help_text="填写后此人转为正式党员，离开发展党员看板。"
    )

    FIELDS = (
        "talked_on", "activist_on", "target_on", "training_hours", "admitted_on", "approved_on", "extension_months",
        "full_on",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        self.fields["training_hours"].widget.attrs.update({"step": "0.5", "inputmode": "decimal"})

    @classmethod
    def initial_for(cls, candidate) -> dict:
        return {name: getattr(candidate, name) for name in cls.FIELDS}


class ThoughtReportForm(BootstrapErrorsMixin, forms.Form):
    submitted_on = forms.DateField(label="提交日期", widget=DateInput())
    title = forms.CharField(label="标题", max_length=200, required=False)
    text = forms.CharField(
        label="内容",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="全文录入，系统每晚检查内容雷同的思想汇报。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submitted_on"].initial = timezone.localdate()
        _bootstrap(self)


# --- Training and points of a member --------------------------------------------------------------------------------


class TrainingRecordForm(BootstrapErrorsMixin, forms.Form):
    course = forms.CharField(label="培训班次/课程", max_length=200)
    organizer = forms.CharField(label="主办单位", max_length=100, required=False)
    start_on = forms.DateField(label="开始日期", widget=DateInput())
    end_on = forms.DateField(label="结束日期", widget=DateInput())
    hours = forms.DecimalField(label="学时", min_value=Decimal("0.5"), max_digits=5, decimal_places=1)
    certificate_start_on = forms.DateField(
        label="证书所载开始日期", widget=DateInput(), required=False, help_text="照证书填写；与培训日期不符的会被标出。"
    )
    certificate_end_on = forms.DateField(label="证书所载结束日期", widget=DateInput(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        self.fields["hours"].widget.attrs.update({"step": "0.5", "inputmode": "decimal"})

    def clean(self):
        data = super().clean()
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", "结束日期不能早于开始日期。")
        return data


class PointRecordForm(BootstrapErrorsMixin, forms.Form):
    item = forms.ModelChoiceField(label="积分项目", queryset=None, empty_label="请选择")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    recorded_on = forms.DateField(label="记录日期", widget=DateInput())
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from .models import PointItem

        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = PointItem.objects.filter(is_active=True).order_by("-points", "name")
        self.fields["item"].label_from_instance = lambda i: f"{i.name}（{'+' if i.points > 0 else ''}{i.points} 分）"
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["recorded_on"].initial = today
        _bootstrap(self)


# --- 流动党员 ------------------------------------------------------------------------------------------------------


class FlowOpenForm(BootstrapErrorsMixin, forms.Form):
    """A flow out to (or in from) another place; the service checks the dates and that no other flow is open."""

    direction = forms.ChoiceField(label="流动方向", choices=FlowDirection.choices, initial=FlowDirection.OUT)
    place = forms.CharField(
        label="流向/来源地", max_length=200, help_text="流出填写流入地（如 广东省深圳市宝安区），流入填写来源地。"
    )
    start_on = forms.DateField(label="开始日期", widget=DateInput())
    contact = forms.CharField(
        label="联系方式", max_length=100, required=False, help_text="流入地党组织或本人的联系方式。"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_on"].initial = timezone.localdate()
        _bootstrap(self)


class FlowCloseForm(BootstrapErrorsMixin, forms.Form):
    end_on = forms.DateField(label="结束日期", widget=DateInput(), help_text="返回或不再流动的日期。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end_on"].initial = timezone.localdate()
        _bootstrap(self)


# --- 失联党员 ------------------------------------------------------------------------------------------------------


class LostContactDecisionForm(BootstrapErrorsMixin, forms.Form):
    """Confirm or dismiss a case the monthly scan found; the button pressed says which."""

    DECISIONS = (("confirm", "确认失联"), ("dismiss", "排除（未失联）"))

    decision = forms.ChoiceField(label="处理结果", choices=DECISIONS, widget=forms.HiddenInput)
    on = forms.DateField(label="确认/排除日期", widget=DateInput())
    note = forms.CharField(
        label="说明", max_length=200, required=False, help_text="例如：电话无法接通、已联系上并参加了主题党日。"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        _bootstrap(self)

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError("日期不能晚于今天。")
        return on


class LostContactResolveForm(BootstrapErrorsMixin, forms.Form):
    on = forms.DateField(label="恢复联系日期", widget=DateInput())
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        _bootstrap(self)


# --- Points configuration (county) ---------------------------------------------------------------------------------


class PointItemForm(BootstrapErrorsMixin, forms.Form):
    name = forms.CharField(label="积分项目", max_length=100)
    points = forms.DecimalField(
        label="分值", max_digits=5, decimal_places=1, help_text="加分填正数，扣分填负数，例如 2 或 -5。"
    )
    is_active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            w = field.widget
            w.attrs["class"] = "form-check-input" if isinstance(w, forms.CheckboxInput) else "form-control"
        self.fields["points"].widget.attrs.update({"step": "0.5", "inputmode": "decimal"})


class StarRuleForm(BootstrapErrorsMixin, forms.Form):
    min_points = forms.DecimalField(label="最低分", max_digits=5, decimal_places=1, help_text="年度积分达到此分。")
    stars = forms.IntegerField(label="星级", min_value=0, max_value=10, help_text="0 表示不合格。")
    label = forms.CharField(label="等级名称", max_length=20, help_text="例如“五星”。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        self.fields["min_points"].widget.attrs.update({"step": "0.5", "inputmode": "decimal"})
