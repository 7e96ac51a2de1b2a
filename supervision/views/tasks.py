"""党建任务 pages: the two lists (我发出的 / 我收到的), the 派送任务 form with its live preview of the receivers, a task's
page (its receivers' reports, the sender's review, the receiver's report form), and the files of both sides.

Every read goes through supervision.selectors.tasks (scoped), every write through supervision.services.tasks."""

from __future__ import annotations

import tempfile
from fractions import Fraction

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from core.attachments import file_response
from core.exceptions import id_from
from core.figures import rate_percent
from core.scope import ALL, Action, in_scope, scope_paths
from core.views import ActionRequiredMixin, ScopedListView, apply_service_errors, xlsx_response
from core.xlsx.writer import ExportTable, write_table

from ..choices import AssignmentStatus
from ..filtersets.tasks import AssignmentPageFilterSet, TaskPageFilterSet
from ..forms.tasks import ReportForm, ReviewForm, TargetFilterForm, TaskDispatchForm, sender_choices
from ..models import Task, TaskAttachment, TaskEvidence
from ..selectors import tasks as selectors
from ..services import tasks as services

SENT, RECEIVED = "sent", "received"
SENT_HEADERS = [
    "任务名称",
    "发送单位",
    "完成时限",
    "派送时间",
    "派送数",
    "已上报待审核",
    "已通过",
    "已退回",
    "逾期未报",
    "完成率（%）",
]
RECEIVED_HEADERS = [
    "任务名称",
    "发送单位",
    "完成时限",
    "承办组织",
    "组织代码",
    "办理状态",
    "逾期未报",
    "上报时间",
    "逾期上报",
    "上报次数",
    "完成情况",
    "审核意见",
]
ASSIGNMENT_HEADERS = RECEIVED_HEADERS[3:]


