"""members.selectors: every read goes through the actor's scope; membership history answers "was X a member of
branch B on date D" on both sides of a transfer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from core.exceptions import NotInScope
from core.scope import Action
from members.selectors import member_get_for, member_list, members_of_branch_on, person_by_id_number, was_member_of
from members.services import member_create, member_transfer
from tests.members.helpers import LI_QIANG, LIU_YANG, WANG_FANG, ZHANG_WEI, ZHAO_MIN

pytestmark = pytest.mark.django_db

D = dt.date
ALL_NAMES = ["刘洋", "张伟", "李强", "王芳", "赵敏"]


@pytest.fixture
def members(county):
    """One member in each of five branches: 张伟 C01001, 王芳 C01002, 李强 C02001, 刘洋 C02002, 赵敏 C90."""
    people = [
        ("张伟", ZHANG_WEI, county.village_a1, D(2010, 7, 1)),
        ("王芳", WANG_FANG, county.village_a2, D(2020, 7, 1)),
        ("李强", LI_QIANG, county.village_b1, D(2010, 7, 1)),
        ("刘洋", LIU_YANG, county.village_b2, D(2010, 7, 1)),
        ("赵敏", ZHAO_MIN, county.dept, D(2010, 7, 1)),
    ]
    return {
        name: member_create(
            actor=None, name=name, id_number=number, branch=branch, category="正式党员", joined_on=joined
        )
        for name, number, branch, joined in people
    }


def names(qs) -> list[str]:
    return sorted(m.person.name for m in qs)  # sorted here: the database collation differs between backends


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("county_admin", ALL_NAMES),
        ("leader", ALL_NAMES),
        ("inspector", ALL_NAMES),
        ("township_admin", ["张伟", "王芳"]),
        ("secretary", ["张伟"]),
        ("sibling_admin", ["刘洋", "李强"]),  # nothing of township A
    ],
)
def test_member_list_scoping(members, who, expected, request):
    assert names(member_list(actor=request.getfixturevalue(who))) == expected


def test_member_list_for_the_system_and_anonymous(members):
    assert names(member_list(actor=None)) == ALL_NAMES
    assert names(member_list(actor=AnonymousUser())) == []


@pytest.mark.parametrize(
    ("who", "expected"),
    [("county_admin", ALL_NAMES), ("township_admin", []), ("secretary", []), ("leader", [])],
)
def test_member_list_of_personal_data_rights(members, who, expected, request):
    assert names(member_list(actor=request.getfixturevalue(who), action=Action.VIEW_PERSONAL)) == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [("township_admin", ["张伟", "王芳"]), ("secretary", ["张伟"]), ("leader", []), ("inspector", [])],
)
def test_member_list_for_change(members, who, expected, request):
    assert names(member_list(actor=request.getfixturevalue(who), action=Action.CHANGE)) == expected


def test_member_get_for(members, township_admin, secretary, sibling_admin):
    zhang = members["张伟"]
    assert member_get_for(township_admin, zhang.pk) == zhang
    assert member_get_for(secretary, zhang.pk) == zhang
    with pytest.raises(NotInScope) as exc:
        member_get_for(sibling_admin, zhang.pk)
    assert str(exc.value) == "未找到该记录，或您无权访问。"
    for pk in (members["王芳"].pk, members["李强"].pk, 999_999):  # foreign and missing answer alike
        with pytest.raises(NotInScope):
            member_get_for(secretary, pk)


def test_member_get_for_a_transferred_member_follows_the_file(county, members, township_admin, sibling_admin):
    zhang = members["张伟"]
    member_transfer(actor=None, member=zhang, to_branch=county.village_b1, on=D(2024, 3, 1))
    with pytest.raises(NotInScope):
        member_get_for(township_admin, zhang.pk)
    assert member_get_for(sibling_admin, zhang.pk) == zhang


def test_person_by_id_number(members):
    assert person_by_id_number(WANG_FANG.lower()) == members["王芳"].person
    assert person_by_id_number("110105194912310054") is None  # valid (1101051949123100 5 → 173 mod 11 = 8 → "4")


def test_members_of_branch_on_around_a_transfer(county, members):
    zhang, wang = members["张伟"], members["王芳"]
    member_transfer(actor=None, member=zhang, to_branch=county.village_a2, on=D(2024, 3, 1))
    a1, a2 = county.village_a1, county.village_a2
    assert list(members_of_branch_on(branch=a1, on=D(2010, 6, 30))) == []  # before 张伟 joined
    assert list(members_of_branch_on(branch=a1, on=D(2010, 7, 1))) == [zhang]
    assert list(members_of_branch_on(branch=a1, on=D(2024, 2, 29))) == [zhang]
    assert list(members_of_branch_on(branch=a1, on=D(2024, 3, 1))) == []
    assert list(members_of_branch_on(branch=a2, on=D(2024, 2, 29))) == [wang]
    assert names(members_of_branch_on(branch=a2, on=D(2024, 3, 1))) == ["张伟", "王芳"]
    assert list(members_of_branch_on(branch=a2, on=D(2020, 6, 30))) == []  # before 王芳 joined
    assert was_member_of(member=zhang, branch=a1, on=D(2024, 2, 29))
    assert not was_member_of(member=zhang, branch=a1, on=D(2024, 3, 1))
    assert was_member_of(member=zhang, branch=a2, on=D(2024, 3, 1))


def test_members_of_branch_on_after_leaving_and_coming_back(county, members):
    zhang = members["张伟"]
    member_transfer(actor=None, member=zhang, to_branch=county.village_a2, on=D(2020, 1, 1))
    member_transfer(actor=None, member=zhang, to_branch=county.village_a1, on=D(2022, 1, 1))
    a1 = county.village_a1
    assert list(members_of_branch_on(branch=a1, on=D(2019, 12, 31))) == [zhang]
    assert list(members_of_branch_on(branch=a1, on=D(2021, 6, 1))) == []  # away in 西街村
    assert list(members_of_branch_on(branch=a1, on=D(2024, 1, 1))) == [zhang]  # once, not once per membership
    assert members_of_branch_on(branch=a1, on=D(2024, 1, 1)).count() == 1
    assert not was_member_of(member=zhang, branch=a1, on=D(2021, 12, 31))
    assert was_member_of(member=zhang, branch=county.village_a2, on=D(2021, 12, 31))
