"""The 经费 sheet (docs: formats.md): 下达 / 拨付 / 支出 one a row, checked against the database and the file's own
earlier rows (下达 first, then 拨付, then 支出, whatever the row order), a 拨付 split across its allocations oldest
first, every problem reported by sheet, row and column with nothing written, and a second import of the same file
changing nothing (rows matched by every column, occurrence by occurrence).

"Now" is frozen at 2025-06-15 10:00 Asia/Shanghai, so years 2000—2026 are accepted and 2025-06-16 is the future.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AuditEvent
from core.xlsx.importer import workbook_import
from funding.models import Allocation, Disbursement, Expenditure, FundCategory, FundSource
from funding.services.ledger import expenditure_create
from tests.commands.cli import run_cli
from tests.helpers import ORG_HEADERS, nothing_changed, org_row, problem_texts, workbook

from .conftest import D

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
# The public layout, spelled out (formats.md), not taken from the code.
HEADERS = ["年度", "组织代码", "经费类别", "资金来源", "记录类型", "金额（元）", "日期", "摘要"]
OPS, PAY = "村级组织运转经费", "村干部报酬"
N = None


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def funding_workbook(rows, extra=None) -> bytes:
    return workbook({**(extra or {}), "经费": [HEADERS, *rows]})


def import_rows(rows, actor=None, extra=None, dry_run=False, progress=None):
    kwargs = {"progress": progress} if progress else {}
    return workbook_import(source=funding_workbook(rows, extra), actor=actor, dry_run=dry_run, **kwargs)


def ok(report):
    assert report.ok, problem_texts(report)
    return report


def ledgers() -> dict:
    """Every funding record by value (ids aside, allocations named by their date), and the audit count."""
    alloc_day = dict(Allocation.objects.values_list("id", "allocated_on"))
    return {
        "allocations": sorted(
            Allocation.objects.values_list(
                "organization__code", "year", "category__name", "source__name", "amount", "allocated_on", "deadline",
                "document_no", "note",
            )
        ),
        "disbursements": sorted(
            (alloc_day[a], *rest)
            for a, *rest in Disbursement.objects.values_list(
                "allocation_id", "organization__code", "year", "category__name", "source__name", "amount", "paid_on",
                "voucher", "note",
            )
        ),
        "expenditures": sorted(
            Expenditure.objects.values_list(
                "organization__code", "year", "category__name", "source__name", "amount", "spent_on", "purpose",
                "voucher", "note",
            ),
            key=str,
        ),
    }  # fmt: skip


def table_counts() -> dict:
    return {
        "allocations": Allocation.objects.count(),
        "disbursements": Disbursement.objects.count(),
        "expenditures": Expenditure.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


# Sorted by date, the kinds mixed, as a clerk keeps the book.
GOOD = [
    [2025, "C01001", OPS, "县财政", "下达", 0.10, D(2025, 1, 10), "一季度运转经费"],  # 2
    [2025, "C01001", OPS, "县财政", "下达", 0.20, D(2025, 2, 10), "二月追加"],  # 3
    # 4: the first allocation holds 0.10, so 0.25 is split: 0.10 there and 0.15 to the second
    [2025, "C01001", OPS, "县财政", "拨付", 0.25, D(2025, 2, 20), "县财政拨付"],
    [2025, "C01001", OPS, N, "支出", 0.05, D(2025, 3, 1), "购买办公用品"],  # 5: no source: the category's pot
    [2025, "C01001", OPS, "县财政", "拨付", "0.05", "2025-03-05", "补足"],  # 6: text cells: 0.10 + 0.20 = 0.30
    ["2025", "C01002", PAY, "乡镇", "下达", 1000, D(2025, 1, 1), "村干部报酬"],  # 7
    [2025, "C01002", PAY, "乡镇", "拨付", 500, D(2025, 1, 15), "上半年"],  # 8
    [2025, "C01002", PAY, "乡镇", "拨付", 500, D(2025, 1, 15), "上半年"],  # 9: the same row twice: two records
    [2025, "C01002", PAY, "乡镇", "支出", 300, D(2025, 2, 1), "发放报酬"],  # 10
    [2025, "C01002", PAY, "乡镇", "支出", 300, D(2025, 2, 1), "发放报酬"],  # 11
    [2024, "C01002", PAY, "乡镇", "下达", "12,345.67", "2024-12-31", N],  # 12: another year, no 摘要
]

EXPECTED = {
    "allocations": [
        ("C01001", 2025, OPS, "县财政", Decimal("0.10"), D(2025, 1, 10), D(2025, 2, 9), "", "一季度运转经费"),
        ("C01001", 2025, OPS, "县财政", Decimal("0.20"), D(2025, 2, 10), D(2025, 3, 12), "", "二月追加"),
        ("C01002", 2024, PAY, "乡镇", Decimal("12345.67"), D(2024, 12, 31), D(2024, 12, 31), "", ""),  # capped
        ("C01002", 2025, PAY, "乡镇", Decimal("1000.00"), D(2025, 1, 1), D(2025, 3, 2), "", "村干部报酬"),  # 60 days
    ],
    "disbursements": [
        (D(2025, 1, 1), "C01002", 2025, PAY, "乡镇", Decimal("500.00"), D(2025, 1, 15), "", "上半年"),
        (D(2025, 1, 1), "C01002", 2025, PAY, "乡镇", Decimal("500.00"), D(2025, 1, 15), "", "上半年"),
        (D(2025, 1, 10), "C01001", 2025, OPS, "县财政", Decimal("0.10"), D(2025, 2, 20), "", "县财政拨付"),
        (D(2025, 2, 10), "C01001", 2025, OPS, "县财政", Decimal("0.05"), D(2025, 3, 5), "", "补足"),
        (D(2025, 2, 10), "C01001", 2025, OPS, "县财政", Decimal("0.15"), D(2025, 2, 20), "", "县财政拨付"),
    ],
    "expenditures": sorted(
        [
            ("C01001", 2025, OPS, None, Decimal("0.05"), D(2025, 3, 1), "购买办公用品", "", ""),
            ("C01002", 2025, PAY, "乡镇", Decimal("300.00"), D(2025, 2, 1), "发放报酬", "", ""),
            ("C01002", 2025, PAY, "乡镇", Decimal("300.00"), D(2025, 2, 1), "发放报酬", "", ""),
        ],
        key=str,
    ),
}


def test_a_good_workbook_is_imported_exactly(county, funds):
    report = ok(import_rows(GOOD))
    assert report.summary_lines() == ["经费: 已新增 11 行，已更新 0 行，未变 0 行"]
    assert ledgers() == EXPECTED
    # Exact to the fen: 0.10 + 0.20 allocated, 0.25 + 0.05 arrived.
    ops = {"organization": county.village_a1, "year": 2025, "category": funds.operating}
    assert sum(a.amount for a in Allocation.objects.filter(**ops)) == Decimal("0.30")
    assert sum(d.amount for d in Disbursement.objects.filter(**ops)) == Decimal("0.30")
    first, second = Allocation.objects.filter(**ops).order_by("allocated_on")
    assert first.pk < second.pk
    assert [d.amount for d in first.disbursements.all()] == [Decimal("0.10")]
    assert sorted(d.amount for d in second.disbursements.all()) == [Decimal("0.05"), Decimal("0.15")]
    assert {d.created_by for d in Disbursement.objects.all()} == {None}


def test_one_audit_event_per_row_with_the_services_snapshot(county, funds):
    ok(import_rows(GOOD))
    events = AuditEvent.objects.filter(action="create", object_type__startswith="funding.")
    assert events.count() == 11
    assert sorted(events.values_list("object_type", flat=True)) == (
        ["funding.allocation"] * 4 + ["funding.disbursement"] * 4 + ["funding.expenditure"] * 3
    )
    first = Allocation.objects.get(allocated_on=D(2025, 1, 10))
    event = events.get(object_type="funding.allocation", object_id=str(first.pk))
    assert event.after == {
        "organization": county.village_a1.pk, "year": 2025, "category": funds.operating.pk, "source": funds.county.pk,
        "amount": "0.10", "allocated_on": "2025-01-10", "deadline": "2025-02-09", "document_no": "",
        "note": "一季度运转经费",
    }  # fmt: skip
    assert (event.org_path, event.object_repr, event.note) == (
        county.village_a1.path,
        "2025年 村级组织运转经费 0.10 元（县财政）",
        "Excel 导入，第 2 行",
    )
    # The split row is one event: its first part, the row's total, and the parts in the note.
    parts = list(Disbursement.objects.filter(note="县财政拨付").order_by("id"))
    second = Allocation.objects.get(allocated_on=D(2025, 2, 10))
    split = events.get(object_type="funding.disbursement", object_id=str(parts[0].pk))
    assert split.after == {
        "allocation": first.pk, "organization": county.village_a1.pk, "year": 2025, "category": funds.operating.pk,
        "source": funds.county.pk, "amount": "0.25", "paid_on": "2025-02-20", "voucher": "", "note": "县财政拨付",
    }  # fmt: skip
    assert split.note == (
        f"Excel 导入，第 4 行，按下达先后拆分为 2 笔：#{parts[0].pk} 拨入下达 #{first.pk} 0.10 元；"
        f"#{parts[1].pk} 拨入下达 #{second.pk} 0.15 元"
    )
    spent = Expenditure.objects.get(organization=county.village_a1)
    assert events.get(object_type="funding.expenditure", object_id=str(spent.pk)).after == {
        "organization": county.village_a1.pk, "year": 2025, "category": funds.operating.pk, "source": None,
        "amount": "0.05", "spent_on": "2025-03-01", "purpose": "购买办公用品", "voucher": "", "note": "",
    }  # fmt: skip


def test_reimporting_the_same_file_changes_nothing(county, funds):
    ok(import_rows(GOOD))
    before = (ledgers(), table_counts())
    report = ok(import_rows(GOOD))
    assert report.summary_lines() == ["经费: 已新增 0 行，已更新 0 行，未变 11 行"]
    assert (ledgers(), table_counts()) == before
    # In another order too: rows are matched by value, the split 拨付 by the sum of its parts.
    ok(import_rows(GOOD[::-1]))
    assert (ledgers(), table_counts()) == before


def test_occurrences_count_a_third_identical_row_is_one_new_record(county, funds):
    ok(import_rows(GOOD))
    third = [2025, "C01002", PAY, "乡镇", "支出", 300, D(2025, 2, 1), "发放报酬"]
    report = ok(import_rows([*GOOD, third]))
    assert report.summary_lines() == ["经费: 已新增 1 行，已更新 0 行，未变 11 行"]
    assert Expenditure.objects.filter(purpose="发放报酬").count() == 3
    # A row that differs in any column is another record, never an update of the first.
    report = ok(import_rows([[2025, "C01002", PAY, "乡镇", "支出", 10, D(2025, 2, 1), "发放报酬（补）"]]))
    assert report.summary_lines() == ["经费: 已新增 1 行，已更新 0 行，未变 0 行"]


def test_dry_run_counts_and_writes_nothing(county, funds):
    with nothing_changed():
        before = table_counts()
        report = ok(import_rows(GOOD, dry_run=True))
        assert report.summary_lines() == ["经费: 将新增 11 行，将更新 0 行，未变 0 行"]
        assert table_counts() == before


def test_row_order_does_not_matter(county, funds):
    """Spending listed before the money arrives, money before it is allocated: the rules read 下达, then 拨付, then
    支出, each in date order, so the result is the same records, split the same way."""
    report = ok(import_rows(GOOD[::-1]))
    assert report.summary_lines() == ["经费: 已新增 11 行，已更新 0 行，未变 0 行"]
    assert ledgers() == EXPECTED
    # 拨付 in date order: the March row was listed first, still the February one filled the older allocation.
    rows = [
        [2025, "C01001", OPS, "县财政", "拨付", 100, D(2025, 5, 1), "五月"],
        [2025, "C01001", OPS, "县财政", "拨付", 100, D(2025, 3, 1), "三月"],
        [2025, "C01001", OPS, "县财政", "下达", 100, D(2025, 4, 1), "四月下达"],
        [2025, "C01001", OPS, "县财政", "下达", 100, D(2025, 2, 1), "二月下达"],
    ]
    ok(import_rows(rows))
    paid = {d.note: d.allocation.note for d in Disbursement.objects.filter(amount=100)}
    assert paid == {"三月": "二月下达", "五月": "四月下达"}


BAD = [
    [2025, "X99", OPS, "县财政", "下达", 100, D(2025, 3, 1), "未知组织"],  # 2
    [2025, "C02001", OPS, "县财政", "下达", 100, D(2025, 3, 1), "邻镇"],  # 3: outside the township's scope
    [2025, "C01001", "党建经费", "县财政", "下达", 100, D(2025, 3, 1), "未知类别"],  # 4
    [2025, "C01001", "旧类别", "县财政", "下达", 100, D(2025, 3, 1), "停用类别"],  # 5
    [2025, "C01001", OPS, "省财政", "下达", 100, D(2025, 3, 1), "未知来源"],  # 6
    [2025, "C01001", OPS, "旧来源", "下达", 100, D(2025, 3, 1), "停用来源"],  # 7
    [2025, "C01001", OPS, "县财政", "报销", 100, D(2025, 3, 1), "未知记录类型"],  # 8
    [2025, "C01001", OPS, "县财政", "下达", "-5", D(2025, 3, 1), "负数"],  # 9
    [2025, "C01001", OPS, "县财政", "下达", 0, D(2025, 3, 1), "零"],  # 10
    [2025, "C01001", OPS, "县财政", "下达", "1.005", D(2025, 3, 1), "三位小数"],  # 11
    [2025, "C01001", OPS, "县财政", "下达", "十元", D(2025, 3, 1), "不是数字"],  # 12
    [2025, "C01001", OPS, "县财政", "下达", 100, D(2024, 12, 31), "不在年度内"],  # 13
    [1999, "C01001", OPS, "县财政", "下达", 100, D(1999, 3, 1), "年度太早"],  # 14
    [2027, "C01001", OPS, "县财政", "下达", 100, D(2027, 3, 1), "年度太晚"],  # 15
    ["二〇二五", "C01001", OPS, "县财政", "下达", 100, D(2025, 3, 1), "年度不是数字"],  # 16
    # 17—20: 0.30 allocated and arrived already; the file allocates 0.50 more (row 18) and pays 0.20 of it on
    # 15 April (row 20, listed later but paid earlier), so 0.30 is left for row 17 and row 19 comes too early.
    [2025, "C01001", OPS, "县财政", "拨付", 0.60, D(2025, 5, 1), "超出下达"],  # 17
    [2025, "C01001", OPS, "县财政", "下达", 0.50, D(2025, 4, 1), "追加"],  # 18
    [2025, "C01001", OPS, "县财政", "拨付", 0.10, D(2025, 3, 20), "早于下达"],  # 19
    [2025, "C01001", OPS, "县财政", "拨付", 0.20, D(2025, 4, 15), "先到"],  # 20
    [2025, "C01001", PAY, "县财政", "拨付", 10, D(2025, 4, 15), "没有下达"],  # 21
    # 22—23: 1,000 arrived, 600 spent; the file spends 100 (row 23) and then 300.01 (row 22, later date)
    [2025, "C01002", PAY, N, "支出", 300.01, D(2025, 4, 1), "超支"],  # 22
    [2025, "C01002", PAY, N, "支出", 100, D(2025, 3, 1), "慰问"],  # 23
    [2025, "C01002", PAY, N, "支出", 1, D(2025, 3, 1), N],  # 24: no purpose
    [2025, "C01002", PAY, N, "下达", 1, D(2025, 3, 1), "没有来源"],  # 25
    [2025, "C01002", PAY, N, "支出", 0.01, D(2025, 6, 16), "明天"],  # 26
    [2025, N, PAY, N, "支出", N, D(2025, 3, 1), "空"],  # 27
]


def test_every_problem_is_reported_at_its_row_and_column_and_nothing_is_written(county, funds, township_admin):
    ok(import_rows(GOOD))
    FundCategory.objects.create(name="旧类别", order=9, active=False)
    FundSource.objects.create(name="旧来源", order=9, active=False)
    before = (ledgers(), table_counts())
    with nothing_changed():
        report = import_rows(BAD, actor=township_admin)
    sheet = "工作表 经费 第"
    in_year = "账目按年度登记，日期应在 2025-01-01 至 2025-12-31 之间"
    assert problem_texts(report) == [
        # Cells first, row by row …
        f"{sheet} 8 行 记录类型: “报销”不是有效值，应为：下达 / 拨付 / 支出",
        f"{sheet} 9 行 金额（元）: 金额 -5 是负数：请填写正数",
        f"{sheet} 10 行 金额（元）: 金额不能为 0",
        f"{sheet} 11 行 金额（元）: 金额 1.005 超过两位小数：金额以元为单位，精确到分",
        f"{sheet} 12 行 金额（元）: 金额“十元”不是数字",
        f"{sheet} 16 行 年度: “二〇二五”不是年份，应为四位数字，如 2025",
        f"{sheet} 27 行 组织代码: 必填，不能为空",
        f"{sheet} 27 行 金额（元）: 必填，不能为空",
        # … then the references and the rules, row by row.
        f"{sheet} 2 行 组织代码: 组织 X99 不存在（本文件的“组织”表和系统中都没有）或不在您的管理范围内",
        f"{sheet} 3 行 组织代码: 组织 C02001 不存在（本文件的“组织”表和系统中都没有）或不在您的管理范围内",
        f"{sheet} 4 行 经费类别: 经费类别“党建经费”不存在，应为：村级组织运转经费、村干部报酬",
        f"{sheet} 5 行 经费类别: 经费类别“旧类别”已停用，应为：村级组织运转经费、村干部报酬",
        f"{sheet} 6 行 资金来源: 资金来源“省财政”不存在，应为：县财政、乡镇",
        f"{sheet} 7 行 资金来源: 资金来源“旧来源”已停用，应为：县财政、乡镇",
        f"{sheet} 13 行 日期: 下达日期 2024-12-31 不在 2025 年度内：{in_year}",
        f"{sheet} 14 行 年度: 年度应为 2000—2026 之间的年份",
        f"{sheet} 15 行 年度: 年度应为 2000—2026 之间的年份",
        f"{sheet} 17 行 金额（元）: 2025年“村级组织运转经费”（县财政）下达 0.80 元，已拨付 0.50 元，还可拨付 0.30 元；"
        "本次 0.60 元超出下达金额",
        f"{sheet} 19 行 日期: 拨付日期 2025-03-20 早于对应的下达日期 2025-04-01：按下达先后，这笔拨付应拨入 "
        "2025-04-01 下达的 0.50 元（更早下达的资金不够这笔拨付）",
        f"{sheet} 21 行 金额（元）: 2025年“村干部报酬”（县财政）没有下达记录（系统和本文件中都没有），不能拨付",
        f"{sheet} 22 行 金额（元）: 2025年“村干部报酬”到位 1,000.00 元，支出将达 1,000.01 元，超出 0.01 元："
        "专款专用，支出不能超过该类别已到位的资金",
        f"{sheet} 24 行 摘要: 支出须在摘要中填写用途",
        f"{sheet} 25 行 资金来源: 下达须填写资金来源，应为：县财政、乡镇",
        f"{sheet} 26 行 日期: 支出日期 2025-06-16 晚于今天",
    ]
    assert (ledgers(), table_counts()) == before


def test_rights_allocations_need_manage_spending_needs_change(county, funds, secretary):
    rows = [
        [2025, "C01001", OPS, "县财政", "下达", 100, D(2025, 3, 1), "本支部"],  # 2
        [2025, "C01001", OPS, "县财政", "拨付", 100, D(2025, 3, 1), "本支部"],  # 3
        [2025, "C01002", OPS, N, "支出", 100, D(2025, 3, 1), "邻村"],  # 4
    ]
    with nothing_changed():
        report = import_rows(rows, actor=secretary)
    assert problem_texts(report) == [
        "工作表 经费 第 2 行 组织代码: 您的角色无权为东街村党支部登记下达（下达、拨付由管理该组织的上级登记）",
        "工作表 经费 第 3 行 组织代码: 您的角色无权为东街村党支部登记拨付（下达、拨付由管理该组织的上级登记）",
        "工作表 经费 第 4 行 组织代码: 组织 C01002 不存在（本文件的“组织”表和系统中都没有）或不在您的管理范围内",
    ]
    assert table_counts()["allocations"] == 0
    # The township allocates and pays; the branch's secretary records its own spending.
    ok(import_rows(rows[:2]))
    report = ok(import_rows([[2025, "C01001", OPS, N, "支出", 40, D(2025, 3, 2), "购置党旗"]], actor=secretary))
    assert report.summary_lines() == ["经费: 已新增 1 行，已更新 0 行，未变 0 行"]
    spent = Expenditure.objects.get()
    assert spent.created_by == secretary
    assert AuditEvent.objects.get(object_type="funding.expenditure").actor == secretary


def test_a_record_already_there_may_keep_a_category_stopped_since(county, funds):
    ok(import_rows(GOOD))
    FundCategory.objects.filter(pk=funds.pay.pk).update(active=False)
    before = (ledgers(), table_counts())
    report = ok(import_rows(GOOD))
    assert report.summary_lines() == ["经费: 已新增 0 行，已更新 0 行，未变 11 行"]
    assert (ledgers(), table_counts()) == before
    extra = [2025, "C01002", PAY, "乡镇", "支出", 1, D(2025, 2, 1), "新的一笔"]
    assert problem_texts(import_rows([*GOOD, extra])) == [
        "工作表 经费 第 13 行 经费类别: 经费类别“村干部报酬”已停用，应为：村级组织运转经费"
    ]


def test_organization_from_the_same_workbook(county, funds):
    orgs = {"组织": [ORG_HEADERS, org_row("C01003", "新村党支部", "C01", founded=dt.date(2020, 5, 1))]}
    rows = [
        [2025, "C01003", OPS, "县财政", "下达", 80, D(2025, 2, 1), "新村"],
        [2025, "C01003", OPS, "县财政", "拨付", 80, D(2025, 2, 5), "新村"],
        [2025, "C01003", OPS, N, "支出", 79.99, D(2025, 2, 6), "新村阵地"],
    ]
    report = ok(import_rows(rows, extra=orgs))
    assert report.summary_lines() == [
        "组织: 已新增 1 行，已更新 0 行，未变 0 行",
        "经费: 已新增 3 行，已更新 0 行，未变 0 行",
    ]
    assert Expenditure.objects.get().organization.code == "C01003"
    assert Expenditure.objects.get().amount == Decimal("79.99")


def test_a_page_write_between_the_check_and_the_write_is_caught_under_the_locks(county, funds):
    """The sums are read again under the ledger locks: spending recorded on a page after the file was checked, and
    before it is written, makes the file's spending too much; the import writes nothing and says so."""
    ok(import_rows(GOOD))  # 村干部报酬 of C01002: 1,000 arrived, 600 spent
    rows = [[2025, "C01002", PAY, N, "支出", 300, D(2025, 3, 1), "三月报酬"]]

    page_amounts = [200, 50]

    def page_write(percent, message):
        if message == "检查通过，正在写入":
            expenditure_create(
                actor=None, organization=county.village_a2, year=2025, category=funds.pay,
                amount=page_amounts.pop(0), spent_on=D(2025, 3, 2), purpose="同时在网页登记",
            )  # fmt: skip

    before = table_counts()
    report = import_rows(rows, progress=page_write)
    assert problem_texts(report) == [
        "工作表 经费 第 2 行 金额（元）: 2025年“村干部报酬”到位 1,000.00 元，支出将达 1,100.00 元，超出 100.00 元："
        "专款专用，支出不能超过该类别已到位的资金（检查后、写入前账目已被他人修改，请核对后重新导入）"
    ]
    after = table_counts()
    assert after["expenditures"] == before["expenditures"] + 1  # the page's, not the file's
    assert list(Expenditure.objects.filter(purpose="三月报酬")) == []
    # A change that breaks no rule (850 spent once the page has written): checked again under the locks, written.
    report = ok(import_rows([[2025, "C01002", PAY, N, "支出", 100, D(2025, 3, 1), "三月报酬"]], progress=page_write))
    assert report.summary_lines() == ["经费: 已新增 1 行，已更新 0 行，未变 0 行"]
    assert Expenditure.objects.filter(purpose="三月报酬").count() == 1


