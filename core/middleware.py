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
