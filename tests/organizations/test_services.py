"""Writes to the tree and the posts: validation, scope, the subtree moving along, one secretary at a time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import NotInScope
from core.models import AuditEvent
from members.models import Person
from organizations.models import Organization, Post
from organizations.services import (
    organization_create,
    organization_move,
    organization_update,
    post_appoint,
    post_create,
    post_delete,
    post_update,
)
from tests.factories import PersonFactory, PostFactory
from tests.helpers import assert_tree_consistent, nothing_changed

pytestmark = pytest.mark.django_db

ZHANG = "110105194912310011"
LI = "11010519491231002X"


# --- organizations ---------------------------------------------------------------------------------------------------


def test_create_under_a_parent(county, township_admin):
    org = organization_create(
        actor=township_admin, parent=county.township_a, code="C01003", name="南街村党支部", kind="党支部", domain="农村"
    )
    county.refresh()
    assert org.parent_id == county.township_a.pk
    assert org.path.startswith(county.township_a.path) and org.depth == 3
    assert county.township_a.numchild == 3
    assert_tree_consistent()


def test_create_root_only_for_the_system(county, county_admin):
    with nothing_changed(), pytest.raises(NotInScope, match="只有系统管理员"):
        organization_create(actor=county_admin, parent=None, code="Y", name="另一个县委", kind="县委")
    root = organization_create(actor=None, parent=None, code="Y", name="另一个县委", kind="县委")
    assert root.depth == 1 and root.parent_id is None
    assert_tree_consistent()


def test_create_outside_scope_refused(county, township_admin):
    with nothing_changed(), pytest.raises(NotInScope):
        organization_create(actor=township_admin, parent=county.township_b, code="C02003", name="新村", kind="党支部")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "C01001"}, "code"),  # taken
        ({"kind": "支部"}, "kind"),
        ({"domain": "乡村"}, "domain"),
        ({"term_years": 11}, None),  # the check constraint, with its Chinese message
        ({"name": ""}, "name"),
        ({"code": ""}, "code"),
    ],
)
def test_create_validation(county, fields, field):
    values = {"code": "C01003", "name": "南街村党支部", "kind": "党支部", "domain": "农村", **fields}
    with nothing_changed(), pytest.raises(ValidationError) as exc:
        organization_create(actor=None, parent=county.township_a, **values)
    if field:
        assert field in exc.value.message_dict
    else:
        assert "任期年数应在 1 到 10 年之间。" in str(exc.value)


def test_update_fields(county, township_admin):
    org = organization_update(
        actor=township_admin, organization=county.village_a2, name="西街村第一党支部", has_party_groups=True
    )
    org.refresh_from_db()
    assert org.name == "西街村第一党支部" and org.has_party_groups is True
    assert org.path == county.village_a2.path


def test_update_unknown_field_refused(county):
    with nothing_changed(), pytest.raises(ValueError, match="unknown organization field"):
        organization_update(actor=None, organization=county.village_a2, path="0002")


def test_update_invalid_value_refused(county):
    with nothing_changed(), pytest.raises(ValidationError):
        organization_update(actor=None, organization=county.village_a2, term_years=0)
    assert Organization.objects.get(code="C01002").term_years is None


def test_move_carries_the_subtree(county, county_admin):
    before = {o.code: o.path for o in Organization.objects.all()}
    organization_move(actor=county_admin, organization=county.township_a, new_parent=county.township_b)
    county.refresh()
    assert county.township_a.parent_id == county.township_b.pk
    assert county.township_a.path.startswith(county.township_b.path)
    for village in (county.village_a1, county.village_a2):
        assert village.path.startswith(county.township_a.path)
        assert village.path != before[village.code]
        assert village.depth == 4
    assert county.root.numchild == 2 and county.township_b.numchild == 3
    assert_tree_consistent()


def test_move_to_the_same_parent_is_a_no_op(county):
    with nothing_changed():
        organization_move(actor=None, organization=county.village_a1, new_parent=county.township_a)


def test_move_under_itself_refused(county):
    with nothing_changed(), pytest.raises(ValidationError):
        organization_move(actor=None, organization=county.township_a, new_parent=county.township_a)


def test_move_under_own_grandchild_refused(county):
    deep = organization_create(actor=None, parent=county.village_a1, code="C0100101", name="一组", kind="党支部")
    with nothing_changed(), pytest.raises(ValidationError) as exc:
        organization_move(actor=None, organization=county.township_a, new_parent=deep)
    assert exc.value.message_dict == {"parent": ["不能把组织移到它自己或它的下级组织之下。"]}


def test_move_by_secretary_refused(county, secretary):
    with nothing_changed(), pytest.raises(NotInScope):
        organization_move(actor=secretary, organization=county.village_a1, new_parent=county.village_a2)


# --- posts -----------------------------------------------------------------------------------------------------------


def test_post_create(county, township_admin):
    person = PersonFactory(name="张三")
    post = post_create(
        actor=township_admin,
        organization=county.village_a1,
        person=person,
        title="书记",
        start_on=dt.date(2021, 1, 1),
        end_on=dt.date(2024, 12, 31),
    )
    assert Post.objects.get() == post
    assert post.is_current is False


def test_post_end_before_start_refused(county):
    person = PersonFactory()
    with nothing_changed(), pytest.raises(ValidationError):
        post_create(
            actor=None,
            organization=county.village_a1,
            person=person,
            title="委员",
            start_on=dt.date(2021, 1, 1),
            end_on=dt.date(2020, 12, 31),
        )


def test_post_bad_title_refused(county):
    person = PersonFactory()
    with nothing_changed(), pytest.raises(ValidationError) as exc:
        post_create(
            actor=None, organization=county.village_a1, person=person, title="主任", start_on=dt.date(2021, 1, 1)
        )
    assert "title" in exc.value.message_dict


def test_overlapping_secretary_refused(county):
    PostFactory(organization=county.village_a1, person=PersonFactory(name="张三"), start_on=dt.date(2021, 1, 1))
    li = PersonFactory(name="李四")
    with nothing_changed(), pytest.raises(ValidationError) as exc:
        post_create(
            actor=None,
            organization=county.village_a1,
            person=li,
            title="书记",
            start_on=dt.date(2023, 1, 1),
        )
    message = exc.value.message_dict["start_on"][0]
    assert message.startswith("书记任期重叠：张三（2021-01-01 起）与 李四（2023-01-01 起）")


def test_earlier_secretary_overlapping_an_open_term_refused(county):
    PostFactory(organization=county.village_a1, start_on=dt.date(2021, 1, 1))
    person = PersonFactory()
    with nothing_changed(), pytest.raises(ValidationError):
        post_create(
            actor=None,
            organization=county.village_a1,
            person=person,
            title="书记",
            start_on=dt.date(2019, 1, 1),
            end_on=dt.date(2021, 1, 1),  # ends the day the next one starts: one day of overlap
        )


def test_adjacent_secretary_terms_accepted(county):
    PostFactory(organization=county.village_a1, start_on=dt.date(2020, 1, 1), end_on=dt.date(2024, 12, 31))
    post_create(
        actor=None, organization=county.village_a1, person=PersonFactory(), title="书记", start_on=dt.date(2025, 1, 1)
    )
    assert Post.objects.filter(title="书记").count() == 2


def test_post_update_extending_into_an_overlap_refused(county):
    first = PostFactory(organization=county.village_a1, start_on=dt.date(2020, 1, 1), end_on=dt.date(2024, 12, 31))
    PostFactory(organization=county.village_a1, start_on=dt.date(2025, 1, 1))
    with nothing_changed(), pytest.raises(ValidationError):
        post_update(actor=None, post=first, end_on=None)


def test_the_same_post_twice_refused(county):
    """Same person, organization, title and start date: a ValidationError (not a database error) on create and edit."""
    first = PostFactory(organization=county.village_a1, title="委员", start_on=dt.date(2021, 1, 1))
    second = PostFactory(
        organization=county.village_a1, person=first.person, title="委员", start_on=dt.date(2020, 1, 1)
    )
    with nothing_changed(), pytest.raises(ValidationError) as exc:
        post_create(
            actor=None, organization=county.village_a1, person=first.person, title="委员", start_on=dt.date(2021, 1, 1)
        )
    assert exc.value.messages == ["该人员在此组织同一日期已有相同职务。"]
    with nothing_changed(), pytest.raises(ValidationError):
        post_update(actor=None, post=second, start_on=dt.date(2021, 1, 1))


def test_post_update_unknown_field_refused(county):
    post = PostFactory(organization=county.village_a1)
    with nothing_changed(), pytest.raises(ValueError):
        post_update(actor=None, post=post, organization=county.village_a2)


def test_post_delete(county, township_admin, sibling_admin):
    post = PostFactory(organization=county.village_a1)
    with nothing_changed(), pytest.raises(NotInScope):
        post_delete(actor=sibling_admin, post=post)
    post_delete(actor=township_admin, post=post)
    assert not Post.objects.exists()
    event = AuditEvent.objects.get(action="delete")
    assert event.before["title"] == "书记" and event.after is None


def test_post_appoint_creates_the_person(county, township_admin):
    post = post_appoint(
        actor=township_admin,
        organization=county.village_a1,
        name=" 张三 ",
        id_number=ZHANG,
        title="书记",
        start_on=dt.date(2021, 1, 1),
    )
    assert post.person.name == "张三" and Person.objects.count() == 1
    again = post_appoint(
        actor=township_admin,
        organization=county.village_a2,
        name="张三",
        id_number=ZHANG,
        title="委员",
        start_on=dt.date(2021, 1, 1),
    )
    assert again.person_id == post.person_id and Person.objects.count() == 1


def test_post_appoint_name_mismatch_refused(county):
    PersonFactory(name="张三", id_number=ZHANG)
    with nothing_changed(), pytest.raises(ValidationError) as exc:
        post_appoint(
            actor=None,
            organization=county.village_a1,
            name="李四",
            id_number=ZHANG,
            title="书记",
            start_on=dt.date(2021, 1, 1),
        )
    assert exc.value.message_dict == {"name": ["与该身份证号已登记的姓名不一致。"]}


def test_post_appoint_bad_id_number_refused(county):
    with nothing_changed(), pytest.raises(ValidationError) as exc:
        post_appoint(
            actor=None,
            organization=county.village_a1,
            name="张三",
            id_number="110105194912310012",
            title="书记",
            start_on=dt.date(2021, 1, 1),
        )
    assert exc.value.message_dict == {"id_number": ["身份证号校验位错误"]}


def test_post_appoint_refused_leaves_no_new_person_behind(county):
    PostFactory(organization=county.village_a1, start_on=dt.date(2021, 1, 1))
    with nothing_changed(), pytest.raises(ValidationError):
        post_appoint(
            actor=None,
            organization=county.village_a1,
            name="李四",
            id_number=LI,
            title="书记",
            start_on=dt.date(2022, 1, 1),
        )


def test_post_appoint_out_of_scope_refused(county, sibling_admin):
    with nothing_changed(), pytest.raises(NotInScope):
        post_appoint(
            actor=sibling_admin,
            organization=county.village_a1,
            name="张三",
            id_number=ZHANG,
            title="书记",
            start_on=dt.date(2021, 1, 1),
        )