def test_import_command_prints_every_problem_exits_1_and_dry_run_writes_nothing(county, funds, tmp_path, monkeypatch):
    path = tmp_path / "funding.xlsx"
    path.write_bytes(funding_workbook([BAD[0], GOOD[0]]))
    empty = table_counts()
    with nothing_changed():
        code, out, err = run_cli(monkeypatch, "import_xlsx", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "工作表 经费 第 2 行 组织代码: 组织 X99 不存在（本文件的“组织”表和系统中都没有）或不在您的管理范围内",
        "CommandError: 导入失败：共 1 个问题，未写入任何数据。",
    ]
    path.write_bytes(funding_workbook(GOOD))
    with nothing_changed():
        code, out, err = run_cli(monkeypatch, "import_xlsx", str(path), "--dry-run")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["经费: 将新增 11 行，将更新 0 行，未变 0 行", "试运行：检查通过，未写入任何数据。"]
    assert table_counts() == empty == {**empty, "allocations": 0, "disbursements": 0, "expenditures": 0}
    code, out, err = run_cli(monkeypatch, "import_xlsx", str(path))
    assert (code, err) == (0, "")
    assert out.splitlines() == ["经费: 已新增 11 行，已更新 0 行，未变 0 行", "导入完成。"]
    code, out, err = run_cli(monkeypatch, "import_xlsx", str(path))
    assert out.splitlines() == ["经费: 已新增 0 行，已更新 0 行，未变 11 行", "导入完成。"]


