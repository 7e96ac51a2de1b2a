"""Cell parsers: what a spreadsheet holds becomes a typed value, or a Chinese reason why not."""

import datetime as dt
from decimal import Decimal

import pytest

from core.xlsx import cells
from core.xlsx.cells import CellError


def test_as_text_whole_number_floats_lose_the_dot_zero():
    assert cells.as_text(1001.0) == "1001"
    assert cells.as_text(12.5) == "12.5"
    assert cells.as_text(None) == ""
    assert cells.as_text("  东街村 ") == "东街村"
    assert cells.as_text(True) == "是"
    assert cells.as_text(dt.date(2024, 1, 5)) == "2024-01-05"


def test_text_length_limit():
    parse = cells.text(5)
    assert parse("一二三四五") == "一二三四五"
    with pytest.raises(CellError, match="内容过长（6 字），最多 5 字"):
        parse("一二三四五六")


def test_code_characters_and_length():
    parse = cells.code(8)
    assert parse("C01-001") == "C01-001"
    assert parse(1001.0) == "1001"
    assert parse(None) == ""
    with pytest.raises(CellError, match="只能包含字母、数字"):
        parse("东街")
    with pytest.raises(CellError, match="代码过长"):
        parse("123456789")


def test_choice():
    parse = cells.choice(["党委", "党支部"])
    assert parse("党支部") == "党支部"
    assert parse(None) == ""
    with pytest.raises(CellError, match="“支部”不是有效值，应为：党委 / 党支部"):
        parse("支部")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("2024-01-05", dt.date(2024, 1, 5)),
        (" 2024-1-5 ", dt.date(2024, 1, 5)),
        ("2024/01/05", dt.date(2024, 1, 5)),
        (dt.date(2024, 1, 5), dt.date(2024, 1, 5)),
        (dt.datetime(2024, 1, 5, 0, 0), dt.date(2024, 1, 5)),
    ],
)
def test_date_accepts_excel_dates_and_iso_text(value, expected):
    assert cells.date(value) == expected


@pytest.mark.parametrize("value", ["2024-02-30", "2023-02-29", "2024-13-01"])
def test_date_that_does_not_exist(value):
    with pytest.raises(CellError, match=f"日期“{value}”不存在"):
        cells.date(value)


@pytest.mark.parametrize("value", ["昨天", "2024年1月5日", "05-01-2024", 45000])
def test_not_a_date(value):
    with pytest.raises(CellError, match="不是日期，应为 Excel 日期或 YYYY-MM-DD"):
        cells.date(value)


@pytest.mark.parametrize(("value", "expected"), [("是", True), ("否", False), (None, None), (" 是 ", True)])
def test_boolean(value, expected):
    assert cells.boolean(value) is expected


@pytest.mark.parametrize("value", ["对", "Y", "1", "yes"])
def test_boolean_refuses_anything_but_shi_fou(value):
    with pytest.raises(CellError, match="应为 是 或 否"):
        cells.boolean(value)


def test_integer_range():
    parse = cells.integer(1, 10)
    assert parse(1) == 1
    assert parse(10.0) == 10
    assert parse("5") == 5
    assert parse(None) is None
    with pytest.raises(CellError, match="0 超出范围，应在 1 到 10 之间"):
        parse(0)
    with pytest.raises(CellError, match="11 超出范围"):
        parse(11)
    with pytest.raises(CellError, match="不是整数"):
        parse(3.5)
    with pytest.raises(CellError, match="不是整数"):
        parse("三")


def test_decimal_exact_and_limited():
    parse = cells.decimal(2, minimum=Decimal("0"), maximum=Decimal("100"))
    assert parse(0.1) == Decimal("0.1")
    assert parse("99.95") == Decimal("99.95")
    assert parse(None) is None
    with pytest.raises(CellError, match="最多 2 位小数"):
        parse("1.005")
    with pytest.raises(CellError, match="小于下限"):
        parse(-1)
    with pytest.raises(CellError, match="大于上限"):
        parse("100.01")
    with pytest.raises(CellError, match="不是数字"):
        parse("abc")
    with pytest.raises(CellError, match="不是数字"):
        parse("NaN")


def test_id_number_stored_as_a_number_is_refused():
    assert cells.id_number("11010519491231002x") == "11010519491231002X"
    assert cells.id_number(None) == ""
    with pytest.raises(CellError, match="存成了数字"):
        cells.id_number(110105194912310011)
    with pytest.raises(CellError, match="存成了数字"):
        cells.id_number(1.1010519491231e17)
