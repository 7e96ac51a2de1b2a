"""Audit events written by services in the same transaction as the change they describe."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils import timezone

from .bulk import bulk_insert
from .context import current_origin
from .models import AuditEvent

# How events read in Chinese on the audit pages.
SOURCE_LABELS = {
    "web": "网页",
    "api": "接口",
    "import": "导入",
    "command": "命令行",
    "task": "后台任务",
    "system": "系统",
}
ACTION_LABELS = {
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "move": "移动",
    "grant": "授权",
    "revoke": "撤销授权",
    "set_password": "重置密码",
    "import_submit": "提交导入",
    "export": "导出",
    "export_unmasked": "导出（未脱敏）",
    "view_personal": "查看完整个人信息",
    "transfer": "组织关系转接",
    "status_change": "党籍状态变更",
}
OBJECT_TYPES = {
    "organizations.organization": "党组织",
    "organizations.post": "职务",
    "members.person": "人员",
    "members.member": "党员",
    "members.candidate": "发展党员",
    "members.thoughtreport": "思想汇报",
    "members.trainingrecord": "培训记录",
    "members.pointrecord": "积分记录",
    "members.pointitem": "积分项目",
    "members.starrule": "星级标准",
    "members.lostcontactcase": "失联排查",
    "accounts.user": "账号",
    "core.job": "后台任务",
    "core.export": "导出",
}


def jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields) -> dict:
    """The audited values of `obj`: foreign keys by id, dates in ISO form, Decimals as text."""
    data = {}
    for name in fields:
        field = obj._meta.get_field(name)
        data[name] = jsonable(getattr(obj, field.attname))
    return data


def diff(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Keep only the keys that changed, so an update's event says what changed and nothing else."""
    if not before or not after:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def build_event(
    *, actor, action: str, obj=None, org_path: str = "", before=None, after=None, note: str = "", target=None
) -> AuditEvent:
    """An unsaved event; services save it (or bulk-create many, for imports) inside their transaction.

    `obj` is the model instance written; `target` = (type, id, text) names something that is not a row (an export).
    """
    o = current_origin()
    object_type, object_id, object_repr = target or (obj._meta.label_lower, str(obj.pk), str(obj)[:200])
    return AuditEvent(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "系统",
        source=o.source,
        ip=o.ip,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        org_path=org_path,
        before=before,
        after=after,
        note=note,
    )


def audit_log(*, actor, action: str, obj, org_path: str = "", before=None, after=None, note: str = "") -> AuditEvent:
    if action == "update":
        before, after = diff(before, after)
    event = build_event(actor=actor, action=action, obj=obj, org_path=org_path, before=before, after=after, note=note)
    event.save()
    return event


AUDIT_COLUMNS = [
    "at", "actor", "actor_name", "source", "ip", "action", "object_type", "object_id", "object_repr", "org_path",
    "before", "after", "note",
]  # fmt: skip


class AuditBatch:
    """The audit rows of one bulk write (an import), collected as tuples and inserted together in its transaction."""

    def __init__(self, actor):
        o = current_origin()
        self._head = (
            timezone.now(),
            actor.pk if getattr(actor, "pk", None) else None,
            getattr(actor, "username", "") or "系统",
            o.source,
            o.ip,
        )
        self.rows: list[tuple] = []

    def add(self, *, action, object_type, object_id, object_repr, org_path="", before=None, after=None, note=""):
        self.rows.append(
            (*self._head, action, object_type, str(object_id), str(object_repr)[:200], org_path, before, after, note)
        )

    def add_instance(self, action: str, obj, *, org_path: str = "", before=None, after=None) -> None:
        self.add(
            action=action,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            object_repr=obj,
            org_path=org_path,
            before=before,
            after=after,
        )

    def save(self) -> int:
        count = bulk_insert(AuditEvent, AUDIT_COLUMNS, self.rows)
        self.rows = []
        return count
