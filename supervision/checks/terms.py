"""Committee elections overdue (换届逾期): the term of an organization's committee ended and no election is recorded
since (supervision.selectors.terms.overdue_terms)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..choices import CheckKind, Severity
from ..services.findings import Fault
from .common import evidence

# Overdue by more than this many days is a 较重 finding.
LONG_OVERDUE_DAYS = 180


def election_overdue(today: dt.date) -> Iterator[Fault]:
    """Each organization whose committee term ended before today, under a key naming the term's end (an election
    recorded later starts a new term, and a new term overdue in its turn is a new finding)."""
    from ..selectors.terms import overdue_terms

    for org, ends_on in overdue_terms(today=today):
        days = (today - ends_on).days
        last = org.last_election_on.isoformat() if org.last_election_on else "—"
        years = org.effective_term_years
        yield Fault(
            organization_id=org.pk,
            check_kind=CheckKind.ELECTION_OVERDUE,
            key=f"{CheckKind.ELECTION_OVERDUE}:{org.pk}:{ends_on.isoformat()}",
            description=(
                f"{org.name}上次换届为{last}，任期 {years} 年，本届任期已于{ends_on.isoformat()}届满，"
                f"至{today.isoformat()}已逾期 {days} 天仍未换届。"
            ),
            evidence=evidence(
                f"{org.name}任期于{ends_on.isoformat()}届满，已逾期 {days} 天未换届",
                [
                    ("组织", org.name),
                    ("上次换届日期", last),
                    ("任期", f"{years} 年"),
                    ("任期届满日期", ends_on.isoformat()),
                    ("逾期天数", f"{days} 天"),
                ],
                refs=[("organization", org.pk, org.name)],
            ),
            severity=Severity.MAJOR if days > LONG_OVERDUE_DAYS else Severity.MINOR,
        )
