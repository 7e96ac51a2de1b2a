"""A small county with something behind every dashboard figure, built through the services (tests/conftest.py's tree:
测试县委 C, 城关镇 C01 with 东街村 a1 (has a committee) and 西街村 a2, 石门镇 C02 with 北山村 b1 and 南河村 b2, the
county department branch C90), worked out by hand for TODAY = 2025-11-20 (the fourth quarter: October decided,
November running):

- members: three in a1, two in a2 (one expelled: not in the roll), one in b1 → 5 in the roll, 4 in 城关镇;
- 三会一课 2025: a1 holds every kind the quarter asks for in October, November and December (达标); b1 only
  October's 主题党日 (进行中: the quarter's 党员大会 and 党课 still open); a2, b2 and C90 nothing (未达标: October
  missed). Earlier months nobody met anything;
- findings of 2025: a1's 待整改 past its deadline (overdue), b1's 待整改 due at the year's end, a2's 整改中;
- weak: a2 since 2025-05-01; first secretaries: b1's never checked in (not on duty), a1's checked in 2025-11-10;
- funds 2025: a1 10,000 allocated, nothing arrived, deadline 2025-03-31 (late); b1 10,000 allocated and arrived;
- assessment: 乡镇党委 2023 (C01 80, C02 90) and 2024 (C01 90, C02 80); 村（社区）党组织 2024 (a1 95, a2 85, b1 70,
  b2 55: 差), all published; b2's secretary (from 2020) failed in 2024 → one penalty of rule 1, in force in 2025.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from assessments.models import Scheme
from assessments.services.workflow import scheme_publish
from funding.models import FundCategory, FundSource
from funding.services.ledger import allocation_create, disbursement_create
from meetings import compliance
from meetings.services import meeting_record
from members.services import member_status_change
from supervision.choices import FindingStep
from supervision.models import Finding
from supervision.services.dispatch import checkin_record, dispatch_register
from supervision.services.findings import finding_advance, finding_create
from supervision.services.weak import weak_designate
from tests.assessments.conftest import Cases, secretary
from tests.members.api_helpers import make_member

D = dt.date
TODAY = D(2025, 11, 20)
YEAR = 2025
VILLAGES = "村（社区）党组织"
TOWNSHIPS = "乡镇党委"


@dataclass
class World:
    county: object
    penalized: object  # b2's secretary


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def _hold(branch, kinds, day: dt.date) -> None:
    for n, kind in enumerate(kinds):
        meeting_record(
            actor=None, branch=branch, kind=kind, held_at=_at(day) + dt.timedelta(hours=n), topic=f"{kind}（{day}）",
            expected_count=3, present_count=3,
        )  # fmt: skip


def _meetings(county) -> None:
    reqs = compliance.quarter_requirements(YEAR, 4)
    quarterly = [r.kind for r in reqs if r.period_type == "quarter"]
    monthly = [r.kind for r in reqs if r.period_type == "month" and r.exemption != "party_groups"]
    _hold(county.village_a1, quarterly + monthly, D(2025, 10, 10))
    _hold(county.village_a1, monthly, D(2025, 11, 10))
    _hold(county.village_a1, monthly, D(2025, 12, 10))
    _hold(county.village_b1, ["主题党日"], D(2025, 10, 10))


def _members(county) -> None:
    for n in range(3):
        make_member(county.village_a1, n)
    kept = make_member(county.village_a2, 3)
    gone = make_member(county.village_a2, 4)
    make_member(county.village_b1, 5)
    member_status_change(actor=None, member=gone, status="出党", on=D(2025, 6, 1), note="开除党籍")
    assert kept.pk


def _supervision(county) -> None:
    def finding(org, deadline, text):
        made = finding_create(
            actor=None, organization=org, source="督查", category="组织生活", description=text,
            deadline=timezone.localdate() + dt.timedelta(days=30), found_on=D(2025, 3, 1),
        )  # fmt: skip
        # The service takes no deadline in the past (a clerk's typo); the test's 2025 is the past, set it back.
        Finding.objects.filter(pk=made.pk).update(deadline=deadline)
        made.refresh_from_db()
        return made

    finding(county.village_a1, D(2025, 4, 1), "三会一课记录不全")
    finding(county.village_b1, D(2025, 12, 31), "党员活动室未挂牌")
    started = finding(county.village_a2, D(2025, 12, 31), "党费收缴不及时")
    finding_advance(actor=None, finding=started, step=FindingStep.START, note="已布置整改")
    weak_designate(actor=None, organization=county.village_a2, designated_on=D(2025, 5, 1), reason="班子不团结")
    dispatch_register(
        actor=None,
        organization=county.village_b1,
        name="孙明",
        role="第一书记",
        unit="县财政局",
        start_on=D(2025, 1, 1),
    )
    present = dispatch_register(
        actor=None,
        organization=county.village_a1,
        name="李亮",
        role="第一书记",
        unit="县审计局",
        start_on=D(2025, 1, 1),
    )
    checkin_record(actor=None, dispatch=present, on=D(2025, 11, 10), note="入户走访")


def _funds(county) -> None:
    category = FundCategory.objects.create(name="村级组织运转经费", disburse_within_days=30, order=1)
    source = FundSource.objects.create(name="县财政", order=1)
    allocation_create(
        actor=None, organization=county.village_a1, year=YEAR, category=category, source=source, amount="10000",
        allocated_on=D(2025, 3, 1),
    )  # fmt: skip
    paid = allocation_create(
        actor=None, organization=county.village_b1, year=YEAR, category=category, source=source, amount="10000",
        allocated_on=D(2025, 3, 1),
    )  # fmt: skip
    disbursement_create(actor=None, allocation=paid, amount="10000", paid_on=D(2025, 3, 20))


def _assessment(county, admin):
    cases = Cases(county)
    penalized = secretary(county.village_b2, D(2020, 1, 1), name="赵南河")
    a, b = county.township_a, county.township_b
    cases.year(2023, {a: 80, b: 90}, group=TOWNSHIPS)
    cases.year(2024, {a: 90, b: 80}, group=TOWNSHIPS, compute=False)
    v = county
    cases.year(2024, {v.village_a1: 95, v.village_a2: 85, v.village_b1: 70, v.village_b2: 55}, group=VILLAGES)
    for scheme in Scheme.objects.order_by("year", "pk"):
        scheme_publish(actor=admin, scheme=scheme)
    return penalized


def build_world(county, admin) -> World:
    _members(county)
    _meetings(county)
    _supervision(county)
    _funds(county)
    penalized = _assessment(county, admin)
    return World(county, penalized)
