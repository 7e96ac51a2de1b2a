"""Meeting pages: the list, a meeting's record, the form a secretary fills in on a phone, attachments, and the
branch's own pages (本月待办 and the year's compliance calendar)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from core.attachments import file_response
from core.audit import ACTION_LABELS, audit_describe
from core.exceptions import NotInScope, id_from
from core.models import AuditEvent
from core.scope import Action, in_scope
from core.views import ScopedListView, apply_service_errors
from core.xlsx.writer import ExportTable
from members.filtersets import style_filter_form
from organizations import selectors as org_selectors
from organizations.models import Organization

from .. import compliance, rules, selectors, services
from ..choices import MEETING_HOLDING_KINDS, AttendanceStatus, ComplianceStatus, MeetingKind
from ..filtersets import MeetingFilterSet
from ..forms import MeetingDeleteForm, MeetingForm, attendance_from_post, posted_member_ids
from ..models import MeetingAttachment, Speech

STATUS_CLASSES = {
    ComplianceStatus.MET: "text-bg-success",
    ComplianceStatus.MISSED: "text-bg-danger",
    ComplianceStatus.OPEN: "text-bg-light border",
}
LIST_EXPORT_HEADERS = [
    "支部代码",
    "支部名称",
    "会议类型",
    "召开时间",
    "地点",
    "主题",
    "主持人",
    "记录人",
    "应到人数",
    "实到人数",
    "请假人数",
    "补录",
    "逾期修改原因",
]


def year_of(request, default: int) -> int:
    try:
        year = int(request.GET.get("year", default))
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


def changeable_branches(user):
    """The branches where `user` may record meetings."""
    return org_selectors.organization_list(actor=user, action=Action.CHANGE).filter(kind__in=MEETING_HOLDING_KINDS)


def own_branch(user) -> Organization | None:
    """The one branch a secretary records for, when the account has exactly one."""
    branches = list(changeable_branches(user).order_by("code")[:2])
    return branches[0] if len(branches) == 1 else None


def branch_for(request, param: str = "branch") -> Organization:
    org = org_selectors.organization_get_for(request.user, id_from(request.GET.get(param)))
    if org.kind not in MEETING_HOLDING_KINDS:
        raise Http404("该组织不是党支部或党总支。")
    return org


# --- List and record ------------------------------------------------------------------------------------------------


def _visible_branches(request):
    if request is None:
        return Organization.objects.none()
    return org_selectors.organization_list(actor=request.user).filter(kind__in=MEETING_HOLDING_KINDS).order_by("code")


class MeetingPageFilterSet(MeetingFilterSet):
    """The API's meeting filters as a page shows them: branches to pick from, 是/否 for 补录, dates as date inputs;
    the subtree comes from the links of the compliance pages (`?organization=<id>`)."""

    branch = django_filters.ModelChoiceFilter(label="支部", queryset=_visible_branches, empty_label="全部支部")
    backfilled = django_filters.ChoiceFilter(
        label="补录", choices=[("1", "是"), ("0", "否")], empty_label="全部", method="filter_backfilled"
    )
    held_from = django_filters.DateFilter(
        label="召开日期（起）", field_name="held_on", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    held_to = django_filters.DateFilter(
        label="召开日期（止）", field_name="held_on", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )

    late_edited = django_filters.ChoiceFilter(
        label="逾期修改", choices=[("1", "是"), ("0", "否")], empty_label="全部", method="filter_late_edited"
    )

    class Meta(MeetingFilterSet.Meta):
        fields = ["branch", "kind", "year", "held_from", "held_to", "backfilled", "late_edited"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["organization"].widget = forms.HiddenInput()
        style_filter_form(self.form)

    def filter_backfilled(self, queryset, name, value):
        return queryset.filter(backfilled=value == "1")

    def filter_late_edited(self, queryset, name, value):
        return queryset.filter(late_edited_at__isnull=value != "1")


class MeetingListView(ScopedListView):
    template_name = "meetings/list.html"
    paginate_by = 50
    filterset_class = MeetingPageFilterSet

    def get_base_queryset(self):
        return selectors.meeting_list(actor=self.request.user).order_by("-held_at", "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_record"] = changeable_branches(self.request.user).exists()
        ctx["tab"] = "list"
        return ctx

    def export_table(self, queryset) -> ExportTable:
        def rows():
            for m in queryset.iterator(chunk_size=2000):
                yield [
                    m.branch.code,
                    m.branch.name,
                    m.kind,
                    timezone.localtime(m.held_at).replace(tzinfo=None),
                    m.place,
                    m.topic,
                    m.host,
                    m.recorder,
                    m.expected_count,
                    m.present_count,
                    m.leave_count,
                    "是" if m.backfilled else "否",
                    m.late_edit_reason,
                ]

        return ExportTable("会议", LIST_EXPORT_HEADERS, rows(), filename="会议记录.xlsx")


def _attendance_rows(members, chosen: dict[int, tuple[str, str]]):
    rows = []
    for m in members:
        status, reason = chosen.get(m.pk, (AttendanceStatus.PRESENT, ""))
        rows.append({"member": m, "status": status, "reason": reason})
    return rows


class MeetingFormMixin(LoginRequiredMixin):
    template_name = "meetings/form.html"

    def render_form(self, form, *, branch, day, chosen=None, meeting=None, status=200):
        members = selectors.attendees_on(branch=branch, on=day) if branch is not None else []
        ctx = {
            "form": form,
            "meeting": meeting,
            "branch": branch,
            "attendance": _attendance_rows(members, chosen or {}),
            "statuses": AttendanceStatus.values,
            "title": "修改会议记录" if meeting else "登记会议",
            "tab": "list",
        }
        return render(self.request, self.template_name, ctx, status=status)


class MeetingCreateView(MeetingFormMixin, View):
    """Record a meeting with its attendance: everyone listed starts as 出席, one tap changes a person."""

    def get(self, request):
        branches = changeable_branches(request.user).order_by("code")
        branch = branch_for(request) if request.GET.get("branch") else own_branch(request.user)
        if branch is not None and not in_scope(request.user, Action.CHANGE, branch.path):
            raise NotInScope()
        initial = {"branch": branch}
        if request.GET.get("kind") in MeetingKind.values:
            initial["kind"] = request.GET["kind"]
        form = MeetingForm(branches=branches, initial=initial)
        if branch is None and not branches.exists():
            messages.error(request, "您的账号没有可登记会议的支部。")
            return redirect("meetings:list")
        return self.render_form(form, branch=branch or branches.first(), day=timezone.localdate())

    def post(self, request):
        branches = changeable_branches(request.user).order_by("code")
        form = MeetingForm(request.POST, request.FILES, branches=branches)
        ids = posted_member_ids(request.POST)
        chosen = {e.member_id: (e.status, e.reason) for e in attendance_from_post(request.POST, ids)}
        if not form.is_valid():
            branch = form.cleaned_data.get("branch") or own_branch(request.user) or branches.first()
            day = form.cleaned_data.get("held_date") or timezone.localdate()
            return self.render_form(form, branch=branch, day=day, chosen=chosen, status=400)
        branch = form.cleaned_data["branch"]
        try:
            meeting = services.meeting_record(
                actor=request.user,
                branch=branch,
                kind=form.cleaned_data["kind"],
                held_at=form.held_at(),
                topic=form.cleaned_data["topic"],
                place=form.cleaned_data["place"],
                host=form.cleaned_data["host"],
                recorder=form.cleaned_data["recorder"],
                minutes=form.cleaned_data["minutes"],
                attendance=attendance_from_post(request.POST, ids),
                submission_key=form.cleaned_data["submission_key"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(form, branch=branch, day=form.cleaned_data["held_date"], chosen=chosen, status=400)
        messages.success(
            request,
            f"已保存：{meeting.kind}，应到 {meeting.expected_count} 人，实到 {meeting.present_count} 人"
            + ("（召开后超过 15 天登记，标记为补录）" if meeting.backfilled else ""),
        )
        return redirect("meetings:detail", pk=meeting.pk)


class AttendeesFragmentView(LoginRequiredMixin, View):
    """The attendance rows for a branch and date (the form reloads them when the date or branch changes)."""

    def get(self, request):
        branch = branch_for(request)
        try:
            day = dt.date.fromisoformat(request.GET.get("held_date", ""))
        except ValueError:
            day = timezone.localdate()
        members = selectors.attendees_on(branch=branch, on=day)
        return render(
            request,
            "meetings/_attendance.html",
            {
                "attendance": _attendance_rows(members, {}),
                "statuses": AttendanceStatus.values,
                "branch": branch,
                "day": day,
            },
        )


class MeetingDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        meeting = selectors.meeting_get_for(request.user, id_from(pk))
        attendance = list(meeting.attendance.select_related("member__person").order_by("member__person__name"))
        events = list(
            AuditEvent.objects.restrict(request.user)
            .filter(object_type="meetings.meeting", object_id=str(meeting.pk))
            .order_by("-at", "-id")[:20]
        )
        can_change = in_scope(request.user, Action.CHANGE, meeting.branch.path)
        speeches = list(meeting.speeches.select_related("member__person").order_by("member__person__name", "id"))
        for speech in speeches:
            speech.first_line = next((line.strip() for line in speech.text.splitlines() if line.strip()), "")
        return render(
            request,
            "meetings/detail.html",
            {
                "speeches": speeches,
                "speech_form": SpeechForm(attendance=attendance) if can_change and attendance else None,
                "meeting": meeting,
                "attendance": attendance,
                "attachments": list(meeting.attachments.all()),
                "events": [(e, ACTION_LABELS.get(e.action, e.action)) for e in audit_describe(events)],
                "can_change": can_change,
                "needs_reason": rules.needs_edit_reason(held_on=meeting.held_on, today=timezone.localdate()),
                "delete_form": MeetingDeleteForm(),
                "tab": "list",
            },
        )


class MeetingUpdateView(MeetingFormMixin, View):
    def _meeting(self, request, pk):
        return selectors.meeting_get_for(request.user, id_from(pk), Action.CHANGE)

    def _form(self, request, meeting, data=None):
        needs_reason = rules.needs_edit_reason(held_on=meeting.held_on, today=timezone.localdate())
        local = timezone.localtime(meeting.held_at)
        initial = {
            "kind": meeting.kind,
            "held_date": local.date(),
            "held_time": local.time().replace(second=0, microsecond=0),
            "topic": meeting.topic,
            "place": meeting.place,
            "host": meeting.host,
            "recorder": meeting.recorder,
            "minutes": meeting.minutes,
        }
        return MeetingForm(
            data, branches=changeable_branches(request.user), editing=True, needs_reason=needs_reason, initial=initial
        )

    def get(self, request, pk):
        meeting = self._meeting(request, pk)
        chosen = {a.member_id: (a.status, a.reason) for a in meeting.attendance.all()}
        return self.render_form(
            self._form(request, meeting), branch=meeting.branch, day=meeting.held_on, chosen=chosen, meeting=meeting
        )

    def post(self, request, pk):
        meeting = self._meeting(request, pk)
        form = self._form(request, meeting, request.POST)
        ids = posted_member_ids(request.POST)
        entries = attendance_from_post(request.POST, ids)
        chosen = {e.member_id: (e.status, e.reason) for e in entries}
        if not form.is_valid():
            day = form.cleaned_data.get("held_date") or meeting.held_on
            return self.render_form(form, branch=meeting.branch, day=day, chosen=chosen, meeting=meeting, status=400)
        fields = {name: form.cleaned_data[name] for name in ("kind", "topic", "place", "host", "recorder", "minutes")}
        fields["held_at"] = form.held_at()
        try:
            services.meeting_update(
                actor=request.user,
                meeting=meeting,
                reason=form.cleaned_data.get("reason", ""),
                attendance=entries if (ids or meeting.has_attendance) else None,
                **fields,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(
                form,
                branch=meeting.branch,
                day=form.cleaned_data["held_date"],
                chosen=chosen,
                meeting=meeting,
                status=400,
            )
        messages.success(request, "会议记录已修改。")
        return redirect("meetings:detail", pk=meeting.pk)


class MeetingDeleteView(LoginRequiredMixin, View):
    def post(self, request, pk):
        meeting = selectors.meeting_get_for(request.user, id_from(pk), Action.CHANGE)
        form = MeetingDeleteForm(request.POST)
        if not form.is_valid():
            messages.error(request, "删除会议须填写原因，会议未删除。")
            return redirect("meetings:detail", pk=meeting.pk)
        branch_id = meeting.branch_id
        try:
            services.meeting_delete(actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect("meetings:detail", pk=meeting.pk)
        messages.success(request, "会议已删除（原因已记入审计）。")
        return redirect(f"{reverse('meetings:list')}?branch={branch_id}")


# --- Speech materials -----------------------------------------------------------------------------------------------


class SpeechForm(forms.Form):
    """A member of the attendance list and their speech material as text (pasted from the written copy)."""

    member = forms.TypedChoiceField(label="党员", coerce=int)
    text = forms.CharField(
        label="发言材料",
        max_length=services.SPEECH_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "class": "form-control", "placeholder": "粘贴或录入发言材料全文"}),
        error_messages={"required": "请填写发言材料内容。", "max_length": "发言材料不超过 %(limit_value)d 字。"},
    )

    def __init__(self, *args, attendance, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "请选择党员")] + [(a.member_id, a.member.person.name) for a in attendance]
        self.fields["member"].widget.attrs["class"] = "form-select"
        self.fields["member"].error_messages["required"] = "请选择党员。"
        self.fields["member"].error_messages["invalid_choice"] = "请选择该次会议出席名单中的党员。"


class SpeechSaveView(LoginRequiredMixin, View):
    """Add (or replace) a member's speech material at the meeting."""

    def post(self, request, pk):
        meeting = selectors.meeting_get_for(request.user, id_from(pk), Action.CHANGE)
        attendance = list(meeting.attendance.select_related("member__person").order_by("member__person__name"))
        form = SpeechForm(request.POST, attendance=attendance)
        if not form.is_valid():
            errors = [e for field_errors in form.errors.values() for e in field_errors]
            messages.error(request, "发言材料未保存：" + "；".join(errors))
            return redirect(f"{reverse('meetings:detail', args=[meeting.pk])}#speeches")
        member = next(a.member for a in attendance if a.member_id == form.cleaned_data["member"])
        try:
            services.speech_save(actor=request.user, meeting=meeting, member=member, text=form.cleaned_data["text"])
        except ValidationError as exc:
            messages.error(request, "发言材料未保存：" + "；".join(exc.messages))
        else:
            messages.success(request, f"已保存{member.person.name}的发言材料。")
        return redirect(f"{reverse('meetings:detail', args=[meeting.pk])}#speeches")


