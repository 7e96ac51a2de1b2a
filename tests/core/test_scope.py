"""The one scope mechanism: `.restrict(actor, action)` per role, "not found" for out-of-scope, refused writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.models import User
from accounts.services import grant_add
from core.exceptions import NotInScope
from core.scope import ALL, Action, collapse_paths, in_scope, path_successor, scope_paths, subtree_q
from organizations.models import Organization, Post
from organizations.selectors import organization_get_for, post_get_for
from organizations.services import organization_move, organization_update, post_create, post_update
from tests.factories import PersonFactory, PostFactory
from tests.helpers import nothing_changed

pytestmark = pytest.mark.django_db

ALL_CODES = {"C", "C01", "C01001", "C01002", "C02", "C02001", "C02002", "C90"}


def orgs():
    # The queryset's restrict(); the manager's own is checked by test_every_scoped_manager_offers_restrict.
    return Organization.objects.all()


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def test_every_scoped_manager_offers_restrict(county, township_admin):
    """Selectors call `Model.objects.restrict(...)`: the manager must offer it, the tree's manager included."""
    from accounts.models import RoleGrant
    from core.models import AuditEvent, Job

    for model in (Organization, Post, User, RoleGrant, AuditEvent, Job):
        assert hasattr(model.objects, "restrict"), f"{model.__name__}.objects has no restrict()"
    assert codes(Organization.objects.restrict(township_admin, Action.VIEW)) == {"C01", "C01001", "C01002"}


def test_system_and_superuser_are_unrestricted(county):
    assert scope_paths(None, Action.MANAGE) is ALL
    su = User.objects.create_superuser("root", password="x-Long-password-1")
    assert scope_paths(su, Action.MANAGE) is ALL
    assert codes(orgs().restrict(None, Action.MANAGE)) == ALL_CODES
    assert codes(orgs().restrict(su, Action.MANAGE)) == ALL_CODES


def test_county_admin_sees_and_manages_all(county, county_admin):
    for action in (Action.VIEW, Action.CHANGE, Action.MANAGE, Action.MANAGE_ACCOUNTS, Action.VIEW_PERSONAL):
        assert codes(orgs().restrict(county_admin, action)) == ALL_CODES


def test_township_admin_sees_own_subtree_not_the_sibling(county, township_admin):
    for action in (Action.VIEW, Action.CHANGE, Action.MANAGE, Action.MANAGE_ACCOUNTS):
        assert codes(orgs().restrict(township_admin, action)) == {"C01", "C01001", "C01002"}
    assert codes(orgs().restrict(township_admin, Action.VIEW_PERSONAL)) == set()


def test_sibling_admin_sees_the_other_subtree(county, sibling_admin):
    assert codes(orgs().restrict(sibling_admin, Action.VIEW)) == {"C02", "C02001", "C02002"}


def test_secretary_sees_own_branch_only(county, secretary):
    assert codes(orgs().restrict(secretary, Action.VIEW)) == {"C01001"}
    assert codes(orgs().restrict(secretary, Action.CHANGE)) == {"C01001"}
    assert codes(orgs().restrict(secretary, Action.MANAGE)) == set()


def test_leader_sees_all_but_cannot_manage(county, leader):
    assert codes(orgs().restrict(leader, Action.VIEW)) == ALL_CODES
    for action in (Action.CHANGE, Action.MANAGE, Action.MANAGE_ACCOUNTS, Action.VIEW_PERSONAL):
        assert codes(orgs().restrict(leader, action)) == set()


def test_inspector_sees_all_read_only(county, inspector):
    assert codes(orgs().restrict(inspector, Action.VIEW)) == ALL_CODES
    assert codes(orgs().restrict(inspector, Action.MANAGE)) == set()


def test_anonymous_sees_nothing(county):
    anon = AnonymousUser()
    assert scope_paths(anon, Action.VIEW) == []
    for action in (Action.VIEW, Action.MANAGE):
        assert codes(orgs().restrict(anon, action)) == set()
    assert not in_scope(anon, Action.VIEW, county.root.path)


def test_inactive_account_sees_nothing(county, county_admin):
    county_admin.is_active = False
    county_admin.save()
    user = User.objects.get(pk=county_admin.pk)
    assert codes(orgs().restrict(user, Action.VIEW)) == set()


def test_grants_at_two_nodes_give_both_subtrees(county, township_admin):
    grant_add(actor=None, user=township_admin, organization=county.village_b1, role="township_admin")
    user = User.objects.get(pk=township_admin.pk)  # fresh: grants are cached per instance
    assert codes(orgs().restrict(user, Action.MANAGE)) == {"C01", "C01001", "C01002", "C02001"}


