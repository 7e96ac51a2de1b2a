"""members.rules.member_problems, the one place the member-file rules live, and the same rules as the 党员 sheet
reports them (`工作表 党员 第 N 行 列: 原因`, nothing written).

The 18-year rule (党章 art. 1, MIN_JOIN_AGE): one may join on the 18th birthday, not the day before. Someone born on
29 February turns 18 on 1 March of a common year: on 28 February 2018 a person born 2000-02-29 is still 17.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.idnumber import IdNumberError, parse_id_number
from members.models import Member, Membership
from members.rules import age_on, member_problems, point_record_problems, training_problems
from tests.members.helpers import (
    CHEN_CHEN,
    LIN_LIN,
    PHONE,
    ZHANG_WEI,
    ZHANG_WEI_BAD_CHECK,
    import_members,
    member_row,
    refused_import,
)

TODAY = dt.date(2025, 6, 1)


def problems(id_number=ZHANG_WEI, **kw):
    values = {
        "birth_date": None,
        "gender": None,
        "category": "正式党员",
        "joined_on": dt.date(2010, 7, 1),
        "full_member_on": dt.date(2011, 7, 1),
        "phone": "",
        "today": TODAY,
    }
    values.update(kw)
    return member_problems(info=parse_id_number(id_number), **values)


# --------------------------------------------------------------------------------------------------------------------
# The rules as a function


def test_a_consistent_file_has_no_problem():
    assert problems(birth_date=dt.date(1985, 6, 12), gender="男", phone=PHONE) == {}


def test_wrong_check_digit_is_refused_by_the_parser():
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(ZHANG_WEI_BAD_CHECK)
    assert str(exc.value) == "身份证号校验位错误"


def test_birth_date_disagreeing_with_the_id_number():
    assert problems(birth_date=dt.date(1985, 6, 13)) == {"birth_date": "与身份证号中的出生日期 1985-06-12 不一致"}


def test_gender_disagreeing_with_the_id_number():
    assert problems(gender="女") == {"gender": "与身份证号中的性别（男）不一致"}
    assert problems(LIN_LIN, gender="男", joined_on=dt.date(2020, 1, 1), full_member_on=None) == {
        "gender": "与身份证号中的性别（女）不一致"
    }


def test_birth_date_and_gender_both_wrong_give_two_problems():
    assert problems(birth_date=dt.date(1986, 6, 12), gender="女") == {
        "birth_date": "与身份证号中的出生日期 1985-06-12 不一致",
        "gender": "与身份证号中的性别（男）不一致",
    }


def test_age_on():
    born = dt.date(2000, 3, 1)
    assert age_on(born, dt.date(2018, 2, 28)) == 17
    assert age_on(born, dt.date(2018, 3, 1)) == 18
    leap = dt.date(2000, 2, 29)
    assert age_on(leap, dt.date(2018, 2, 28)) == 17
    assert age_on(leap, dt.date(2018, 3, 1)) == 18
    assert age_on(leap, dt.date(2020, 2, 29)) == 20  # a leap year: the birthday itself


@pytest.mark.parametrize(
    ("id_number", "joined", "reason"),
    [
        (CHEN_CHEN, dt.date(2018, 2, 28), "入党时未满 18 周岁（出生于 2000-03-01）"),
        (CHEN_CHEN, dt.date(2018, 3, 1), None),
        (LIN_LIN, dt.date(2018, 2, 28), "入党时未满 18 周岁（出生于 2000-02-29）"),
        (LIN_LIN, dt.date(2018, 3, 1), None),
    ],
)
def test_joined_before_18(id_number, joined, reason):
    got = problems(id_number, joined_on=joined, full_member_on=dt.date(2019, 3, 1))
    assert got == ({"joined_on": reason} if reason else {})


def test_full_member_before_joined():
    assert problems(joined_on=dt.date(2010, 7, 1), full_member_on=dt.date(2010, 6, 30)) == {
        "full_member_on": "转正日期不能早于入党日期"
    }
    assert problems(joined_on=dt.date(2010, 7, 1), full_member_on=dt.date(2010, 7, 1)) == {}  # the same day is fine


def test_probationary_member_with_a_full_member_date():
    assert problems(category="预备党员", joined_on=dt.date(2024, 7, 1), full_member_on=dt.date(2025, 5, 1)) == {
        "full_member_on": "预备党员尚未转正，不应填写转正日期"
    }
    assert problems(category="预备党员", joined_on=dt.date(2024, 7, 1), full_member_on=None) == {}


def test_joined_in_the_future():
    assert problems(joined_on=dt.date(2025, 6, 2), full_member_on=None) == {"joined_on": "不能晚于今天"}
    assert problems(joined_on=TODAY, full_member_on=None) == {}  # today itself is fine


def test_full_member_in_the_future():
    assert problems(full_member_on=dt.date(2025, 6, 2)) == {"full_member_on": "不能晚于今天"}


@pytest.mark.parametrize("phone", ["13800001234", "15912345678", "19999999999", ""])
def test_phone_accepted(phone):
    assert problems(phone=phone) == {}


@pytest.mark.parametrize(
    "phone",
    [
        "1380000123",  # 10 digits
        "138000012345",  # 12 digits
        "1380000123a",  # a letter
        "138-0000-1234",  # separators
        "12800001234",  # second digit not 3-9
        "23800001234",  # not starting with 1
    ],
)
def test_phone_refused(phone):
    assert problems(phone=phone) == {"phone": "手机号码应为 11 位数字，以 13–19 开头"}


# --------------------------------------------------------------------------------------------------------------------
# The same rules on the 党员 sheet: exact text, nothing written


@pytest.mark.django_db
def test_sheet_wrong_check_digit(county):
    texts = refused_import([member_row("张伟", ZHANG_WEI_BAD_CHECK, "C01001")])
    assert texts == ["工作表 党员 第 2 行 身份证号: 身份证号校验位错误"]


@pytest.mark.django_db
def test_sheet_birth_date_and_gender_disagreeing(county):
    texts = refused_import([member_row("张伟", ZHANG_WEI, "C01001", gender="女", birth="1985-06-21")])
    assert texts == [
        "工作表 党员 第 2 行 出生日期: 与身份证号中的出生日期 1985-06-12 不一致",
        "工作表 党员 第 2 行 性别: 与身份证号中的性别（男）不一致",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("id_number", "name", "born"),
    [(CHEN_CHEN, "陈晨", "2000-03-01"), (LIN_LIN, "林琳", "2000-02-29")],
)
def test_sheet_join_age_boundary(county, id_number, name, born):
    texts = refused_import([member_row(name, id_number, "C01001", joined="2018-02-28", full="2019-03-01")])
    assert texts == [f"工作表 党员 第 2 行 入党日期: 入党时未满 18 周岁（出生于 {born}）"]

    report = import_members([member_row(name, id_number, "C01001", joined="2018-03-01", full="2019-03-01")])
    assert report.ok, [str(p) for p in report.problems]
    member = Member.objects.get(person__name=name)
    assert member.joined_on == dt.date(2018, 3, 1)
    assert str(member.person.birth_date) == born


@pytest.mark.django_db
def test_sheet_full_member_before_joined(county):
    texts = refused_import([member_row("张伟", ZHANG_WEI, "C01001", joined="2010-07-01", full="2010-06-30")])
    assert texts == ["工作表 党员 第 2 行 转正日期: 转正日期不能早于入党日期"]


@pytest.mark.django_db
def test_sheet_probationary_with_a_full_member_date(county):
    texts = refused_import([member_row("张伟", ZHANG_WEI, "C01001", category="预备党员", full="2011-07-01")])
    assert texts == ["工作表 党员 第 2 行 转正日期: 预备党员尚未转正，不应填写转正日期"]


@pytest.mark.django_db
def test_sheet_joined_in_the_future(county):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    texts = refused_import([member_row("张伟", ZHANG_WEI, "C01001", category="预备党员", joined=tomorrow, full=None)])
    assert texts == ["工作表 党员 第 2 行 入党日期: 不能晚于今天"]


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["1380000123", "1380000123a", "138000012345", 1380000123])
def test_sheet_phone_refused(county, phone):
    texts = refused_import([member_row("张伟", ZHANG_WEI, "C01001", phone=phone)])
    assert texts == ["工作表 党员 第 2 行 手机号码: 手机号码应为 11 位数字，以 13–19 开头"]


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["13800001234", 13800001234])  # text, or a number cell (no digits lost at 11)
def test_sheet_phone_accepted(county, phone):
    report = import_members([member_row("张伟", ZHANG_WEI, "C01001", phone=phone)])
    assert report.ok, [str(p) for p in report.problems]
    assert Member.objects.get().phone == "13800001234"
    assert Membership.objects.count() == 1


# --- 培训台账 and 积分: the rules the services and the demo's bulk rows share --------------------------------------


def test_training_problems():
    ok = {"start_on": dt.date(2025, 3, 1), "end_on": dt.date(2025, 3, 3), "hours": 24, "today": TODAY}
    assert training_problems(**ok) == {}
    assert training_problems(**{**ok, "start_on": dt.date(2025, 6, 1), "end_on": dt.date(2025, 6, 1)}) == {}
    assert training_problems(**{**ok, "end_on": dt.date(2025, 2, 28), "hours": 0}) == {
        "end_on": "结束日期不能早于开始日期。",
        "hours": "学时应大于 0。",
    }
    late = {**ok, "start_on": dt.date(2025, 6, 2), "end_on": dt.date(2025, 6, 3), "hours": None}
    assert training_problems(**late) == {"start_on": "开始日期不能晚于今天。", "hours": "学时应大于 0。"}


def test_point_record_problems():
    ok = {
        "item_name": "参加志愿服务活动",
        "item_active": True,
        "year": 2025,
        "recorded_on": dt.date(2025, 5, 1),
        "joined_on": dt.date(2010, 7, 1),
        "today": TODAY,
    }
    assert point_record_problems(**ok) == {}
    assert point_record_problems(**{**ok, "item_active": False, "year": 2024}) == {
        "item": "积分项目“参加志愿服务活动”已停用。",
        "recorded_on": "记录日期应在 2024 年内。",
    }
    assert point_record_problems(**{**ok, "recorded_on": dt.date(2025, 6, 2)}) == {
        "recorded_on": "记录日期不能晚于今天。"
    }
    joined_later = {**ok, "joined_on": dt.date(2025, 5, 2)}
    assert point_record_problems(**joined_later) == {"recorded_on": "记录日期不能早于入党日期 2025-05-02。"}