class SpeechDeleteView(LoginRequiredMixin, View):
    def post(self, request, pk):
        speech = (
            Speech.objects.restrict(request.user, Action.CHANGE)
            .select_related("meeting__branch", "member__person")
            .filter(pk=id_from(pk))
            .first()
        )
        if speech is None:
            raise NotInScope()
        meeting_pk, name = speech.meeting_id, speech.member.person.name
        services.speech_delete(actor=request.user, speech=speech)
        messages.success(request, f"已删除{name}的发言材料。")
        return redirect(f"{reverse('meetings:detail', args=[meeting_pk])}#speeches")


# --- Attachments --------------------------------------------------------------------------------------------------


class AttachmentView(LoginRequiredMixin, View):
    """An attachment, to those who may see its meeting only."""

    def get(self, request, pk):
        attachment = MeetingAttachment.objects.restrict(request.user).filter(pk=id_from(pk)).first()
        return file_response(attachment, download=bool(request.GET.get("download")))


class AttachmentUploadView(LoginRequiredMixin, View):
    def post(self, request, pk):
        meeting = selectors.meeting_get_for(request.user, id_from(pk), Action.CHANGE)
        try:
            stored = services.attachment_add(
                actor=request.user, meeting=meeting, files=request.FILES.getlist("attachments")
            )
        except ValidationError as exc:
            messages.error(request, "附件未上传：" + "；".join(exc.messages))
        else:
            messages.success(request, f"已上传 {len(stored)} 个附件。" if stored else "没有选择文件。")
        return redirect("meetings:detail", pk=meeting.pk)


