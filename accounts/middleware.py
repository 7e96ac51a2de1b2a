"""The session rules of accounts/security.py applied to every page and API request made with a session."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from .security import session_expired

EXPIRED = {
    "idle": "您已 30 分钟未操作，为保护数据已自动退出，请重新登录。",
    "absolute": "本次登录已超过 12 小时，请重新登录。",
}
MUST_CHANGE = "您的密码由管理员设置，请先修改为只有您自己知道的密码。"


def _send(request, url: str, message: str, status: int):
    """Where to go, as the kind of request understands it: htmx follows HX-Redirect, the API gets JSON."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class SessionPolicyMiddleware:
    """Ends a session idle or too old; keeps an account whose password an administrator chose on the change page."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.exempt = None

    def _exempt(self, path: str) -> bool:
        if self.exempt is None:  # reversed once the URLconf is loaded
            self.exempt = (reverse("accounts:password_change"), reverse("accounts:logout"), "/static/")
        return path.startswith(self.exempt)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            reason = session_expired(request.session, timezone.now())
            if reason:
                request.logout_reason = EXPIRED[reason]
                logout(request)
                messages.info(request, EXPIRED[reason])
                login = f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
                return _send(request, login, EXPIRED[reason], 401)
            if user.must_change_password and not self._exempt(request.path):
                return _send(request, reverse("accounts:password_change"), MUST_CHANGE, 403)
        return self.get_response(request)
