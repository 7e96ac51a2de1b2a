"""The demo county's funds (funding.demo): `seed_demo` records three years of allocations, disbursements and spending
for the villages, townships, departments and "两新" organizations of 青山县, the rural income of each year, two
standards and the aid to members in difficulty — and the figures hold: nothing spent that had not arrived (专款专用,
at every date), no allocation over-disbursed, every date in its year and before today, some allocations late and
some short (this year too), a handful of villages below each standard in the ended years, and the nightly checks
register them as 经费保障 findings. A second seed adds nothing.

The full demo takes half a minute to seed, so the whole county is checked in one test, seeded once per pass (as
tests/commands/test_seed_demo.py does); a second, small test runs the builder on a three-village county named like
the demo one.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from core.models import AuditEvent
from funding.demo import AID_PER_YEAR, BELOW, CARE, OPERATING, PAY, RURAL_INCOME, STANDARDS, build_demo_funding
from funding.models import (
    Aid,
    Allocation,
    Disbursement,
    Expenditure,
    FundCategory,
    FundSource,
    FundStandard,
    RuralIncome,
)
from funding.standards import standard_rows
from members.models import Membership
from organizations.demo import COUNTY_CODE, VILLAGE_GROUP
from organizations.models import Organization
from supervision.checks.common import lookback_start
from supervision.choices import CheckKind, FindingCategory, FindingSource
from supervision.models import Finding

pytestmark = pytest.mark.django_db

MODELS = (Allocation, Disbursement, Expenditure, Aid, FundCategory, FundSource, FundStandard, RuralIncome, AuditEvent)
FUNDING_TITLES = ["经费类别和资金来源", "经费保障标准", "经费台账", "党内关爱帮扶"]


def _run(*args) -> list[str]:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue().splitlines()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _ledgers() -> dict[tuple[int, int, int], list[Decimal]]:
    """{(organization, year, category): [allocated, disbursed, spent]}."""
    figures: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for i, model in enumerate((Allocation, Disbursement, Expenditure)):
        rows = model.objects.values_list("organization_id", "year", "category_id").annotate(t=Sum("amount")).order_by()
        for org, year, category, total in rows:
            figures[(org, year, category)][i] = total
    return figures


def _assert_the_ledgers(today: dt.date) -> None:
    years = [today.year - 2, today.year - 1, today.year]
    # 专款专用: no category of any organization and year spent more than it received — and not at any date either.
    ledgers = _ledgers()
    assert len(ledgers) >= 2000
    assert [key for key, (_, disbursed, spent) in ledgers.items() if spent > disbursed] == []
    # Spending names the source it was paid from: no source spent more than it brought to a ledger (the by-source
    # table of the summary would show a 使用率 above 100%).
    brought, paid = defaultdict(Decimal), defaultdict(Decimal)
    for model, totals in ((Disbursement, brought), (Expenditure, paid)):
        for key in (
            model.objects.values("organization_id", "year", "category_id", "source_id")
            .annotate(total=Sum("amount"))
            .values_list("organization_id", "year", "category_id", "source_id", "total")
        ):
            totals[key[:4]] += key[4]
    assert [key for key, amount in paid.items() if key[3] is not None and amount > brought[key]] == []
    moves = defaultdict(list)
    for model, day, sign in ((Disbursement, "paid_on", 1), (Expenditure, "spent_on", -1)):
        for org, year, category, on, amount in model.objects.values_list(
            "organization_id", "year", "category_id", day, "amount"
        ):
            moves[(org, year, category)].append((on, -sign, sign * amount))  # money in before money out on a day
    for key, rows in moves.items():
        balance = Decimal(0)
        for _, _, change in sorted(rows):
            balance += change
            assert balance >= 0, key
    # No allocation over-disbursed; a disbursement carries its allocation's organization, year, category, source.
    assert not Allocation.objects.annotate(p=Sum("disbursements__amount")).filter(p__gt=F("amount")).exists()
    assert not Disbursement.objects.exclude(
        organization=F("allocation__organization"), year=F("allocation__year"), category=F("allocation__category"),
        source=F("allocation__source"),
    ).exists()  # fmt: skip
    assert not Disbursement.objects.filter(paid_on__lt=F("allocation__allocated_on")).exists()
    assert not Allocation.objects.filter(deadline__lt=F("allocated_on")).exists()
    # Every date in its year, none today or later; amounts positive, exact to the fen.
    for model, fields in (
        (Allocation, ("allocated_on", "deadline")),
        (Disbursement, ("paid_on",)),
        (Expenditure, ("spent_on",)),
    ):
        assert set(years[:-1]) <= set(model.objects.values_list("year", flat=True)) <= set(years), model.__name__
        for name in fields:
            wrong = Q(**{f"{name}__year__lt": F("year")}) | Q(**{f"{name}__year__gt": F("year")})
            assert not model.objects.filter(wrong).exists(), (model.__name__, name)
        assert not model.objects.filter(**{f"{fields[0]}__gte": today}).exists(), model.__name__
        assert not model.objects.filter(amount__lte=0).exists()
        amounts = list(model.objects.values_list("amount", flat=True)[:500])
        assert all(a == a.quantize(Decimal("0.01")) and a.as_tuple().exponent == -2 for a in amounts)
    assert not Expenditure.objects.filter(purpose="").exists()
    assert not Disbursement.objects.filter(voucher="").exists() and not Expenditure.objects.filter(voucher="").exists()

    # Every village and community gets its 运转经费 and 村干部报酬 in the ended years; the others their own kinds.
    villages = Organization.objects.filter(assessment_group=VILLAGE_GROUP, depth=3)
    for year in years[:-1]:
        for name in (OPERATING, PAY):
            funded = set(
                Allocation.objects.filter(year=year, category__name=name).values_list("organization", flat=True)
            )
            assert funded == set(villages.values_list("id", flat=True)), (year, name)
    kinds = dict(Allocation.objects.values_list("category__name").annotate(n=Count("id")).order_by())
    assert set(kinds) == set(FundCategory.objects.values_list("name", flat=True)), kinds
    by_group = Counter(Allocation.objects.values_list("organization__assessment_group", flat=True))
    assert {"乡镇党委", "县直部门党组织", "“两新”组织", VILLAGE_GROUP} <= set(by_group), by_group

    # Mostly on time and in full; some late (money after the deadline), some short (still owed after the deadline),
    # in every year, this year too once its first deadlines are well past.
    allocations = Allocation.objects.annotate(
        arrived=Sum("disbursements__amount"),
        last=Max("disbursements__paid_on"),
        late_money=Sum("disbursements__amount", filter=Q(disbursements__paid_on__gt=F("deadline"))),
    )
    due = allocations.filter(deadline__lt=today)
    short = due.filter(Q(arrived__isnull=True) | Q(arrived__lt=F("amount")))
    late = due.filter(arrived=F("amount"), late_money__gt=0)
    full_on_time = due.filter(arrived=F("amount"), late_money__isnull=True)
    assert full_on_time.count() >= 0.9 * due.count(), (full_on_time.count(), due.count())
    for year in years[:-1]:
        assert 20 <= late.filter(year=year).count() <= 0.08 * allocations.filter(year=year).count(), year
        assert 5 <= short.filter(year=year).count() <= 0.05 * allocations.filter(year=year).count(), year
    if today >= dt.date(today.year, 6, 1):
        assert short.filter(year=today.year).exists() and late.filter(year=today.year).exists()
    assert short.filter(arrived__isnull=True).exists()  # some never arrived at all
    # Spending uses most of what arrived in an ended year.
    year = years[-2]
    disbursed = sum(v[1] for k, v in ledgers.items() if k[1] == year)
    spent = sum(v[2] for k, v in ledgers.items() if k[1] == year)
    assert Decimal("0.85") * disbursed <= spent <= disbursed

    # One create event per record, filed under its organization; the demo branch's spending by its secretary.
    for model in (Allocation, Disbursement, Expenditure):
        label = f"funding.{model.__name__.lower()}"
        assert AuditEvent.objects.filter(object_type=label, action="create").count() == model.objects.count(), label
    sample = Expenditure.objects.select_related("organization").order_by("pk")[::499]
    events = dict(
        AuditEvent.objects.filter(object_type="funding.expenditure", object_id__in=[str(e.pk) for e in sample])
        .values_list("object_id", "org_path")
    )  # fmt: skip
    assert events == {str(e.pk): e.organization.path for e in sample}
    demo_branch = Expenditure.objects.filter(organization__code="QS02001")
    assert demo_branch.exists() and not demo_branch.exclude(created_by__username="shuji").exists()


def _assert_the_standards(today: dt.date, below: dict[tuple[str, int], list[int]]) -> None:
    """Two standards from the first year, the income of each year, and exactly the planted villages below them."""
    years = [today.year - 2, today.year - 1, today.year]
    assert dict(RuralIncome.objects.values_list("year", "amount")) == dict(zip(years, RURAL_INCOME, strict=True))
    standards = {s.category.name: s for s in FundStandard.objects.select_related("category")}
    assert set(standards) == {s[1] for s in STANDARDS}
    assert {s.year_from for s in standards.values()} == {years[0]}
    root = Organization.objects.get(code=COUNTY_CODE, depth=1)
    villages = set(Organization.objects.filter(assessment_group=VILLAGE_GROUP, depth=3).values_list("id", flat=True))
    for year, counts in zip(years[:-1][::-1], zip(*BELOW.values(), strict=True), strict=True):
        rows = standard_rows(actor=None, root=root, year=year, today=today)
        for category, count in zip(BELOW, counts, strict=True):
            mine = [r for r in rows if r.standard.category.name == category]
            # the rural villages themselves (a merged village's 党总支 included), not the branches under it
            assert {r.organization.pk for r in mine} <= villages and len(mine) >= 240, (category, year)
            assert {r.organization.domain for r in mine} == {"农村"}
            short = sorted(r.organization.pk for r in mine if r.short)
            assert short == below[(category, year)] and len(short) == count, (category, year)
            assert all(r.verdict == "未达标" for r in mine if r.short)


def _assert_the_aid(today: dt.date) -> None:
    """Some sixty members a year, at their branch of the day, from 党费 or 县财政; the county committee's care fund
    spends exactly what was given, day by day."""
    aid = Aid.objects.select_related("member")
    years = Counter(aid.values_list("year", flat=True))
    for year in (today.year - 2, today.year - 1):
        assert AID_PER_YEAR - 5 <= years[year] <= AID_PER_YEAR, years
    assert years[today.year] <= AID_PER_YEAR
    assert not aid.filter(given_on__gte=today).exists()
    assert not aid.exclude(year=F("given_on__year")).exists()
    assert not aid.filter(given_on__lt=F("member__joined_on")).exists()
    reasons = Counter(aid.values_list("reason", flat=True))
    assert (
        any("大病" in r for r in reasons) and any("因灾" in r for r in reasons) and any("老党员" in r for r in reasons)
    )
    assert set(aid.values_list("source__name", flat=True)) <= {"党费", "县财政"}
    spans = defaultdict(list)
    for member, branch, start, end in Membership.objects.filter(member_id__in=aid.values("member_id")).values_list(
        "member_id", "branch_id", "start_on", "end_on"
    ):
        spans[member].append((branch, start, end))
    for a in aid:
        held = [b for b, s, e in spans[a.member_id] if s <= a.given_on and (e is None or e >= a.given_on)]
        assert held == [a.branch_id] or (not spans[a.member_id] and a.branch_id == a.member.branch_id), a.pk
    care = Expenditure.objects.filter(category__name=CARE)
    assert set(care.values_list("organization__depth", flat=True)) == {1}
    given = defaultdict(Decimal)
    for a in aid:
        given[(a.given_on, a.source_id)] += a.amount
    spent = defaultdict(Decimal)
    for on, source, amount in care.values_list("spent_on", "source_id", "amount"):
        spent[(on, source)] += amount
    assert spent == given
    assert AuditEvent.objects.filter(object_type="funding.aid", action="create").count() == aid.count()


def _assert_the_findings(today: dt.date, below: dict[tuple[str, int], list[int]]) -> None:
    """The nightly checks register the planted faults as 经费保障 findings of the system."""
    findings = Finding.objects.filter(source=FindingSource.SYSTEM, category=FindingCategory.FUNDS)
    kinds = Counter(findings.values_list("check_kind", flat=True))
    assert kinds[CheckKind.FUNDS_LATE] >= 20 and kinds[CheckKind.FUNDS_BELOW_STANDARD] >= 5, kinds
    # Every allocation of the window not fully arrived by its deadline is on the board, keyed by it.
    window = Allocation.objects.filter(deadline__lt=today, deadline__gte=lookback_start(today)).annotate(
        on_time=Sum("disbursements__amount", filter=Q(disbursements__paid_on__lte=F("deadline")))
    )
    faulty = {f"funds_late:{a.pk}" for a in window.filter(Q(on_time__isnull=True) | Q(on_time__lt=F("amount")))}
    assert faulty and faulty <= set(
        findings.filter(check_kind=CheckKind.FUNDS_LATE).values_list("check_key", flat=True)
    )
    # Exactly the villages planted below a standard in the last year that ended.
    year = today.year - 1
    standards = {s.category.name: s.pk for s in FundStandard.objects.select_related("category")}
    planted = {f"funds_standard:{standards[c]}:{org}:{year}" for c in BELOW for org in below[(c, year)]}
    keys = set(findings.filter(check_kind=CheckKind.FUNDS_BELOW_STANDARD).values_list("check_key", flat=True))
    assert keys == planted, (planted - keys, keys - planted)


def test_seed_demo_records_three_years_of_funds_the_checks_look_at():
    today = timezone.localdate()
    lines = _run()
    funding = [line for line in lines if line.split(":")[0] in FUNDING_TITLES]
    assert [line.split(":")[0] for line in funding] == FUNDING_TITLES
    records = Allocation.objects.count() + Disbursement.objects.count() + Expenditure.objects.count()
    assert funding[2] == (
        f"经费台账: 已新增 {records} 条（下达 {Allocation.objects.count()}、拨付 {Disbursement.objects.count()}、"
        f"支出 {Expenditure.objects.count()}），已有 0 条"
    )
    assert funding[3].startswith(f"党内关爱帮扶: 已新增 {Aid.objects.count()} 人次（")
    assert any(line.startswith("夜间检查·经费未按期拨付到位: 发现 ") for line in lines)
    result = build_demo_funding()  # a second time, straight: the plan, with nothing to add
    assert (result.ledger_added, result.aid_added, result.standards_added, result.incomes_added) == (0, 0, 0, 0)
    assert result.ledger_present == records

    _assert_the_ledgers(today)
    _assert_the_standards(today, result.below)
    _assert_the_aid(today)
    _assert_the_findings(today, result.below)

    before = _counts()
    again = _run()
    assert _counts() == before
    assert [line for line in again if line.split(":")[0] in FUNDING_TITLES] == [
        "经费类别和资金来源: 已新增 0 类、0 个来源，已有 9 类、6 个来源",
        "经费保障标准: 已新增 0 项（农村居民人均可支配收入 0 个年度），已有 2 项（3 个年度）",
        f"经费台账: 已新增 0 条（下达 0、拨付 0、支出 0），已有 {records} 条",
        f"党内关爱帮扶: 已新增 0 人次（0.00 元），已有 {Aid.objects.count()} 人次",
    ]
    assert all(line.endswith("新登记 0 条问题") for line in again if line.startswith("夜间检查·"))


def test_the_builder_copes_with_a_small_county(db):
    """Three villages, a township, a few members: the builder funds what is there; a second run adds nothing."""
    from members.services import member_create
    from organizations.services import organization_create
    from tests.factories import id_number_for

    def org(parent, code, name, kind="党支部", **extra):
        extra.setdefault("founded_on", dt.date(1980, 1, 1))
        return organization_create(actor=None, parent=parent, code=code, name=name, kind=kind, **extra)

    root = org(None, COUNTY_CODE, "青山县委", "县委")
    town = org(root, "QS02", "石门镇党委", "党委", assessment_group="乡镇党委")
    villages = [
        org(town, f"QS02{n:03d}", f"{name}党支部", domain="农村", assessment_group=VILLAGE_GROUP)
        for n, name in enumerate(("秦庄村", "北村", "东村"), start=1)
    ]
    n = iter(range(1000))
    for village in villages:
        for i in range(8):
            member_create(
                actor=None, name=f"{village.name[:2]}{i}", id_number=id_number_for(next(n)), branch=village,
                category="正式党员", joined_on=dt.date(2010, 7, 1),
            )  # fmt: skip
    first = build_demo_funding()
    assert first.allocations_added and first.disbursements_added and first.expenditures_added and first.aid_added
    assert set(Allocation.objects.values_list("organization__code", flat=True)) >= {v.code for v in villages}
    assert [k for k, (_, d, s) in _ledgers().items() if s > d] == []
    before = _counts()
    second = build_demo_funding()
    assert _counts() == before
    assert (second.ledger_added, second.aid_added) == (0, 0)
    assert second.ledger_present == first.ledger_added and second.below == first.below
