"""Login security (accounts/security.py): the lockout per account and address, its cool-off, the API's token endpoint
refused alike; idle and absolute session ends; the forced change of a password an administrator chose; the
character-class rule; and the audit of logins, logouts and failures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import LoginFailure, User
from accounts.security import COOL_OFF, LAST_SEEN, LOGIN_AT
from accounts.services import account_create, account_set_password
from core.models import AuditEvent
from tests.conftest import PASSWORD, text

pytestmark = pytest.mark.django_db

OFFICE, HOME = "10.1.2.3", "10.9.9.9"


def _login(client, username, password, ip=OFFICE):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client, username, times, ip=OFFICE):
    for _ in range(times):
        response = _login(client, username, "wrong-Password-1", ip)
        assert response.status_code == 200 and "账号或密码不正确" in text(response)


def test_five_failures_lock_the_account_at_that_address_for_fifteen_minutes(client, secretary, township_admin):
    _fail(client, "secretary", 5)
    refused = _login(client, "secretary", PASSWORD)  # the right password, too late
    assert refused.status_code == 200 and "已暂时锁定" in text(refused) and "_auth_user_id" not in client.session
    # the same account from another address, and another account from the same office: not locked
    assert _login(Client(), "secretary", PASSWORD, HOME).status_code == 302
    assert _login(Client(), "township_admin", PASSWORD, OFFICE).status_code == 302
    # fifteen minutes after the last failure the account may try again; a success clears its failures
    LoginFailure.objects.update(at=timezone.now() - COOL_OFF - dt.timedelta(seconds=1))
    assert _login(Client(), "secretary", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="secretary", ip=OFFICE).exists()


def test_four_failures_do_not_lock_and_a_success_starts_the_count_again(client, secretary):
    _fail(client, "secretary", 4)
    assert _login(Client(), "secretary", PASSWORD).status_code == 302
    _fail(client, "secretary", 4)
    assert _login(Client(), "secretary", PASSWORD).status_code == 302


def test_usernames_are_counted_however_they_are_typed(client, secretary):
    for name in ("Secretary", "SECRETARY ", "secretary", "secRetary", "SeCretary"):
        _login(client, name, "wrong-Password-1")
    assert "已暂时锁定" in text(_login(client, "secretary", PASSWORD))


def test_the_api_token_endpoint_is_locked_alike(secretary):
    api = APIClient(REMOTE_ADDR=OFFICE)
    url = reverse("api-token")
    for _ in range(5):
        assert api.post(url, {"username": "secretary", "password": "nope-Nope-1"}).status_code == 400
    assert api.post(url, {"username": "secretary", "password": PASSWORD}).status_code == 400
    assert APIClient(REMOTE_ADDR=HOME).post(url, {"username": "secretary", "password": PASSWORD}).status_code == 200


def test_logins_logouts_and_failures_are_audited(client, secretary):
    _login(client, "nobody", "wrong-Password-1")
    _login(client, "secretary", PASSWORD)
    client.post(reverse("accounts:logout"), REMOTE_ADDR=OFFICE)
    events = list(AuditEvent.objects.filter(action__in=["login", "logout", "login_failed"]).order_by("id"))
    assert [(e.action, e.object_repr, e.ip) for e in events] == [
        ("login_failed", "nobody", OFFICE),
        ("login", "secretary", OFFICE),
        ("logout", "secretary", OFFICE),
    ]
    assert events[1].actor == secretary and events[1].org_path == secretary.home_path


def _session(client, **shift):
    session = client.session
    now = timezone.now()
    for key, delta in shift.items():
        session[{"login": LOGIN_AT, "seen": LAST_SEEN}[key]] = (now - delta).isoformat()
    session.save()


def test_a_session_ends_after_thirty_idle_minutes(client, secretary):
    assert _login(client, "secretary", PASSWORD).status_code == 302
    _session(client, seen=dt.timedelta(minutes=29))
    assert client.get(reverse("dashboards:secretary")).status_code == 200  # 29 minutes: still there
    _session(client, seen=dt.timedelta(minutes=31))
    response = client.get(reverse("dashboards:secretary"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    note = AuditEvent.objects.filter(action="logout").get().note
    assert "30 分钟未操作" in note


def test_a_session_ends_twelve_hours_after_the_login_whatever_the_activity(client, secretary):
    _login(client, "secretary", PASSWORD)
    _session(client, login=dt.timedelta(hours=12, minutes=1), seen=dt.timedelta(seconds=5))
    response = client.get(reverse("dashboards:secretary"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_a_password_chosen_by_an_administrator_must_be_changed_first(client, county, county_admin):
    user = account_create(
        actor=county_admin, username="new_clerk", password="Chosen-by-Admin-1", organization=county.township_a,
        role="township_admin",
    )  # fmt: skip
    assert user.must_change_password
    assert _login(client, "new_clerk", "Chosen-by-Admin-1").status_code == 302
    for url in (reverse("dashboards:desk"), reverse("members:list"), "/api/members/"):
        response = client.get(url)
        assert response.status_code in (302, 403) and "password" in (response.get("Location") or "password"), url
    page = client.post(
        reverse("accounts:password_change"),
        {"old_password": "Chosen-by-Admin-1", "new_password1": "weakpassword", "new_password2": "weakpassword"},
    )
    assert "至少 3 种" in text(page)
    done = client.post(
        reverse("accounts:password_change"),
        {"old_password": "Chosen-by-Admin-1", "new_password1": "Mine-Only-2026", "new_password2": "Mine-Only-2026"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password("Mine-Only-2026")
    assert client.get(reverse("dashboards:desk")).status_code == 200  # still logged in, free to go on
    assert AuditEvent.objects.filter(action="change_password", actor=user).exists()
    # an administrator's reset makes it theirs again
    account_set_password(actor=county_admin, user=user, password="Reset-by-Admin-2")
    user.refresh_from_db()
    assert user.must_change_password


def test_the_old_password_is_checked_and_a_new_one_must_differ(client, secretary):
    client.force_login(secretary)
    wrong = client.post(
        reverse("accounts:password_change"),
        {"old_password": "not-it-Pass-1", "new_password1": "Mine-Only-2026", "new_password2": "Mine-Only-2026"},
    )
    assert "原密码不正确" in text(wrong)
    same = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert "不能与原密码相同" in text(same)
    mismatch = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Mine-Only-2026", "new_password2": "Mine-Only-2027"},
    )
    assert "两次输入的新密码不一致" in text(mismatch)
    assert User.objects.get(pk=secretary.pk).check_password(PASSWORD)


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("abcdefghijkl", False),  # one kind
        ("abcdefgh1234", False),  # two
        ("Abcdefgh1234", True),  # three
        ("abcd-efgh-1234", True),
        ("Ab1-", False),  # four kinds, too short
    ],
)
def test_passwords_need_twelve_characters_of_three_kinds(county, county_admin, password, ok):
    from django.core.exceptions import ValidationError

    def make():
        return account_create(
            actor=county_admin, username=f"u{len(password)}{ok}", password=password, organization=county.root,
            role="leader",
        )  # fmt: skip

    if ok:
        assert make().check_password(password)
    else:
        with pytest.raises(ValidationError):
            make()
