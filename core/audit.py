"""Audit events written by services in the same transaction as the change they describe."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from django.apps import apps
from django.db import models
from django.utils import timezone

from .bulk import Prepared, bulk_insert, filter_in
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
    "change_password": "修改密码",
    "login": "登录",
    "logout": "退出登录",
    "login_failed": "登录失败",
    "archive": "归档",
    "import_submit": "提交导入",
    "export": "导出",
    "export_unmasked": "导出（未脱敏）",
    "view_personal": "查看完整个人信息",
    "transfer": "组织关系转接",
    "status_change": "党籍状态变更",
    "dispatch": "派送",
    "report": "上报",
    "review": "审核",
    "advance": "整改流转",
    "lift": "摘帽",
    "compute_submit": "提交计算",
    "compute": "计算",
    "publish": "发布",
    "reopen": "撤回发布",
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
    "members.flowrecord": "流动记录",
    "members.pointitem": "积分项目",
    "members.starrule": "星级标准",
    "members.lostcontactcase": "失联排查",
    "meetings.meeting": "会议",
    "meetings.meetingattachment": "会议附件",
    "meetings.meetingstandard": "会议标准",
    "meetings.monthlybulletin": "逐月通报",
    "meetings.speech": "发言材料",
    "supervision.task": "党建任务",
    "supervision.taskattachment": "任务附件",
    "supervision.taskassignment": "任务承办",
    "supervision.taskevidence": "任务佐证材料",
    "supervision.finding": "问题",
    "supervision.findingevidence": "整改佐证材料",
    "supervision.weakorganization": "软弱涣散党组织",
    "supervision.weakrectificationstep": "整顿进展",
    "supervision.dispatch": "驻村干部",
    "supervision.dutycheckin": "到岗记录",
    "funding.allocation": "经费下达",
    "funding.disbursement": "经费拨付",
    "funding.expenditure": "经费支出",
    "funding.expenditureattachment": "支出凭证",
    "funding.fundcategory": "经费类别",
    "funding.fundsource": "资金来源",
    "funding.fundstandard": "经费保障标准",
    "funding.ruralincome": "农村居民人均可支配收入",
    "funding.aid": "党内关爱帮扶",
    "assessments.rulesettings": "三个一律参数",
    "assessments.scheme": "考核方案",
    "assessments.indicator": "考核指标",
    "assessments.vetoitem": "一票否决事项",
    "assessments.result": "考核结果",
    "assessments.indicatorscore": "指标得分",
    "assessments.scoreevidence": "评分佐证材料",
    "assessments.appraisaltally": "述职评议票数",
    "assessments.penalty": "三个一律处理",
    "accounts.user": "账号",
    "core.job": "后台任务",
    "core.export": "导出",
    "core.auditevent": "审计记录",
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


def _json(value) -> Prepared | None:
    """Serialized once here as Django would (ASCII escapes: SQLite's JSON paths match keys as stored), not per row by
    the field in bulk_insert: an import writes a hundred thousand of these. A caller whose rows share one value may
    serialize it once itself (audit_json) and pass the Prepared."""
    if value is None or type(value) is Prepared:
        return value
    return Prepared(json.dumps(value))


def audit_json(value) -> Prepared:
    """`value` serialized for AuditBatch.add once, for a batch whose rows repeat it."""
    return Prepared(json.dumps(value))


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
            (
                *self._head,
                action,
                object_type,
                str(object_id),
                str(object_repr)[:200],
                org_path,
                _json(before),
                _json(after),
                note,
            )
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


# --- Reading events ------------------------------------------------------------------------------------------------

# Keys that are not model fields (grants, jobs) or that the model leaves in English.
EXTRA_LABELS = {
    "path": "树路径",
    "filename": "文件名",
    "role": "角色",
    "organization": "组织",
    "attendance": "出席情况",
    "meeting": "会议",
}

# How a row that an event's foreign key points at reads: the columns to fetch and how they combine.
# Models not listed read as str(row).
RELATED_NAMES = {
    "organizations.organization": (("name", "code"), lambda r: f"{r['name']}（{r['code']}）"),
    "members.person": (("name",), lambda r: r["name"]),
    "accounts.user": (
        ("username", "full_name"),
        lambda r: f"{r['full_name']}（{r['username']}）" if r["full_name"] else r["username"],
    ),
}


class AuditChange(NamedTuple):
    """One changed field of an event, in words."""

    field: str
    label: str
    before: str
    after: str


@cache
def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


@cache
def field_labels(object_type: str) -> dict[str, str]:
    """{'code': '组织代码', …} for the model an event is about, with the keys that are not fields."""
    model = _model(object_type)
    fields = model._meta.get_fields() if model else ()
    return {**{f.name: str(f.verbose_name) for f in fields if hasattr(f, "verbose_name")}, **EXTRA_LABELS}


@cache
def _foreign_keys(object_type: str) -> dict[str, type[models.Model]]:
    """{field name: related model} of the foreign keys a snapshot of `object_type` stores by id."""
    model = _model(object_type)
    fields = model._meta.get_fields() if model else ()
    return {f.name: f.related_model for f in fields if f.concrete and (f.many_to_one or f.one_to_one)}


def _is_id(value) -> bool:
    # Some events store a related row by name (a point record's item); only numbers are ids.
    return isinstance(value, int) and not isinstance(value, bool)


def related_names(events: Iterable[AuditEvent]) -> dict[tuple[str, int], str]:
    """{(model label, id): name} for every foreign key in the events' values: one query per related model."""
    wanted: dict[type[models.Model], set[int]] = defaultdict(set)
    for e in events:
        fks = _foreign_keys(e.object_type)
        for values in (e.before, e.after):
            if fks and isinstance(values, dict):
                for name, model in fks.items():
                    if _is_id(values.get(name)):
                        wanted[model].add(values[name])
    names: dict[tuple[str, int], str] = {}
    for model, ids in wanted.items():
        label = model._meta.label_lower
        if label in RELATED_NAMES:
            columns, name_of = RELATED_NAMES[label]
            rows = filter_in(model._base_manager.values("pk", *columns), "pk", ids)
            names.update(((label, r["pk"]), name_of(r)) for r in rows)
        else:
            names.update(((label, obj.pk), str(obj)) for obj in filter_in(model._base_manager.all(), "pk", ids))
    return names


def _text(value) -> str:
    from accounts.choices import Role

    if isinstance(value, str) and value in Role.values:
        return Role(value).label
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None or value == "":
        return "（空）"
    return str(value)


def _value_text(object_type: str, field: str, value, names: dict) -> str:
    model = _foreign_keys(object_type).get(field)
    if model is not None and _is_id(value):
        return names.get((model._meta.label_lower, value), f"#{value}（已删除）")
    return _text(value)


def _values_text(object_type: str, values, names: dict) -> str:
    if not values:
        return ""
    if not isinstance(values, dict):
        return _text(values)
    labels = field_labels(object_type)
    return "；".join(f"{labels.get(k, k)}：{_value_text(object_type, k, v, names)}" for k, v in values.items())


def audit_describe(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """The events with their values in words, the one way every page and workbook shows what an event changed.

    Each event gets `before_text` and `after_text` ('所在支部：东街村党支部（C01001）；…') and `changes`, an
    AuditChange per changed field. Where both sides are whole snapshots (a move, a transfer) only what changed is
    shown. Foreign keys read as the related row's name, "#38（已删除）" when it is gone; the names of all the events
    come in one query per related model, so a page costs the same whatever its length.
    """
    events = list(events)
    names = related_names(events)
    for e in events:
        before, after = e.before, e.after
        changes = []
        if isinstance(before, dict) and isinstance(after, dict):
            before, after = diff(before, after)
            labels = field_labels(e.object_type)
            changes = [
                AuditChange(
                    k,
                    labels.get(k, k),
                    _value_text(e.object_type, k, before.get(k), names),
                    _value_text(e.object_type, k, after[k], names),
                )
                for k in after
            ]
        e.before_text = _values_text(e.object_type, before, names)
        e.after_text = _values_text(e.object_type, after, names)
        e.changes = changes
    return events
