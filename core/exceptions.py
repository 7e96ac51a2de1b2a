from django.http import Http404


class NotInScope(Http404):
    """An object outside the actor's scope. It answers exactly like a missing one (404), on pages and in the API."""

    def __init__(self, message: str = "未找到该记录，或您无权访问。"):
        super().__init__(message)