def test_posts_are_restricted_through_their_organization(county, township_admin, secretary, leader):
    a1 = PostFactory(organization=county.village_a1)
    a2 = PostFactory(organization=county.village_a2)
    b1 = PostFactory(organization=county.village_b1)
    assert set(Post.objects.restrict(township_admin)) == {a1, a2}
    assert set(Post.objects.restrict(secretary)) == {a1}
    assert set(Post.objects.restrict(leader)) == {a1, a2, b1}
    assert set(Post.objects.restrict(leader, Action.MANAGE)) == set()
    assert set(Post.objects.restrict(AnonymousUser())) == set()


def test_collapse_paths_and_subtree_range():
    assert collapse_paths(["00010002", "0001", "00010002000A", "0003"]) == ["0001", "0003"]
    q = subtree_q("path", ["0001"])
    assert "path__gte" in str(q) and "path__lt" in str(q)


def test_subtree_range_does_not_leak_into_the_next_sibling(county, township_admin):
    # 0001 0001 is township A; its range ends before 0001 0002 (township B), also for deeper paths of B.
    assert county.township_a.path < county.township_b.path
    visible = orgs().restrict(township_admin)
    assert not visible.filter(path__startswith=county.township_b.path).exists()


def test_organization_get_for_out_of_scope_and_missing_alike(county, township_admin):
    assert organization_get_for(township_admin, county.village_a1.pk) == county.village_a1
    with pytest.raises(NotInScope) as outside:
        organization_get_for(township_admin, county.village_b1.pk)
    with pytest.raises(NotInScope) as missing:
        organization_get_for(township_admin, 999_999)
    assert isinstance(outside.value, Http404)
    assert str(outside.value) == str(missing.value)


def test_organization_get_for_respects_the_action(county, leader, secretary):
    assert organization_get_for(leader, county.village_b1.pk) == county.village_b1
    with pytest.raises(NotInScope):
        organization_get_for(leader, county.village_b1.pk, Action.MANAGE)
    with pytest.raises(NotInScope):
        organization_get_for(secretary, county.village_a2.pk)
    with pytest.raises(NotInScope):
        organization_get_for(AnonymousUser(), county.root.pk)


def test_post_get_for_out_of_scope(county, sibling_admin):
    post = PostFactory(organization=county.village_a1)
    with pytest.raises(NotInScope):
        post_get_for(sibling_admin, post.pk)


def test_organization_update_by_sibling_admin_refused(county, sibling_admin):
    with nothing_changed(), pytest.raises(NotInScope):
        organization_update(actor=sibling_admin, organization=county.village_a1, name="被改掉的名称")
    county.village_a1.refresh_from_db()
    assert county.village_a1.name == "东街村党支部"


def test_organization_update_by_secretary_and_leader_refused(county, secretary, leader):
    for actor in (secretary, leader):
        with nothing_changed(), pytest.raises(NotInScope):
            organization_update(actor=actor, organization=county.village_a1, name="改名")


def test_post_create_by_leader_refused(county, leader):
    person = PersonFactory()
    with nothing_changed(), pytest.raises(NotInScope):
        post_create(
            actor=leader, organization=county.village_a1, person=person, title="书记", start_on=dt.date(2021, 1, 1)
        )


def test_post_create_by_secretary_refused(county, secretary):
    person = PersonFactory()
    with nothing_changed(), pytest.raises(NotInScope):
        post_create(
            actor=secretary, organization=county.village_a1, person=person, title="委员", start_on=dt.date(2021, 1, 1)
        )


def test_post_update_by_sibling_admin_refused(county, sibling_admin):
    post = PostFactory(organization=county.village_a1)
    with nothing_changed(), pytest.raises(NotInScope):
        post_update(actor=sibling_admin, post=post, end_on=dt.date(2024, 12, 31))


def test_organization_move_into_sibling_subtree_refused(county, township_admin):
    with nothing_changed(), pytest.raises(NotInScope):
        organization_move(actor=township_admin, organization=county.village_a1, new_parent=county.township_b)


def test_organization_move_of_sibling_org_into_own_subtree_refused(county, township_admin):
    with nothing_changed(), pytest.raises(NotInScope):
        organization_move(actor=township_admin, organization=county.village_b1, new_parent=county.township_a)


def test_organization_move_inside_own_subtree_allowed(county, township_admin):
    moved = organization_move(actor=township_admin, organization=county.village_a2, new_parent=county.village_a1)
    assert moved.parent_id == county.village_a1.pk


def test_organization_move_under_own_descendant_refused(county):
    with nothing_changed(), pytest.raises(ValidationError) as exc:
        organization_move(actor=None, organization=county.township_a, new_parent=county.village_a1)
    assert "下级组织" in str(exc.value)


@pytest.mark.parametrize(
    "path, successor",
    [("0001", "0002"), ("0009", "000A"), ("000Z", "001"), ("00010ZZZ", "00011"), ("ZZZZ", None), ("0ZZZ", "1")],
)
def test_path_successor_bounds_every_descendant(path, successor):
    assert path_successor(path) == successor
    if successor:
        # every descendant sorts below the bound, whatever the collation does with punctuation
        assert path + "ZZZZ" < successor and path < successor
