"""Filters of dispatched tasks and their assignments, shared by the REST API (supervision.api.tasks) and, dressed for
a page, the 党建任务 list (我发出的 / 我收到的)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F
from django.utils import timezone

from members.filtersets import ID_VALIDATORS, IntegerFilter, SubtreeFilterSet, style_filter_form

from ..choices import AssignmentStatus
from ..models import Task, TaskAssignment
from ..selectors.tasks import assignment_received_list, overdue_q


class SentStatus:
    """Where a sent task stands as a whole (read from its counts)."""

    REVIEW = "待审核"  # some receiver reported and waits for the sender
    OPEN = "未完成"  # not every receiver has been accepted yet
    DONE = "已完成"  # every receiver accepted

    choices = [(REVIEW, "有待审核"), (OPEN, "未完成"), (DONE, "已完成")]


class TaskFilterSet(SubtreeFilterSet):
    """Tasks (annotated by supervision.selectors.tasks.with_counts): title, a range of deadlines, where they stand,
    with overdue receivers, and a subtree of senders (`organization`)."""

    subtree_path = "sender__path"
    q = django_filters.CharFilter(label="任务名称", field_name="title", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(
        label="办理情况", choices=SentStatus.choices, empty_label="全部", method="filter_status"
    )
    overdue = django_filters.BooleanFilter(label="有逾期未报", method="filter_overdue")
    deadline_from = django_filters.DateFilter(label="完成时限（起）", field_name="deadline", lookup_expr="gte")
    deadline_to = django_filters.DateFilter(label="完成时限（止）", field_name="deadline", lookup_expr="lte")

    class Meta:
        model = Task
        fields = ["q", "status", "overdue", "deadline_from", "deadline_to"]

    def filter_status(self, queryset, name, value: str):
        if value == SentStatus.REVIEW:
            return queryset.filter(reported__gt=0)
        if value == SentStatus.OPEN:
            return queryset.filter(accepted__lt=F("assigned"))
        if value == SentStatus.DONE:
            return queryset.filter(assigned__gt=0, accepted=F("assigned"))
        return queryset

    def filter_overdue(self, queryset, name, value: bool):
        return queryset.filter(overdue__gt=0) if value else queryset.filter(overdue=0)


class AssignmentFilterSet(SubtreeFilterSet):
    """Assignments: one task, a status, overdue or not, a range of deadlines, the task's title, and a subtree of
    receiving organizations (`organization`)."""

    subtree_path = "organization__path"
    task = IntegerFilter(label="任务编号", field_name="task_id", validators=ID_VALIDATORS)
    q = django_filters.CharFilter(label="任务名称", field_name="task__title", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label="办理状态", choices=AssignmentStatus.choices, empty_label="全部状态")
    overdue = django_filters.BooleanFilter(label="逾期未报", method="filter_overdue")
    deadline_from = django_filters.DateFilter(label="完成时限（起）", field_name="task__deadline", lookup_expr="gte")
    deadline_to = django_filters.DateFilter(label="完成时限（止）", field_name="task__deadline", lookup_expr="lte")
    received = django_filters.BooleanFilter(label="我收到的（待我上报的任务）", method="filter_received")

    class Meta:
        model = TaskAssignment
        fields = ["task", "q", "status", "overdue", "deadline_from", "deadline_to", "received"]

    def filter_overdue(self, queryset, name, value: bool):
        q = overdue_q(timezone.localdate())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_received(self, queryset, name, value: bool):
        request = getattr(self, "request", None)
        if request is None:
            return queryset.none()
        mine = assignment_received_list(actor=request.user).values("pk")
        return queryset.filter(pk__in=mine) if value else queryset.exclude(pk__in=mine)


YES_NO = [("true", "是"), ("false", "否")]


def _dress(form) -> None:
    """The API's filters as a page shows them: dates as date inputs, 是/否 for the flags, no subtree box."""
    form.fields.pop("organization", None)
    for name in ("deadline_from", "deadline_to"):
        form.fields[name].widget = forms.DateInput(attrs={"type": "date"})
    form.fields["overdue"].widget = forms.Select(choices=[("", "全部"), *YES_NO])
    form.fields["q"].widget.attrs["placeholder"] = "任务名称包含…"
    style_filter_form(form)


class TaskPageFilterSet(TaskFilterSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dress(self.form)


class AssignmentPageFilterSet(AssignmentFilterSet):
    class Meta(AssignmentFilterSet.Meta):
        fields = ["q", "status", "overdue", "deadline_from", "deadline_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields.pop("task", None)
        self.form.fields.pop("received", None)  # the page's 我收到的 is that list already
        _dress(self.form)
