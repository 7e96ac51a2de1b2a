"""Where a write comes from (address and channel), carried to the audit log without threading it through every call."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    source: str  # web / api / import / command / task / system
    ip: str | None = None


# Origin is a frozen dataclass, so a shared default is safe.
_origin: contextvars.ContextVar[Origin] = contextvars.ContextVar("origin", default=Origin(source="system"))  # noqa: B039


def current_origin() -> Origin:
    return _origin.get()


@contextmanager
def origin(source: str, ip: str | None = None):
    """Mark the writes made inside the block as coming from `source` (and `ip`)."""
    token = _origin.set(Origin(source=source, ip=ip))
    try:
        yield
    finally:
        _origin.reset(token)
