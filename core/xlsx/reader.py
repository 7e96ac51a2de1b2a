"""Open an uploaded workbook safely: size, type, zip bombs and XML entity tricks are refused before parsing."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import python_calamine
from django.conf import settings


class WorkbookError(ValueError):
    """The file as a whole cannot be read; the message says why, in Chinese."""


_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"
_ENTITY_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


@dataclass
class RawSheet:
    name: str
    rows: list[tuple[int, list]]  # (Excel row number, cell values); blank rows dropped
    hidden: bool = False


def _check_container(data: bytes) -> None:
    limit = settings.XLSX_MAX_BYTES
    if not data:
        raise WorkbookError("文件是空的")
    if len(data) > limit:
        raise WorkbookError(f"文件过大（{len(data) / 1024 / 1024:.1f} MB），上限为 {limit // 1024 // 1024} MB")
    if data.startswith(_XLS_MAGIC):
        raise WorkbookError("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后再导入")
    if not data.startswith(_ZIP_MAGIC):
        raise WorkbookError("文件不是有效的 Excel 工作簿（.xlsx）")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise WorkbookError("文件已损坏，无法作为 .xlsx 打开") from None
    with archive:
        names = set(archive.namelist())
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise WorkbookError("文件不是 Excel 工作簿（可能是改了扩展名的其他文件）")
        total = sum(info.file_size for info in archive.infolist())
        if total > settings.XLSX_MAX_UNCOMPRESSED_BYTES:
            raise WorkbookError("文件解压后过大，疑似压缩炸弹，已拒绝")
        for info in archive.infolist():
            if info.compress_size and info.file_size / info.compress_size > 200 and info.file_size > 10_000_000:
                raise WorkbookError("文件压缩比异常，疑似压缩炸弹，已拒绝")
            if info.filename.endswith((".xml", ".rels")):
                with archive.open(info) as member:
                    head = member.read(2048)
                if any(marker in head for marker in _ENTITY_MARKERS):
                    raise WorkbookError("文件包含不允许的 XML 实体定义（DOCTYPE/ENTITY），已拒绝")


def read_workbook(source, wanted: set[str]) -> dict[str, RawSheet]:
    """Read the sheets named in `wanted` from `source` (bytes, a path or a file object)."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read(settings.XLSX_MAX_BYTES + 1)
    else:
        with open(source, "rb") as fh:
            data = fh.read(settings.XLSX_MAX_BYTES + 1)
    _check_container(data)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for malformed parts
        raise WorkbookError(f"无法读取工作簿：{exc}") from None
    hidden = {m.name for m in book.sheets_metadata if str(m.visible) != "SheetVisibleEnum.Visible"}
    max_rows = settings.XLSX_MAX_ROWS
    sheets: dict[str, RawSheet] = {}
    for name in book.sheet_names:
        if name.strip() not in wanted:
            continue
        try:
            sheet = book.get_sheet_by_name(name)
        except Exception as exc:
            raise WorkbookError(f"无法读取工作表“{name}”：{exc}") from None
        start_row = (sheet.start[0] if sheet.start else 0) + 1
        rows: list[tuple[int, list]] = []
        for offset, values in enumerate(sheet.iter_rows()):
            if values.count("") + values.count(None) == len(values):  # a blank row
                continue
            if len(rows) > max_rows:  # header + max_rows data rows
                raise WorkbookError(f"工作表“{name}”超过 {max_rows} 行的上限，请拆分后分批导入")
            rows.append((start_row + offset, list(values)))
        sheets[name.strip()] = RawSheet(name=name.strip(), rows=rows, hidden=name in hidden)
    return sheets
