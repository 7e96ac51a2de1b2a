"""Cell parsers: turn what a spreadsheet holds into typed values or a Chinese reason why not."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation


class CellError(ValueError):
    """A cell's value is wrong; the message says why, in Chinese."""


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def as_text(value) -> str:
    """Text of a cell. Whole numbers typed as numbers (a code like 1001) come back without '.0'."""
    if type(value) is str:  # most cells: the fast path of a 100k-row import
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()


def text(max_length: int):
    def parse(value) -> str:
        s = as_text(value)
        if len(s) > max_length:
            raise CellError(f"内容过长（{len(s)} 字），最多 {max_length} 字")
        return s

    return parse


_CODE_RE = re.compile(r"^[0-9A-Za-z_.\-]+$")


def code(max_length: int = 32):
    valid: set[str] = set()  # codes repeat (a branch code on thousands of rows): check each text once

    def parse(value) -> str:
        s = as_text(value)
        if s in valid:
            return s
        if len(s) > max_length:
            raise CellError(f"代码过长（{len(s)} 位），最多 {max_length} 位")
        if s and not _CODE_RE.match(s):
            raise CellError(f"代码“{s}”只能包含字母、数字、点、下划线和连字符")
        if len(valid) < 100_000:
            valid.add(s)
        return s

    return parse


def choice(values):
    allowed = list(values)
    allowed_set = frozenset(allowed)

    def parse(value):
        s = as_text(value)
        if s and s not in allowed_set:
            raise CellError(f"“{s}”不是有效值，应为：" + " / ".join(allowed))
        return s

    return parse


_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def date(value) -> dt.date | None:
    if type(value) is dt.date:  # a date cell, as the reader gives it: the common case
        return value
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = _DATE_RE.match(value.strip().replace("/", "-"))
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise CellError(f"日期“{value.strip()}”不存在") from None
    raise CellError(f"“{as_text(value)}”不是日期，应为 Excel 日期或 YYYY-MM-DD 格式的文本")


def boolean(value) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    s = as_text(value)
    if s == "是":
        return True
    if s == "否":
        return False
    raise CellError(f"“{s}”不是有效值，应为 是 或 否")


def integer(minimum: int, maximum: int):
    def parse(value) -> int | None:
        if is_blank(value):
            return None
        try:
            number = Decimal(as_text(value))
        except InvalidOperation:
            raise CellError(f"“{as_text(value)}”不是整数") from None
        if number != number.to_integral_value():
            raise CellError(f"“{as_text(value)}”不是整数")
        if not minimum <= number <= maximum:
            raise CellError(f"{int(number)} 超出范围，应在 {minimum} 到 {maximum} 之间")
        return int(number)

    return parse


def decimal(places: int = 2, minimum: Decimal | None = None, maximum: Decimal | None = None):
    """Exact decimals: a float cell is read through its shortest text form, so 0.1 stays 0.1."""

    def parse(value) -> Decimal | None:
        if is_blank(value):
            return None
        try:
            number = Decimal(as_text(value))
        except InvalidOperation:
            raise CellError(f"“{as_text(value)}”不是数字") from None
        if not number.is_finite():
            raise CellError(f"“{as_text(value)}”不是数字")
        if -number.as_tuple().exponent > places:
            raise CellError(f"“{as_text(value)}”最多 {places} 位小数")
        if minimum is not None and number < minimum:
            raise CellError(f"{number} 小于下限 {minimum}")
        if maximum is not None and number > maximum:
            raise CellError(f"{number} 大于上限 {maximum}")
        return number

    return parse


def id_number(value) -> str:
    """Citizen ID text. A number cell has lost digits already (Excel keeps 15), so it is refused with a hint."""
    if is_blank(value):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError("身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为文本后重新填写")
    return as_text(value).upper()
