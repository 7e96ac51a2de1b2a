"""Writes of schemes (考核方案): settings, indicators, veto items, copying last year's, the three rules' parameters.

A scheme is the county department's (MANAGE over the county). A published scheme is locked: nothing of it changes
until it is reopened. Any change to a computed scheme sends it back to 待计算, since its results no longer follow.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.audit import audit_log, snapshot
from organizations.models import Organization

from ..choices import FIRST_YEAR, MAX_TOTAL, IndicatorMethod, SchemeStatus
from ..models import Indicator, Result, RuleSettings, Scheme, VetoItem
from ..selectors import county_of, may_manage_county
from ..sources import SOURCES

SCHEME_FIELDS = (
    "name", "good_min", "fair_min", "pass_min", "good_cap", "appraisal_weight", "upper_weight", "lower_weight",
    "vote_good", "vote_fair", "vote_average", "vote_poor",
)  # fmt: skip
INDICATOR_FIELDS = ("order", "name", "max_points", "method", "source", "params", "description")
RULE_FIELDS = (
    "failed_on", "not_moved_up_on", "bottom_on", "not_moved_up_years", "bottom_years", "bottom_n", "min_group_size",
)  # fmt: skip
HUNDREDTH = Decimal("0.01")
REFUSED = "只有县委组织部可以设置考核方案。"
LOCKED = "{scheme}已发布，结果已锁定；如需修改，请先撤回发布（需填写原因）。"


def ensure_may_manage(actor, county: Organization) -> None:
    if not may_manage_county(actor, county):
        raise PermissionDenied(REFUSED)


def ensure_unlocked(scheme: Scheme) -> None:
    if scheme.status == SchemeStatus.PUBLISHED:
        raise ValidationError(LOCKED.format(scheme=scheme))


def mark_stale(scheme: Scheme) -> None:
    """A change to a computed scheme's inputs: its results must be computed again before publishing."""
    if scheme.status == SchemeStatus.COMPUTED:
        Scheme.objects.filter(pk=scheme.pk).update(status=SchemeStatus.DRAFT, updated_at=timezone.now())
        scheme.status = SchemeStatus.DRAFT


def parse_points(value, label: str, *, low=Decimal(0), high=MAX_TOTAL) -> Decimal:
    """Points from a form, a cell or the API: a number with at most two decimals within [low, high]."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(f"请填写{label}。")
    if isinstance(value, bool):
        raise ValidationError(f"{label}应为数字。")
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{label}“{value}”不是数字。") from None
    if not number.is_finite():
        raise ValidationError(f"{label}“{value}”不是数字。")
    if number != number.quantize(HUNDREDTH):
        raise ValidationError(f"{label} {value} 超过两位小数。")
    if number < low or number > high:
        raise ValidationError(f"{label} {value} 超出范围，应在 {low} 到 {high} 之间。")
    return number.quantize(HUNDREDTH)


def _whole(value, label: str, *, low: int, high: int, blank: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if blank:
            return None
        raise ValidationError(f"请填写{label}。")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{label}应为整数。") from None
    if isinstance(value, bool) or not number.is_finite() or number != number.to_integral_value():
        raise ValidationError(f"{label}应为整数。")
    if not low <= number <= high:
        raise ValidationError(f"{label}应在 {low} 到 {high} 之间。")
    return int(number)


def _clean_scheme(values: dict) -> dict:
    """Check a scheme's settings; field errors name the field."""
    problems: dict[str, str] = {}
    clean: dict = {}
    labels = {f.name: f.verbose_name for f in Scheme._meta.fields}
    for name, value in values.items():
        try:
            if name == "name":
                clean[name] = str(value or "").strip()[:100]
            elif name in ("good_min", "fair_min", "pass_min"):
                clean[name] = parse_points(value, labels[name])
            elif name in ("vote_good", "vote_fair", "vote_average", "vote_poor"):
                clean[name] = parse_points(value, labels[name])
            elif name == "good_cap":
                clean[name] = _whole(value, labels[name], low=1, high=100, blank=True)
            else:
                clean[name] = _whole(value, labels[name], low=0, high=100)
        except ValidationError as exc:
            problems[name] = exc.messages[0]
    return clean if not problems else _raise(problems)


