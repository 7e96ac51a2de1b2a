"""The funding export (docs: formats.md, "Exports"): one row per organization × category with any record in the
year, 下达 / 到位 / 支出 exact to the fen, 到位率 and 使用率 rounded half-up to two decimals and blank where the divisor
is 0, sorted by 组织代码 then the categories' configured order, inside the actor's scope, formulas never written."""

from __future__ import annotations

import zipfile
from decimal import Decimal

import openpyxl
import pytest

from core.xlsx.exporter import export_write
from funding.models import Expenditure, FundCategory
from funding.services.ledger import allocation_create, disbursement_create, expenditure_create
from funding.xlsx import funding_export, funding_rows
from organizations.models import Organization
from tests.commands.cli import run_cli

from .conftest import D

pytestmark = pytest.mark.django_db

# The public layout, spelled out (formats.md), not taken from the code.
HEADERS = ["年度", "组织代码", "组织名称", "经费类别", "下达金额", "到位金额", "支出金额", "到位率(%)", "使用率(%)"]
OPS, PAY, TRAINING = "村级组织运转经费", "村干部报酬", "党员教育培训经费"
Y = Decimal


def _allocate(org, category, source, amount, day, **kw):
    return allocation_create(
        actor=None, organization=org, year=day.year, category=category, source=source, amount=amount,
        allocated_on=day, **kw,
    )  # fmt: skip


@pytest.fixture
def books(county, funds):
    """Hand-worked ledgers of 2025 (and one record of 2024 that must not show):

    C01001 党员教育培训经费 (排序 0, made last): 下达 1.00, nothing arrived: 到位率 0.00, 使用率 blank
    C01001 村级组织运转经费 (排序 1): 下达 3.00, 到位 1.00 → 33.33, 支出 0.10 → 10.00
    C01001 村干部报酬 (排序 2): 下达 0.10 + 0.20 = 0.30 (two sources), 到位 0.30 → 100.00, 支出 0.20 → 66.67
    C01002 村干部报酬: 下达 3.00, 到位 3.00, 支出 2.00 → 66.67
    C02001 村级组织运转经费: 下达 5.00, 到位 2.00 → 40.00 (township B: out of township A's scope)
    C90 村级组织运转经费: spending recorded straight into the table, no allocation: both rates blank
    """
    training = FundCategory.objects.create(name=TRAINING, order=0)
    a1, a2, b1 = county.village_a1, county.village_a2, county.village_b1
    _allocate(a1, training, funds.county, "1.00", D(2025, 3, 1))
    ops = _allocate(a1, funds.operating, funds.county, "3.00", D(2025, 1, 10))
    disbursement_create(actor=None, allocation=ops, amount="1.00", paid_on=D(2025, 1, 20))
    expenditure_create(
        actor=None, organization=a1, year=2025, category=funds.operating, amount="0.10", spent_on=D(2025, 2, 1),
        purpose="办公用品",
    )  # fmt: skip
    for amount, source in (("0.10", funds.county), ("0.20", funds.township)):
        pay = _allocate(a1, funds.pay, source, amount, D(2025, 1, 5))
        disbursement_create(actor=None, allocation=pay, amount=amount, paid_on=D(2025, 1, 6))
    expenditure_create(
        actor=None, organization=a1, year=2025, category=funds.pay, amount="0.20", spent_on=D(2025, 2, 1),
        purpose="报酬",
    )  # fmt: skip
    pay2 = _allocate(a2, funds.pay, funds.county, "3.00", D(2025, 1, 5))
    disbursement_create(actor=None, allocation=pay2, amount="3.00", paid_on=D(2025, 1, 6))
    expenditure_create(
        actor=None, organization=a2, year=2025, category=funds.pay, amount="2.00", spent_on=D(2025, 2, 1),
        purpose="报酬",
    )  # fmt: skip
    b = _allocate(b1, funds.operating, funds.county, "5.00", D(2025, 1, 5))
    disbursement_create(actor=None, allocation=b, amount="2.00", paid_on=D(2025, 1, 6))
    Expenditure.objects.create(
        organization=county.dept, year=2025, category=funds.operating, amount=Y("7.00"), spent_on=D(2025, 2, 1),
        purpose="旧账",
    )  # fmt: skip
    _allocate(a1, funds.operating, funds.county, "9.00", D(2024, 5, 1))  # another year
    return county


