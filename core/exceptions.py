from django.http import Http404


class NotInScope(Http404):
    """An object outside the actor's scope. It answers exactly like a missing one (404), on pages and in the API."""

    def __init__(self, message: str = "未找到该记录，或您无权访问。"):
        super().__init__(message)


def id_from(value) -> int:
    """An id from the URL or query string. Anything that is not a number a database column can hold is simply "not
    found" (404), never a server error."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotInScope() from None
    if not 0 < pk < 2**63:
        raise NotInScope()
    return pk