def test_match_sums_finds_rows_split_into_parts():
    from funding.xlsx import _match_sums

    assert _match_sums([150, 50], [100, 50, 50]) == [True, True]
    assert _match_sums([100, 70], [70, 30, 40, 30]) == [True, True]
    assert _match_sums([100, 100], [60, 40]) == [True, False]
    assert _match_sums([5], [1, 1, 1]) == [False]


def test_every_written_ledger_is_locked_in_one_stable_order(county, funds, monkeypatch):
    """The ledgers written are locked as services.ledger.lock_ledger locks one: their allocation rows, here all in
    one (organization, year, category, id) order, the order a loop of lock_ledger over the sorted ledgers takes."""
    import funding.xlsx
    from funding.services.ledger import lock_ledger

    calls = []
    real = funding.xlsx.lock_ledgers
    monkeypatch.setattr(funding.xlsx, "lock_ledgers", lambda keys: calls.append(set(keys)) or real(keys))
    ok(import_rows(GOOD[::-1]))
    a1, a2 = county.village_a1.pk, county.village_a2.pk
    keys = {(a1, 2025, funds.operating.pk), (a2, 2024, funds.pay.pk), (a2, 2025, funds.pay.pk)}
    assert calls == [keys]
    assert real(keys) == [pk for key in sorted(keys) for pk in lock_ledger(*key)]
    assert len(real(keys)) == 4
    calls.clear()
    ok(import_rows(GOOD))  # nothing to write: nothing locked
    assert calls == []


