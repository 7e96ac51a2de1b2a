"""Supervision: tasks dispatched down the tree, findings and their rectification, weak and lax organizations,
dispatched first secretaries and work teams."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.attachments import StoredFile
from core.scope import RestrictedQuerySet

from .choices import (
    AssignmentStatus,
    CheckKind,
    DispatchRole,
    FindingCategory,
    FindingSource,
    FindingStatus,
    FindingStep,
    Severity,
)

USER = settings.AUTH_USER_MODEL


# --- Tasks ------------------------------------------------------------------------------------------------------


class Task(models.Model):
    """A task (党建任务) sent by an organization to organizations of its subtree, with a deadline."""

    scope_path_field = "sender__path"

    sender = models.ForeignKey(
        "organizations.Organization", verbose_name="发送单位", on_delete=models.PROTECT, related_name="sent_tasks"
    )
    title = models.CharField("任务名称", max_length=200)
    body = models.TextField("任务内容")
    deadline = models.DateField("完成时限")
    targets_note = models.CharField("派送范围", max_length=300, blank=True)
    created_by = models.ForeignKey(USER, verbose_name="派送人", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("派送时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "党建任务"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["sender", "deadline"], name="task_sender_deadline")]

    def __str__(self):
        return self.title


class TaskAttachment(StoredFile):
    scope_path_field = "task__sender__path"
    storage_folder = "tasks"

    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.CASCADE, related_name="attachments")

    objects = RestrictedQuerySet.as_manager()

    class Meta(StoredFile.Meta):
        verbose_name = "任务附件"
        verbose_name_plural = verbose_name


class TaskAssignment(models.Model):
    """One receiving organization's copy of a task: its report and the sender's review."""

    scope_path_field = "organization__path"

    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.CASCADE, related_name="assignments")
    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="承办组织", on_delete=models.PROTECT, related_name="task_assignments"
    )
    status = models.CharField("办理状态", max_length=4, choices=AssignmentStatus.choices, default="待办理")
    report = models.TextField("完成情况", blank=True)
    reported_at = models.DateTimeField("上报时间", null=True, blank=True)
    reported_by = models.ForeignKey(
        USER, verbose_name="上报人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report_count = models.PositiveSmallIntegerField("上报次数", default=0)
    review_comment = models.CharField("审核意见", max_length=500, blank=True)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        USER, verbose_name="审核人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "任务承办"
        verbose_name_plural = verbose_name
        ordering = ["task_id", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "organization"],
                name="taskassignment_once_per_org",
                violation_error_message="该组织已收到此任务。",
            )
        ]
        indexes = [models.Index(fields=["organization", "status"], name="taskassignment_org_status")]

    def __str__(self):
        return f"{self.task} · {self.organization}"


class TaskEvidence(StoredFile):
    scope_path_field = "assignment__organization__path"
    storage_folder = "tasks/evidence"

    assignment = models.ForeignKey(
        TaskAssignment, verbose_name="任务承办", on_delete=models.CASCADE, related_name="evidence"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta(StoredFile.Meta):
        verbose_name = "任务佐证材料"
        verbose_name_plural = verbose_name


# --- Findings ---------------------------------------------------------------------------------------------------


class FindingQuerySet(RestrictedQuerySet):
    def open(self):
        return self.filter(status__in=[FindingStatus.OPEN, FindingStatus.IN_PROGRESS])

    def overdue(self, today):
        """Not yet reported rectified and past the deadline."""
        return self.open().filter(deadline__lt=today)


class Finding(models.Model):
    """A problem found at an organization (问题清单) and its rectification (整改清单)."""

    scope_path_field = "organization__path"

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="责任组织", on_delete=models.PROTECT, related_name="findings"
    )
    source = models.CharField("问题来源", max_length=8, choices=FindingSource.choices)
    category = models.CharField("问题类别", max_length=8, choices=FindingCategory.choices)
    severity = models.CharField("严重程度", max_length=4, choices=Severity.choices, default=Severity.MINOR)
    description = models.TextField("问题描述")
    responsible = models.CharField("责任人", max_length=50, blank=True)
    found_on = models.DateField("发现日期")
    year = models.PositiveSmallIntegerField("年度")  # found_on's year: "the same kind next year" is read by it
    deadline = models.DateField("整改时限")
    status = models.CharField("整改状态", max_length=4, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    repeated = models.BooleanField("重复发生", default=False)
    previous = models.ForeignKey(
        "self", verbose_name="上年同类问题", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # System checks: which check found it, a key that names the fault (one finding per fault across nights) and
    # the evidence the check saw (ids, dates, texts, similarity).
    check_kind = models.CharField("检查项目", max_length=20, choices=CheckKind.choices, blank=True)
    check_key = models.CharField("检查标识", max_length=200, blank=True)
    evidence = models.JSONField("检查证据", default=dict, blank=True)
    rectified_on = models.DateField("整改完成日期", null=True, blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    created_by = models.ForeignKey(USER, verbose_name="登记人", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = "问题"
        verbose_name_plural = "问题清单"
        ordering = ["-found_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["check_key"],
                condition=~Q(check_key=""),
                name="finding_one_per_check_key",
                violation_error_message="系统检查已登记过该问题。",
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=F("found_on")),
                name="finding_deadline_not_before_found",
                violation_error_message="整改时限不能早于发现日期。",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "category", "year"], name="finding_org_category_year"),
            models.Index(fields=["status", "deadline"], name="finding_status_deadline"),
        ]

    def __str__(self):
        return f"{self.organization} · {self.category} · {self.found_on}"

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status in (FindingStatus.OPEN, FindingStatus.IN_PROGRESS) and self.deadline < today


class FindingEvent(models.Model):
    """One step of a finding's rectification: who did what, when, with what note (and evidence files)."""

    scope_path_field = "finding__organization__path"

    finding = models.ForeignKey(Finding, verbose_name="问题", on_delete=models.CASCADE, related_name="events")
    step = models.CharField("环节", max_length=8, choices=FindingStep.choices)
    from_status = models.CharField("原状态", max_length=4, choices=FindingStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=4, choices=FindingStatus.choices)
    note = models.TextField("说明", blank=True)
    actor = models.ForeignKey(USER, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField("时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "整改记录"
        verbose_name_plural = verbose_name
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.finding_id} {self.step}"


class FindingEvidence(StoredFile):
    scope_path_field = "finding__organization__path"
    storage_folder = "findings"

    finding = models.ForeignKey(Finding, verbose_name="问题", on_delete=models.CASCADE, related_name="files")
    event = models.ForeignKey(
        FindingEvent, verbose_name="整改记录", null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta(StoredFile.Meta):
        verbose_name = "整改佐证材料"
        verbose_name_plural = verbose_name


# --- Weak and lax organizations ---------------------------------------------------------------------------------


class WeakOrganization(models.Model):
    """An organization designated 软弱涣散 on a date for a reason, rectified step by step, lifted on a date."""

    scope_path_field = "organization__path"

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="党组织", on_delete=models.PROTECT, related_name="weak_periods"
    )
    designated_on = models.DateField("认定日期")
    reason = models.TextField("软弱涣散表现")
    measures = models.TextField("整顿措施", blank=True)
    lifted_on = models.DateField("摘帽日期", null=True, blank=True)
    lift_note = models.CharField("摘帽说明", max_length=300, blank=True)
    created_by = models.ForeignKey(USER, verbose_name="认定人", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "软弱涣散党组织"
        verbose_name_plural = verbose_name
        ordering = ["-designated_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(lifted_on__isnull=True),
                name="weak_one_open_per_org",
                violation_error_message="该组织已在软弱涣散整顿中。",
            ),
            models.CheckConstraint(
                condition=Q(lifted_on__isnull=True) | Q(lifted_on__gte=F("designated_on")),
                name="weak_lifted_not_before_designated",
                violation_error_message="摘帽日期不能早于认定日期。",
            ),
        ]

    def __str__(self):
        return f"{self.organization} 软弱涣散 {self.designated_on}"


class WeakRectificationStep(models.Model):
    scope_path_field = "weak__organization__path"

    weak = models.ForeignKey(
        WeakOrganization, verbose_name="软弱涣散整顿", on_delete=models.CASCADE, related_name="steps"
    )
    done_on = models.DateField("日期")
    description = models.TextField("整顿措施及进展")
    recorded_by = models.ForeignKey(USER, verbose_name="登记人", null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "整顿进展"
        verbose_name_plural = verbose_name
        ordering = ["done_on", "id"]

    def __str__(self):
        return f"{self.weak_id} {self.done_on}"


# --- First secretaries and work teams ---------------------------------------------------------------------------


class Dispatch(models.Model):
    """A cadre dispatched to a village (第一书记 or 驻村工作队员) by a unit, from a date to a date."""

    scope_path_field = "organization__path"

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="派驻组织", on_delete=models.PROTECT, related_name="dispatches"
    )
    name = models.CharField("姓名", max_length=50)
    role = models.CharField(
        "派驻身份", max_length=4, choices=DispatchRole.choices, default=DispatchRole.FIRST_SECRETARY
    )
    unit = models.CharField("派出单位", max_length=100)
    unit_post = models.CharField("原单位职务", max_length=50, blank=True)
    start_on = models.DateField("派驻开始日期")
    end_on = models.DateField("派驻结束日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "驻村干部"
        verbose_name_plural = verbose_name
        ordering = ["organization__path", "role", "start_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")),
                name="dispatch_end_not_before_start",
                violation_error_message="派驻结束日期不能早于开始日期。",
            ),
        ]

    def __str__(self):
        return f"{self.organization} {self.role} {self.name}"


class DutyCheckIn(models.Model):
    """A day a dispatched cadre was recorded on duty in the village (到岗)."""

    scope_path_field = "dispatch__organization__path"

    dispatch = models.ForeignKey(Dispatch, verbose_name="驻村干部", on_delete=models.CASCADE, related_name="check_ins")
    on = models.DateField("到岗日期")
    note = models.CharField("工作内容", max_length=200, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name="登记人", null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "到岗记录"
        verbose_name_plural = verbose_name
        ordering = ["-on"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch", "on"], name="checkin_once_a_day", violation_error_message="该日已登记到岗。"
            )
        ]

    def __str__(self):
        return f"{self.dispatch_id} {self.on}"
