"""Forms of the meeting pages. Attendance is not a form field: each listed member's choice comes as
`att-<member id>` (出席/请假/缺席) with `reason-<member id>`, read by `attendance_from_post`."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.utils import timezone

from .choices import Exemption, MeetingKind, PeriodType
from .models import MeetingStandard
from .services import AttendanceEntry


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class MeetingForm(forms.Form):
    branch = forms.ModelChoiceField(label="支部", queryset=None, empty_label=None)
    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    held_date = forms.DateField(label="召开日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    held_time = forms.TimeField(label="开始时间", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    topic = forms.CharField(label="主题", max_length=200)
    place = forms.CharField(label="地点", max_length=100, required=False)
    host = forms.CharField(label="主持人", max_length=50, required=False)
    recorder = forms.CharField(label="记录人", max_length=50, required=False)
    minutes = forms.CharField(label="会议记录", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(
        label="附件（照片或 PDF，每个不超过 10 MB）",
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label="修改原因", max_length=200, required=False)

    def __init__(self, *args, branches, editing: bool = False, needs_reason: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        for field in self.fields.values():
            if not isinstance(field.widget, (forms.HiddenInput, forms.CheckboxInput)):
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)
        if editing:
            del self.fields["branch"]
            del self.fields["attachments"]
            del self.fields["submission_key"]
            self.fields["reason"].required = needs_reason
            if needs_reason:
                self.fields["reason"].help_text = "该会议召开已超过 30 天，修改须说明原因（记入审计）。"
        else:
            del self.fields["reason"]
            if not self.is_bound:
                now = timezone.localtime()
                self.initial.setdefault("held_date", now.date())
                self.initial.setdefault("held_time", now.replace(second=0, microsecond=0).time())
                self.initial.setdefault("submission_key", uuid.uuid4().hex)

    def held_at(self) -> dt.datetime:
        day, time = self.cleaned_data["held_date"], self.cleaned_data["held_time"]
        return timezone.make_aware(dt.datetime.combine(day, time), timezone.get_default_timezone())


def attendance_from_post(data, member_ids) -> list[AttendanceEntry]:
    """The attendance list of a posted form, for the members it listed (unknown ids in the post are ignored here:
    the list is what the page showed; the service checks each id again)."""
    entries = []
    for member_id in member_ids:
        status = data.get(f"att-{member_id}")
        if status:
            entries.append(AttendanceEntry(member_id, status, data.get(f"reason-{member_id}", "").strip()))
    return entries


def posted_member_ids(data) -> list[int]:
    ids = []
    for key in data:
        if key.startswith("att-"):
            try:
                ids.append(int(key[4:]))
            except ValueError:
                continue
    return sorted(set(ids))


class MeetingDeleteForm(forms.Form):
    reason = forms.CharField(label="删除原因", max_length=200, widget=forms.TextInput(attrs={"class": "form-control"}))


class StandardForm(forms.ModelForm):
    class Meta:
        model = MeetingStandard
        fields = ["period_type", "min_count", "exemption", "note"]
        widgets = {
            "period_type": forms.Select(attrs={"class": "form-select"}, choices=PeriodType.choices),
            "min_count": forms.NumberInput(attrs={"class": "form-control", "min": 0, "max": 31}),
            "exemption": forms.Select(attrs={"class": "form-select"}, choices=Exemption.choices),
            "note": forms.TextInput(attrs={"class": "form-control"}),
        }