def _raise(problems: dict):
    raise ValidationError({k: [v] for k, v in problems.items()})


def _check_scheme(scheme: Scheme) -> None:
    problems = {}
    if not scheme.good_min > scheme.fair_min > scheme.pass_min:
        problems["good_min"] = "分数线应满足“好” > “较好” > “一般”。"
    if scheme.appraisal_weight and scheme.upper_weight + scheme.lower_weight != 100:
        problems["upper_weight"] = (
            f"上级评议占比与下级评议占比之和应为 100%（现为 {scheme.upper_weight + scheme.lower_weight}%）。"
        )
    if problems:
        _raise(problems)


def _sync_results(scheme: Scheme) -> int:
    """Results for the organizations of the county now in the scheme's group that have none this year."""
    from core.scope import subtree_range_q

    # NOT EXISTS, an anti-join over result_unique_org_year: NOT IN made PostgreSQL hash the whole year's results
    # (100,000 rows at province scale) for every scheme, 22 of a year's 50 seconds.
    taken = Result.objects.filter(organization=OuterRef("pk"), year=scheme.year)
    orgs = (
        Organization.objects.filter(subtree_range_q("path", scheme.county.path), assessment_group=scheme.group)
        .filter(~Exists(taken))
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    rows = [Result(scheme=scheme, organization_id=pk, year=scheme.year, updated_at=now) for pk in orgs]
    Result.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def sync_results(scheme: Scheme) -> int:
    """Public form of the above, for the computation: new organizations of the group join the scheme."""
    if scheme.status == SchemeStatus.PUBLISHED:
        return 0
    added = _sync_results(scheme)
    if added:
        mark_stale(scheme)
    return added


@transaction.atomic
def scheme_create(*, actor, county: Organization, year, group: str, **values) -> Scheme:
    """A scheme for one group and year of the county, with a result row for each organization of the group."""
    county = county_of(county)
    ensure_may_manage(actor, county)
    year = _whole(year, "年度", low=FIRST_YEAR, high=timezone.localdate().year + 1)
    group = (group or "").strip()
    if not group:
        _raise({"group": "请填写考核类别。"})
    if Scheme.objects.filter(county=county, year=year, group=group).exists():
        _raise({"group": f"{year}年度“{group}”已有考核方案。"})
    scheme = Scheme(county=county, year=year, group=group, **_clean_scheme(values))
    _check_scheme(scheme)
    scheme.save()
    _sync_results(scheme)
    audit_log(actor=actor, action="create", obj=scheme, org_path=county.path, after=snapshot(scheme, SCHEME_FIELDS))
    return scheme


@transaction.atomic
def scheme_update(*, actor, scheme: Scheme, **values) -> Scheme:
    ensure_may_manage(actor, scheme.county)
    scheme = Scheme.objects.select_for_update().select_related("county").get(pk=scheme.pk)
    ensure_unlocked(scheme)
    unknown = set(values) - set(SCHEME_FIELDS)
    if unknown:
        raise ValueError(f"scheme_update cannot change {sorted(unknown)}")
    before = snapshot(scheme, SCHEME_FIELDS)
    for name, value in _clean_scheme(values).items():
        setattr(scheme, name, value)
    _check_scheme(scheme)
    scheme.updated_at = timezone.now()
    scheme.save()
    after = snapshot(scheme, SCHEME_FIELDS)
    if after != before:
        audit_log(actor=actor, action="update", obj=scheme, org_path=scheme.county.path, before=before, after=after)
        mark_stale(scheme)
        from ..compute import refresh_totals

        refresh_totals(scheme)
    return scheme


def _clean_indicator(scheme: Scheme, values: dict, *, instance: Indicator | None = None) -> dict:
    problems = {}
    clean = {}
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name:
            problems["name"] = "请填写指标名称。"
        elif scheme.indicators.filter(name=name).exclude(pk=getattr(instance, "pk", None)).exists():
            problems["name"] = f"方案中已有指标“{name}”。"
        clean["name"] = name[:100]
    if "max_points" in values:
        try:
            clean["max_points"] = parse_points(values["max_points"], "分值", low=HUNDREDTH)
        except ValidationError as exc:
            problems["max_points"] = exc.messages[0]
    if "order" in values:
        try:
            clean["order"] = _whole(values["order"], "序号", low=0, high=999)
        except ValidationError as exc:
            problems["order"] = exc.messages[0]
    method = values.get("method", getattr(instance, "method", IndicatorMethod.MANUAL))
    if method not in IndicatorMethod.values:
        problems["method"] = "评分方式应为人工评分或系统计算。"
    clean["method"] = method
    source = str(values.get("source", getattr(instance, "source", "")) or "").strip()
    if method == IndicatorMethod.COMPUTED:
        if source not in SOURCES:
            problems["source"] = "请选择计算来源：" + "、".join(s.label for s in SOURCES.values())
    else:
        source = ""
    clean["source"] = source
    if "params" in values:
        params = values["params"] or {}
        if not isinstance(params, dict):
            problems["params"] = "计算参数格式不正确。"
        elif source:
            try:
                params = SOURCES[source].clean_params(params)
            except ValidationError as exc:
                problems["params"] = exc.messages[0]
        clean["params"] = params if source else {}
    if "description" in values:
        clean["description"] = str(values["description"] or "").strip()
    if problems:
        _raise(problems)
    return clean


def _indicator_changed(actor, scheme: Scheme, indicator: Indicator, action: str, before=None) -> None:
    after = snapshot(indicator, INDICATOR_FIELDS) if action != "delete" else None
    audit_log(
        actor=actor,
        action=action,
        obj=indicator,
        org_path=scheme.county.path,
        before=before,
        after=after,
        note=str(scheme),
    )
    mark_stale(scheme)
    from ..compute import refresh_totals

    refresh_totals(scheme)


def _locked_scheme(actor, scheme: Scheme) -> Scheme:
    ensure_may_manage(actor, scheme.county)
    scheme = Scheme.objects.select_for_update().select_related("county").get(pk=scheme.pk)
    ensure_unlocked(scheme)
    return scheme


@transaction.atomic
def indicator_add(*, actor, scheme: Scheme, **values) -> Indicator:
    scheme = _locked_scheme(actor, scheme)
    values.setdefault("order", (scheme.indicators.count() + 1) * 10)
    if "name" not in values or "max_points" not in values:
        _raise({"name" if "name" not in values else "max_points": "请填写指标名称和分值。"})
    indicator = Indicator(scheme=scheme, **_clean_indicator(scheme, values))
    indicator.save()
    _indicator_changed(actor, scheme, indicator, "create")
    return indicator


@transaction.atomic
def indicator_update(*, actor, indicator: Indicator, **values) -> Indicator:
    scheme = _locked_scheme(actor, indicator.scheme)
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    unknown = set(values) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValueError(f"indicator_update cannot change {sorted(unknown)}")
    before = snapshot(indicator, INDICATOR_FIELDS)
    for name, value in _clean_indicator(scheme, values, instance=indicator).items():
        setattr(indicator, name, value)
    if indicator.max_points is not None:
        over = indicator.scores.filter(score__gt=indicator.max_points).count()
        if over:
            _raise({"max_points": f"已有 {over} 个组织的得分高于新的分值 {indicator.max_points}，请先修改这些得分。"})
    indicator.save()
    if snapshot(indicator, INDICATOR_FIELDS) != before:
        _indicator_changed(actor, scheme, indicator, "update", before)
    return indicator


@transaction.atomic
def indicator_delete(*, actor, indicator: Indicator) -> None:
    scheme = _locked_scheme(actor, indicator.scheme)
    before = snapshot(indicator, INDICATOR_FIELDS)
    scored = indicator.scores.count()
    pk = indicator.pk
    indicator.delete()
    indicator.pk = pk
    note = f"{scheme}（删除时已有 {scored} 个得分）" if scored else str(scheme)
    audit_log(actor=actor, action="delete", obj=indicator, org_path=scheme.county.path, before=before, note=note)
    mark_stale(scheme)
    from ..compute import refresh_totals

    refresh_totals(scheme)


@transaction.atomic
def veto_item_add(*, actor, scheme: Scheme, name: str) -> VetoItem:
    scheme = _locked_scheme(actor, scheme)
    name = (name or "").strip()
    if not name:
        _raise({"name": "请填写否决事项。"})
    item = VetoItem.objects.create(scheme=scheme, name=name[:200], order=scheme.veto_items.count() + 1)
    audit_log(actor=actor, action="create", obj=item, org_path=scheme.county.path, after={"name": item.name})
    return item


@transaction.atomic
def veto_item_delete(*, actor, item: VetoItem) -> None:
    scheme = _locked_scheme(actor, item.scheme)
    if scheme.results.filter(veto_item=item).exists():
        raise ValidationError("已有组织按此事项否决，不能删除；请先撤销这些否决。")
    pk = item.pk
    name = item.name
    item.delete()
    item.pk = pk
    audit_log(actor=actor, action="delete", obj=item, org_path=scheme.county.path, before={"name": name})


@transaction.atomic
def scheme_copy(*, actor, source: Scheme, year=None) -> Scheme:
    """Last year's scheme (settings, indicators, veto items) for `year` (default: the next year), one click."""
    source = Scheme.objects.select_related("county").get(pk=source.pk)
    year = source.year + 1 if year in (None, "") else year
    values = {name: getattr(source, name) for name in SCHEME_FIELDS if name != "name"}
    values["name"] = source.name.replace(str(source.year), str(year)) if source.name else ""
    scheme = scheme_create(actor=actor, county=source.county, year=year, group=source.group, **values)
    for indicator in source.indicators.order_by("order", "id"):
        Indicator.objects.create(scheme=scheme, **{name: getattr(indicator, name) for name in INDICATOR_FIELDS})
    for item in source.veto_items.order_by("order", "id"):
        VetoItem.objects.create(scheme=scheme, name=item.name, order=item.order)
    audit_log(
        actor=actor,
        action="update",
        obj=scheme,
        org_path=scheme.county.path,
        after={"copied_from": source.pk},
        note=f"复制自{source}",
    )
    return scheme


def default_scheme(*, county: Organization, year: int, group: str) -> Scheme:
    """The scheme an import of totals uses where the year and group have none (formats.md, 考核得分): the default
    thresholds, no quota, no indicators. Created by the system inside the import's transaction."""
    scheme = Scheme.objects.filter(county=county, year=year, group=group).first()
    if scheme is not None:
        return scheme
    try:
        with transaction.atomic():
            scheme = Scheme.objects.create(
                county=county, year=year, group=group, name=f"{year}年度{group}考核", is_default=True
            )
    except IntegrityError:  # created meanwhile by another import
        return Scheme.objects.get(county=county, year=year, group=group)
    audit_log(actor=None, action="create", obj=scheme, org_path=county.path, after=snapshot(scheme, SCHEME_FIELDS))
    return scheme


@transaction.atomic
def rule_settings_update(*, actor, county: Organization, **values) -> RuleSettings:
    county = county_of(county)
    ensure_may_manage(actor, county)
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"rule_settings_update cannot change {sorted(unknown)}")
    settings_row, _ = RuleSettings.objects.select_for_update().get_or_create(county=county)
    before = snapshot(settings_row, RULE_FIELDS)
    problems = {}
    limits = {"not_moved_up_years": (1, 5), "bottom_years": (1, 5), "bottom_n": (1, 20), "min_group_size": (0, 999)}
    for name, value in values.items():
        if name in limits:
            try:
                setattr(
                    settings_row,
                    name,
                    _whole(
                        value,
                        RuleSettings._meta.get_field(name).verbose_name,
                        low=limits[name][0],
                        high=limits[name][1],
                    ),
                )
            except ValidationError as exc:
                problems[name] = exc.messages[0]
        else:
            setattr(settings_row, name, bool(value))
    if problems:
        _raise(problems)
    settings_row.updated_at = timezone.now()
    settings_row.save()
    after = snapshot(settings_row, RULE_FIELDS)
    if after != before:
        audit_log(
            actor=actor,
            action="update",
            obj=settings_row,
            org_path=county.path,
            before=before,
            after=after,
            note="三个一律参数变更，重新计算后生效",
        )
        Scheme.objects.filter(county=county, status=SchemeStatus.COMPUTED).update(status=SchemeStatus.DRAFT)
    return settings_row
