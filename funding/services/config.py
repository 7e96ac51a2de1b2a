"""Writes of the county's funding configuration: categories (经费类别), sources (资金来源), standards (经费保障标准)
and the rural per-capita income of each year (农村居民人均可支配收入).

The configuration belongs to the whole county, so only the county organization department changes it (a
county_admin grant or a superuser; the system itself as actor None). Every write is audited with an empty org_path:
it is nobody's subtree. Rules:
- names are unique among categories, among sources and among standards (compared without surrounding spaces);
- a fixed standard states a minimum amount and no multiple, an income-multiple standard a multiple above 0 and no
  amount (changing the basis clears the other value unless it is given);
- a standard's last year is not before its first, its member band's upper end not below its lower end.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.selectors import may_configure_county
from core.audit import audit_log, snapshot
from core.money import parse_amount
from organizations.choices import Domain, OrgKind

from ..choices import DEFAULT_CATEGORIES, DEFAULT_SOURCES, StandardBasis
from ..models import FundCategory, FundSource, FundStandard, RuralIncome

CATEGORY_FIELDS = ("name", "disburse_within_days", "order", "active", "note")
SOURCE_FIELDS = ("name", "order", "active")
STANDARD_FIELDS = (
    "name", "category", "domain", "kind", "assessment_group", "members_min", "members_max", "basis", "amount", "multiple", "year_from",
    "year_to", "active", "note",
)  # fmt: skip
INCOME_FIELDS = ("year", "amount", "note")
FIRST_YEAR = 2000
MAX_DAYS = 366
MAX_ORDER = 32767
MAX_MULTIPLE = Decimal("999.99")
HUNDREDTH = Decimal("0.01")
REFUSED = "只有县委组织部管理员可以设置经费类别、资金来源、保障标准和农村居民人均可支配收入。"


def may_configure_funding(actor) -> bool:
    return may_configure_county(actor)


def _ensure_allowed(actor) -> None:
    if not may_configure_funding(actor):
        raise PermissionDenied(REFUSED)


def _raise(problems: dict) -> None:
    if problems:
        raise ValidationError({k: v if isinstance(v, list) else [v] for k, v in problems.items()})


def _check_known(changes: dict, allowed, service: str) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"{service} cannot change {sorted(unknown)}")


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _whole(value, label: str, *, low: int, high: int) -> tuple[int | None, str | None]:
    """A whole number from a form or the API, within [low, high]."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, f"请填写{label}。"
    if isinstance(value, bool):
        return None, f"{label}应为整数。"
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None, f"{label}应为整数。"
    if not number.is_finite() or number != number.to_integral_value():
        return None, f"{label}应为整数。"
    number = int(number)
    if not low <= number <= high:
        return None, f"{label}应在 {low} 到 {high} 之间。"
    return number, None


def _year_problem(year, label: str) -> tuple[int | None, str | None]:
    """A year from 2000 to five years ahead (standards are set in advance)."""
    if year is None or (isinstance(year, str) and not year.strip()):
        return None, f"请填写{label}。"
    high = timezone.localdate().year + 5
    value, problem = _whole(year, label, low=FIRST_YEAR, high=high)
    return (None, f"{label}应为 {FIRST_YEAR}—{high} 之间的年份。") if problem else (value, None)


def _name_problem(model, name: str, pk, label: str, max_length: int) -> str | None:
    if not name:
        return f"请填写{label}。"
    if len(name) > max_length:
        return f"{label}不超过 {max_length} 字。"
    if model.objects.filter(name=name).exclude(pk=pk).exists():
        return f"已有名为“{name}”的{label}。"
    return None


def _note_problem(note: str, max_length: int = 200) -> str | None:
    return f"说明不超过 {max_length} 字。" if len(note) > max_length else None


# --- categories ------------------------------------------------------------------------------------------------


