"""Forms of 党内关爱帮扶: the list's filters, narrowing the members offered (a branch, a name), and the aid itself.
The rules (the branch of the day, dates, amounts) are services.aid's."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from core.scope import Action
from members.models import Member
from members.rules import MEMBER_HOLDING_KINDS
from organizations import selectors as org_selectors

from ..models import FundSource
from .config import amount_field, date_field, style
from .standards import org_choices, year_choices

# At most this many members are offered at once: narrow by branch or name beyond that.
MEMBER_CHOICES_MAX = 300


class AidFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False, empty_value=None)
    org = forms.TypedChoiceField(label="组织（含下级）", coerce=int, required=False, empty_value=None)
    source = forms.TypedChoiceField(label="资金来源", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, user, selected=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "全部年度"), *year_choices(back=10, ahead=0)]
        choices = [("", "全部"), *org_choices(user)]
        if selected is not None and selected.pk not in {pk for pk, _ in choices}:
            choices.append((selected.pk, selected.name))
        self.fields["org"].choices = choices
        self.fields["source"].choices = [("", "全部来源")] + [(s.pk, s.name) for s in FundSource.objects.all()]
        style(self, small=True)


def aid_branches(user):
    """The branches where `user` may record aid (CHANGE), in tree order."""
    return (
        org_selectors.organization_list(actor=user, action=Action.CHANGE)
        .filter(kind__in=MEMBER_HOLDING_KINDS)
        .order_by("path")
    )


class BranchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name}（{obj.code}）"


class AidPickForm(forms.Form):
    """Narrows the members the aid form offers: a branch, or part of a name."""

    branch = BranchChoiceField(label="支部", queryset=None, required=False, empty_label="全部支部")
    q = forms.CharField(label="姓名", max_length=50, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = aid_branches(user)
        self.fields["q"].widget.attrs["placeholder"] = "姓名包含…"
        style(self, small=True)


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        status = "" if obj.status == "正常" else f"，{obj.status}"
        return f"{obj.person.name}（{obj.branch.name}{status}）"


class AidForm(forms.Form):
    member = MemberChoiceField(label="帮扶对象", queryset=Member.objects.none(), empty_label="请选择党员")
    given_on = date_field("发放日期", help_text="帮扶记在党员这一天所在的支部。")
    amount = amount_field()
    reason = forms.CharField(label="帮扶事由", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.ModelChoiceField(label="资金来源", queryset=FundSource.objects.none(), empty_label="请选择")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["source"].queryset = FundSource.objects.filter(active=True)
        if not self.is_bound:
            self.initial.setdefault("given_on", timezone.localdate())
        style(self)
