"""The import engine: every sheet checked first, then all written in one transaction, or nothing."""

from __future__ import annotations

import io

import pytest

from core.xlsx.importer import ImportReport, rows_import, workbook_import
from core.xlsx.reader import RawSheet
from core.xlsx.sheets import Problem
from core.xlsx.writer import write_template
from organizations.models import Organization
from organizations.xlsx import OrganizationSheet, PostSheet
from tests.helpers import ORG_HEADERS, POST_HEADERS, nothing_changed, org_row, workbook

pytestmark = pytest.mark.django_db


def test_problem_text_formats():
    assert str(Problem("组织", 3, "组织类型", "原因")) == "工作表 组织 第 3 行 组织类型: 原因"
    assert str(Problem("组织", None, "", "工作表是空的")) == "工作表 组织: 工作表是空的"
    assert str(Problem("", None, "", "文件是空的")) == "文件: 文件是空的"


def test_rows_import_from_raw_sheets(county):
    """seed_demo and other callers hand over rows already read (Excel row numbers kept)."""
    sheets = {"组织": RawSheet("组织", [(1, ORG_HEADERS), (5, org_row("C01003", "三村", "C01", kind="支部"))])}
    with nothing_changed():
        report = rows_import(sheets=sheets, actor=None)
    assert [str(p) for p in report.problems] == [
        "工作表 组织 第 5 行 组织类型: “支部”不是有效值，应为：县委 / 党委 / 党工委 / 党组 / 党总支 / 党支部"
    ]
    sheets["组织"].rows[1] = (5, org_row("C01003", "三村", "C01"))
    assert rows_import(sheets=sheets, actor=None).ok
    assert Organization.objects.filter(code="C01003").exists()


def test_progress_is_reported_up_to_100(county):
    seen: list[tuple[int, str]] = []
    report = workbook_import(
        source=workbook({"组织": [ORG_HEADERS, org_row("C01003", "三村", "C01")]}),
        actor=None,
        progress=lambda pct, msg: seen.append((pct, msg)),
    )
    assert report.ok
    percents = [p for p, _ in seen]
    assert percents == sorted(percents)
    assert percents[0] >= 0 and percents[-1] == 100
    assert seen[-1][1] == "导入完成"
    assert any("组织" in msg for _, msg in seen)


def test_report_as_dict(county):
    report = workbook_import(source=workbook({"组织": [ORG_HEADERS, org_row("C01003", "三村", "NOPE")]}), actor=None)
    data = report.as_dict()
    assert data["ok"] is False and data["dry_run"] is False and data["counts"] == {}
    (problem,) = data["problems"]
    assert problem["sheet"] == "组织" and problem["row"] == 2 and problem["column"] == "上级组织代码"
    assert problem["text"].startswith("工作表 组织 第 2 行 上级组织代码: 上级组织 NOPE")

    ok = workbook_import(source=workbook({"组织": [ORG_HEADERS, org_row("C01003", "三村", "C01")]}), actor=None)
    assert ok.as_dict() == {
        "ok": True,
        "dry_run": False,
        "problems": [],
        "counts": {"组织": {"created": 1, "updated": 0, "unchanged": 0}},
    }
    assert ok.summary_lines() == ["组织: 已新增 1 行，已更新 0 行，未变 0 行"]


def test_export_sheet_names_are_accepted_as_aliases(county):
    report = workbook_import(
        source=workbook({"organizations": [ORG_HEADERS, org_row("C01003", "三村", "C01")]}), actor=None
    )
    assert report.ok and report.counts["组织"].created == 1


def test_unknown_sheets_are_ignored(county):
    data = workbook({"填写说明": [["列名"]], "组织": [ORG_HEADERS, org_row("C01003", "三村", "C01")], "备注": [["x"]]})
    report = workbook_import(source=data, actor=None)
    assert report.ok and list(report.counts) == ["组织"]


def test_header_only_sheet_imports_nothing(county):
    with nothing_changed():
        report = workbook_import(source=workbook({"组织": [ORG_HEADERS], "职务": [POST_HEADERS]}), actor=None)
    assert report.ok
    assert {k: v.as_dict() for k, v in report.counts.items()} == {
        "组织": {"created": 0, "updated": 0, "unchanged": 0},
        "职务": {"created": 0, "updated": 0, "unchanged": 0},
    }


@pytest.mark.parametrize("importer", [OrganizationSheet(), PostSheet()])
def test_blank_template_imports_cleanly(county, importer):
    buf = io.BytesIO()
    write_template(importer, buf)
    with nothing_changed():
        report = workbook_import(source=buf.getvalue(), actor=None)
    assert report.ok, report.problems


def test_columns_may_come_in_any_order_and_extra_columns_are_ignored(county):
    headers = ["备注", *reversed(ORG_HEADERS)]
    row = ["随便写", *reversed(org_row("C01003", "三村", "C01", term=4))]
    report = workbook_import(source=workbook({"组织": [headers, row]}), actor=None)
    assert report.ok, report.problems
    assert Organization.objects.get(code="C01003").term_years == 4


def test_a_failure_while_writing_rolls_everything_back(county, monkeypatch):
    """The 组织 sheet is written first; when the 职务 sheet fails while writing, the organizations go too."""

    def explode(self, plan, ctx):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PostSheet, "apply", explode)
    data = workbook(
        {
            "组织": [ORG_HEADERS, org_row("C01003", "三村", "C01")],
            "职务": [POST_HEADERS, ["C01003", "张三", "110105194912310011", "书记", "2021-01-01", None]],
        }
    )
    with nothing_changed(), pytest.raises(RuntimeError):
        workbook_import(source=data, actor=None)


def test_import_report_ok_property():
    assert ImportReport().ok
    assert not ImportReport(problems=[Problem("", None, "", "x")]).ok
