"""Committee terms (换届提醒): which organizations' terms are overdue or end within one or six calendar months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from organizations.choices import DEFAULT_TERM_YEARS, FIVE_YEAR_TERM_DOMAINS, FIVE_YEAR_TERM_KINDS, LONG_TERM_YEARS
from organizations.models import Organization

from ..choices import TermStatus

# Organization.term_years is constrained to 1..10 (organization_term_years_range).
_TERM_YEAR_RANGE = range(1, 11)
# Slack on the database pre-filter: 29 February elections clamp to 28 February, so the exact rule runs in Python.
_SLACK = dt.timedelta(days=3)

# Display order of the buckets, most urgent first.
TERM_BUCKETS = (TermStatus.OVERDUE, TermStatus.WITHIN_MONTH, TermStatus.WITHIN_HALF_YEAR)


def term_status_for_end(end: dt.date | None, today: dt.date) -> TermStatus | None:
    """The bucket of a term ending on `end` (both reminder windows inclusive of their last day)."""
    if end is None:
        return None
    if end < today:
        return TermStatus.OVERDUE
    if end <= today + relativedelta(months=1):
        return TermStatus.WITHIN_MONTH
    if end <= today + relativedelta(months=6):
        return TermStatus.WITHIN_HALF_YEAR
    return None


def term_status(org: Organization, today: dt.date) -> TermStatus | None:
    """已逾期 when the term ended before `today`, 1个月内到期 / 6个月内到期 when it ends by today + 1 / 6 calendar
    months, None otherwise (also when no election date is recorded: see `missing_election`)."""
    return term_status_for_end(org.term_ends_on, today)


def _with_effective_term_years(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    """Annotate `eff_term_years`, the same rule as Organization.effective_term_years, for the database filter."""
    return qs.annotate(
        eff_term_years=Case(
            When(term_years__isnull=False, term_years__gt=0, then="term_years"),
            When(
                Q(domain__in=list(FIVE_YEAR_TERM_DOMAINS)) | Q(kind__in=list(FIVE_YEAR_TERM_KINDS)),
                then=Value(LONG_TERM_YEARS),
            ),
            default=Value(DEFAULT_TERM_YEARS),
            output_field=IntegerField(),
        )
    )


def _ending_by(qs: QuerySet[Organization], limit: dt.date) -> QuerySet[Organization]:
    """Organizations whose term may end on or before `limit` (a superset: the caller applies the exact rule)."""
    q = Q(pk__in=[])
    for years in _TERM_YEAR_RANGE:
        q |= Q(eff_term_years=years, last_election_on__lte=limit - relativedelta(years=years) + _SLACK)
    return _with_effective_term_years(qs.filter(last_election_on__isnull=False)).filter(q)


@dataclass(frozen=True)
class TermRow:
    organization: Organization
    status: TermStatus
    ends_on: dt.date

    def days_left(self, today: dt.date) -> int:
        """Days until the term ends (negative once overdue)."""
        return (self.ends_on - today).days


def term_rows(*, today: dt.date, organizations: QuerySet[Organization] | None = None) -> list[TermRow]:
    """Every organization whose term is overdue or ends within six calendar months, most urgent first."""
    qs = Organization.objects.all() if organizations is None else organizations
    limit = today + relativedelta(months=6)
    rows = []
    for org in _ending_by(qs, limit):
        end = org.term_ends_on
        status = term_status_for_end(end, today)
        if status is not None:
            rows.append(TermRow(organization=org, status=status, ends_on=end))
    rows.sort(key=lambda r: (r.ends_on, r.organization.path))
    return rows


def overdue_terms(
    *, today: dt.date, organizations: QuerySet[Organization] | None = None
) -> list[tuple[Organization, dt.date]]:
    """(organization, term end) for every organization whose term ended before `today`, longest overdue first."""
    qs = Organization.objects.all() if organizations is None else organizations
    result = []
    for org in _ending_by(qs, today):
        end = org.term_ends_on
        if end is not None and end < today:
            result.append((org, end))
    result.sort(key=lambda pair: (pair[1], pair[0].path))
    return result


def missing_election(*, organizations: QuerySet[Organization] | None = None) -> QuerySet[Organization]:
    """Organizations with no election date recorded (未录入换届日期): neither overdue nor due, but unknown."""
    qs = Organization.objects.all() if organizations is None else organizations
    return qs.filter(last_election_on__isnull=True).order_by("path")
