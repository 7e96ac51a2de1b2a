"""The two nightly funding checks (supervision/checks/funds.py), worked by hand on 2026-06-15 with the default
365-day lookback (window from 2025-06-15).

经费未按期拨付到位, allocations to 东街村 of 村级组织运转经费 from 县财政:
    on time      5,000.00 due 2026-03-31, paid in full on 2026-03-31 (the deadline day)          no fault
    late        10,000.00 due 2026-03-31: 6,000.00 on 03-20, 4,000.00 on 04-10 (10 days late)    一般
    short        8,000.00 due 2026-04-30: 3,000.00 on 04-01, 1,000.00 on 05-10; 4,000.00 owed    较重, 46 days
    nothing      2,000.00 due 2026-05-31 to 西街村, nothing arrived                               较重, 15 days
    due today    1,000.00 due 2026-06-15: not past yet                                           no fault
    too old      1,000.00 due 2025-06-14, before the window                                      no fault

经费低于县定标准 for 2025 (the only year over within the window): 农村 党支部, at least 50,000.00 of 运转经费.
东街村 received 50,000.00 (meets it), 西街村 49,999.99 (0.01 short: 一般), 北山村 nothing (较重). 南河村 is 社区.
An income-multiple standard without a 2025 income cannot be evaluated: nothing is raised, a warning is logged.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from funding.services.config import standard_create
from funding.services.ledger import allocation_create, disbursement_create
from supervision.checks import CHECKS, run_checks
from supervision.checks.funds import checked_years, funds_below_standard, funds_late
from supervision.choices import CHECK_CATEGORY, CheckKind
from supervision.models import Finding

from .conftest import D

pytestmark = pytest.mark.django_db
TODAY = D(2026, 6, 15)
KINDS = [CheckKind.FUNDS_LATE, CheckKind.FUNDS_BELOW_STANDARD]


def _allocate(org, funds, amount, deadline, *, paid=(), year=None, document_no=""):
    year = year or deadline.year
    allocation = allocation_create(
        actor=None, organization=org, year=year, category=funds.operating, source=funds.county, amount=amount,
        allocated_on=dt.date(year, 1, 10), deadline=deadline, document_no=document_no,
    )  # fmt: skip
    for day, value in paid:
        disbursement_create(actor=None, allocation=allocation, amount=value, paid_on=day)
    return allocation


@pytest.fixture
def late_world(county, funds):
    a1, a2 = county.village_a1, county.village_a2
    return {
        "on_time": _allocate(a1, funds, "5000", D(2026, 3, 31), paid=[(D(2026, 3, 31), "5000")]),
        "late": _allocate(
            a1,
            funds,
            "10000",
            D(2026, 3, 31),
            paid=[(D(2026, 3, 20), "6000"), (D(2026, 4, 10), "4000")],
            document_no="县财〔2026〕5号",
        ),  # fmt: skip
        "short": _allocate(a1, funds, "8000", D(2026, 4, 30), paid=[(D(2026, 4, 1), "3000"), (D(2026, 5, 10), "1000")]),
        "nothing": _allocate(a2, funds, "2000", D(2026, 5, 31)),
        "due_today": _allocate(a1, funds, "1000", D(2026, 6, 15)),
        "too_old": _allocate(a1, funds, "1000", D(2025, 6, 14)),
    }


def test_the_checks_are_registered_under_funds(db):
    assert CHECKS[CheckKind.FUNDS_LATE] is funds_late and CHECKS[CheckKind.FUNDS_BELOW_STANDARD] is funds_below_standard
    assert CheckKind.FUNDS_LATE.label == "经费未按期拨付到位"
    assert CheckKind.FUNDS_BELOW_STANDARD.label == "经费低于县定标准"
    assert {CHECK_CATEGORY[k] for k in KINDS} == {"经费保障"}


def test_late_short_and_on_time(county, funds, late_world):
    faults = list(funds_late(TODAY))
    w = late_world
    assert [f.key for f in faults] == [
        f"funds_late:{w['late'].pk}",
        f"funds_late:{w['short'].pk}",
        f"funds_late:{w['nothing'].pk}",
    ]
    late, short, nothing = faults
    assert [f.severity for f in faults] == ["一般", "较重", "较重"]
    assert [f.organization_id for f in faults] == [county.village_a1.pk, county.village_a1.pk, county.village_a2.pk]
    assert late.description == (
        "东街村党支部2026年“村级组织运转经费”10,000.00 元（县财政，县财〔2026〕5号）于2026-01-10下达，"
        "拨付时限为2026-03-31，截至拨付时限到位 6,000.00 元，其余 4,000.00 元至2026-04-10才拨付到位，晚于时限 10 天。"
    )
    assert short.description == (
        "东街村党支部2026年“村级组织运转经费”8,000.00 元（县财政）于2026-01-10下达，拨付时限为2026-04-30，"
        "截至拨付时限到位 3,000.00 元，此后到位 1,000.00 元，仍欠拨 4,000.00 元，已逾期 46 天未拨付到位。"
    )
    assert nothing.description.endswith(
        "截至拨付时限到位 0.00 元，此后到位 0.00 元，仍欠拨 2,000.00 元，已逾期 15 天未拨付到位。"
    )
    assert short.evidence["summary"] == "东街村党支部“村级组织运转经费”逾期 46 天仍欠拨 4,000.00 元"
    assert dict(map(tuple, short.evidence["rows"])) == {
        "组织": "东街村党支部",
        "经费类别": "村级组织运转经费",
        "资金来源": "县财政",
        "文号": "—",
        "下达金额": "8,000.00 元",
        "下达日期": "2026-01-10",
        "拨付时限": "2026-04-30",
        "时限内到位": "3,000.00 元",
        "时限后到位": "1,000.00 元",
        "最后拨付日期": "2026-05-10",
        "仍欠拨": "4,000.00 元",
    }
    assert [r["type"] for r in short.evidence["refs"]] == ["allocation", "organization"]
    assert short.evidence["refs"][0]["id"] == w["short"].pk
    # The day after the deadline of the one due today, it is late too.
    assert len(list(funds_late(TODAY + dt.timedelta(days=1)))) == 4


def test_a_second_night_registers_nothing_new(county, funds, late_world):
    first = run_checks(today=TODAY, kinds=KINDS)
    assert {k: (v["seen"], v["new"]) for k, v in first.items()} == {
        "funds_late": (3, 3),
        "funds_below_standard": (0, 0),
    }
    findings = list(Finding.objects.order_by("id").values_list("check_key", "category", "check_kind", "source"))
    assert [f[1:] for f in findings] == [("经费保障", "funds_late", "系统检查")] * 3
    second = run_checks(today=TODAY, kinds=KINDS)
    assert {k: (v["seen"], v["new"]) for k, v in second.items()} == {
        "funds_late": (3, 0),
        "funds_below_standard": (0, 0),
    }
    # More money arriving later changes nothing already registered: the fault is the same allocation.
    disbursement_create(actor=None, allocation=late_world["short"], amount="4000", paid_on=D(2026, 6, 20))
    third = run_checks(today=TODAY + dt.timedelta(days=10), kinds=[CheckKind.FUNDS_LATE])
    assert third["funds_late"]["new"] == 1  # only the one due on 06-15
    assert Finding.objects.count() == 4


@pytest.mark.parametrize(
    ("today", "lookback", "years"),
    [
        (D(2026, 1, 1), 365, [2025]),
        (D(2026, 12, 31), 365, [2025]),
        (D(2026, 6, 15), 800, [2024, 2025]),
        (D(2026, 6, 15), 30, []),
    ],
)
def test_which_years_the_standard_check_covers(settings, today, lookback, years):
    settings.SUPERVISION_LOOKBACK_DAYS = lookback
    assert checked_years(today) == years


@pytest.fixture
def standard_world(county, funds):
    standard = standard_create(
        actor=None, name="村级组织运转经费标准", category=funds.operating, basis="fixed", amount="50000",
        domain="农村", kind="党支部", year_from=2024, note="县委办〔2024〕8号",
    )  # fmt: skip
    standard_create(
        actor=None, name="村党组织书记报酬标准", category=funds.pay, basis="income_multiple", multiple="2.5",
        kind="党支部", year_from=2025,
    )  # fmt: skip
    end = D(2025, 12, 31)
    _allocate(county.village_a1, funds, "50000", end, paid=[(D(2025, 5, 1), "50000")])
    _allocate(county.village_a2, funds, "49999.99", end, paid=[(D(2025, 5, 1), "49999.99")])
    _allocate(county.village_a2, funds, "1", D(2024, 12, 31), paid=[(D(2024, 5, 1), "1")])  # 2024: not checked
    return standard


def test_below_standard_in_the_last_year_over(county, funds, standard_world, caplog):
    with caplog.at_level(logging.WARNING, logger="supervision.checks.funds"):
        faults = list(funds_below_standard(TODAY))
    s = standard_world
    assert [f.key for f in faults] == [
        f"funds_standard:{s.pk}:{county.village_a2.pk}:2025",
        f"funds_standard:{s.pk}:{county.village_b1.pk}:2025",
    ]
    a2, b1 = faults
    assert (a2.severity, b1.severity) == ("一般", "较重")
    assert a2.description == (
        "西街村党支部2025年“村级组织运转经费”到位 49,999.99 元，低于县定标准“村级组织运转经费标准”的最低 50,000.00 元，"
        "差 0.01 元。"
    )
    assert a2.evidence["rows"] == [
        ["组织", "西街村党支部"],
        ["年度", "2025年"],
        ["保障标准", "村级组织运转经费标准"],
        ["适用范围", "农村 · 党支部"],
        ["标准依据", "每年不少于 50,000.00 元"],
        ["党员人数", "0 人"],
        ["最低金额", "50,000.00 元"],
        ["实际到位", "49,999.99 元"],
        ["差额", "0.01 元"],
        ["文件依据", "县委办〔2024〕8号"],
    ]
    assert a2.evidence["refs"] == [
        {"type": "fund_standard", "id": s.pk, "label": "村级组织运转经费标准"},
        {"type": "organization", "id": county.village_a2.pk, "label": "西街村党支部"},
    ]
    assert "1 standard(s) of 2025 cannot be evaluated" in caplog.text


def test_an_income_multiple_standard_once_the_income_is_recorded(county, funds, standard_world):
    from funding.services.config import rural_income_set

    rural_income_set(actor=None, year=2025, amount="20133.00")
    pay = [f for f in funds_below_standard(TODAY) if "书记报酬" in f.description]
    # Every 党支部 received nothing of 村干部报酬: five findings, each short of 2.5 × 20,133.00 = 50,332.50.
    assert len(pay) == 5
    assert all(f.severity == "较重" for f in pay)
    assert pay[0].description == (
        "东街村党支部2025年“村干部报酬”到位 0.00 元，低于县定标准“村党组织书记报酬标准”的最低 50,332.50 元"
        "（2025年农村居民人均可支配收入 20,133.00 元的 2.5 倍），差 50,332.50 元。"
    )
    assert ["标准依据", "农村居民人均可支配收入的 2.5 倍（20,133.00 元 × 2.5）"] in pay[0].evidence["rows"]


def test_below_standard_registered_once(county, funds, standard_world):
    assert run_checks(today=TODAY, kinds=[CheckKind.FUNDS_BELOW_STANDARD])["funds_below_standard"]["new"] == 2
    assert run_checks(today=TODAY + dt.timedelta(days=1), kinds=[CheckKind.FUNDS_BELOW_STANDARD])[
        "funds_below_standard"
    ] == {"seen": 2, "new": 0, "seconds": pytest.approx(0, abs=5)}
    assert set(Finding.objects.values_list("category", flat=True)) == {"经费保障"}


def test_a_funding_finding_links_to_the_ledger_and_the_standard(client, county, funds, late_world, county_admin):
    from django.urls import reverse

    from tests.conftest import PASSWORD

    standard = standard_create(
        actor=None, name="村级组织运转经费保底", category=funds.operating, basis="fixed", amount="50000",
        year_from=2025, domain="农村", kind="党支部",
    )  # fmt: skip
    run_checks(today=TODAY, kinds=KINDS)
    late = Finding.objects.get(check_key=f"funds_late:{late_world['late'].pk}")
    below = Finding.objects.filter(check_kind=CheckKind.FUNDS_BELOW_STANDARD).first()
    assert client.login(username=county_admin.username, password=PASSWORD)
    body = client.get(reverse("supervision:finding_detail", args=[late.pk])).content.decode()
    assert f'href="{reverse("funding:ledger", args=[county.village_a1.pk])}?year=2026"' in body
    body = client.get(reverse("supervision:finding_detail", args=[below.pk])).content.decode()
    assert f'href="{reverse("funding:standard_violations")}?standard={standard.pk}"' in body
