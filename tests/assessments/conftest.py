"""Builders for hand-worked assessment cases: a group of organizations with given totals, secretaries on posts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from assessments.models import Result, Scheme
from assessments.services.schemes import scheme_create
from assessments.services.scoring import imported_total_set
from assessments.services.workflow import year_compute
from organizations.services import organization_create
from tests.factories import PersonFactory

GROUP = "两新组织"


class Cases:
    """`orgs(n)` makes n branches of GROUP under township A (codes N01…); `year(y, totals)` scores them."""

    def __init__(self, county):
        self.county = county
        self.made: list = []

    def orgs(self, n: int, group: str = GROUP):
        start = len(self.made)
        for i in range(start, start + n):
            self.made.append(
                organization_create(
                    actor=None,
                    parent=self.county.township_a,
                    code=f"N{i + 1:02d}",
                    name=f"非公企业{i + 1:02d}党支部",
                    kind="党支部",
                    domain="非公企业",
                    assessment_group=group,
                    founded_on=dt.date(2000, 1, 1),
                )
            )
        return self.made[start:]

    def scheme(self, year: int, group: str = GROUP, **values) -> Scheme:
        found = Scheme.objects.filter(county=self.county.root, year=year, group=group).first()
        return found or scheme_create(actor=None, county=self.county.root, year=year, group=group, **values)

    def year(self, year: int, totals: dict, *, vetoed=(), compute: bool = True, group: str = GROUP, **values):
        """totals: {org: total or None}; returns {org code: Result} after computing."""
        scheme = self.scheme(year, group, **values)
        for org, total in totals.items():
            result = Result.objects.get(scheme=scheme, organization=org)
            imported_total_set(
                actor=None,
                result=result,
                total=None if total is None else Decimal(str(total)),
                vetoed=org in vetoed,
            )
        if compute:
            year_compute(year=year, county=self.county.root)
        return {r.organization.code: r for r in Result.objects.filter(scheme=scheme).select_related("organization")}


@pytest.fixture
def cases(county):
    return Cases(county)


def secretary(org, start, end=None, name=None):
    """A person holding 书记 of `org` from `start` to `end` (inclusive)."""
    from organizations.models import Post

    person = PersonFactory(name=name or f"{org.name}书记")
    Post.objects.create(organization=org, person=person, title="书记", start_on=start, end_on=end)
    return person
