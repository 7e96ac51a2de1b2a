"""County standards applied to the tree (funding/standards.py), worked by hand.

On 2026-06-15, for 2025 (over) and 2026 (not over):
- 运转经费标准: 农村 党支部 with 3—5 members, at least 50,000.00 a year.
  东街村 has 3 members counted on 2025-12-31 (a fourth died on 2025-11-01): at the band's lower edge; it received
  exactly 50,000.00 and meets it. 西街村 has 5 (a sixth was transferred in only on 2026-02-01; a seventh was 停止党籍
  from 2025-12-31): the upper edge; 49,999.99 received is 0.01 short. 北山村 has 2 (one of them left on
  2026-02-01): below the band, not covered. 南河村 is 社区: not covered.
- 书记报酬标准: every 党支部, 2.5 × the year's rural income. 2025: 2.5 × 20,133.00 = 50,332.50; 东街村 received
  exactly that, 县财政局机关党支部 50,332.49 (short 0.01), the others nothing. 2026 has no income recorded: every row
  cannot be evaluated.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.exceptions import NotInScope
from funding.services.config import rural_income_set, standard_create
from funding.services.ledger import allocation_create, disbursement_create
from funding.standards import Verdict, below_standard, member_counts, standard_rows, standards_overview
from members.services import member_create, member_status_change, member_transfer
from tests.factories import id_number_for

from .conftest import D

pytestmark = pytest.mark.django_db
TODAY = D(2026, 6, 15)
JOINED = D(2015, 7, 1)


def _members(branch, count, start):
    return [
        member_create(
            actor=None,
            name=f"党员{start + i}",
            id_number=id_number_for(start + i),
            branch=branch,
            category="正式党员",
            joined_on=JOINED,
        )  # fmt: skip
        for i in range(count)
    ]


def _receive(org, category, source, amount, year=2025):
    allocation = allocation_create(
        actor=None, organization=org, year=year, category=category, source=source, amount=amount,
        allocated_on=dt.date(year, 3, 1), deadline=dt.date(year, 12, 31),
    )  # fmt: skip
    disbursement_create(actor=None, allocation=allocation, amount=amount, paid_on=dt.date(year, 4, 1))


@pytest.fixture
def world(county, funds):
    a1, a2, b1 = county.village_a1, county.village_a2, county.village_b1
    _members(a1, 3, 100)
    (dead,) = _members(a1, 1, 110)
    member_status_change(actor=None, member=dead, status="死亡", on=D(2025, 11, 1))
    _members(a2, 5, 200)
    (suspended,) = _members(a2, 1, 210)
    member_status_change(actor=None, member=suspended, status="停止党籍", on=D(2025, 12, 31))
    (moved,) = _members(b1, 1, 300)
    member_transfer(actor=None, member=moved, to_branch=a2, on=D(2026, 2, 1))
    _members(b1, 1, 310)
    _members(county.village_b2, 4, 400)
    _members(county.dept, 3, 500)
    operating = standard_create(
        actor=None, name="村级组织运转经费标准", category=funds.operating, basis="fixed", amount="50000",
        domain="农村", kind="党支部", members_min=3, members_max=5, year_from=2025,
    )  # fmt: skip
    pay = standard_create(
        actor=None, name="村党组织书记报酬标准", category=funds.pay, basis="income_multiple", multiple="2.5",
        kind="党支部", year_from=2025,
    )  # fmt: skip
    rural_income_set(actor=None, year=2025, amount="20133.00")
    _receive(a1, funds.operating, funds.county, "50000.00")
    _receive(a2, funds.operating, funds.county, "49999.99")
    _receive(b1, funds.operating, funds.county, "100.00")
    _receive(a1, funds.pay, funds.county, "50332.50")
    _receive(county.dept, funds.pay, funds.township, "50332.49")
    return operating, pay


def _table(rows):
    return [
        (r.standard.name, r.organization.name, r.members, r.minimum, r.received, r.shortfall, r.verdict) for r in rows
    ]


def test_members_are_counted_on_the_last_day_of_the_year(county, world):
    counts = member_counts(root=county.root, on=D(2025, 12, 31))
    assert counts == {
        county.village_a1.path: 3,
        county.village_a2.path: 5,
        county.village_b1.path: 2,
        county.village_b2.path: 4,
        county.dept.path: 3,
    }
    counts = member_counts(root=county.township_a, on=TODAY)
    assert counts == {county.village_a1.path: 3, county.village_a2.path: 6}


def test_2025_rows_at_the_edges(county, world):
    rows = standard_rows(actor=None, root=county.root, year=2025, today=TODAY)
    m, p = Decimal("50000.00"), Decimal("50332.50")
    assert _table(rows) == [
        ("村级组织运转经费标准", "东街村党支部", 3, m, m, Decimal("0.00"), Verdict.MET),
        ("村级组织运转经费标准", "西街村党支部", 5, m, Decimal("49999.99"), Decimal("0.01"), Verdict.SHORT),
        ("村党组织书记报酬标准", "东街村党支部", 3, p, p, Decimal("0.00"), Verdict.MET),
        ("村党组织书记报酬标准", "西街村党支部", 5, p, Decimal("0.00"), p, Verdict.SHORT),
        ("村党组织书记报酬标准", "北山村党支部", 2, p, Decimal("0.00"), p, Verdict.SHORT),
        ("村党组织书记报酬标准", "南河村党支部", 4, p, Decimal("0.00"), p, Verdict.SHORT),
        ("村党组织书记报酬标准", "县财政局机关党支部", 3, p, Decimal("50332.49"), Decimal("0.01"), Verdict.SHORT),
    ]
    assert all(r.year_over for r in rows)
    below = below_standard(actor=None, root=county.root, year=2025, today=TODAY)
    assert [(r.standard.name, r.organization.name) for r in below] == [
        (r[0], r[1]) for r in _table(rows) if r[6] == Verdict.SHORT
    ]


def test_the_year_not_over_and_a_missing_income(county, world):
    # 2026 on 2026-06-15: members counted today. 西街村 has 6 (above the band), 北山村 2 (below it): the
    # operating standard covers only 东街村, short so far. No income for 2026: the pay rows cannot be evaluated.
    in_force, rows = standards_overview(actor=None, root=county.root, year=2026, today=TODAY)
    operating, pay = in_force
    assert (operating.minimum, operating.covered, operating.short, operating.shortfall) == (
        Decimal("50000.00"), 1, 1, Decimal("50000.00")
    )  # fmt: skip
    assert (pay.minimum, pay.evaluable, pay.covered, pay.met, pay.short) == (None, False, 5, 0, 0)
    assert [(r.organization.name, r.verdict) for r in rows[:1]] == [("东街村党支部", Verdict.SHORT_SO_FAR)]
    assert {r.verdict for r in rows[1:]} == {Verdict.UNKNOWN}
    assert all(r.shortfall is None and r.minimum_text == "—" for r in rows[1:])
    assert [r.organization.name for r in below_standard(actor=None, root=county.root, year=2026, today=TODAY)] == [
        "东街村党支部"
    ]


def test_standards_out_of_force_do_not_apply(county, funds, world):
    operating, pay = world
    from funding.services.config import standard_update

    standard_update(actor=None, standard=pay, active=False)
    standard_update(actor=None, standard=operating, year_from=2026)
    assert standard_rows(actor=None, root=county.root, year=2025, today=TODAY) == []
    standard_update(actor=None, standard=operating, year_from=2024, year_to=2024)
    assert standard_rows(actor=None, root=county.root, year=2025, today=TODAY) == []


def test_a_committee_counts_its_whole_subtree(county, funds, world):
    standard_create(
        actor=None, name="乡镇党委工作经费", category=funds.operating, basis="fixed", amount="1000", kind="党委",
        members_min=8, year_from=2025,
    )  # fmt: skip
    rows = standard_rows(actor=None, root=county.root, year=2025, today=TODAY)
    committees = [(r.organization.name, r.members) for r in rows if r.standard.name == "乡镇党委工作经费"]
    # 城关镇: 东街村 3 + 西街村 5; 石门镇: 北山村 2 + 南河村 4 = 6, below 8.
    assert committees == [("城关镇党委", 8)]


def test_the_assessment_group_leaves_out_the_branches_under_a_village(county, funds, world):
    """A village 党总支's branches share its domain and kind; the 考核类别 tells the village's own organization."""
    from organizations.services import organization_create

    sub = organization_create(
        actor=None, parent=county.village_a1, code="C0100101", name="东街村第一党支部", kind="党支部", domain="农村",
        founded_on=dt.date(2000, 1, 1),
    )  # fmt: skip
    standard_create(
        actor=None, name="村级保底", category=funds.operating, basis="fixed", amount="1", domain="农村",
        assessment_group="村（社区）党组织", year_from=2025,
    )  # fmt: skip
    covered = sorted(r.organization.name for r in standard_rows(actor=None, root=county.root, year=2025, today=TODAY)
                     if r.standard.name == "村级保底")  # fmt: skip
    assert covered == sorted(
        ["东街村党支部", "西街村党支部", "北山村党支部"]
    )  # 南河村 is 社区; the sub-branch has no group
    assert sub.assessment_group == ""


def test_filter_by_standard_and_scope(county, world, township_admin, sibling_admin):
    operating, _ = world
    rows = standard_rows(actor=township_admin, root=county.township_a, year=2025, today=TODAY, standard=operating)
    assert [(r.organization.name, r.verdict) for r in rows] == [("东街村党支部", "达标"), ("西街村党支部", "未达标")]
    with pytest.raises(NotInScope):
        standard_rows(actor=sibling_admin, root=county.township_a, year=2025, today=TODAY)
    with pytest.raises(NotInScope):
        standard_rows(actor=township_admin, root=county.root, year=2025, today=TODAY)


def test_the_number_of_queries_does_not_grow_with_the_tree(county, funds, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        small = standard_rows(actor=None, root=county.township_a, year=2025, today=TODAY)
    with django_assert_max_num_queries(5):
        large = standard_rows(actor=None, root=county.root, year=2025, today=TODAY)
    assert len(small) == 4 and len(large) == 7
