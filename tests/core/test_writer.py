"""Export writing: headers in row 1, the sheet named as the kind, and text that looks like a formula stays text."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from core.xlsx.exporter import export_write
from core.xlsx.writer import ExportTable, write_table, write_template
from organizations.services import organization_create
from organizations.xlsx import OrganizationSheet, PostSheet
from tests.helpers import ORG_HEADERS, POST_HEADERS

DANGEROUS = ["=SUM(A1:A2)", "+86 138 0000 0000", "-1+1", "@cmd", '=HYPERLINK("http://x","点")']


def _write(headers, rows, sheet="kind") -> tuple[int, bytes]:
    buf = io.BytesIO()
    n = write_table(ExportTable(sheet, headers, iter(rows)), buf)
    return n, buf.getvalue()


def test_formula_like_text_is_a_string_cell():
    n, data = _write(["文本"], [[v] for v in DANGEROUS])
    assert n == len(DANGEROUS)
    ws = openpyxl.load_workbook(io.BytesIO(data))["kind"]
    for row, expected in enumerate(DANGEROUS, start=2):
        cell = ws.cell(row=row, column=1)
        assert cell.data_type == "s", (expected, cell.data_type)
        assert cell.value == expected
    # and no formula element anywhere in the sheet's XML
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet_xml = next(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_headers_in_row_one_and_sheet_name():
    headers = ["组织代码", "组织名称", "成立日期"]
    _, data = _write(headers, [["C01", "城关镇党委", dt.date(1950, 1, 1)]], sheet="organizations")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["organizations"]
    ws = wb["organizations"]
    assert [c.value for c in ws[1]] == headers
    assert ws.cell(row=1, column=1).font.bold
    assert ws.max_row == 2


def test_values_keep_their_types():
    aware = dt.datetime(2024, 12, 31, 16, 30, tzinfo=dt.UTC)
    _, data = _write(
        ["a", "b", "c", "d", "e", "f", "g", "h"],
        [[True, False, None, 5, Decimal("12.34"), dt.date(2024, 2, 29), aware, "普通文本"]],
    )
    ws = openpyxl.load_workbook(io.BytesIO(data))["kind"]
    values = [c.value for c in ws[2]]
    assert values[0] == "是" and values[1] == "否"
    assert values[2] is None
    assert values[3] == 5
    assert Decimal(str(values[4])) == Decimal("12.34")
    assert values[5] == dt.datetime(2024, 2, 29) and ws.cell(row=2, column=6).number_format == "yyyy-mm-dd"
    # aware datetimes are written in Asia/Shanghai local time
    assert values[6] == aware.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert values[7] == "普通文本"


def test_empty_table_has_the_header_only():
    n, data = _write(["组织代码"], [])
    assert n == 0
    ws = openpyxl.load_workbook(io.BytesIO(data))["kind"]
    assert ws.max_row == 1 and ws.cell(row=1, column=1).value == "组织代码"


@pytest.mark.django_db
def test_export_of_a_name_starting_with_equals(county, county_admin):
    organization_create(actor=None, parent=county.township_a, code="C01009", name="=1+1", kind="党支部")
    organization_create(actor=None, parent=county.township_a, code="C01010", name="-东街", kind="党支部")
    buf = io.BytesIO()
    export_write(kind="organizations", actor=county_admin, fp=buf)
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))["organizations"]
    assert [c.value for c in ws[1]][:3] == ["组织代码", "组织名称", "上级组织代码"]
    names = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}
    assert names["C01009"].value == "=1+1" and names["C01009"].data_type == "s"
    assert names["C01010"].value == "-东街" and names["C01010"].data_type == "s"


@pytest.mark.django_db
def test_export_unknown_kind_refused(county):
    with pytest.raises(ValueError, match="未知的导出类型"):
        export_write(kind="nope", actor=None, fp=io.BytesIO())


@pytest.mark.parametrize(
    ("importer", "headers"),
    [
        (OrganizationSheet(), ORG_HEADERS),
        (PostSheet(), POST_HEADERS),
    ],
)
def test_templates_carry_the_public_headers(importer, headers):
    buf = io.BytesIO()
    write_template(importer, buf)
    wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.sheetnames == [importer.name, "填写说明"]
    assert [c.value for c in wb[importer.name][1]] == headers
    notes = wb["填写说明"]
    assert [c.value for c in notes[1]] == ["列名", "是否必填", "说明"]
    assert [row[0].value for row in notes.iter_rows(min_row=2)] == headers


def test_reads_back_through_our_own_reader():
    """What we write, calamine (the import's reader) reads: text, dates, numbers and blanks in their columns."""
    from core.xlsx.reader import read_workbook

    rows = [["  前后空格 ", dt.date(1900, 1, 1), None, 7, "=1+1"], ["a&b<c>", dt.date(2024, 2, 29), 1.5, None, "末列"]]
    _, data = _write(["甲", "乙", "丙", "丁", "戊"], rows, sheet="members")
    sheet = read_workbook(data, {"members"})["members"]
    assert sheet.rows[0] == (1, ["甲", "乙", "丙", "丁", "戊"])
    number, first = sheet.rows[1]
    assert number == 2
    assert first[0] == "  前后空格 " and first[2] in ("", None) and first[3] == 7 and first[4] == "=1+1"
    assert first[1] in (dt.date(1900, 1, 1), dt.datetime(1900, 1, 1))  # the day before Excel's phantom 29 Feb 1900
    assert sheet.rows[2][1][:3] == ["a&b<c>", dt.date(2024, 2, 29), 1.5]


def test_control_characters_are_dropped_and_sheet_names_made_legal():
    _, data = _write(
        ["备注"], [["换\x00行\x07符\t号"]], sheet="2024/第[1]季度:汇总?超过三十一个字符的工作表名称会被截断"
    )
    wb = openpyxl.load_workbook(io.BytesIO(data))
    (name,) = wb.sheetnames
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
    assert wb[name].cell(row=2, column=1).value == "换行符\t号"
