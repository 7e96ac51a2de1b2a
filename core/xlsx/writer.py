"""Streaming .xlsx writing with text-safe cells (no formula injection)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, NamedStyle

_FORMULA_PREFIXES = ("=", "+", "-", "@")


@dataclass
class ExportTable:
    sheet: str
    headers: list[str]
    rows: Iterable[list]
    filename: str = ""


def write_table(table: ExportTable, fp) -> int:
    """Write one sheet, headers in row 1, one record a row; returns the number of data rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table.sheet)
    header_font = Font(bold=True)
    text_style = NamedStyle(name="as_text", number_format="@")
    text_style.alignment = Alignment(horizontal="general")
    wb.add_named_style(text_style)
    date_style = NamedStyle(name="as_date", number_format="yyyy-mm-dd")
    wb.add_named_style(date_style)
    header = []
    for h in table.headers:
        c = WriteOnlyCell(ws, value=h)
        c.font = header_font
        header.append(c)
    ws.append(header)
    count = 0
    for row in table.rows:
        ws.append([_cell(ws, v) for v in row])
        count += 1
    wb.save(fp)
    return count


def _cell(ws, value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        if value.startswith(_FORMULA_PREFIXES):
            # A text cell, never a formula: openpyxl would otherwise store '=…' as a formula.
            c = WriteOnlyCell(ws, value=value)
            c.data_type = "s"
            c.style = "as_text"
            c.quotePrefix = True
            return c
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        c = WriteOnlyCell(ws, value=value)
        c.style = "as_date"
        return c
    if isinstance(value, Decimal):
        return value
    return value


def write_template(importer, fp) -> None:
    """An empty sheet with the layout's headers, plus a 填写说明 sheet (ignored on import) explaining each column."""
    wb = Workbook()
    ws = wb.active
    ws.title = importer.name
    ws.append([c.header for c in importer.columns])
    for i, col in enumerate(importer.columns, start=1):
        ws.cell(row=1, column=i).font = Font(bold=True)
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(12, len(col.header) * 2 + 4)
        ws.cell(row=1, column=i).number_format = "@"
    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for col in importer.columns:
        notes.append([col.header, "必填" if col.required else "选填", col.note])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["C"].width = 80
    wb.save(fp)
