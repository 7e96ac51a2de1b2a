"""The nightly formalism checks (形式主义检查): each check looks at the records and says what faults it sees; the
runner registers the new ones as 系统检查 findings (deduplicated by check key across nights, so running twice
registers each fault once).

A check is a function `(today) -> Iterable[Fault]`, set-based (a few queries whatever the size of the county).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable

from django.utils import timezone

from ..choices import CheckKind
from ..services.findings import findings_raise
from .dates import attendance_dates, certificate_dates, dispatch_dates
from .funds import funds_below_standard, funds_late
from .meetings import backfilled, meeting_missing, meeting_overlap
from .terms import election_overdue
from .texts import duplicate_report, duplicate_speech

logger = logging.getLogger(__name__)

# In the order they run (and are shown).
CHECKS: dict[str, Callable] = {
    CheckKind.DUPLICATE_SPEECH: duplicate_speech,
    CheckKind.DUPLICATE_REPORT: duplicate_report,
    CheckKind.CERTIFICATE_DATES: certificate_dates,
    CheckKind.ATTENDANCE_DATES: attendance_dates,
    CheckKind.DISPATCH_DATES: dispatch_dates,
    CheckKind.MEETING_OVERLAP: meeting_overlap,
    CheckKind.BACKFILLED: backfilled,
    CheckKind.ELECTION_OVERDUE: election_overdue,
    CheckKind.MEETING_MISSING: meeting_missing,
    CheckKind.FUNDS_LATE: funds_late,
    CheckKind.FUNDS_BELOW_STANDARD: funds_below_standard,
}


def run_checks(
    *,
    today: dt.date | None = None,
    kinds: Iterable[str] | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> dict[str, dict]:
    """Run every check (or those of `kinds`, CheckKind values) and register the faults not seen before; returns
    {kind: {"seen": faults seen, "new": findings registered, "seconds": time taken}}."""
    today = today or timezone.localdate()
    wanted = [str(k) for k in (CHECKS if kinds is None else kinds)]
    unknown = [k for k in wanted if k not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks: {unknown}")
    result: dict[str, dict] = {}
    for i, kind in enumerate(wanted):
        label = CheckKind(kind).label
        if progress is not None:
            progress(int(100 * i / len(wanted)), f"正在检查：{label}")
        started = time.monotonic()
        faults = list(CHECKS[kind](today))
        new = findings_raise(faults, today=today)
        seconds = round(time.monotonic() - started, 2)
        result[kind] = {"seen": len(faults), "new": len(new), "seconds": seconds}
        logger.info("check %s: %d seen, %d new, %.2f s", kind, len(faults), len(new), seconds)
    if progress is not None:
        progress(100, "检查完成")
    return result