def _clean_category(category: FundCategory, raw: dict) -> None:
    problems = {}
    if "name" in raw:
        category.name = _text(raw["name"])
    if p := _name_problem(FundCategory, category.name, category.pk, "经费类别", 50):
        problems["name"] = p
    if "disburse_within_days" in raw:
        value, p = _whole(raw["disburse_within_days"], "拨付时限（天）", low=1, high=MAX_DAYS)
        if p:
            problems["disburse_within_days"] = p
        else:
            category.disburse_within_days = value
    if "order" in raw:
        value, p = _whole(raw["order"], "排序", low=0, high=MAX_ORDER)
        if p:
            problems["order"] = p
        else:
            category.order = value
    if "active" in raw:
        category.active = bool(raw["active"])
    if "note" in raw:
        category.note = _text(raw["note"])
        if p := _note_problem(category.note):
            problems["note"] = p
    _raise(problems)


@transaction.atomic
def category_create(*, actor, name: str, disburse_within_days=30, order=0, note: str = "") -> FundCategory:
    """Add a 经费类别; `disburse_within_days` is the default deadline of its allocations."""
    _ensure_allowed(actor)
    category = FundCategory(updated_at=timezone.now())
    _clean_category(
        category, {"name": name, "disburse_within_days": disburse_within_days, "order": order, "note": note}
    )
    category.save()
    audit_log(actor=actor, action="create", obj=category, after=snapshot(category, CATEGORY_FIELDS))
    return category


@transaction.atomic
def category_update(*, actor, category: FundCategory, **changes) -> FundCategory:
    """Rename, re-time, re-order, (de)activate or annotate a category. Records already made keep it."""
    _ensure_allowed(actor)
    _check_known(changes, CATEGORY_FIELDS, "category_update")
    current = FundCategory.objects.select_for_update().get(pk=category.pk)
    before = snapshot(current, CATEGORY_FIELDS)
    _clean_category(current, changes)
    current.updated_at = timezone.now()
    current.save()
    audit_log(actor=actor, action="update", obj=current, before=before, after=snapshot(current, CATEGORY_FIELDS))
    return current


# --- sources ---------------------------------------------------------------------------------------------------


def _clean_source(source: FundSource, raw: dict) -> None:
    problems = {}
    if "name" in raw:
        source.name = _text(raw["name"])
    if p := _name_problem(FundSource, source.name, source.pk, "资金来源", 50):
        problems["name"] = p
    if "order" in raw:
        value, p = _whole(raw["order"], "排序", low=0, high=MAX_ORDER)
        if p:
            problems["order"] = p
        else:
            source.order = value
    if "active" in raw:
        source.active = bool(raw["active"])
    _raise(problems)


@transaction.atomic
def source_create(*, actor, name: str, order=0) -> FundSource:
    """Add a 资金来源 (中央/省/市/县财政, 乡镇, 党费, …)."""
    _ensure_allowed(actor)
    source = FundSource(updated_at=timezone.now())
    _clean_source(source, {"name": name, "order": order})
    source.save()
    audit_log(actor=actor, action="create", obj=source, after=snapshot(source, SOURCE_FIELDS))
    return source


@transaction.atomic
def source_update(*, actor, source: FundSource, **changes) -> FundSource:
    """Rename, re-order or (de)activate a source."""
    _ensure_allowed(actor)
    _check_known(changes, SOURCE_FIELDS, "source_update")
    current = FundSource.objects.select_for_update().get(pk=source.pk)
    before = snapshot(current, SOURCE_FIELDS)
    _clean_source(current, changes)
    current.updated_at = timezone.now()
    current.save()
    audit_log(actor=actor, action="update", obj=current, before=before, after=snapshot(current, SOURCE_FIELDS))
    return current


# --- standards -------------------------------------------------------------------------------------------------


