"""Citizen ID numbers (GB 11643-1999): check digit, birth date and gender."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import mul

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ZERO_OFFSET = ord("0") * sum(_WEIGHTS)


def check_digit(first17: str) -> str:
    if len(first17) != 17:
        raise ValueError("check_digit needs the first 17 digits")
    # Bytes iterate as character codes: subtracting 48 × the weights' sum turns them into digits in one pass.
    return _CHECK[(sum(map(mul, first17.encode(), _WEIGHTS)) - _ZERO_OFFSET) % 11]


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: dt.date
    gender: str  # "男" / "女"


class IdNumberError(ValueError):
    pass


def parse_id_number(raw: str) -> IdInfo:
    """Validate an 18-character ID number; raise IdNumberError with a Chinese reason."""
    value = (raw or "").strip().upper()
    if len(value) != 18:
        raise IdNumberError(f"身份证号应为 18 位，实际为 {len(value)} 位")
    if not (value.isascii() and value[:17].isdigit()) or not (value[17].isdigit() or value[17] == "X"):
        raise IdNumberError("身份证号前 17 位应为数字，最后一位为数字或 X")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError("身份证号中的出生日期不存在") from None
    if birth.year < 1900:
        raise IdNumberError("身份证号中的出生日期早于 1900 年")
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise IdNumberError("身份证号校验位错误")
    gender = "男" if int(value[16]) % 2 == 1 else "女"
    return IdInfo(number=value, birth_date=birth, gender=gender)


def make_id_number(region: str, birth: dt.date, sequence: int, male: bool) -> str:
    """Build a valid ID number (demo data, tests, benchmarks). `sequence` is 0-99; the gender digit is added."""
    gender_digit = (sequence % 5) * 2 + (1 if male else 0)
    first17 = f"{region}{birth:%Y%m%d}{sequence % 100:02d}{gender_digit}"
    return first17 + check_digit(first17)
