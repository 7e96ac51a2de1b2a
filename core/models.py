"""Shared records: the audit log and background jobs."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .fields import PathField
from .scope import RestrictedQuerySet


class AuditImmutable(PermissionError):
    """Audit rows are written once: the application never changes or deletes them (only core.archive moves old ones
    out, under its own database role in production: docs/security.md)."""


class AuditEventQuerySet(RestrictedQuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("审计记录不能修改。")

    def delete(self):
        raise AuditImmutable("审计记录不能删除。")


class AuditEvent(models.Model):
    """One write: who, when, from where, to which object, what action, values before and after. Insert-only."""

    scope_path_field = "org_path"

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField("操作人账号", max_length=150, blank=True)
    source = models.CharField("来源", max_length=16)
    ip = models.GenericIPAddressField("地址", null=True, blank=True)
    action = models.CharField("操作", max_length=32)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象编号", max_length=64)
    object_repr = models.CharField("对象", max_length=200)
    org_path = PathField("所属组织路径", max_length=255, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    note = models.TextField("说明", blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]
        # An object's history is looked up by type and id together; a dozen distinct actions are not worth an
        # index. Fewer indexes keep a 100k-row import's audit insert cheap.
        # org_path is declared here, not with db_index, so PostgreSQL builds no LIKE twin: subtrees are ranges.
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["org_path"], name="audit_org_path"),
        ]

    def __str__(self):
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AuditImmutable("审计记录不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("审计记录不能删除。")


class Job(models.Model):
    """A long piece of work (import, export, computation) whose progress and outcome a page can poll."""

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    scope_path_field = "org_path"

    kind = models.CharField("类型", max_length=32)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    message = models.CharField("当前步骤", max_length=200, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    input_file = models.FileField("上传文件", upload_to="jobs/input/%Y/%m/", blank=True)
    output_file = models.FileField("结果文件", upload_to="jobs/output/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", null=True, blank=True, on_delete=models.SET_NULL
    )
    org_path = PathField("所属组织路径", max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField("提交时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]

    KIND_LABELS = {
        "import": "导入任务",
        "export": "导出任务",
        "meetings_report": "月报生成",
        "formalism_checks": "形式主义检查",
        "assessment_compute": "考核计算",
    }

    def __str__(self):
        return f"{self.kind_label} #{self.pk}"

    @property
    def kind_label(self) -> str:
        return self.KIND_LABELS.get(self.kind, self.kind)

    @property
    def export_label(self) -> str:
        """What an export job writes, in words."""
        from .xlsx.registry import EXPORT_LABELS

        kind = (self.params or {}).get("kind", "")
        return EXPORT_LABELS.get(kind, kind)

    # params key of a job whose task could not be sent: what to send again (core/queue.py)
    QUEUE_UNAVAILABLE = "queue_unavailable"

    @property
    def queue_unavailable(self) -> bool:
        """Its task could not be sent (core/queue.py): the page offers 重新提交."""
        return self.status == self.Status.PENDING and bool((self.params or {}).get(self.QUEUE_UNAVAILABLE))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