def _multiple_problem(value) -> tuple[Decimal | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "按收入倍数计算的标准须填写倍数。"
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None, f"倍数“{value}”不是数字。"
    if not number.is_finite():
        return None, f"倍数“{value}”不是数字。"
    if number <= 0:
        return None, "倍数应大于 0。"
    if number != number.quantize(HUNDREDTH):
        return None, f"倍数 {value} 超过两位小数。"
    if number > MAX_MULTIPLE:
        return None, f"倍数不超过 {MAX_MULTIPLE}。"
    return number.quantize(HUNDREDTH), None


def _band_value(value, label: str) -> tuple[int | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    return _whole(value, label, low=0, high=1_000_000)


def _clean_standard(standard: FundStandard, raw: dict) -> None:
    """Apply `raw` (the fields given) to `standard` and check the whole of it."""
    problems = {}
    if "name" in raw:
        standard.name = _text(raw["name"])
    if p := _name_problem(FundStandard, standard.name, standard.pk, "保障标准", 100):
        problems["name"] = p
    if "category" in raw:
        category = raw["category"]
        if category is not None:  # as stored now: a stale instance must not hide a deactivation
            category = FundCategory.objects.filter(pk=category.pk).first()
        if category is None:
            problems["category"] = "请选择经费类别。"
        elif not category.active and category.pk != standard.category_id:
            problems["category"] = f"经费类别“{category.name}”已停用。"
        else:
            standard.category = category
    elif standard.category_id is None:
        problems["category"] = "请选择经费类别。"
    for name, choices, label in (("domain", Domain, "所属领域"), ("kind", OrgKind, "组织类型")):
        if name in raw:
            value = _text(raw[name])
            if value and value not in choices.values:
                problems[name] = f"{label}应为：{'、'.join(choices.values)}，或留空表示不限。"
            else:
                setattr(standard, name, value)
    if "assessment_group" in raw:
        group = _text(raw["assessment_group"])
        if len(group) > 50:
            problems["assessment_group"] = "考核类别不超过 50 字。"
        else:
            standard.assessment_group = group
    for name, label in (("members_min", "党员人数下限"), ("members_max", "党员人数上限")):
        if name in raw:
            value, p = _band_value(raw[name], label)
            if p:
                problems[name] = p
            else:
                setattr(standard, name, value)
    if (
        not {"members_min", "members_max"} & set(problems)
        and standard.members_min is not None
        and standard.members_max is not None
        and standard.members_max < standard.members_min
    ):
        problems["members_max"] = (
            f"党员人数上限 {standard.members_max} 小于下限 {standard.members_min}：人数区间的上限应不小于下限。"
        )
    if "basis" in raw:
        basis = _text(raw["basis"])
        if basis not in StandardBasis.values:
            problems["basis"] = "标准依据应为“固定金额”或“农村居民人均可支配收入的倍数”。"
        else:
            if basis != standard.basis:
                # Switching the basis drops the other basis's value unless the caller states it (and is refused).
                if basis == StandardBasis.FIXED and "multiple" not in raw:
                    standard.multiple = None
                if basis == StandardBasis.INCOME_MULTIPLE and "amount" not in raw:
                    standard.amount = None
            standard.basis = basis
    if "basis" not in problems:
        given_amount = raw.get("amount", standard.amount)
        given_multiple = raw.get("multiple", standard.multiple)
        empty = (None, "")
        if standard.basis == StandardBasis.FIXED:
            if given_multiple not in empty:
                problems["multiple"] = "固定金额的标准不填倍数。"
            value, p = (None, "固定金额的标准须填写最低金额。") if given_amount in empty else (None, None)
            if not p:
                try:
                    value = parse_amount(given_amount)
                except ValidationError as exc:
                    p = exc.messages[0]
            if p:
                problems["amount"] = p
            else:
                standard.amount, standard.multiple = value, None
        else:
            if given_amount not in empty:
                problems["amount"] = "按收入倍数计算的标准不填固定金额。"
            value, p = _multiple_problem(given_multiple)
            if p:
                problems["multiple"] = p
            else:
                standard.multiple, standard.amount = value, None
    if "year_from" in raw:
        value, p = _year_problem(raw["year_from"], "起始年度")
        if p:
            problems["year_from"] = p
        else:
            standard.year_from = value
    elif standard.year_from is None:
        problems["year_from"] = "请填写起始年度。"
    if "year_to" in raw:
        if raw["year_to"] in (None, ""):
            standard.year_to = None
        else:
            value, p = _year_problem(raw["year_to"], "截止年度")
            if p:
                problems["year_to"] = p
            else:
                standard.year_to = value
    if (
        not {"year_from", "year_to"} & set(problems)
        and standard.year_to is not None
        and standard.year_from is not None
        and standard.year_to < standard.year_from
    ):
        problems["year_to"] = f"截止年度 {standard.year_to} 早于起始年度 {standard.year_from}。"
    if "active" in raw:
        standard.active = bool(raw["active"])
    if "note" in raw:
        standard.note = _text(raw["note"])
        if p := _note_problem(standard.note):
            problems["note"] = p
    _raise(problems)


@transaction.atomic
def standard_create(
    *,
    actor,
    name: str,
    category: FundCategory,
    basis: str,
    amount=None,
    multiple=None,
    year_from: int,
    year_to: int | None = None,
    domain: str = "",
    kind: str = "",
    assessment_group: str = "",
    members_min: int | None = None,
    members_max: int | None = None,
    note: str = "",
) -> FundStandard:
    """Add a county standard: matching organizations must receive at least its minimum of `category` each year."""
    _ensure_allowed(actor)
    standard = FundStandard(basis=basis if basis in StandardBasis.values else StandardBasis.FIXED)
    _clean_standard(
        standard,
        {
            "name": name, "category": category, "basis": basis, "amount": amount, "multiple": multiple,
            "year_from": year_from, "year_to": year_to, "domain": domain, "kind": kind, "assessment_group": assessment_group,
            "members_min": members_min,
            "members_max": members_max, "note": note,
        },
    )  # fmt: skip
    standard.updated_at = timezone.now()
    standard.save()
    audit_log(actor=actor, action="create", obj=standard, after=snapshot(standard, STANDARD_FIELDS))
    return standard


@transaction.atomic
def standard_update(*, actor, standard: FundStandard, **changes) -> FundStandard:
    """Change any field of a standard (STANDARD_FIELDS); findings already raised keep what they said."""
    _ensure_allowed(actor)
    _check_known(changes, STANDARD_FIELDS, "standard_update")
    current = FundStandard.objects.select_for_update().select_related("category").get(pk=standard.pk)
    before = snapshot(current, STANDARD_FIELDS)
    _clean_standard(current, changes)
    current.updated_at = timezone.now()
    current.save()
    audit_log(actor=actor, action="update", obj=current, before=before, after=snapshot(current, STANDARD_FIELDS))
    return current


# --- rural income ----------------------------------------------------------------------------------------------


@transaction.atomic
def rural_income_set(*, actor, year: int, amount, note: str = "") -> RuralIncome:
    """Set (create or replace) the year's rural per-capita disposable income the income-multiple standards use."""
    _ensure_allowed(actor)
    problems = {}
    year_value, p = _year_problem(year, "年度")
    if p:
        problems["year"] = p
    value = None
    try:
        value = parse_amount(amount)
    except ValidationError as exc:
        problems["amount"] = exc.messages[0]
    note = _text(note)
    if p := _note_problem(note):
        problems["note"] = p
    _raise(problems)
    income = RuralIncome.objects.select_for_update().filter(year=year_value).first()
    now = timezone.now()
    if income is None:
        income = RuralIncome.objects.create(year=year_value, amount=value, note=note, updated_at=now)
        audit_log(actor=actor, action="create", obj=income, after=snapshot(income, INCOME_FIELDS))
        return income
    before = snapshot(income, INCOME_FIELDS)
    income.amount, income.note, income.updated_at = value, note, now
    income.save()
    audit_log(actor=actor, action="update", obj=income, before=before, after=snapshot(income, INCOME_FIELDS))
    return income


# --- defaults --------------------------------------------------------------------------------------------------


@transaction.atomic
def defaults_ensure(*, actor=None) -> tuple[list[FundCategory], list[FundSource]]:
    """Create the default categories and sources (choices.DEFAULT_*) that are missing, by name; running it again
    creates nothing. Returns what it created."""
    _ensure_allowed(actor)
    now = timezone.now()
    have = set(FundCategory.objects.values_list("name", flat=True))
    categories = []
    for order, (name, days) in enumerate(DEFAULT_CATEGORIES, start=1):
        if name not in have:
            category = FundCategory.objects.create(name=name, disburse_within_days=days, order=order, updated_at=now)
            audit_log(actor=actor, action="create", obj=category, after=snapshot(category, CATEGORY_FIELDS))
            categories.append(category)
    have = set(FundSource.objects.values_list("name", flat=True))
    sources = []
    for order, name in enumerate(DEFAULT_SOURCES, start=1):
        if name not in have:
            source = FundSource.objects.create(name=name, order=order, updated_at=now)
            audit_log(actor=actor, action="create", obj=source, after=snapshot(source, SOURCE_FIELDS))
            sources.append(source)
    return categories, sources
