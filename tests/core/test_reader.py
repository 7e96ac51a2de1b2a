"""Opening uploaded workbooks: every bad file is refused with a clear Chinese reason and nothing is written."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.xlsx.importer import workbook_import
from core.xlsx.reader import WorkbookError, read_workbook
from tests.helpers import ORG_HEADERS, nothing_changed, org_row, org_workbook, workbook

pytestmark = pytest.mark.django_db

GOOD_ROWS = [org_row("N01", "新建村党支部", "C01")]


def _refused(source, *, contains: str, actor=None):
    with nothing_changed():
        report = workbook_import(source=source, actor=actor)
    assert report.ok is False
    assert len(report.problems) == 1, report.problems
    text = str(report.problems[0])
    assert contains in text, text
    return text


def _rewrite(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same zip with some parts' contents replaced."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def test_good_file_is_accepted(county):
    report = workbook_import(source=org_workbook(GOOD_ROWS), actor=None)
    assert report.ok, report.problems
    assert report.counts["组织"].created == 1


def test_empty_bytes(county):
    assert _refused(b"", contains="文件是空的") == "文件: 文件是空的"


def test_text_file_renamed_xlsx(county, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_text("组织代码,组织名称\nC01,城关镇党委\n", encoding="utf-8")
    _refused(str(path), contains="不是有效的 Excel 工作簿")


def test_old_xls_format(county):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    _refused(data, contains="不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx")


def test_zip_that_is_not_a_workbook(county):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "这不是工作簿")
        z.writestr("data/组织.csv", "C01,城关镇党委")
    _refused(buf.getvalue(), contains="文件不是 Excel 工作簿")


def test_truncated_zip(county):
    data = org_workbook(GOOD_ROWS)
    _refused(data[: len(data) // 2], contains="文件已损坏")


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""


def test_xml_entities_in_a_sheet_part(county):
    data = org_workbook(GOOD_ROWS)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    sheet_part = next(n for n in names if n.startswith("xl/worksheets/sheet"))
    _refused(_rewrite(data, {sheet_part: BILLION_LAUGHS}), contains="不允许的 XML 实体定义")


def test_file_over_the_size_limit(county, settings):
    data = org_workbook(GOOD_ROWS)
    settings.XLSX_MAX_BYTES = len(data) - 1
    _refused(data, contains="文件过大")
    settings.XLSX_MAX_BYTES = len(data)
    assert workbook_import(source=data, actor=None, dry_run=True).ok


def test_file_object_over_the_size_limit(county, settings):
    data = org_workbook(GOOD_ROWS)
    settings.XLSX_MAX_BYTES = 1000
    _refused(io.BytesIO(data), contains="文件过大")


def test_too_many_rows(county, settings):
    settings.XLSX_MAX_ROWS = 3
    rows = [org_row(f"N0{i}", f"新建村{i}党支部", "C01") for i in range(1, 5)]
    with nothing_changed():
        ok = workbook_import(source=org_workbook(rows[:3]), actor=None, dry_run=True)
    assert ok.ok, ok.problems  # exactly the limit is fine
    text = _refused(org_workbook(rows), contains="超过 3 行的上限")
    assert "组织" in text and "拆分" in text


def test_missing_header(county):
    headers = [h for h in ORG_HEADERS if h != "所属领域"]
    row = org_row("N01", "新建村党支部", "C01")
    del row[4]
    text = _refused(org_workbook([row], headers=headers), contains="缺少表头“所属领域”")
    assert text.startswith("工作表 组织 第 1 行 表头: ")
    assert "是否改了名" not in text


def test_renamed_header_names_it_and_hints(county):
    headers = ["组织类别" if h == "组织类型" else h for h in ORG_HEADERS]
    text = _refused(org_workbook(GOOD_ROWS, headers=headers), contains="缺少表头“组织类型”")
    assert "组织类别" in text and "改了名" in text


def test_two_missing_headers_are_both_reported(county):
    headers = [h for h in ORG_HEADERS if h not in ("组织名称", "任期年数")]
    rows = [[c for h, c in zip(ORG_HEADERS, GOOD_ROWS[0]) if h in headers]]
    with nothing_changed():
        report = workbook_import(source=org_workbook(rows, headers=headers), actor=None)
    assert not report.ok
    texts = [str(p) for p in report.problems]
    assert any("缺少表头“组织名称”" in t for t in texts)
    assert any("缺少表头“任期年数”" in t for t in texts)


def test_no_known_sheet(county):
    data = workbook({"Sheet1": [ORG_HEADERS, GOOD_ROWS[0]], "填写说明": [["列名"]]})
    text = _refused(data, contains="没有找到可导入的工作表")
    assert "组织" in text and "职务" in text


def test_sheet_with_no_rows_at_all(county):
    data = workbook({"组织": []})
    text = _refused(data, contains="工作表是空的")
    assert text.startswith("工作表 组织")


def test_reader_keeps_excel_row_numbers_and_drops_blank_rows(county):
    data = workbook({"组织": [ORG_HEADERS, GOOD_ROWS[0], [None] * 11, org_row("N02", "二", "C01")], "其他": [["x"]]})
    sheets = read_workbook(data, {"组织"})
    assert list(sheets) == ["组织"]
    assert [n for n, _ in sheets["组织"].rows] == [1, 2, 4]
    assert sheets["组织"].rows[0][1][:3] == ORG_HEADERS[:3]


def test_reader_refuses_directly_with_workbookerror():
    with pytest.raises(WorkbookError, match="文件是空的"):
        read_workbook(b"", {"组织"})
