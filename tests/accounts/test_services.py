"""Accounts and role grants: who may create whom, where, with which role; every write audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import RoleGrant, User
from accounts.selectors import account_get_for, account_list
from accounts.services import account_create, account_set_password, account_update, grant_add, grant_remove
from core.exceptions import NotInScope
from core.models import AuditEvent
from core.scope import Action
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _state():
    return (
        sorted(User.objects.values_list("username", "is_active", "full_name", "password")),
        sorted(RoleGrant.objects.values_list("user_id", "organization_id", "role")),
        AuditEvent.objects.count(),
    )


class Unchanged:
    def __enter__(self):
        self.before = _state()

    def __exit__(self, *exc):
        assert _state() == self.before
        return False


def test_account_create_grants_the_role_and_is_audited(county, county_admin):
    before = AuditEvent.objects.count()
    user = account_create(
        actor=county_admin,
        username="zhang",
        password=PASSWORD,
        organization=county.township_a,
        role="township_admin",
        full_name="张三",
        phone="13800000000",
    )
    assert user.check_password(PASSWORD)
    assert user.home_path == county.township_a.path
    assert [(g.organization_id, g.role) for g in user.grants.all()] == [(county.township_a.pk, "township_admin")]
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.object_type, e.actor_id) for e in events] == [
        ("create", "accounts.user", county_admin.pk),
        ("grant", "accounts.user", county_admin.pk),
    ]
    assert events[0].after["username"] == "zhang" and "password" not in events[0].after
    assert events[1].after == {"role": "township_admin", "organization": "C01"}
    assert events[1].org_path == county.township_a.path


def test_township_admin_creates_a_secretary_in_own_subtree(county, township_admin):
    user = account_create(
        actor=township_admin, username="li", password=PASSWORD, organization=county.village_a2, role="branch_secretary"
    )
    assert user.scope_paths(Action.CHANGE) == [county.village_a2.path]
    assert user.scope_paths(Action.MANAGE) == []


def test_township_admin_cannot_create_in_the_sibling_township(county, township_admin):
    with Unchanged(), pytest.raises(NotInScope):
        account_create(
            actor=township_admin,
            username="li",
            password=PASSWORD,
            organization=county.village_b1,
            role="branch_secretary",
        )


@pytest.mark.parametrize("role", ["county_admin", "leader"])
def test_township_admin_cannot_grant_county_roles(county, township_admin, role):
    with Unchanged(), pytest.raises(ValidationError) as exc:
        account_create(
            actor=township_admin, username="li", password=PASSWORD, organization=county.township_a, role=role
        )
    assert exc.value.message_dict == {"role": ["您无权授予该角色。"]}


def test_secretary_and_leader_cannot_create_accounts(county, secretary, leader):
    for actor, org in ((secretary, county.village_a1), (leader, county.root)):
        with Unchanged(), pytest.raises(NotInScope):
            account_create(actor=actor, username="li", password=PASSWORD, organization=org, role="branch_secretary")


def test_duplicate_username_refused(county, county_admin):
    with Unchanged(), pytest.raises(ValidationError) as exc:
        account_create(actor=None, username="county_admin", password=PASSWORD, organization=county.dept, role="leader")
    assert exc.value.message_dict == {"username": ["账号“county_admin”已存在。"]}


def test_unknown_role_refused(county):
    with Unchanged(), pytest.raises(ValidationError) as exc:
        account_create(actor=None, username="li", password=PASSWORD, organization=county.dept, role="admin")
    assert "role" in exc.value.message_dict


@pytest.mark.parametrize("password", ["short-1", "12345678901234", "password1234"])
def test_weak_password_refused(county, password):
    with Unchanged(), pytest.raises(ValidationError) as exc:
        account_create(actor=None, username="wang", password=password, organization=county.dept, role="leader")
    assert list(exc.value.message_dict) == ["password"]


def test_account_update_is_audited_with_the_changes(county, township_admin, secretary):
    account_update(actor=township_admin, user=secretary, full_name="东街村新书记", phone="13900000000")
    event = AuditEvent.objects.filter(action="update").get()
    assert event.before == {"full_name": "东街村书记", "phone": ""}
    assert event.after == {"full_name": "东街村新书记", "phone": "13900000000"}


def test_account_update_out_of_scope_refused(county, sibling_admin, secretary):
    with Unchanged(), pytest.raises(NotInScope):
        account_update(actor=sibling_admin, user=secretary, is_active=False)


def test_cannot_deactivate_oneself(county, township_admin):
    with Unchanged(), pytest.raises(ValidationError):
        account_update(actor=township_admin, user=township_admin, is_active=False)


def test_deactivated_account_loses_its_scope(county, township_admin, secretary):
    account_update(actor=township_admin, user=secretary, is_active=False)
    user = User.objects.get(pk=secretary.pk)
    from core.scope import scope_paths

    assert scope_paths(user, Action.VIEW) == []


def test_set_password_audited_without_the_password(county, township_admin, secretary):
    account_set_password(actor=township_admin, user=secretary, password="Another-passw0rd-2026")
    secretary.refresh_from_db()
    assert secretary.check_password("Another-passw0rd-2026")
    event = AuditEvent.objects.get(action="set_password")
    assert event.before is None and event.after is None
    assert "Another" not in str(event.note)


def test_set_password_out_of_scope_refused(county, sibling_admin, secretary):
    with Unchanged(), pytest.raises(NotInScope):
        account_set_password(actor=sibling_admin, user=secretary, password="Another-passw0rd-2026")


def test_grant_add_is_idempotent_and_remove_is_audited(county, county_admin, secretary):
    grant = grant_add(actor=county_admin, user=secretary, organization=county.village_a2, role="branch_secretary")
    with Unchanged():
        again = grant_add(actor=county_admin, user=secretary, organization=county.village_a2, role="branch_secretary")
    assert again == grant
    grant_remove(actor=county_admin, grant=grant)
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    event = AuditEvent.objects.get(action="revoke")
    assert event.before == {"role": "branch_secretary", "organization": "C01002"}


def test_grant_remove_out_of_scope_refused(county, sibling_admin, secretary):
    grant = secretary.grants.get()
    with Unchanged(), pytest.raises(NotInScope):
        grant_remove(actor=sibling_admin, grant=grant)


def test_account_list_is_scoped(county, county_admin, township_admin, sibling_admin, secretary, leader):
    assert {u.username for u in account_list(actor=township_admin)} == {"township_admin", "secretary"}
    assert {u.username for u in account_list(actor=sibling_admin)} == {"sibling_admin"}
    assert {u.username for u in account_list(actor=county_admin)} >= {
        "county_admin",
        "township_admin",
        "sibling_admin",
        "secretary",
        "leader",
    }
    assert list(account_list(actor=secretary)) == []
    assert list(account_list(actor=leader)) == []
    with pytest.raises(NotInScope):
        account_get_for(township_admin, sibling_admin.pk)
    assert account_get_for(township_admin, secretary.pk) == secretary


def test_roles_and_labels(county, township_admin):
    assert township_admin.roles() == {"township_admin"}
    assert township_admin.role_labels() == "城关镇党委·乡镇（工委）管理员"


def test_grants_load_in_one_query_whatever_their_number(county, township_admin):
    """Every scoped request asks for the account's grants: one query, not one per grant."""
    for org in (county.village_b1, county.village_b2, county.dept):
        grant_add(actor=None, user=township_admin, organization=org, role="inspector")
    user = User.objects.get(pk=township_admin.pk)
    with CaptureQueriesContext(connection) as queries:
        paths = user.scope_paths(Action.VIEW)
        user.scope_paths(Action.MANAGE)
        user.roles()
    assert len(paths) == 4
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]


def test_accounts_move_with_their_organization(county, county_admin, sibling_admin):
    """An account's place in the tree follows its home organization when that organization is moved."""
    from organizations.services import organization_move

    secretary_a2 = account_create(
        actor=None, username="sec_a2", password=PASSWORD, organization=county.village_a2, role="branch_secretary"
    )
    assert secretary_a2 not in account_list(actor=sibling_admin)
    organization_move(actor=county_admin, organization=county.village_a2, new_parent=county.township_b)
    assert secretary_a2 in account_list(actor=sibling_admin)
    secretary_a2.refresh_from_db()
    assert secretary_a2.home_path.startswith(county.township_b.path)
