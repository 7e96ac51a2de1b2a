"""Login security (GB/T 22239 8.1.4.1 identity, OWASP ASVS 2.2 and 3.3): lockout, sessions, login audit.

- Lockout: FAILURE_LIMIT failed logins of one account from one address within COOL_OFF lock that account at that
  address until COOL_OFF has passed since the last failure. Per account and address, not per address alone: a
  township office shares one address, and one clerk's typos must not lock out the others; nor per account alone, or
  anyone could lock out the county's administrator from outside. A success clears the account's failures there.
  Pages (LoginForm) and the API's token endpoint (LockoutBackend) are refused alike.
- Sessions end after IDLE minutes without a request and ABSOLUTE hours after the login, whatever the activity.
- An account whose password an administrator chose must change it before anything else.
- Logins, logouts and failures are audit events (a failure names the account tried, which may not exist).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.audit import build_event
from core.middleware import client_ip

from .models import LoginFailure

FAILURE_LIMIT = 5
COOL_OFF = dt.timedelta(minutes=15)
IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=12)
LOGIN_AT, LAST_SEEN = "login_at", "last_seen"
# A session's last request is written at most this often (not on every request: a page's htmx polls).
SEEN_EVERY = dt.timedelta(minutes=1)


def _key(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


def locked_until(username: str | None, ip: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the account may try again from this address, or None when it may now."""
    now = now or timezone.now()
    recent = list(
        LoginFailure.objects.filter(username=_key(username), ip=ip, at__gt=now - COOL_OFF)
        .order_by("-at")
        .values_list("at", flat=True)[:FAILURE_LIMIT]
    )
    if len(recent) < FAILURE_LIMIT:
        return None
    return recent[0] + COOL_OFF


def lockout_message(until: dt.datetime) -> str:
    return (
        f"该账号在本机连续 {FAILURE_LIMIT} 次登录失败，已暂时锁定，请于 {timezone.localtime(until):%H:%M} 后再试；"
        "忘记密码请联系组织部管理员重置。"
    )


class LockoutBackend(ModelBackend):
    """The model backend, refusing a locked account and address before the password is even checked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and locked_until(username, client_ip(request)):
            raise PermissionDenied("登录已锁定")
        return super().authenticate(request, username=username, password=password, **kwargs)


def _audit(action: str, *, user=None, username: str = "", request=None, note: str = "") -> None:
    if request is None or not request.META.get("REMOTE_ADDR"):
        # No HTTP request behind it (the test client's force_login, a shell): nobody logged in from anywhere.
        return
    event = build_event(
        actor=user,
        action=action,
        target=("accounts.user", str(user.pk) if user else "", (user.username if user else username)[:200]),
        org_path=user.home_path if user else "",
        note=note,
    )
    event.ip = client_ip(request)
    event.source = "api" if request.path.startswith("/api/") else "web"
    event.save()


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = credentials.get("username", "")
    ip = client_ip(request) if request is not None else None
    LoginFailure.objects.create(username=_key(username), ip=ip)
    until = locked_until(username, ip)
    _audit("login_failed", username=_key(username), request=request, note="已锁定 15 分钟" if until else "")


def on_logged_in(sender, request, user, **kwargs) -> None:
    ip = client_ip(request)
    LoginFailure.objects.filter(username=_key(user.username), ip=ip).delete()
    now = timezone.now().isoformat()
    request.session[LOGIN_AT] = request.session[LAST_SEEN] = now
    _audit("login", user=user, request=request)


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        _audit("logout", user=user, request=request, note=getattr(request, "logout_reason", ""))


def session_expired(session, now: dt.datetime) -> str | None:
    """Why the session is over ("idle" / "absolute"), or None. A session from before these rules counts from now."""
    login_at, last_seen = session.get(LOGIN_AT), session.get(LAST_SEEN)
    if login_at is None or last_seen is None:
        session[LOGIN_AT] = session[LAST_SEEN] = now.isoformat()
        return None
    if now - dt.datetime.fromisoformat(login_at) > ABSOLUTE:
        return "absolute"
    if now - dt.datetime.fromisoformat(last_seen) > IDLE:
        return "idle"
    if now - dt.datetime.fromisoformat(last_seen) > SEEN_EVERY:
        session[LAST_SEEN] = now.isoformat()
    return None
