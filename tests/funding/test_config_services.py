"""The county's funding configuration (funding/services/config.py): county administrators only, clear Chinese
messages for each mistake, every write audited, a refused write changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditEvent
from funding.choices import DEFAULT_CATEGORIES, DEFAULT_SOURCES
from funding.models import FundCategory, FundSource, FundStandard, RuralIncome
from funding.services.config import (
    category_create,
    category_update,
    defaults_ensure,
    rural_income_set,
    source_create,
    source_update,
    standard_create,
    standard_update,
)
from tests.helpers import nothing_changed

pytestmark = pytest.mark.django_db
LAST_YEAR = timezone.localdate().year + 5  # standards and incomes may be set up to five years ahead


def _rows() -> tuple:
    return (
        sorted(FundCategory.objects.values_list("id", "name", "disburse_within_days", "order", "active", "note")),
        sorted(FundSource.objects.values_list("id", "name", "order", "active")),
        sorted(
            FundStandard.objects.values_list(
                "id",
                "name",
                "category_id",
                "basis",
                "amount",
                "multiple",
                "year_from",
                "year_to",
                "members_min",
                "members_max",
                "domain",
                "kind",
                "active",
            )
        ),  # fmt: skip
        sorted(RuralIncome.objects.values_list("year", "amount", "note")),
        AuditEvent.objects.count(),
    )


def _refused(call, field: str, message: str) -> None:
    before = _rows()
    with pytest.raises(ValidationError) as exc:
        call()
    assert exc.value.message_dict[field] == [message]
    assert _rows() == before


def _fixed(funds, **extra):
    fields = {"name": "村级组织运转经费保障标准", "category": funds.operating, "basis": "fixed", "amount": "50000"}
    fields.update(extra)
    fields.setdefault("year_from", 2025)
    return standard_create(actor=None, **fields)


# --- permissions ---------------------------------------------------------------------------------------------


def test_only_the_county_administrator_configures(county, funds, county_admin, township_admin, secretary, leader):
    standard = _fixed(funds)
    writes = [
        lambda u: category_create(actor=u, name="新类别"),
        lambda u: category_update(actor=u, category=funds.operating, name="改名"),
        lambda u: source_create(actor=u, name="社会捐助"),
        lambda u: source_update(actor=u, source=funds.county, active=False),
        lambda u: standard_create(
            actor=u, name="新标准", category=funds.pay, basis="fixed", amount="1", year_from=2025
        ),
        lambda u: standard_update(actor=u, standard=standard, amount="1"),
        lambda u: rural_income_set(actor=u, year=2025, amount="20133.00"),
        lambda u: defaults_ensure(actor=u),
    ]
    for user in (township_admin, secretary, leader):
        for write in writes:
            before = _rows()
            with nothing_changed(), pytest.raises(PermissionDenied) as exc:
                write(user)
            assert "只有县委组织部管理员" in str(exc.value)
            assert _rows() == before
    category = category_create(actor=county_admin, name="新类别", disburse_within_days=45, order=5, note="试点")
    assert (category.name, category.disburse_within_days, category.order, category.note) == ("新类别", 45, 5, "试点")
    event = AuditEvent.objects.get(object_type="funding.fundcategory", object_id=str(category.pk))
    assert (event.actor, event.action, event.org_path) == (county_admin, "create", "")
    assert event.after == {"name": "新类别", "disburse_within_days": 45, "order": 5, "active": True, "note": "试点"}


# --- categories and sources --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "请填写经费类别。"),
        ({"name": " 村干部报酬 "}, "name", "已有名为“村干部报酬”的经费类别。"),
        ({"name": "甲" * 51}, "name", "经费类别不超过 50 字。"),
        ({"name": "新", "disburse_within_days": 0}, "disburse_within_days", "拨付时限（天）应在 1 到 366 之间。"),
        ({"name": "新", "disburse_within_days": "3.5"}, "disburse_within_days", "拨付时限（天）应为整数。"),
        ({"name": "新", "order": -1}, "order", "排序应在 0 到 32767 之间。"),
    ],
)
def test_bad_categories_are_refused(county, funds, fields, field, message):
    _refused(lambda: category_create(actor=None, **fields), field, message)


def test_category_update_and_audit(county, funds, county_admin):
    updated = category_update(actor=county_admin, category=funds.operating, disburse_within_days=45, active=False)
    assert (updated.disburse_within_days, updated.active, updated.name) == (45, False, "村级组织运转经费")
    event = AuditEvent.objects.get(action="update", object_type="funding.fundcategory")
    assert event.before == {"disburse_within_days": 30, "active": True}
    assert event.after == {"disburse_within_days": 45, "active": False}
    _refused(lambda: category_update(actor=None, category=funds.pay, name="村级组织运转经费"), "name",
             "已有名为“村级组织运转经费”的经费类别。")  # fmt: skip
    # Keeping its own name is no clash.
    assert category_update(actor=None, category=funds.pay, name="村干部报酬", order=9).order == 9
    with pytest.raises(ValueError):
        category_update(actor=None, category=funds.pay, updated_at=None)


def test_sources(county, funds, county_admin):
    source = source_create(actor=county_admin, name=" 社会捐助 ", order=7)
    assert (source.name, source.order, source.active) == ("社会捐助", 7, True)
    _refused(lambda: source_create(actor=None, name="县财政"), "name", "已有名为“县财政”的资金来源。")
    _refused(lambda: source_update(actor=None, source=source, name="乡镇"), "name", "已有名为“乡镇”的资金来源。")
    off = source_update(actor=county_admin, source=source, active=False)
    assert off.active is False
    assert AuditEvent.objects.filter(object_type="funding.fundsource", object_id=str(source.pk)).count() == 2


def test_defaults_are_created_once(db):
    FundCategory.objects.create(name="村干部报酬", disburse_within_days=10)
    categories, sources = defaults_ensure()
    assert len(categories) == len(DEFAULT_CATEGORIES) - 1 and len(sources) == len(DEFAULT_SOURCES)
    assert FundCategory.objects.get(name="村干部报酬").disburse_within_days == 10  # an edited one is left alone
    assert FundCategory.objects.get(name="服务群众专项经费").disburse_within_days == 60
    assert list(FundSource.objects.values_list("name", flat=True)) == DEFAULT_SOURCES
    events = AuditEvent.objects.count()
    assert events == len(DEFAULT_CATEGORIES) - 1 + len(DEFAULT_SOURCES)
    assert defaults_ensure(actor=None) == ([], [])
    assert AuditEvent.objects.count() == events


# --- standards -------------------------------------------------------------------------------------------------


def test_a_fixed_and_an_income_multiple_standard(county, funds, county_admin):
    fixed = _fixed(funds, domain="农村", kind="党支部", members_min=10, members_max=49, note="县委办〔2025〕3号")
    assert (fixed.amount, fixed.multiple, fixed.year_to) == (Decimal("50000.00"), None, None)
    pay = standard_create(
        actor=county_admin, name="村党组织书记报酬", category=funds.pay, basis="income_multiple", multiple="2.5",
        year_from=2025, year_to=2027,
    )  # fmt: skip
    pay.refresh_from_db()
    assert (pay.amount, pay.multiple, pay.year_to) == (None, Decimal("2.50"), 2027)
    event = AuditEvent.objects.get(object_type="funding.fundstandard", object_id=str(pay.pk))
    assert event.after["multiple"] == "2.50" and event.after["category"] == funds.pay.pk


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "请填写保障标准。"),
        ({"name": "村级组织运转经费保障标准"}, "name", "已有名为“村级组织运转经费保障标准”的保障标准。"),
        ({"amount": None}, "amount", "固定金额的标准须填写最低金额。"),
        ({"amount": "0"}, "amount", "金额不能为 0。"),
        ({"amount": "10.001"}, "amount", "金额 10.001 超过两位小数：金额以元为单位，精确到分。"),
        ({"multiple": "2"}, "multiple", "固定金额的标准不填倍数。"),
        ({"basis": "income_multiple", "amount": None}, "multiple", "按收入倍数计算的标准须填写倍数。"),
        ({"basis": "income_multiple", "amount": None, "multiple": "0"}, "multiple", "倍数应大于 0。"),
        ({"basis": "income_multiple", "amount": None, "multiple": "-1"}, "multiple", "倍数应大于 0。"),
        ({"basis": "income_multiple", "amount": None, "multiple": "2.555"}, "multiple", "倍数 2.555 超过两位小数。"),
        ({"basis": "income_multiple", "multiple": "2"}, "amount", "按收入倍数计算的标准不填固定金额。"),
        ({"basis": "monthly"}, "basis", "标准依据应为“固定金额”或“农村居民人均可支配收入的倍数”。"),
        ({"year_from": 2026, "year_to": 2025}, "year_to", "截止年度 2025 早于起始年度 2026。"),
        ({"year_from": None}, "year_from", "请填写起始年度。"),
        ({"year_from": 1999}, "year_from", f"起始年度应为 2000—{LAST_YEAR} 之间的年份。"),
        ({"members_min": 50, "members_max": 49}, "members_max",
         "党员人数上限 49 小于下限 50：人数区间的上限应不小于下限。"),
        ({"members_min": -1}, "members_min", "党员人数下限应在 0 到 1000000 之间。"),
        ({"domain": "城市"}, "domain", "所属领域应为：农村、社区、机关、事业单位、国有企业、非公企业、社会组织，或留空表示不限。"),
        ({"category": None}, "category", "请选择经费类别。"),
    ],
)  # fmt: skip
def test_bad_standards_are_refused(county, funds, fields, field, message):
    _fixed(funds)
    values = {"name": "另一标准", "category": funds.operating, "basis": "fixed", "amount": "1000", "year_from": 2025}
    values.update(fields)
    _refused(lambda: standard_create(actor=None, **values), field, message)


def test_band_edges_may_be_equal_and_an_inactive_category_is_refused(county, funds):
    single = _fixed(funds, name="恰好 30 人", members_min=30, members_max=30)
    assert (single.members_min, single.members_max) == (30, 30)
    category_update(actor=None, category=funds.pay, active=False)
    _refused(lambda: _fixed(funds, name="停用类别", category=funds.pay), "category", "经费类别“村干部报酬”已停用。")


def test_standard_update_switches_the_basis(county, funds, county_admin):
    standard = _fixed(funds)
    # Switching to a multiple drops the fixed amount; the multiple is then required.
    _refused(
        lambda: standard_update(actor=None, standard=standard, basis="income_multiple"),
        "multiple",
        "按收入倍数计算的标准须填写倍数。",
    )
    changed = standard_update(actor=county_admin, standard=standard, basis="income_multiple", multiple="1.5")
    changed.refresh_from_db()
    assert (changed.basis, changed.amount, changed.multiple) == ("income_multiple", None, Decimal("1.50"))
    event = AuditEvent.objects.get(action="update", object_type="funding.fundstandard")
    assert event.before == {"basis": "fixed", "amount": "50000.00", "multiple": None}
    assert event.after == {"basis": "income_multiple", "amount": None, "multiple": "1.50"}
    back = standard_update(actor=None, standard=changed, basis="fixed", amount="60000")
    assert (back.amount, back.multiple) == (Decimal("60000.00"), None)
    _refused(
        lambda: standard_update(actor=None, standard=back, year_to=2024), "year_to", "截止年度 2024 早于起始年度 2025。"
    )
    assert standard_update(actor=None, standard=back, year_to=2025).year_to == 2025
    assert standard_update(actor=None, standard=back, year_to=None, active=False).active is False


# --- rural income ----------------------------------------------------------------------------------------------


def test_rural_income_is_set_then_replaced(county, county_admin):
    income = rural_income_set(actor=county_admin, year=2025, amount="20,133.00", note="县统计局公报")
    assert (income.year, income.amount, income.note) == (2025, Decimal("20133.00"), "县统计局公报")
    again = rural_income_set(actor=county_admin, year=2025, amount="20500")
    assert again.pk == income.pk and RuralIncome.objects.count() == 1
    assert RuralIncome.objects.get().amount == Decimal("20500.00")
    events = list(AuditEvent.objects.filter(object_type="funding.ruralincome").order_by("id"))
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].before == {"amount": "20133.00", "note": "县统计局公报"}
    assert events[1].after == {"amount": "20500.00", "note": ""}
    _refused(lambda: rural_income_set(actor=None, year=2025, amount="-1"), "amount", "金额 -1 是负数：请填写正数。")
    _refused(
        lambda: rural_income_set(actor=None, year="二〇二五", amount="1"),
        "year",
        f"年度应为 2000—{LAST_YEAR} 之间的年份。",
    )
