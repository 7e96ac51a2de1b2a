"""Forms of the task pages: sending a task (with the filters that choose its receivers), reporting completion, and
the sender's review. The rules themselves are supervision.services.tasks'; these forms only shape the input."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from core.exceptions import NotInScope, id_from
from core.scope import Action, subtree_range_q
from meetings.forms import MultipleFileField, MultipleFileInput
from organizations.choices import Domain, OrgKind
from organizations.models import Organization

FILE_ACCEPT = "image/jpeg,image/png,application/pdf"
FILE_HELP = "照片（JPG、PNG）或 PDF，可多选，每个不超过 10 MB，最多 10 个。"


def sender_choices(actor):
    """Organizations a task may be sent from: those the actor manages that have organizations below them."""
    return Organization.objects.restrict(actor, Action.MANAGE).filter(numchild__gt=0).order_by("path")


def _bootstrap(form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
            widget.attrs.setdefault("class", "form-check-input")
            continue
        if isinstance(widget, forms.HiddenInput):
            continue
        widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")


class TargetFilterForm(forms.Form):
    """The filters on the tree that choose a task's receivers (the live preview reads them alone)."""

    sender = forms.ModelChoiceField(label="发送单位", queryset=Organization.objects.none(), empty_label=None)
    within = forms.ModelChoiceField(
        label="派送范围",
        queryset=Organization.objects.none(),
        required=False,
        empty_label="发送单位的全部下级",
        help_text="只派送到某个下级组织之下时选择它。",
    )
    kinds = forms.MultipleChoiceField(
        label="组织类型",
        choices=OrgKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不勾选为全部类型。",
    )
    domains = forms.MultipleChoiceField(
        label="所属领域",
        choices=Domain.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不勾选为全部领域。",
    )
    direct_only = forms.BooleanField(label="只派送直接下级（不含更下一级）", required=False)

    FILTERS = ("sender", "within", "kinds", "domains", "direct_only")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        senders = sender_choices(actor)
        self.fields["sender"].queryset = senders
        # The range is chosen below the sender: the options follow the sender shown (the preview swaps them in).
        self.current_sender = self._current_sender(senders)
        below = senders.none()
        if self.current_sender is not None:
            below = senders.filter(subtree_range_q("path", self.current_sender.path)).exclude(pk=self.current_sender.pk)
        self.fields["within"].queryset = below
        self.fields["sender"].error_messages["invalid_choice"] = "发送单位不存在或不在您的管理范围内。"
        self.fields["within"].error_messages["invalid_choice"] = "派送范围不存在或不在您的管理范围内。"
        self.fields["kinds"].error_messages["invalid_choice"] = "未知的组织类型“%(value)s”。"
        self.fields["domains"].error_messages["invalid_choice"] = "未知的所属领域“%(value)s”。"
        for name in self.FILTERS:
            self.fields[name].widget.attrs["data-target-filter"] = ""
        _bootstrap(self)

    def _current_sender(self, senders) -> Organization | None:
        raw = self.data.get(self.add_prefix("sender")) if self.is_bound else self.initial.get("sender")
        if isinstance(raw, Organization):
            return raw if senders.filter(pk=raw.pk).exists() else None
        if raw in (None, ""):
            return None if self.is_bound else senders.first()
        try:
            pk = id_from(raw)
        except NotInScope:
            return None
        return senders.filter(pk=pk).first()

    def clean(self):
        data = super().clean()
        sender, within = data.get("sender"), data.get("within")
        if sender and within and not within.path.startswith(sender.path):
            self.add_error("within", f"“{within.name}”不在{sender.name}之下，请重新选择派送范围。")
        return data

    def describe(self, chosen: int, matched: int) -> str:
        """The filters in words, kept with the task (派送范围)."""
        data = self.cleaned_data
        parts = [f"{(data.get('within') or data['sender']).name}{'直接下级' if data.get('direct_only') else '下级'}"]
        if data.get("kinds"):
            parts.append("、".join(data["kinds"]))
        if data.get("domains"):
            parts.append("、".join(data["domains"]))
        text = " · ".join(parts) + f"，共 {chosen} 个组织"
        if chosen < matched:
            text += f"（筛选出 {matched} 个，取消勾选 {matched - chosen} 个）"
        return text


class TaskDispatchForm(TargetFilterForm):
    """派送任务: what to do, by when, with which files, to whom (the ticked organizations of the preview)."""

    title = forms.CharField(label="任务名称", max_length=200)
    body = forms.CharField(label="任务内容", widget=forms.Textarea(attrs={"rows": 6}))
    deadline = forms.DateField(label="完成时限", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    attachments = MultipleFileField(
        label="附件", required=False, help_text=FILE_HELP, widget=MultipleFileInput(attrs={"accept": FILE_ACCEPT})
    )
    targets = forms.ModelMultipleChoiceField(label="承办组织", queryset=Organization.objects.none(), required=False)

    field_order = ["sender", "title", "body", "deadline", "attachments"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        # Any organization the actor sees may be posted; the service refuses, by name, those it may not send to.
        self.fields["targets"].queryset = Organization.objects.restrict(actor, Action.VIEW)
        self.fields["targets"].error_messages["invalid_choice"] = "所选的承办组织不存在或不在您的范围内，请重新筛选。"
        self.fields["targets"].error_messages["invalid_pk_value"] = "承办组织编号不正确。"
        self.fields["deadline"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.fields["title"].widget.attrs["placeholder"] = "如：开展2026年度党员集中轮训"


class ReportForm(forms.Form):
    """上报完成情况: what was done, with photos or PDFs as evidence."""

    report = forms.CharField(
        label="完成情况",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "写明做了什么、何时完成、参加人数等。"}),
    )
    files = MultipleFileField(
        label="佐证材料", required=False, help_text=FILE_HELP, widget=MultipleFileInput(attrs={"accept": FILE_ACCEPT})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].error_messages["required"] = "请填写完成情况。"
        _bootstrap(self)


class ReviewForm(forms.Form):
    """The sender's review of one report: 通过, or 退回 with a comment."""

    accept = forms.TypedChoiceField(choices=[("1", "通过"), ("0", "退回")], coerce=lambda v: v == "1")
    comment = forms.CharField(label="审核意见", max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accept"].error_messages["required"] = "请选择通过或退回。"
        self.fields["accept"].error_messages["invalid_choice"] = "请选择通过或退回。"
        self.fields["comment"].error_messages["max_length"] = "审核意见不超过 500 字。"
