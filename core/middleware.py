from .context import origin


def client_ip(request) -> str | None:
    # Behind nginx the real address arrives in X-Real-IP (set by our own proxy config, see docs/deploy.md).
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Records the channel (web page or API) and client address of the request for the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "api" if request.path.startswith("/api/") else "web"
        with origin(source, client_ip(request)):
            return self.get_response(request)


class SecurityHeadersMiddleware:
    """The Content-Security-Policy (settings.CONTENT_SECURITY_POLICY: scripts only from our own static files, no
    inline script, nothing from another host) and the other headers Django's own settings do not send."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.headers = {
            "Content-Security-Policy": settings.CONTENT_SECURITY_POLICY,
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        }

    def __call__(self, request):
        response = self.get_response(request)
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        return response
