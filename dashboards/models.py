"""Dashboard snapshots: the figures of one dashboard for one subtree and year, computed off the request path."""

from django.db import models

from core.fields import PathField


class Snapshot(models.Model):
    """A dashboard's figures for an organization's subtree and a year, as of `computed_at` (when their computation
    began: a write audited after it makes them stale)."""

    kind = models.CharField("看板", max_length=16)
    organization = models.ForeignKey("organizations.Organization", verbose_name="组织", on_delete=models.CASCADE)
    org_path = PathField("组织路径", max_length=255)
    year = models.PositiveSmallIntegerField("年度")
    data = models.JSONField("数据", default=dict)
    computed_at = models.DateTimeField("数据截至", null=True, blank=True)
    refresh_requested_at = models.DateTimeField("请求刷新时间", null=True, blank=True)

    class Meta:
        verbose_name = "看板快照"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "organization", "year"],
                name="dashboard_snapshot_unique",
                violation_error_message="同一看板、组织和年度只能有一份快照。",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.org_path} {self.year}"
