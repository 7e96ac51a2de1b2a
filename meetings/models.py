"""三会一课 and other organizational life: meetings with attendance and attachments, the standards they are held
to, and the monthly registration reports and bulletins built from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.attachments import StoredFile
from core.scope import CountyWideQuerySet, RestrictedQuerySet

from .choices import AttendanceStatus, Exemption, MeetingKind, PeriodType


class MeetingStandard(models.Model):
    """The minimum number of meetings of one kind per period. Data, not code: the county edits it."""

    kind = models.CharField("会议类型", max_length=10, choices=MeetingKind.choices, unique=True)
    period_type = models.CharField("周期", max_length=8, choices=PeriodType.choices)
    min_count = models.PositiveSmallIntegerField("最少次数", help_text="0 表示不作要求")
    exemption = models.CharField("适用范围", max_length=16, choices=Exemption.choices, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = CountyWideQuerySet.as_manager()

    class Meta:
        verbose_name = "会议标准"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(min_count__lte=31),
                name="standard_min_count_range",
                violation_error_message="最少次数应在 0 到 31 之间。",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.get_period_type_display()}至少 {self.min_count} 次"


class MeetingQuerySet(RestrictedQuerySet):
    pass


class Meeting(models.Model):
    """One meeting of a branch. `held_on` is the Asia/Shanghai date of `held_at`: periods and membership are by it."""

    scope_path_field = "branch__path"

    branch = models.ForeignKey(
        "organizations.Organization",
        verbose_name="支部",
        on_delete=models.PROTECT,
        related_name="meetings",
        db_index=False,  # meeting_natural_key (branch, kind, held_at) and meeting_branch_day serve the lookups
    )
    kind = models.CharField("会议类型", max_length=10, choices=MeetingKind.choices)
    held_at = models.DateTimeField("召开时间")
    held_on = models.DateField("召开日期")
    place = models.CharField("地点", max_length=100, blank=True)
    topic = models.CharField("主题", max_length=200)
    host = models.CharField("主持人", max_length=50, blank=True)
    recorder = models.CharField("记录人", max_length=50, blank=True)
    minutes = models.TextField("会议记录", blank=True)
    expected_count = models.PositiveIntegerField("应到人数", default=0)
    present_count = models.PositiveIntegerField("实到人数", default=0)
    leave_count = models.PositiveIntegerField("请假人数", default=0)
    has_attendance = models.BooleanField("有签到名单", default=False)
    backfilled = models.BooleanField("补录", default=False)
    # The form's one-time key: a second tap on 提交 finds the meeting the first one saved instead of a duplicate.
    submission_key = models.CharField("提交标识", max_length=64, blank=True)
    late_edit_reason = models.CharField("逾期修改原因", max_length=200, blank=True)
    late_edited_at = models.DateTimeField("逾期修改时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = "会议"
        verbose_name_plural = verbose_name
        ordering = ["-held_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "kind", "held_at"],
                name="meeting_natural_key",
                violation_error_message="该支部在同一时间已登记过同类会议。",
            ),
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~Q(submission_key=""),
                name="meeting_unique_submission",
                violation_error_message="该会议已提交。",
            ),
            models.CheckConstraint(
                condition=Q(present_count__lte=models.F("expected_count")),
                name="meeting_present_not_above_expected",
                violation_error_message="实到人数不能多于应到人数。",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "held_on"], name="meeting_branch_day"),
            models.Index(fields=["held_on"], name="meeting_day"),
        ]

    def __str__(self):
        return f"{timezone.localtime(self.held_at):%Y-%m-%d} {self.kind}"

    @property
    def attendance_rate(self):
        """出席 ÷ 应到 as a fraction, None when nobody was expected."""
        return self.present_count / self.expected_count if self.expected_count else None


class Attendance(models.Model):
    """One member's attendance at a meeting (出席 / 请假 with a reason / 缺席)."""

    scope_path_field = "meeting__branch__path"

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="attendance", db_index=False
    )
    status = models.CharField("出席情况", max_length=4, choices=AttendanceStatus.choices)
    reason = models.CharField("请假原因", max_length=100, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "出席记录"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"],
                name="attendance_once_per_meeting",
                violation_error_message="同一党员在一次会议中只能登记一次。",
            ),
            models.CheckConstraint(
                condition=~Q(status=AttendanceStatus.LEAVE) | ~Q(reason=""),
                name="attendance_leave_has_reason",
                violation_error_message="请假须填写原因。",
            ),
        ]
        indexes = [models.Index(fields=["member", "status"], name="attendance_member_status")]

    def __str__(self):
        return f"{self.member_id} {self.status}"


class Speech(models.Model):
    """A member's speech material (发言材料, 对照检查材料) at a meeting, kept as text: the nightly check compares
    the speeches of one 组织生活会 for copied ones."""

    scope_path_field = "meeting__branch__path"

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="speeches")
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="speeches", db_index=False
    )
    text = models.TextField("发言材料")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "发言材料"
        verbose_name_plural = verbose_name
        ordering = ["meeting_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"],
                name="speech_once_per_member",
                violation_error_message="该党员在此次会议已有发言材料。",
            )
        ]

    def __str__(self):
        return f"{self.meeting_id} {self.member_id}"


class MeetingAttachment(StoredFile):
    """A photo or PDF of a meeting (core.attachments: type by content, served only through a scoped view)."""

    scope_path_field = "meeting__branch__path"
    storage_folder = "meetings"

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="attachments")

    objects = RestrictedQuerySet.as_manager()

    class Meta(StoredFile.Meta):
        verbose_name = "会议附件"
        verbose_name_plural = verbose_name


class MonthlyReport(models.Model):
    """动态登记月报: one branch's meetings of one month by kind, built by the job on the 1st of the next month."""

    scope_path_field = "branch__path"

    branch = models.ForeignKey(
        "organizations.Organization",
        verbose_name="支部",
        on_delete=models.PROTECT,
        related_name="monthly_reports",
        db_index=False,  # monthly_report_once (branch, month) serves it
    )
    month = models.DateField("月份")  # the first day of the month
    counts = models.JSONField("各类会议次数", default=dict)  # {kind: number}
    meetings_total = models.PositiveIntegerField("会议总数", default=0)
    backfilled_total = models.PositiveIntegerField("补录次数", default=0)
    expected_total = models.PositiveIntegerField("应到人次", default=0)
    present_total = models.PositiveIntegerField("实到人次", default=0)
    due_total = models.PositiveIntegerField("本月到期要求", default=0)
    met_total = models.PositiveIntegerField("到期达标", default=0)
    built_at = models.DateTimeField("生成时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "动态登记月报"
        verbose_name_plural = verbose_name
        ordering = ["-month", "branch_id"]
        constraints = [models.UniqueConstraint(fields=["branch", "month"], name="monthly_report_once")]
        indexes = [models.Index(fields=["month"], name="monthly_report_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} 月报"


class MonthlyBulletin(models.Model):
    """逐月通报: the townships of a county ranked by their branches' compliance in one month, as published."""

    scope_path_field = "organization__path"

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="发布组织", on_delete=models.PROTECT, related_name="bulletins"
    )
    month = models.DateField("月份")
    rows = models.JSONField("排名", default=list)  # the ranking as published, frozen
    note = models.TextField("通报说明", blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, blank=True, on_delete=models.SET_NULL
    )
    published_at = models.DateTimeField("发布时间", default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "逐月通报"
        verbose_name_plural = verbose_name
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["organization", "month"], name="bulletin_once_per_month")]

    def __str__(self):
        return f"{self.month:%Y年%m月}三会一课逐月通报"