def _rate(accepted: int, assigned: int) -> Fraction | None:
    return Fraction(accepted, assigned) if assigned else None


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """A service's error keyed by the form's field names (the service says `files`, the form `attachments`)."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(k, k): v for k, v in exc.error_dict.items()})


def reports_somewhere(user) -> bool:
    """An account that reports (CHANGE) but sends nothing (no MANAGE): a branch secretary."""
    change, manage = scope_paths(user, Action.CHANGE), scope_paths(user, Action.MANAGE)
    return change is not ALL and bool(change) and not manage


def assignment_row(a, today, *, sender_name: bool = True) -> list:
    row = [a.task.title, a.task.sender.name, a.task.deadline] if sender_name else []
    return [
        *row,
        a.organization.name,
        a.organization.code,
        a.status,
        _yes(selectors.is_overdue(a, today)),
        _local(a.reported_at),
        _yes(selectors.reported_late(a)),
        a.report_count,
        a.report,
        a.review_comment,
    ]


# --- The lists ----------------------------------------------------------------------------------------------------


class TaskListView(ScopedListView):
    """党建任务: 我发出的 (the tasks of senders in my scope, with their counts) or 我收到的 (my organizations' to-do),
    switched by `?box=sent|received`; a branch secretary lands on 我收到的."""

    template_name = "supervision/tasks/list.html"
    paginate_by = 50

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        box = request.GET.get("box")
        if box not in (SENT, RECEIVED):
            box = RECEIVED if reports_somewhere(request.user) else SENT
        self.box = box
        self.today = timezone.localdate()
        self.filterset_class = TaskPageFilterSet if box == SENT else AssignmentPageFilterSet

    def get_base_queryset(self):
        if self.box == SENT:
            return selectors.task_sent_list(actor=self.request.user, today=self.today)
        return selectors.assignment_received_list(actor=self.request.user, today=self.today)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        rows = list(ctx["object_list"])
        if self.box == SENT:
            for t in rows:
                t.rate = _rate(t.accepted, t.assigned)
                t.days_left = (t.deadline - self.today).days
                t.done = t.accepted == t.assigned
        else:
            for a in rows:
                a.overdue = selectors.is_overdue(a, self.today)
                a.late = selectors.reported_late(a)
                a.days_left = (a.task.deadline - self.today).days
                a.done = a.status not in selectors.WAITING_STATUSES
        ctx["object_list"] = rows
        received = selectors.assignment_received_list(actor=user, today=self.today)
        ctx["todo_count"] = received.filter(status__in=selectors.WAITING_STATUSES).count()
        ctx["todo_overdue"] = received.filter(selectors.overdue_q(self.today)).count()
        ctx["review_count"] = (
            selectors.assignment_list(actor=user)
            .filter(status=AssignmentStatus.REPORTED, task__in=Task.objects.restrict(user).values("pk"))
            .count()
        )
        fields = self.filterset.form.fields if getattr(self, "filterset", None) else {}
        ctx.update(
            filtered=any(self.request.GET.get(name) for name in fields),
            box=self.box,
            sent=SENT,
            received=RECEIVED,
            today=self.today,
            can_dispatch=sender_choices(user).exists(),
            tab="tasks",
        )
        return ctx

    def export_table(self, queryset) -> ExportTable:
        if self.box == SENT:

            def sent_rows():
                for t in queryset.iterator(chunk_size=2000):
                    yield [
                        t.title,
                        t.sender.name,
                        t.deadline,
                        _local(t.created_at),
                        t.assigned,
                        t.reported,
                        t.accepted,
                        t.returned,
                        t.overdue,
                        rate_percent(_rate(t.accepted, t.assigned)),
                    ]

            return ExportTable("我发出的任务", SENT_HEADERS, sent_rows(), filename="党建任务_我发出的.xlsx")

        def received_rows():
            for a in queryset.iterator(chunk_size=2000):
                yield assignment_row(a, self.today)

        return ExportTable("我收到的任务", RECEIVED_HEADERS, received_rows(), filename="党建任务_我收到的.xlsx")


# --- Sending a task -----------------------------------------------------------------------------------------------


def _preview(form: TargetFilterForm, actor, *, checked=None) -> dict:
    """The organizations the filters match, each ticked (all by default; as posted after a refused submit)."""
    if not form.is_valid() and any(n in form.errors for n in TargetFilterForm.FILTERS):
        return {"rows": [], "matched": 0, "chosen": 0, "filter_errors": form.errors, "form": form}
    data = form.cleaned_data
    matched = list(
        selectors.dispatch_targets(
            actor=actor,
            sender=data["sender"],
            within=data.get("within"),
            kinds=data.get("kinds") or (),
            domains=data.get("domains") or (),
            direct_only=data.get("direct_only", False),
        ).select_related("parent")
    )
    if checked is None:
        rows = [(o, True) for o in matched]
    else:
        ticked = {o.pk for o in checked}
        seen = {o.pk for o in matched}
        # A posted organization the filters no longer match stays listed (ticked): nothing changes unseen.
        rows = [(o, o.pk in ticked) for o in matched] + [(o, True) for o in checked if o.pk not in seen]
    return {
        "rows": rows,
        "matched": len(matched),
        "chosen": sum(1 for _, on in rows if on),
        "filter_errors": None,
        "form": form,
    }


class TaskCreateView(ActionRequiredMixin, View):
    """派送任务: a sender, what to do by when (with files), and the receivers chosen by filters on the tree."""

    required_action = Action.MANAGE
    template_name = "supervision/tasks/form.html"

    def render_form(self, form, preview, status=200):
        return render(
            self.request, self.template_name, {"form": form, "preview": preview, "tab": "tasks"}, status=status
        )

    def get(self, request):
        senders = sender_choices(request.user)
        if not senders.exists():
            messages.error(request, "您的账号没有可派送任务的组织（须为有下级组织的单位的管理员）。")
            return redirect("supervision:task_list")
        initial = {}
        if request.GET.get("sender"):
            initial["sender"] = senders.filter(pk=id_from(request.GET["sender"])).first()
        form = TaskDispatchForm(actor=request.user, initial={"sender": initial.get("sender") or senders.first()})
        preview_form = TargetFilterForm({"sender": form.current_sender.pk}, actor=request.user)
        return self.render_form(form, _preview(preview_form, request.user))

    def post(self, request):
        form = TaskDispatchForm(request.POST, request.FILES, actor=request.user)
        valid = form.is_valid()
        checked = None if "targets" in form.errors else list(form.cleaned_data.get("targets") or [])
        preview = _preview(form, request.user, checked=checked)
        if not valid:
            return self.render_form(form, preview, status=400)
        targets = list(form.cleaned_data["targets"])
        try:
            task = services.task_dispatch(
                actor=request.user,
                sender=form.cleaned_data["sender"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                deadline=form.cleaned_data["deadline"],
                targets=targets,
                targets_note=form.describe(len(targets), preview["matched"]),
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            apply_service_errors(form, _renamed(exc, {"files": "attachments"}))
            return self.render_form(form, preview, status=400)
        messages.success(
            request, f"任务“{task.title}”已派送到 {len(targets)} 个组织，完成时限 {task.deadline:%Y-%m-%d}。"
        )
        return redirect("supervision:task_detail", pk=task.pk)


class TaskTargetsView(ActionRequiredMixin, View):
    """The live preview of the form (htmx): the organizations the filters match, each with a ticked checkbox. When
    the sender changes, the range (派送范围) starts again from the new sender, and its options are swapped in."""

    required_action = Action.MANAGE

    def get(self, request):
        data = request.GET.copy()
        sender_changed = request.GET.get("changed") == "sender"
        if sender_changed:
            data.pop("within", None)
        form = TargetFilterForm(data, actor=request.user)
        return render(
            request,
            "supervision/tasks/_targets.html",
            {"preview": _preview(form, request.user), "form": form, "swap_within": sender_changed},
        )


# --- A task's page ------------------------------------------------------------------------------------------------


def _report_forms(rows, user, can_review: bool, bound: dict | None = None) -> list:
    """(assignment, form) for the rows this account reports for: its organizations waiting for a report (待办理 or
    已退回). The sender's own staff review rather than report, so they get none."""
    if can_review:
        return []
    bound = bound or {}
    result = []
    for a in rows:
        if a.status in selectors.WAITING_STATUSES and in_scope(user, Action.CHANGE, a.organization.path):
            form = bound.get(a.pk) or ReportForm(
                initial={"report": a.report}, prefix=f"a{a.pk}", auto_id=f"id_a{a.pk}_%s"
            )
            result.append((a, form))
    return result


def render_task(request, task, *, bound_reports: dict | None = None, status: int = 200):
    user = request.user
    today = timezone.localdate()
    rows = list(
        selectors.assignment_list(actor=user)
        .filter(task=task)
        .select_related("reported_by", "reviewed_by")
        .prefetch_related("evidence")
    )
    for a in rows:
        a.overdue = selectors.is_overdue(a, today)
        a.late = selectors.reported_late(a)
    rows.sort(key=lambda a: selectors.urgency(a, today))
    can_review = in_scope(user, Action.MANAGE, task.sender.path)
    keys = {
        AssignmentStatus.PENDING: "pending",
        AssignmentStatus.REPORTED: "reported",
        AssignmentStatus.RETURNED: "returned",
        AssignmentStatus.ACCEPTED: "accepted",
    }
    counts = {key: sum(1 for a in rows if a.status == status) for status, key in keys.items()}
    overdue = sum(1 for a in rows if a.overdue)
    return render(
        request,
        "supervision/tasks/detail.html",
        {
            "task": task,
            "attachments": list(task.attachments.all()),
            "rows": rows,
            "counts": counts,
            "assigned": len(rows),
            "overdue": overdue,
            "late": sum(1 for a in rows if a.late),
            "rate": _rate(counts["accepted"], len(rows)),
            "can_review": can_review,
            # A branch with its one row needs its form, not a table of one.
            "show_counts": can_review or len(rows) > 1,
            "report_forms": _report_forms(rows, user, can_review, bound_reports),
            "read_only": not can_review and not scope_paths(user, Action.CHANGE),
            "today": today,
            "days_left": (task.deadline - today).days,
            "nothing_waits": not any(a.status in selectors.WAITING_STATUSES for a in rows),
            "tab": "tasks",
        },
        status=status,
    )


class TaskDetailView(LoginRequiredMixin, View):
    """One task: its body and files, and the receivers' rows (a receiver sees its own, the sender all of them)."""

    def get(self, request, pk):
        task = selectors.task_get_for(request.user, pk)
        if request.GET.get("export") == "xlsx":
            return self.export(request, task)
        return render_task(request, task)

    def export(self, request, task):
        today = timezone.localdate()
        rows = (
            assignment_row(a, today, sender_name=False)
            for a in selectors.assignment_list(actor=request.user).filter(task=task).order_by("organization__path")
        )
        fh = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        write_table(ExportTable("落实情况", ASSIGNMENT_HEADERS, rows), fh)
        return xlsx_response(fh, f"任务落实情况_{task.title[:40]}.xlsx")


class AssignmentReportView(LoginRequiredMixin, View):
    """上报完成情况 (again after a return): the text and the evidence files."""

    def get(self, request, pk):
        assignment = selectors.assignment_get_for(request.user, pk)
        return redirect(f"{reverse('supervision:task_detail', args=[assignment.task_id])}#report-{assignment.pk}")

    def post(self, request, pk):
        assignment = selectors.assignment_get_for(request.user, pk)
        form = ReportForm(request.POST, request.FILES, prefix=f"a{assignment.pk}", auto_id=f"id_a{assignment.pk}_%s")
        if form.is_valid():
            try:
                assignment = services.task_report(
                    actor=request.user,
                    assignment=assignment,
                    report=form.cleaned_data["report"],
                    files=form.cleaned_data["files"],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "status" in exc.error_dict:
                    messages.error(request, "；".join(exc.messages))
                    return redirect("supervision:task_detail", pk=assignment.task_id)
                apply_service_errors(form, exc)
            else:
                text = f"已上报{assignment.organization.name}的完成情况，等待{assignment.task.sender.name}审核。"
                if selectors.reported_late(assignment):
                    text += f"已超过完成时限（{assignment.task.deadline:%Y-%m-%d}），记为逾期上报。"
                messages.success(request, text)
                return redirect("supervision:task_detail", pk=assignment.task_id)
        task = selectors.task_get_for(request.user, assignment.task_id)
        return render_task(request, task, bound_reports={assignment.pk: form}, status=400)


class AssignmentReviewView(LoginRequiredMixin, View):
    """The sender's review of one report: 通过, or 退回 with a comment."""

    def post(self, request, pk):
        assignment = selectors.assignment_get_for(request.user, pk)
        form = ReviewForm(request.POST)
        target = f"{reverse('supervision:task_detail', args=[assignment.task_id])}#row-{assignment.pk}"
        if not form.is_valid():
            messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
            return redirect(target)
        accept = form.cleaned_data["accept"]
        try:
            assignment = services.task_review(
                actor=request.user, assignment=assignment, accept=accept, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            messages.error(request, f"{assignment.organization.name}：" + "；".join(exc.messages))
            return redirect(target)
        if accept:
            messages.success(request, f"已通过：{assignment.organization.name}。")
        else:
            messages.success(request, f"已退回：{assignment.organization.name}，对方将看到您的意见并重新上报。")
        return redirect(target)


# --- Files --------------------------------------------------------------------------------------------------------


class TaskAttachmentView(LoginRequiredMixin, View):
    """A file of the task, to everyone who sees the task (its sender's side and its receivers)."""

    def get(self, request, pk):
        visible = selectors.task_list(actor=request.user).values("pk")
        row = TaskAttachment.objects.filter(task__in=visible, pk=id_from(pk)).first()
        return file_response(row, download=bool(request.GET.get("download")))


class AssignmentEvidenceView(LoginRequiredMixin, View):
    """An evidence file of a report, to those who see the reporting organization."""

    def get(self, request, pk):
        row = TaskEvidence.objects.restrict(request.user).filter(pk=id_from(pk)).first()
        return file_response(row, download=bool(request.GET.get("download")))
