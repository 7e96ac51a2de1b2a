"""Writes of the county's points configuration: points items (积分项目) and star rules (评星定级标准).

The configuration belongs to the whole county, so only the county organization department (a county_admin grant, or
a superuser; the system itself as actor None) may change it. Every write is audited with an empty org_path: it is
nobody's subtree.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.selectors import may_configure_county
from core.audit import audit_log, snapshot

from .models import PointItem, StarRule

POINT_ITEM_FIELDS = ("name", "points", "is_active")
STAR_RULE_FIELDS = ("min_points", "stars", "label")
ONE_PLACE = Decimal("0.1")


def may_configure_points(actor) -> bool:
    return may_configure_county(actor)


def _ensure_allowed(actor) -> None:
    if not may_configure_points(actor):
        raise PermissionDenied("只有县委组织部管理员可以设置积分项目和星级标准。")


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写积分项目名称。"})
    return name


def _check_item(item: PointItem) -> None:
    if item.points == 0:
        raise ValidationError({"points": "分值不能为 0：加分填正数，扣分填负数。"})
    if PointItem.objects.filter(name=item.name).exclude(pk=item.pk).exists():
        raise ValidationError({"name": f"已有名为“{item.name}”的积分项目。"})
    item.full_clean()
    item.points = Decimal(item.points).quantize(ONE_PLACE)  # as stored, so the audit compares like with like


@transaction.atomic
def point_item_create(*, actor, name: str, points: Decimal, is_active: bool = True) -> PointItem:
    _ensure_allowed(actor)
    item = PointItem(name=_clean_name(name), points=points, is_active=is_active)
    _check_item(item)
    item.save()
    audit_log(actor=actor, action="create", obj=item, org_path="", after=snapshot(item, POINT_ITEM_FIELDS))
    return item


@transaction.atomic
def point_item_update(*, actor, item: PointItem, **fields) -> PointItem:
    """Rename, re-weigh or (re)activate an item. Records already made keep the points they were given."""
    _ensure_allowed(actor)
    unknown = set(fields) - set(POINT_ITEM_FIELDS)
    if unknown:
        raise ValueError(f"point_item_update cannot change {sorted(unknown)}")
    item = PointItem.objects.select_for_update().get(pk=item.pk)
    before = snapshot(item, POINT_ITEM_FIELDS)
    if "name" in fields:
        fields["name"] = _clean_name(fields["name"])
    for name, value in fields.items():
        setattr(item, name, value)
    _check_item(item)
    item.save()
    audit_log(
        actor=actor, action="update", obj=item, org_path="", before=before, after=snapshot(item, POINT_ITEM_FIELDS)
    )
    return item


@transaction.atomic
def point_item_deactivate(*, actor, item: PointItem) -> PointItem:
    """Stop offering an item for new records; it stays on the records already made (it is never deleted)."""
    _ensure_allowed(actor)
    item = PointItem.objects.select_for_update().get(pk=item.pk)
    if not item.is_active:
        raise ValidationError({"is_active": f"积分项目“{item.name}”已停用。"})
    before = snapshot(item, POINT_ITEM_FIELDS)
    item.is_active = False
    item.save(update_fields=["is_active"])
    audit_log(
        actor=actor, action="update", obj=item, org_path="", before=before, after=snapshot(item, POINT_ITEM_FIELDS)
    )
    return item


def _check_rule(rule: StarRule) -> None:
    problems = {}
    if rule.label is not None:
        rule.label = rule.label.strip()
    if not rule.label:
        problems["label"] = "请填写等级名称，例如“三星”。"
    others = StarRule.objects.exclude(pk=rule.pk)
    if rule.min_points is not None and others.filter(min_points=rule.min_points).exists():
        problems["min_points"] = f"已有最低分为 {rule.min_points} 的星级标准。"
    if rule.stars is not None and others.filter(stars=rule.stars).exists():
        problems["stars"] = f"已有 {rule.stars} 星的星级标准。"
    if not problems and rule.min_points is not None and rule.stars is not None:
        # More stars need more points: the rules must rise together, or a total would earn fewer stars than a lower one.
        lower = others.filter(min_points__lt=rule.min_points, stars__gt=rule.stars).first()
        higher = others.filter(min_points__gt=rule.min_points, stars__lt=rule.stars).first()
        clash = lower or higher
        if clash is not None:
            problems["min_points"] = (
                f"与“{clash.label}”（≥{clash.min_points} 分，{clash.stars} 星）矛盾：星级越高，最低分应越高。"
            )
    if problems:
        raise ValidationError(problems)
    rule.full_clean()
    rule.min_points = Decimal(rule.min_points).quantize(ONE_PLACE)


@transaction.atomic
def star_rule_create(*, actor, min_points: Decimal, stars: int, label: str) -> StarRule:
    _ensure_allowed(actor)
    rule = StarRule(min_points=min_points, stars=stars, label=label)
    _check_rule(rule)
    rule.save()
    audit_log(actor=actor, action="create", obj=rule, org_path="", after=snapshot(rule, STAR_RULE_FIELDS))
    return rule


@transaction.atomic
def star_rule_update(*, actor, rule: StarRule, **fields) -> StarRule:
    _ensure_allowed(actor)
    unknown = set(fields) - set(STAR_RULE_FIELDS)
    if unknown:
        raise ValueError(f"star_rule_update cannot change {sorted(unknown)}")
    rule = StarRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule, STAR_RULE_FIELDS)
    for name, value in fields.items():
        setattr(rule, name, value)
    _check_rule(rule)
    rule.save()
    audit_log(
        actor=actor, action="update", obj=rule, org_path="", before=before, after=snapshot(rule, STAR_RULE_FIELDS)
    )
    return rule
