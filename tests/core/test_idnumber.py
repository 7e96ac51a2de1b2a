"""GB 11643-1999 citizen ID numbers. The check digits below were worked out by hand:

digits    1  1  0  1  0  5  1  9  4  9  1  2  3  1  0  0  d17
weights   7  9 10  5  8  4  2  1  6  3  7  9 10  5  8  4  2
products  7  9  0  5  0 20  2  9 24 27  7 18 30  5  0  0  2·d17   (first 16 sum to 163)

d17 = 1: 165 mod 11 = 0 → "1"   (110105194912310011, 男)
d17 = 2: 167 mod 11 = 2 → "X"   (11010519491231002X, 女)
d17 = 3: 169 mod 11 = 4 → "8"   (110105194912310038, 男)
d17 = 4: 171 mod 11 = 6 → "6"   (110105194912310046, 女)

1101051949 0230 001: the products of 0,2,3,0 (digits 11–14) are 0,18,30,0, so the sum is 153;
153 mod 11 = 10 → "2": 110105194902300012 has a correct check digit and a 30 February birth date.
"""

import datetime as dt

import pytest

from core.idnumber import IdNumberError, check_digit, make_id_number, parse_id_number


@pytest.mark.parametrize(
    ("number", "birth", "gender"),
    [
        ("110105194912310011", dt.date(1949, 12, 31), "男"),
        ("110105194912310038", dt.date(1949, 12, 31), "男"),
        ("110105194912310046", dt.date(1949, 12, 31), "女"),
    ],
)
def test_valid_numbers(number, birth, gender):
    info = parse_id_number(number)
    assert info.number == number
    assert info.birth_date == birth
    assert info.gender == gender


def test_x_check_digit_accepted_in_either_case():
    assert parse_id_number("11010519491231002X").number == "11010519491231002X"
    info = parse_id_number(" 11010519491231002x ")
    assert info.number == "11010519491231002X"
    assert info.gender == "女"


def test_check_digit_function():
    assert check_digit("11010519491231001") == "1"
    assert check_digit("11010519491231002") == "X"
    assert check_digit("11010519491231003") == "8"
    assert check_digit("11010519490230001") == "2"


@pytest.mark.parametrize("number", ["110105194912310012", "110105194912310010", "110105194912310029"])
def test_wrong_check_digit(number):
    with pytest.raises(IdNumberError, match="校验位错误"):
        parse_id_number(number)


def test_x_where_a_digit_is_due_is_wrong():
    with pytest.raises(IdNumberError, match="校验位错误"):
        parse_id_number("11010519491231001X")


def test_impossible_birth_date_even_with_correct_check_digit():
    with pytest.raises(IdNumberError, match="出生日期不存在"):
        parse_id_number("110105194902300012")


def test_birth_before_1900_refused():
    first17 = "11010518991231001"
    with pytest.raises(IdNumberError, match="1900"):
        parse_id_number(first17 + check_digit(first17))


@pytest.mark.parametrize(
    ("number", "length"),
    [
        ("11010519491231001", 17),
        ("1101051949123100111", 19),
        ("110105491231002", 15),  # the old 15-digit form is not accepted
        ("", 0),
    ],
)
def test_wrong_length(number, length):
    with pytest.raises(IdNumberError, match=f"应为 18 位，实际为 {length} 位"):
        parse_id_number(number)


def test_none_is_a_wrong_length_not_a_crash():
    with pytest.raises(IdNumberError, match="实际为 0 位"):
        parse_id_number(None)


@pytest.mark.parametrize("number", ["11010519491231A011", "1101051949123100Y1", "110105194912310 11"])
def test_non_digits_refused(number):
    with pytest.raises(IdNumberError, match="前 17 位应为数字"):
        parse_id_number(number)


@pytest.mark.parametrize(("digit17", "gender"), [("0", "女"), ("1", "男"), ("8", "女"), ("9", "男")])
def test_gender_from_17th_digit(digit17, gender):
    first17 = "1101051949123100" + digit17
    assert parse_id_number(first17 + check_digit(first17)).gender == gender


def test_make_id_number_builds_valid_numbers():
    assert make_id_number("110105", dt.date(1949, 12, 31), 0, male=True) == "110105194912310011"
    for seq in range(100):
        for male in (True, False):
            number = make_id_number("410102", dt.date(1988, 2, 29), seq, male)
            info = parse_id_number(number)
            assert info.birth_date == dt.date(1988, 2, 29)
            assert info.gender == ("男" if male else "女")


def test_full_width_digits_are_not_an_id_number():
    # "１" passes str.isdigit(); an ID number is ASCII digits only (a full-width one would be stored as typed).
    ascii_id = make_id_number("110105", dt.date(1980, 1, 1), 1, True)
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in ascii_id)
    with pytest.raises(IdNumberError, match="前 17 位应为数字"):
        parse_id_number(full_width)
    assert parse_id_number(ascii_id).number == ascii_id