ALL_ROWS = [
    [2025, "C01001", "东街村党支部", TRAINING, Y("1.00"), Y("0.00"), Y("0.00"), Y("0.00"), None],
    [2025, "C01001", "东街村党支部", OPS, Y("3.00"), Y("1.00"), Y("0.10"), Y("33.33"), Y("10.00")],
    [2025, "C01001", "东街村党支部", PAY, Y("0.30"), Y("0.30"), Y("0.20"), Y("100.00"), Y("66.67")],
    [2025, "C01002", "西街村党支部", PAY, Y("3.00"), Y("3.00"), Y("2.00"), Y("100.00"), Y("66.67")],
    [2025, "C02001", "北山村党支部", OPS, Y("5.00"), Y("2.00"), Y("0.00"), Y("40.00"), Y("0.00")],
    [2025, "C90", "县财政局机关党支部", OPS, Y("0.00"), Y("0.00"), Y("7.00"), None, None],
]


def test_rows_amounts_rates_and_order(books):
    rows = funding_rows(None, year=2025)
    assert rows == ALL_ROWS
    # Exact decimals with two places, not floats.
    assert all(type(v) is Decimal and v.as_tuple().exponent == -2 for row in rows for v in row[4:] if v is not None)
    assert funding_rows(None, year=2023) == []


def test_rates_round_half_up():
    from core.money import rate

    assert (rate(1, 3), rate(2, 3), rate(Y("0.01"), 8), rate(1, 0)) == (Y("33.33"), Y("66.67"), Y("0.13"), None)


def test_scope_of_the_actor(books, township_admin, sibling_admin, secretary, leader):
    assert funding_rows(township_admin, year=2025) == ALL_ROWS[:4]
    assert funding_rows(sibling_admin, year=2025) == ALL_ROWS[4:5]
    assert funding_rows(secretary, year=2025) == ALL_ROWS[:3]
    assert funding_rows(leader, year=2025) == ALL_ROWS
    assert funding_rows(None, year=2025, root=books.township_a) == ALL_ROWS[:4]
    only = Organization.objects.filter(code__in=["C01002", "C90"])
    assert funding_rows(None, year=2025, queryset=only) == [ALL_ROWS[3], ALL_ROWS[5]]


def test_export_needs_a_year(books):
    with pytest.raises(ValueError, match="导出 funding 须指定年度"):
        funding_export(None)


def test_export_command_writes_the_sheet(books, tmp_path, monkeypatch):
    path = tmp_path / "funding.xlsx"
    code, out, err = run_cli(monkeypatch, "export_xlsx", "funding", "--year", "2025", "-o", str(path))
    assert (code, err) == (0, "")
    assert out.strip() == f"已导出 funding：6 行 → {path}"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["funding"]
    values = list(wb["funding"].iter_rows(values_only=True))
    assert list(values[0]) == HEADERS
    as_read = [[float(v) if isinstance(v, Decimal) else v for v in row] for row in ALL_ROWS]
    assert [list(r) for r in values[1:]] == as_read
    # The amounts are numbers written with their two decimals.
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>0.30</v>" in sheet and "<v>33.33</v>" in sheet and "<v>0.00</v>" in sheet
    code, out, err = run_cli(monkeypatch, "export_xlsx", "funding", "-o", str(path))
    assert (code, err.strip()) == (1, "CommandError: 导出 funding 须指定年度，如 --year 2025")


def test_text_that_looks_like_a_formula_stays_text(books, tmp_path):
    Organization.objects.filter(code="C90").update(name='=HYPERLINK("http://x")')
    path = tmp_path / "funding.xlsx"
    with open(path, "wb") as fp:
        assert export_write(kind="funding", actor=None, fp=fp, year=2025) == 6
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    cell = openpyxl.load_workbook(path)["funding"]["C7"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ('=HYPERLINK("http://x")', "s", True)