def test_the_bulk_audit_snapshot_is_the_services_json():
    import json

    from funding.xlsx import ALLOCATION_AFTER, EXPENDITURE_AFTER

    text = ALLOCATION_AFTER(7, 2025, 3, None, "0.10", "2025-01-10", "2025-02-09", "", '“七一”\n"引号"\\')
    assert text.value == json.dumps(json.loads(text.value))
    assert json.loads(text.value) == {
        "organization": 7, "year": 2025, "category": 3, "source": None, "amount": "0.10", "allocated_on": "2025-01-10",
        "deadline": "2025-02-09", "document_no": "", "note": '“七一”\n"引号"\\',
    }  # fmt: skip
    assert list(json.loads(EXPENDITURE_AFTER(1, 2, 3, 4, "5.00", "2025-01-01", "用途", "", "").value)) == [
        "organization", "year", "category", "source", "amount", "spent_on", "purpose", "voucher", "note",
    ]  # fmt: skip


def test_the_import_page_lists_the_sheet_and_offers_its_template(client, county_admin):
    import io

    import openpyxl
    from django.urls import reverse

    client.force_login(county_admin)
    page = client.get(reverse("core:import")).content.decode()
    assert "经费" in page and " | ".join(HEADERS) in page
    response = client.get(reverse("core:import_template", args=["经费"]))
    assert response.status_code == 200
    wb = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content]))
    )
    assert wb.sheetnames == ["经费", "填写说明"]
    assert [c.value for c in wb["经费"][1]] == HEADERS
    notes = {row[0]: row[1] for row in wb["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert notes == dict.fromkeys(HEADERS, "必填") | {"资金来源": "选填", "摘要": "选填"}