class AttachmentDeleteView(LoginRequiredMixin, View):
    def post(self, request, pk):
        attachment = MeetingAttachment.objects.restrict(request.user, Action.CHANGE).filter(pk=id_from(pk)).first()
        if attachment is None:
            raise NotInScope()
        meeting_pk = attachment.meeting_id
        services.attachment_delete(actor=request.user, attachment=attachment)
        messages.success(request, "附件已删除。")
        return redirect("meetings:detail", pk=meeting_pk)


# --- The branch's own pages -------------------------------------------------------------------------------------------


class MyBranchView(LoginRequiredMixin, View):
    """本月待办: what the branch still has to hold this month, quarter and year, and what it held this month."""

    def get(self, request):
        branch = branch_for(request) if request.GET.get("branch") else own_branch(request.user)
        if branch is None:
            return redirect("meetings:list")
        today = timezone.localdate()
        cells = compliance.branch_cells(branch, year=today.year, today=today)
        due = compliance.due_now(branch, today=today, cells=cells)
        month_start = today.replace(day=1)
        held = list(
            selectors.meeting_list(actor=request.user)
            .filter(branch=branch, held_on__gte=month_start, held_on__lte=today)
            .order_by("-held_at")
        )
        decided = [c for c in cells if c.status != ComplianceStatus.OPEN]
        met = sum(c.status == ComplianceStatus.MET for c in decided)
        return render(
            request,
            "meetings/my.html",
            {
                "branch": branch,
                "today": today,
                "due": [(c, (c.period.end - today).days) for c in due],
                "held": held,
                "year_rate": met / len(decided) if decided else None,
                "year_missed": len(decided) - met,
                "can_record": in_scope(request.user, Action.CHANGE, branch.path),
                "tab": "my",
            },
        )


