"""Reads of findings: the scoped list, one finding, and the counts the boards and the assessment read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from core.exceptions import NotInScope, id_from
from core.scope import Action

from ..choices import OPEN_FINDING_STATUSES, FindingStatus
from ..models import Finding


def finding_list(*, actor, action: str = Action.VIEW) -> QuerySet[Finding]:
    return Finding.objects.restrict(actor, action).select_related("organization")


def finding_get_for(actor, pk, action: str = Action.VIEW) -> Finding:
    finding = finding_list(actor=actor, action=action).filter(pk=id_from(pk)).first()
    if finding is None:
        raise NotInScope()
    return finding


@dataclass(frozen=True)
class FindingCounts:
    """An organization's findings of a year: in all, still open (待整改/整改中), open past the deadline, repeated."""

    total: int = 0
    open: int = 0
    overdue: int = 0
    repeated: int = 0


def finding_counts(*, year: int, organization_ids=None, today: dt.date | None = None) -> dict[int, FindingCounts]:
    """{organization id: FindingCounts} for the findings found in `year` (read by the assessment). One query."""
    today = today or timezone.localdate()
    rows = Finding.objects.filter(year=year)
    if organization_ids is not None:
        rows = rows.filter(organization_id__in=list(organization_ids))
    counts: dict[int, list[int]] = {}
    for org_id, status, deadline, repeated in rows.values_list("organization_id", "status", "deadline", "repeated"):
        c = counts.setdefault(org_id, [0, 0, 0, 0])
        c[0] += 1
        if status in OPEN_FINDING_STATUSES:
            c[1] += 1
            if deadline < today:
                c[2] += 1
        c[3] += repeated
    return {org_id: FindingCounts(*c) for org_id, c in counts.items()}


STATUS_ORDER = list(FindingStatus.values)
