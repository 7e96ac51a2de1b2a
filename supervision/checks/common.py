"""What the checks share: their settings (read when a check runs, so a test or an operator can change them) and the
way they name people, meetings and dates in a finding."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

DEFAULT_THRESHOLD = 0.8
DEFAULT_MEETING_HOURS = 2
DEFAULT_LOOKBACK_DAYS = 365
TEXT_EXCERPT = 20000  # a speech is at most this long; the evidence keeps whole texts for the side-by-side view


def similarity_threshold() -> float:
    return float(getattr(settings, "SUPERVISION_SIMILARITY_THRESHOLD", DEFAULT_THRESHOLD))


def meeting_hours() -> float:
    return float(getattr(settings, "SUPERVISION_MEETING_HOURS", DEFAULT_MEETING_HOURS))


def lookback_days() -> int:
    return int(getattr(settings, "SUPERVISION_LOOKBACK_DAYS", DEFAULT_LOOKBACK_DAYS))


def lookback_start(today: dt.date) -> dt.date:
    """The first day the lookback window covers."""
    return today - dt.timedelta(days=lookback_days())


def day_text(day: dt.date | None) -> str:
    return day.isoformat() if day else "—"


def local_text(moment: dt.datetime) -> str:
    """A time as the county reads it: YYYY-MM-DD HH:MM in Asia/Shanghai."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def percent_text(similarity: float) -> str:
    return f"{similarity * 100:.0f}%"


def meeting_label(held_on: dt.date, kind: str) -> str:
    """“2026-06-28 组织生活会”."""
    return f"{held_on.isoformat()} {kind}"


def evidence(summary: str, rows=(), *, pair: dict | None = None, refs=()) -> dict:
    """A finding's evidence in the shared schema (summary, rows, optional pair, refs)."""
    data: dict = {"summary": summary, "rows": [[str(a), str(b)] for a, b in rows]}
    if pair is not None:
        data["pair"] = pair
    if refs:
        data["refs"] = [{"type": t, "id": i, "label": label} for t, i, label in refs]
    return data