def calendar_rows(cells) -> dict[str, list]:
    """{kind: its cells as the calendar table shows them (meetings/_calendar_table.html), a quarter spanning three
    months}."""
    rows: dict[str, list] = {}
    for cell in cells:
        rows.setdefault(cell.kind, []).append(
            {"cell": cell, "span": len(cell.period.months), "css": STATUS_CLASSES[cell.status]}
        )
    return rows


class BranchCalendarView(LoginRequiredMixin, View):
    """The year of one branch: each required kind against the twelve months, 达标 / 未达标 / 进行中."""

    def get(self, request, pk):
        branch = org_selectors.organization_get_for(request.user, id_from(pk))
        if branch.kind not in MEETING_HOLDING_KINDS:
            raise Http404("该组织不是党支部或党总支。")
        today = timezone.localdate()
        year = year_of(request, today.year)
        cells = compliance.branch_cells(branch, year=year, today=today)
        rows = calendar_rows(cells)
        meetings = list(
            selectors.meeting_list(actor=request.user).filter(branch=branch, held_on__year=year).order_by("held_at")
        )
        by_month: dict[int, list] = {m: [] for m in range(1, 13)}
        for m in meetings:
            by_month[m.held_on.month].append(m)
        decided = [c for c in cells if c.status != ComplianceStatus.OPEN]
        met = sum(c.status == ComplianceStatus.MET for c in decided)
        return render(
            request,
            "meetings/calendar.html",
            {
                "branch": branch,
                "year": year,
                "years": list(range(today.year, today.year - 5, -1)),
                "months": range(1, 13),
                "rows": rows,
                "by_month": by_month,
                "meetings": meetings,
                "rate": met / len(decided) if decided else None,
                "met": met,
                "missed": len(decided) - met,
                "can_record": in_scope(request.user, Action.CHANGE, branch.path),
                "tab": "compliance",
            },
        )
