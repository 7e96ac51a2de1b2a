"""Shared funding fixtures: the county of tests/conftest.py with two categories and two sources."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from funding.models import FundCategory, FundSource


@dataclass
class Funds:
    operating: FundCategory  # 村级组织运转经费, 30 days to disburse
    pay: FundCategory  # 村干部报酬
    county: FundSource  # 县财政
    township: FundSource  # 乡镇


@pytest.fixture
def funds(db) -> Funds:
    return Funds(
        FundCategory.objects.create(name="村级组织运转经费", disburse_within_days=30, order=1),
        FundCategory.objects.create(name="村干部报酬", disburse_within_days=60, order=2),
        FundSource.objects.create(name="县财政", order=1),
        FundSource.objects.create(name="乡镇", order=2),
    )


def D(y, m, d) -> dt.date:
    return dt.date(y, m, d)
