"""Three years of funds for the demo county 青山县 (organizations.demo, members.demo): the ledgers of this year and the
two before (下达, 拨付, 支出), the rural per-capita income of each year, two county standards, and the aid to members
in difficulty (党内关爱帮扶).

What is in it:
- the default categories and sources (funding.services.config.defaults_ensure);
- every village and community (the 村（社区）党组织 under the townships): 村级组织运转经费 (县财政 in March, 省财政 in
  May; 100,000–150,000 a village by its size, 150,000–200,000 a community, 10,000 more from the 2026 换届 on) and
  村干部报酬 (the secretary's pay, a quarter at a time: 2.6–3.0 times the year's rural income); most villages and
  every community 服务群众专项经费; about half the villages 离任村主职干部生活补助; some each year
  村级规范化建设资金 (市财政 with 县财政 配套) and a few 党建阵地（活动场所）建设 (a new or rebuilt 党群服务中心);
- the townships and the county departments 党员教育培训经费, the "两新" organizations "两新"组织党建工作经费 (党费);
- the county committee 党内关爱帮扶资金 (党费 in January, 县财政 in June), spent as the aid is given;
- disbursements mostly on time and in full; about one allocation in thirty arrives partly after its deadline (late),
  about one in fifty never arrives in full (short, a few not at all), this year too; in an ended year a village's
  运转经费 and pay always arrive in full, but for a handful of villages (BELOW) whose 省财政 share or last quarters'
  pay never came, so that they are below the standards;
- spending only from money already arrived, tranche by tranche (so no category of any organization and year ever
  spends more than it received, at any date: 专款专用), 85–100% of it in an ended year, with realistic purposes and
  voucher numbers; amounts exact to the fen;
- the rural per-capita disposable income of each year (RURAL_INCOME) and two standards for the rural villages (所属领域
  农村, 考核类别 村（社区）党组织, any kind: a merged village is a 党总支, whose branches the standards do not cover):
  村级组织运转经费 at least 100,000.00 a year, 村干部报酬 at least 2.5 times the year's income;
- aid (党内关爱帮扶) to some sixty members in difficulty a year — 春节 and 七一 visits to old members in hardship, serious
  illness, disasters in the flood season — at their branch, recorded through funding.services.aid.aid_create.

Deterministic like the other demo builders: one random.Random per organization, year and category, seeded with
their codes, so the plan never depends on the day or on what the database holds. Only the cut-off does: nothing
dated after yesterday is written (it has not happened yet), so a run on a later day adds what has happened since.
A record already there (matched by its natural key: organization, year, category, source, date and amount, and the
purpose for spending) is skipped, so a second run adds nothing. Ledgers are written as plain rows (core.bulk) with
one audit event each, checked against the ledger services' rules first (funding.services.ledger): through the
services, 26,000 records would take minutes. Configuration (categories, sources, income, standards) and aid, a few
hundred rows, go through their services (funding.services.config, funding.services.aid).
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import models, transaction
from django.utils import timezone

from core.audit import AuditBatch
from core.bulk import bulk_insert, reserve_ids
from core.scope import subtree_range_q
from organizations.choices import Domain, OrgKind
from organizations.demo import (
    COUNTY_CODE,
    DEMO_BRANCH,
    DEMO_TOWNSHIP,
    DEPARTMENT_GROUP,
    TOWNSHIP_GROUP,
    TWO_NEW_GROUP,
    VILLAGE_GROUP,
    DemoError,
)

from .choices import DEFAULT_CATEGORIES, DEFAULT_SOURCES, StandardBasis
from .models import Aid, Allocation, Disbursement, Expenditure, FundCategory, FundSource, FundStandard, RuralIncome
from .services.ledger import check_in_year, default_deadline

SEED = 20261203
YEARS = 3  # this year and the two before
ZONE = timezone.get_default_timezone()

# The categories (DEFAULT_CATEGORIES) by what the demo does with them.
OPERATING = "村级组织运转经费"
PAY = "村干部报酬"
RETIRED = "离任村主职干部生活补助"
SERVICE = "服务群众专项经费"
STANDARDIZATION = "村级规范化建设资金"
VENUE = "党建阵地（活动场所）建设"
CARE = "党内关爱帮扶资金"
TWO_NEW = "“两新”组织党建工作经费"
TRAINING = "党员教育培训经费"
PROVINCE, CITY, COUNTY, TOWNSHIP, DUES = "省财政", "市财政", "县财政", "乡镇", "党费"

# 农村居民人均可支配收入 of this year and the two before (the county's statistical communiqué; this year's the
# estimate the budget used).
RURAL_INCOME = (Decimal("19500.00"), Decimal("20133.00"), Decimal("20800.00"))
RURAL_INCOME_NOTES = ("县统计局国民经济和社会发展统计公报", "县统计局国民经济和社会发展统计公报", "县统计局预计数")
OPERATING_MINIMUM = Decimal("100000.00")
PAY_MULTIPLE = Decimal("2.50")
STANDARDS = (
    # (name, category, basis, amount, multiple, domain, kind, 考核类别, note)
    (
        "村级组织运转经费最低标准",
        OPERATING,
        StandardBasis.FIXED,
        OPERATING_MINIMUM,
        None,
        Domain.RURAL,
        "",
        VILLAGE_GROUP,
        "青办发〔2024〕6号：每村每年不低于10万元",
    ),
    (
        "村党组织书记报酬标准",
        PAY,
        StandardBasis.INCOME_MULTIPLE,
        None,
        PAY_MULTIPLE,
        Domain.RURAL,
        "",
        VILLAGE_GROUP,
        "青办发〔2024〕6号：不低于当年农村居民人均可支配收入的2.5倍",
    ),
)
# Rural villages below each standard in the two ended years: (last year, the year before).
BELOW = {OPERATING: (5, 3), PAY: (4, 3)}
# Of the allocations not planted below a standard: the share that arrives partly late, arrives short, never arrives.
LATE_SHARE, SHORT_SHARE, NONE_SHARE = 0.035, 0.015, 0.005
AID_PER_YEAR = 60

FEN = 100  # fen in a yuan: the plan counts in whole fen (ints), like the database
DEMO_SECRETARY, TOWNSHIP_ADMIN = "shuji", "zhen_admin"


def _fen(yuan: int | float | Decimal) -> int:
    return int(Decimal(str(yuan)) * FEN)


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _rng(*parts) -> random.Random:
    return random.Random(":".join(str(p) for p in (SEED, *parts)))


def _day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, day)


def _between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _split(rng: random.Random, total: int, parts: int, *, step: int = 10) -> list[int]:
    """`total` fen in `parts` positive pieces of uneven size, each a multiple of `step` fen but the last (exact)."""
    parts = max(1, min(parts, total // max(step, 1) or 1))
    weights = [rng.lognormvariate(0, 0.8) for _ in range(parts)]
    scale = sum(weights)
    pieces = [max(step, int(total * w / scale) // step * step) for w in weights[:-1]]
    while sum(pieces) >= total and pieces:  # tiny totals: fewer pieces
        pieces.pop()
    return [*pieces, total - sum(pieces)]


# --- what the purposes read ---------------------------------------------------------------------------------------

# What spending of each category pays for: (purpose, the most it costs in yuan, the months it falls in or None).
WINTER = (1, 2, 11, 12)
PURPOSES = {
    OPERATING: (
        ("党报党刊订阅", 3_000, (9, 10, 11, 12)),
        ("办公用品及耗材购置", 5_000, None),
        ("网络及通讯费", 3_000, None),
        ("主题党日活动用品", 3_000, None),
        ("村级档案整理装订", 4_000, None),
        ("村务公开栏更新", 6_000, None),
        ("村党群服务中心水电费", 12_000, None),
        ("办公设备维修", 10_000, None),
        ("村两委会议及学习资料印制", 8_000, None),
        ("党员活动室取暖费", 15_000, WINTER),
        ("党群服务中心保洁及绿化", 12_000, None),
        ("村民小组长及村务监督委员会成员补贴", 40_000, None),
        ("村级组织办公经费", 60_000, None),
        ("党群服务中心日常运行维护", 50_000, None),
    ),
    SERVICE: (
        ("走访慰问孤寡老人和困难群众", 8_000, (1, 2, 9, 10)),
        ("农家书屋图书更新", 5_000, None),
        ("便民服务代办点运行", 6_000, None),
        ("村内道路路灯维修", 15_000, None),
        ("老年活动中心设施维修", 12_000, None),
        ("文化广场健身器材维修", 12_000, None),
        ("防汛物资购置", 10_000, (4, 5, 6, 7)),
        ("冬季清雪防滑物资", 6_000, WINTER),
        ("村内排水沟清淤", 15_000, (3, 4, 5, 6, 9, 10)),
        ("饮水井及管网维修", 25_000, None),
        ("垃圾收集点建设", 30_000, None),
        ("人居环境整治保洁费", 40_000, None),
        ("社区为民服务项目", 60_000, None),
    ),
    STANDARDIZATION: (
        ("党员活动室桌椅购置", 15_000, None),
        ("档案柜及资料盒购置", 12_000, None),
        ("党建文化墙制作", 20_000, None),
        ("党群服务中心标识标牌制作", 25_000, None),
        ("便民服务窗口设备购置", 30_000, None),
        ("为民服务大厅功能区改造", 80_000, None),
    ),
    TWO_NEW: (
        ("购买党建学习书籍", 3_000, None),
        ("党员政治生日活动", 3_000, None),
        ("主题党日活动材料", 4_000, None),
        ("“党员示范岗”标牌制作", 5_000, None),
        ("党建宣传栏制作", 8_000, None),
        ("组织党员参观红色教育基地", 10_000, None),
        ("党员活动室布置", 20_000, None),
    ),
    TRAINING: (
        ("入党积极分子培训班", 8_000, None),
        ("远程教育站点设备维护", 8_000, None),
        ("党员教育培训教材购置", 10_000, None),
        ("组织党员赴红色教育基地现场教学", 15_000, (3, 4, 5, 6, 7, 9, 10, 11)),
        ("党员教育电视片拍摄制作", 20_000, None),
        ("党务工作者培训班食宿及讲课费", 30_000, None),
        ("举办党员冬春训培训班", 50_000, WINTER + (3,)),
    ),
}


def _purpose(rng: random.Random, purposes, amount: int, day: dt.date) -> str:
    """A purpose that costs about `amount` fen and falls in `day`'s month (the largest kind when none does)."""
    yuan = amount / FEN
    fits = [p for p, most, months in purposes if yuan <= most and (months is None or day.month in months)]
    if not fits:
        fits = [p for p, most, months in purposes if most == max(m for _, m, _ in purposes)]
    return rng.choice(fits)


VENUE_PURPOSES = (
    ("主体工程进度款", 0.55),
    ("室内装修工程款", 0.25),
    ("办公及活动设备购置", 0.12),
    ("工程监理费", 0.03),
)
QUARTERS = "一二三四"


# --- the plan -----------------------------------------------------------------------------------------------------


class Org(NamedTuple):
    id: int
    code: str
    name: str
    path: str
    kind: str
    domain: str
    assessment_group: str
    depth: int


class PlannedDisbursement(NamedTuple):
    paid_on: dt.date
    amount: int  # fen
    voucher: str
    note: str


class PlannedExpenditure(NamedTuple):
    spent_on: dt.date
    amount: int  # fen
    purpose: str
    source: str | None
    voucher: str = ""


@dataclass
class PlannedAllocation:
    source: str
    amount: int  # fen
    allocated_on: dt.date
    deadline: dt.date
    document_no: str
    note: str
    disbursements: list[PlannedDisbursement] = field(default_factory=list)


@dataclass
class Ledger:
    """One organization's year of one category."""

    org: Org
    year: int
    category: str
    allocations: list[PlannedAllocation] = field(default_factory=list)
    expenditures: list[PlannedExpenditure] = field(default_factory=list)


class PlannedAid(NamedTuple):
    member_id: int
    amount: int  # fen
    given_on: dt.date
    reason: str
    source: str


# How an allocation's money arrives.
ON_TIME, LATE, SHORT, NONE = "on_time", "late", "short", "none"
HUNDRED_YUAN = 100 * FEN


def _hundreds(fen: int) -> int:
    return fen // HUNDRED_YUAN * HUNDRED_YUAN


def _tranches(rng: random.Random, total: int, count: int) -> list[int]:
    """An allocation's tranches in whole hundreds of yuan (the last takes the rest): 50/50 or 60/40."""
    first = _hundreds(total * rng.choice((5, 6)) // 10)
    if count <= 1 or first <= 0 or first >= total:
        return [total]
    return [first, total - first]


class _Planner:
    """The county's ledgers for the years, whatever the database holds and whatever the day."""

    def __init__(self, orgs: list[Org], years: list[int]):
        self.years = years
        self.days = dict(DEFAULT_CATEGORIES)  # the default 拨付时限, not the county's current ones: a fixed plan
        by_group = defaultdict(list)
        for o in orgs:
            by_group[o.assessment_group].append(o)
        self.root = next(o for o in orgs if o.depth == 1)
        self.villages = [o for o in by_group[VILLAGE_GROUP] if o.depth == 3]
        self.townships = [o for o in by_group[TOWNSHIP_GROUP] if o.depth == 2]
        self.departments = [o for o in by_group[DEPARTMENT_GROUP] if o.depth == 3]
        self.two_new = [o for o in by_group[TWO_NEW_GROUP] if o.depth == 3]
        # The villages planted below a standard in the ended years (both standards cover the rural villages); for
        # the operating fund, villages of at most 120,000 a year, whose 县财政 60% alone is below the minimum.
        rural = [o for o in self.villages if o.domain == Domain.RURAL]
        ended = years[:-1][::-1]  # last year, then the one before
        self.below: dict[tuple[str, int], list[int]] = {}
        for category, counts in BELOW.items():
            pick = _rng("below", category)
            for year, count in zip(ended, counts, strict=False):
                fits = [o for o in rural if category != OPERATING or self.operating_amount(o, year) <= 120_000]
                self.below[(category, year)] = sorted(o.id for o in pick.sample(fits, min(count, len(fits))))

    # -- sizes and amounts

    def operating_amount(self, o: Org, year: int) -> int:
        """Yuan a year, by the village's size (a merged village, a 党总支, is a large one; the rest drawn once from
        the code, never from the member files, which the county edits); 10,000 more from the 2026 round of
        elections."""
        draw = _rng("size", o.code).random()
        if o.domain == Domain.COMMUNITY:
            amount = 150_000 if draw < 0.5 else 180_000 if draw < 0.8 else 200_000
        elif o.kind == OrgKind.GENERAL_BRANCH:
            amount = 150_000
        else:
            amount = 100_000 if draw < 0.55 else 120_000 if draw < 0.9 else 150_000
        return amount + (10_000 if year >= 2026 else 0)

    def pay_multiple(self, o: Org) -> Decimal:
        if o.domain == Domain.COMMUNITY:
            return Decimal("3.0")
        return _rng("pay", o.code).choice(tuple(Decimal(m) for m in ("2.6", "2.7", "2.8", "2.8", "3.0")))

    # -- the ledgers

    def ledgers(self, aid: dict[int, list[PlannedAid]]) -> list[Ledger]:
        out: list[Ledger] = []
        for year, income in zip(self.years, RURAL_INCOME, strict=True):
            for o in self.villages:
                out.append(self.operating(o, year))
                out.append(self.pay(o, year, income))
                if o.domain == Domain.COMMUNITY or _rng("service", o.code).random() < 0.7:
                    out.append(self.service(o, year))
                if o.domain == Domain.RURAL and _rng("retired", o.code).random() < 0.45:
                    out.append(self.retired(o, year))
                chance = _rng("build", o.code, year).random()
                if o.domain == Domain.RURAL and chance < 0.12:
                    out.append(self.standardization(o, year))
                elif chance > 0.965:
                    out.append(self.venue(o, year))
            for o in self.townships:
                out.append(self.training(o, year, 30_000, 50_000))
            for o in self.departments:
                if _rng("training", o.code, year).random() < 0.8:
                    out.append(self.training(o, year, 8_000, 20_000))
            for o in self.two_new:
                out.append(self.two_new_funds(o, year))
            out.append(self.care(year, aid.get(year, [])))
        return out

    def _ledger(self, o: Org, year: int, category: str) -> tuple[Ledger, random.Random]:
        return Ledger(o, year, category), _rng(o.code, year, category)

    def _fate(self, ledger: Ledger, rng: random.Random) -> tuple[str, float]:
        draw = rng.random()
        fraction = rng.choice((0.5, 0.6, 0.7, 0.8))
        if draw < NONE_SHARE:
            fate = NONE
        elif draw < NONE_SHARE + SHORT_SHARE:
            fate = SHORT
        elif draw < NONE_SHARE + SHORT_SHARE + LATE_SHARE:
            fate = LATE
        else:
            fate = ON_TIME
        o = ledger.org
        standard = ledger.category in BELOW and o.domain == Domain.RURAL and o.assessment_group == VILLAGE_GROUP
        if fate in (SHORT, NONE) and standard and ledger.year < self.years[-1]:
            fate = LATE  # in an ended year a village misses a standard only where BELOW plants it
        return fate, fraction

    def _allocate(
        self, ledger: Ledger, rng: random.Random, source: str, yuan, allocated_on: dt.date, document_no: str,
        note: str, *, tranches: int = 1, fate: str | None = None, fraction: float = 0.0, within: int | None = None,
    ) -> PlannedAllocation:  # fmt: skip
        """An allocation and the money that arrives against it: in `tranches` by the deadline (or within `within`
        days), or as its fate has it — partly after the deadline (late), only `fraction` of it (short), nothing."""
        amount = _fen(yuan)
        days = self.days[ledger.category]
        deadline = default_deadline(FundCategory(disburse_within_days=days), allocated_on)
        a = PlannedAllocation(source, amount, allocated_on, deadline, document_no, note)
        ledger.allocations.append(a)
        drawn, drawn_fraction = self._fate(ledger, rng)
        if fate is None:
            fate, fraction = drawn, drawn_fraction
        year_end = dt.date(ledger.year, 12, 31)
        if fate == LATE and deadline + dt.timedelta(days=5) > year_end:
            fate = ON_TIME  # no room for lateness within the year
        total = amount if fate in (ON_TIME, LATE) else _hundreds(int(amount * fraction)) if fate == SHORT else 0
        if total <= 0:
            return a
        pieces = _tranches(rng, total, tranches)
        window = (deadline - allocated_on).days if within is None else min(within, (deadline - allocated_on).days)
        first = min(3, window)
        if window - first + 1 >= len(pieces):
            offsets = sorted(rng.sample(range(first, window + 1), len(pieces)))
        else:
            offsets = [window] * len(pieces)
        for n, (piece, offset) in enumerate(zip(pieces, offsets, strict=True)):
            paid_on = allocated_on + dt.timedelta(days=offset)
            if fate == LATE and n == len(pieces) - 1:
                paid_on = min(deadline + dt.timedelta(days=rng.randint(5, 60)), year_end)
            note = f"第{n + 1}笔" if len(pieces) > 1 else ""
            a.disbursements.append(PlannedDisbursement(paid_on, piece, "", note))
        return a

    def _spend(self, ledger: Ledger, rng: random.Random, purposes, *, pieces=(1, 3), use=(0.85, 1.0), window=150):
        """Spend each tranche after it arrived: `use` of it, in a few pieces within `window` days."""
        year_end = dt.date(ledger.year, 12, 31)
        for a in ledger.allocations:
            for d in a.disbursements:
                spend = int(d.amount * rng.uniform(*use)) // 10 * 10
                if spend <= 0:
                    continue
                last = min(d.paid_on + dt.timedelta(days=window), year_end)
                parts = _split(rng, spend, rng.randint(*pieces))
                days = sorted(_between(rng, d.paid_on, last) for _ in parts)
                for day, piece in zip(days, parts, strict=True):
                    purpose = _purpose(rng, purposes, piece, day)
                    ledger.expenditures.append(PlannedExpenditure(day, piece, purpose, a.source))

    def operating(self, o: Org, year: int) -> Ledger:
        ledger, rng = self._ledger(o, year, OPERATING)
        total = self.operating_amount(o, year)
        county = total * 6 // 10
        below = o.id in self.below.get((OPERATING, year), ())
        self._allocate(
            ledger, rng, COUNTY, county, _day(year, 3, rng.randint(3, 25)), f"青财预〔{year}〕8号",
            "县级财政村级组织运转经费", tranches=rng.choice((1, 2)),
        )  # fmt: skip
        self._allocate(
            ledger, rng, PROVINCE, total - county, _day(year, 5, rng.randint(6, 28)), f"青财预〔{year}〕27号",
            "省级财政村级组织运转经费补助", fate=SHORT if below else None, fraction=rng.choice((0.0, 0.25)),
        )  # fmt: skip
        self._spend(ledger, rng, PURPOSES[OPERATING], pieces=(2, 4), window=200)
        return ledger

    def pay(self, o: Org, year: int, income: Decimal) -> Ledger:
        """The secretary's pay, a quarter at a time, paid out days after it arrives."""
        ledger, rng = self._ledger(o, year, PAY)
        total = _hundreds(_fen(self.pay_multiple(o) * income))
        quarter = total // 4 // FEN * FEN
        below = o.id in self.below.get((PAY, year), ())
        unpaid = rng.choice(((3,), (2, 3))) if below else ()
        who = "社区党组织书记" if o.domain == Domain.COMMUNITY else "村党组织书记"
        for q in range(4):
            amount = quarter if q < 3 else total - 3 * quarter
            fate = (NONE if q == 3 else SHORT) if q in unpaid else None
            a = self._allocate(
                ledger, rng, COUNTY, _yuan(amount), _day(year, 3 * q + 1, rng.randint(5, 12)),
                f"青财预〔{year}〕{3 + q}号", f"{who}第{QUARTERS[q]}季度报酬", fate=fate, fraction=0.5,
            )  # fmt: skip
            for d in a.disbursements:
                spent_on = min(d.paid_on + dt.timedelta(days=rng.randint(1, 8)), dt.date(year, 12, 31))
                purpose = f"发放{who}{year}年第{QUARTERS[q]}季度报酬"
                ledger.expenditures.append(PlannedExpenditure(spent_on, d.amount, purpose, COUNTY))
        return ledger

    def service(self, o: Org, year: int) -> Ledger:
        ledger, rng = self._ledger(o, year, SERVICE)
        amount = 100_000 if o.domain == Domain.COMMUNITY else 50_000
        self._allocate(
            ledger, rng, COUNTY, amount, _day(year, 4, rng.randint(8, 28)), f"青财预〔{year}〕15号", "服务群众专项经费",
            tranches=rng.choice((1, 2)),
        )  # fmt: skip
        self._spend(ledger, rng, PURPOSES[SERVICE], pieces=(2, 5), use=(0.8, 1.0), window=220)
        return ledger

    def retired(self, o: Org, year: int) -> Ledger:
        ledger, rng = self._ledger(o, year, RETIRED)
        people = 1 + int(_rng("retired-people", o.code).random() * 3)
        per_person = 3_600 if year < 2026 else 4_200
        what = f"离任村主职干部生活补助（{people}人）"
        a = self._allocate(
            ledger, rng, COUNTY, people * per_person, _day(year, 6, rng.randint(1, 20)), f"青民〔{year}〕21号", what
        )
        arrived = sum(d.amount for d in a.disbursements)
        if arrived:
            first = arrived // 2 // FEN * FEN
            year_end = dt.date(year, 12, 31)
            halves = (
                ("上半年", first, min(a.disbursements[0].paid_on + dt.timedelta(days=rng.randint(2, 10)), year_end)),
                ("下半年", arrived - first, max(_day(year, 12, rng.randint(15, 25)), a.disbursements[-1].paid_on)),
            )
            for half, amount, day in halves:
                purpose = f"发放离任村主职干部{half}生活补助（{people}人）"
                ledger.expenditures.append(PlannedExpenditure(day, amount, purpose, COUNTY))
        return ledger

    def standardization(self, o: Org, year: int) -> Ledger:
        ledger, rng = self._ledger(o, year, STANDARDIZATION)
        on = _day(year, rng.randint(6, 8), rng.randint(1, 28))
        self._allocate(ledger, rng, CITY, 50_000, on, f"新财预〔{year}〕44号", "市级村级规范化建设补助")
        later = on + dt.timedelta(days=rng.randint(5, 20))
        self._allocate(ledger, rng, COUNTY, 30_000, later, f"青财预〔{year}〕46号", "县级配套资金")
        self._spend(ledger, rng, PURPOSES[STANDARDIZATION], pieces=(1, 3), use=(0.9, 1.0), window=120)
        return ledger

    def venue(self, o: Org, year: int) -> Ledger:
        """A new or rebuilt 党群服务中心: the works paid as the money arrives, in the order a building is paid for."""
        ledger, rng = self._ledger(o, year, VENUE)
        what = "新建" if rng.random() < 0.5 else "改扩建"
        on = _day(year, rng.randint(3, 5), rng.randint(2, 28))
        amount = rng.randrange(200_000, 400_001, 10_000)
        self._allocate(ledger, rng, COUNTY, amount, on, f"青财预〔{year}〕19号", f"{what}村党群服务中心", tranches=2)
        if rng.random() < 0.5:
            later = on + dt.timedelta(days=rng.randint(10, 40))
            self._allocate(ledger, rng, TOWNSHIP, 50_000, later, f"{o.code[:4]}财〔{year}〕5号", "乡镇配套资金")
        tranches = sorted((d.paid_on, d.amount, a.source) for a in ledger.allocations for d in a.disbursements)
        running, arrived = 0, []
        for paid_on, amount, _ in tranches:
            running += amount
            arrived.append((paid_on, running))
        spent, spent_from = 0, defaultdict(int)
        for purpose, share in VENUE_PURPOSES:
            amount = int((arrived[-1][1] if arrived else 0) * share) // FEN * FEN
            covered = next((p for p, total in arrived if total >= spent + amount), None)
            if covered is None or amount <= 0:
                break
            day = min(covered + dt.timedelta(days=rng.randint(5, 40)), dt.date(year, 12, 31))
            # Paid from what each source has brought by then (county money first): a payment larger than one
            # source's remainder is booked against each in part, so no source spends more than it brought.
            left = defaultdict(int)
            for paid_on, value, source in tranches:
                if paid_on <= covered:
                    left[source] += value
            need = amount
            for source in sorted(left, key=lambda name: name != COUNTY):
                part = min(need, left[source] - spent_from[source])
                if part > 0:
                    ledger.expenditures.append(PlannedExpenditure(day, part, f"村党群服务中心{what}{purpose}", source))
                    spent_from[source] += part
                    need -= part
            spent += amount
        return ledger

    def training(self, o: Org, year: int, low: int, high: int) -> Ledger:
        ledger, rng = self._ledger(o, year, TRAINING)
        amount = rng.randrange(low, high + 1, 1_000)
        on = _day(year, rng.randint(2, 4), rng.randint(1, 28))
        self._allocate(
            ledger, rng, COUNTY, amount, on, f"青组通〔{year}〕9号", "党员教育培训经费", tranches=rng.choice((1, 1, 2))
        )
        self._spend(ledger, rng, PURPOSES[TRAINING], pieces=(2, 5), use=(0.8, 1.0), window=240)
        return ledger

    def two_new_funds(self, o: Org, year: int) -> Ledger:
        ledger, rng = self._ledger(o, year, TWO_NEW)
        amount = rng.randrange(5_000, 20_001, 1_000)
        on = _day(year, rng.randint(5, 7), rng.randint(1, 28))
        self._allocate(ledger, rng, DUES, amount, on, f"青组通〔{year}〕31号", "党费返还“两新”组织党建工作经费")
        self._spend(ledger, rng, PURPOSES[TWO_NEW], pieces=(1, 4), use=(0.7, 1.0), window=160)
        return ledger

    def care(self, year: int, aid: list[PlannedAid]) -> Ledger:
        """The county committee's 党内关爱帮扶资金: 党费 in January, 县财政 in June, each arriving within days; the aid
        of each day is spent from it that day, from the source the aid names (the aid itself is recorded at the
        members' branches)."""
        ledger, rng = self._ledger(self.root, year, CARE)
        self._allocate(
            ledger, rng, DUES, 120_000, _day(year, 1, 6), f"青组通〔{year}〕2号", "党费列支党内关爱帮扶资金",
            fate=ON_TIME, within=4,
        )  # fmt: skip
        self._allocate(
            ledger, rng, COUNTY, 80_000, _day(year, 6, 3), f"青财预〔{year}〕33号", "县级财政党内关爱帮扶资金",
            fate=ON_TIME, within=4,
        )  # fmt: skip
        batches = defaultdict(list)
        for a in aid:
            batches[(a.given_on, a.source)].append(a)
        for (day, source), given in sorted(batches.items()):
            reasons = sorted({a.reason for a in given})
            what = reasons[0] if len(reasons) == 1 else "走访慰问困难党员"
            purpose = f"党内关爱帮扶：{what}（{len(given)}人）"
            ledger.expenditures.append(PlannedExpenditure(day, sum(a.amount for a in given), purpose, source))
        return ledger


def _number_vouchers(ledgers: list[Ledger]) -> None:
    """Voucher numbers in date order: the payer's for each disbursement (国库集中支付 for public money, the party-dues
    account for 党费, the township's own), each organization's 记账凭证 by month for its spending."""
    payments = defaultdict(list)
    for lg in ledgers:
        for a in lg.allocations:
            for j, d in enumerate(a.disbursements):
                payments[(lg.year, a.source)].append((d.paid_on, lg.org.code, lg.category, a.allocated_on, j, a))
    prefixes = {DUES: "党费拨", TOWNSHIP: "乡财拨"}
    for (year, source), rows in payments.items():
        rows.sort(key=lambda r: r[:5])
        prefix = prefixes.get(source, "国库支付")
        for n, (_, _, _, _, j, a) in enumerate(rows, start=1):
            a.disbursements[j] = a.disbursements[j]._replace(voucher=f"{prefix}{year}-{n:05d}")
    spending = defaultdict(list)
    for lg in ledgers:
        for k, e in enumerate(lg.expenditures):
            spending[(lg.org.code, lg.year, e.spent_on.month)].append((e.spent_on, lg.category, k, lg))
    for (_, year, month), rows in spending.items():
        rows.sort(key=lambda r: r[:3])
        for n, (_, _, k, lg) in enumerate(rows, start=1):
            lg.expenditures[k] = lg.expenditures[k]._replace(voucher=f"记{year}{month:02d}-{n:03d}")


# --- the aid ------------------------------------------------------------------------------------------------------

AID_OCCASIONS = (
    # (reason, share of the year's aid, first and last day as (month, day), amounts in yuan, from 县财政 after June)
    ("春节走访慰问生活困难老党员", 0.4, ((1, 15), (2, 8)), (500, 800, 1000), False),
    ("“七一”走访慰问生活困难党员", 0.3, ((6, 20), (6, 30)), (500, 800, 1000), False),
    ("患大病住院治疗，家庭生活困难", 0.17, ((3, 1), (11, 20)), (2000, 3000, 5000), True),
    ("因灾（汛期暴雨）房屋受损", 0.08, ((7, 10), (8, 31)), (2000, 3000), True),
    ("因残致困，长期卧床", 0.05, ((9, 1), (11, 30)), (1000, 2000), True),
)
OLD_AGE = 70


def plan_aid(members: list[tuple[int, dt.date, dt.date]], year: int) -> list[PlannedAid]:
    """Some sixty members a year: old members in hardship on the 春节 and 七一 visits, others in illness, disaster or
    disability. `members`: (member id, birth date, joined on) of members in good standing. Each member's place in
    the queue of an occasion is a hash of who they are, so a member leaving the pool (a later death recorded in the
    files) changes that member's aid only, not everyone's."""
    old = [m for m in members if m[1].year <= year - OLD_AGE]
    chosen: set[int] = set()
    out = []
    for reason, share, (first, last), amounts, county in AID_OCCASIONS:
        pool = old if "老党员" in reason or "七一" in reason else members
        wanted = round(AID_PER_YEAR * share)
        start, end = dt.date(year, *first), dt.date(year, *last)
        queue = sorted(pool, key=lambda m: (zlib.crc32(f"{SEED}:{year}:{reason}:{m[0]}".encode()), m[0]))
        found = 0
        for member_id, _, joined in queue:
            if found == wanted:
                break
            rng = _rng("aid", year, reason, member_id)
            given_on = _between(rng, start, end)
            if member_id in chosen or joined >= given_on:
                continue
            chosen.add(member_id)
            found += 1
            source = COUNTY if county and given_on >= _day(year, 6, 10) else DUES
            out.append(PlannedAid(member_id, _fen(rng.choice(amounts)), given_on, reason, source))
    return sorted(out, key=lambda a: (a.given_on, a.member_id))


# --- the result ---------------------------------------------------------------------------------------------------


@dataclass
class DemoFundingResult:
    categories_added: int = 0
    categories_present: int = 0
    sources_added: int = 0
    sources_present: int = 0
    standards_added: int = 0
    standards_present: int = 0
    incomes_added: int = 0
    incomes_present: int = 0
    allocations_added: int = 0
    disbursements_added: int = 0
    expenditures_added: int = 0
    ledger_present: int = 0
    aid_added: int = 0
    aid_present: int = 0
    aid_amount_added: Decimal = Decimal("0.00")
    below: dict[tuple[str, int], list[int]] = field(default_factory=dict)  # (category, year): organization ids

    @property
    def ledger_added(self) -> int:
        return self.allocations_added + self.disbursements_added + self.expenditures_added

    def summary_lines(self) -> list[str]:
        return [
            f"经费类别和资金来源: 已新增 {self.categories_added} 类、{self.sources_added} 个来源，"
            f"已有 {self.categories_present} 类、{self.sources_present} 个来源",
            f"经费保障标准: 已新增 {self.standards_added} 项（农村居民人均可支配收入 {self.incomes_added} 个年度），"
            f"已有 {self.standards_present} 项（{self.incomes_present} 个年度）",
            f"经费台账: 已新增 {self.ledger_added} 条（下达 {self.allocations_added}、拨付 {self.disbursements_added}、"
            f"支出 {self.expenditures_added}），已有 {self.ledger_present} 条",
            f"党内关爱帮扶: 已新增 {self.aid_added} 人次（{self.aid_amount_added:,.2f} 元），已有 {self.aid_present} 人次",
        ]


def demo_funding_exists() -> bool:
    """Whether the demo county already has any ledger record (for `seed_demo --if-empty`)."""
    from organizations.models import Organization

    root = Organization.objects.filter(code=COUNTY_CODE, depth=1).first()
    return root is not None and Allocation.objects.filter(subtree_range_q("organization__path", root.path)).exists()


# --- writing ------------------------------------------------------------------------------------------------------

ALLOCATION_INSERT = [
    "id", "organization", "year", "category", "source", "amount", "allocated_on", "deadline", "document_no", "note",
    "created_by", "created_at", "updated_at",
]  # fmt: skip
DISBURSEMENT_INSERT = [
    "id", "allocation", "organization", "year", "category", "source", "amount", "paid_on", "voucher", "note",
    "created_by", "created_at", "updated_at",
]  # fmt: skip
EXPENDITURE_INSERT = [
    "organization", "year", "category", "source", "amount", "spent_on", "purpose", "voucher", "note", "created_by",
    "created_at", "updated_at",
]  # fmt: skip


def _recorded_at(day: dt.date, n: int, now: dt.datetime) -> dt.datetime:
    """When a record dated `day` was entered: that day or up to three days later, in office hours."""
    at = dt.datetime(day.year, day.month, day.day, 9 + n % 8, 7 * n % 60, tzinfo=ZONE) + dt.timedelta(days=n % 4)
    return min(at, now)


def _check(ledger: Ledger, where: str) -> None:
    """The ledger services' rules (funding.services.ledger), and 专款专用 at every date, not only in total."""
    problems = []
    events = []  # (date, order, change): money in before money out on the same day
    for a in ledger.allocations:
        for p in (
            check_in_year(a.allocated_on, ledger.year, "下达日期"),
            check_in_year(a.deadline, ledger.year, "拨付时限"),
        ):
            if p:
                problems.append(p)
        if a.amount <= 0 or a.deadline < a.allocated_on:
            problems.append(f"下达 {a.allocated_on} {a.amount} 分")
        if sum(d.amount for d in a.disbursements) > a.amount:
            problems.append(f"下达 {a.allocated_on} 拨付超出下达金额")
        for d in a.disbursements:
            if p := check_in_year(d.paid_on, ledger.year, "拨付日期"):
                problems.append(p)
            if d.amount <= 0 or d.paid_on < a.allocated_on:
                problems.append(f"拨付 {d.paid_on} {d.amount} 分")
            events.append((d.paid_on, 0, d.amount))
    for e in ledger.expenditures:
        if p := check_in_year(e.spent_on, ledger.year, "支出日期"):
            problems.append(p)
        if e.amount <= 0 or not e.purpose:
            problems.append(f"支出 {e.spent_on} {e.amount} 分")
        events.append((e.spent_on, 1, -e.amount))
    balance = 0
    for day, _, change in sorted(events):
        balance += change
        if balance < 0:
            problems.append(f"{day} 支出超过已到位资金（专款专用）")
            break
    if problems:
        raise DemoError(f"演示经费不合规（{where} {ledger.year}年 {ledger.category}）：" + "；".join(problems))


def _cut(ledger: Ledger, last: dt.date) -> Ledger:
    """The ledger as it stands on `last`: what was allocated, paid and spent by then."""
    allocations = []
    for a in ledger.allocations:
        if a.allocated_on <= last:
            kept = [d for d in a.disbursements if d.paid_on <= last]
            allocations.append(PlannedAllocation(**{**a.__dict__, "disbursements": kept}))
    spent = [e for e in ledger.expenditures if e.spent_on <= last]
    return Ledger(ledger.org, ledger.year, ledger.category, allocations, spent)


class _Writer:
    """The planned records not yet in the database, as plain rows with one audit event each."""

    def __init__(self, *, categories: dict[str, int], sources: dict[str, int], users: dict[str, object], now):
        from meetings.xlsx import db_datetime

        self.categories, self.sources, self.now = categories, sources, now
        self.db_time = db_datetime()  # Django's DateTimeField preparation is the costly part of 30,000 rows
        self.township_admin = users.get(TOWNSHIP_ADMIN)
        self.secretary = users.get(DEMO_SECRETARY)
        self.audits = {None: AuditBatch(None)}
        for user in (self.township_admin, self.secretary):
            if user is not None:
                self.audits[user.pk] = AuditBatch(user)

    def _audit(self, user, **event) -> None:
        self.audits[user.pk if user is not None else None].add(**event)

    def write(self, ledgers: list[Ledger], result: DemoFundingResult, root_path: str) -> None:
        from .services.ledger import ALLOCATION_FIELDS, DISBURSEMENT_FIELDS, EXPENDITURE_FIELDS

        where = subtree_range_q("organization__path", root_path)
        years = sorted({lg.year for lg in ledgers})
        # What is there, as multisets of natural keys: each planned record takes one.
        allocated: dict[tuple, list[int]] = defaultdict(list)
        for pk, *key, amount in (
            Allocation.objects.filter(where, year__in=years)
            .order_by("id")
            .values_list("id", "organization_id", "year", "category_id", "source_id", "allocated_on", "amount")
        ):
            allocated[(*key, int(amount * FEN))].append(pk)
        paid = Counter(
            (alloc, on, int(amount * FEN))
            for alloc, on, amount in Disbursement.objects.filter(where, year__in=years).values_list(
                "allocation_id", "paid_on", "amount"
            )
        )
        spent = Counter(
            (org, year, cat, on, int(amount * FEN), purpose)
            for org, year, cat, on, amount, purpose in Expenditure.objects.filter(where, year__in=years).values_list(
                "organization_id", "year", "category_id", "spent_on", "amount", "purpose"
            )
        )
        new_allocations, planned_disbursements, new_expenditures = [], [], []
        for lg in ledgers:
            cat = self.categories[lg.category]
            for a in lg.allocations:
                key = (lg.org.id, lg.year, cat, self.sources[a.source], a.allocated_on, a.amount)
                found = allocated[key]
                if found:
                    result.ledger_present += 1
                    pk = found.pop(0)
                    planned_disbursements += [(lg, key, pk, d) for d in a.disbursements]
                else:
                    new_allocations.append((lg, a, key))
            for e in lg.expenditures:
                key = (lg.org.id, lg.year, cat, e.spent_on, e.amount, e.purpose)
                if spent[key]:
                    spent[key] -= 1
                    result.ledger_present += 1
                else:
                    new_expenditures.append((lg, e))
        rows = []
        for pk, (lg, a, key) in zip(reserve_ids(Allocation, len(new_allocations)), new_allocations, strict=True):
            planned_disbursements += [(lg, key, pk, d) for d in a.disbursements]
            user = self.township_admin if lg.org.code.startswith(DEMO_TOWNSHIP) and lg.org.depth > 2 else None
            at = self.db_time(_recorded_at(a.allocated_on, pk, self.now))
            values = (
                pk, lg.org.id, lg.year, key[2], key[3], a.amount, a.allocated_on, a.deadline, a.document_no, a.note,
                user.pk if user else None, at, at,
            )  # fmt: skip
            rows.append(values)
            after = dict(zip(ALLOCATION_INSERT[1:10], values[1:10], strict=True))
            after.update(amount=str(_yuan(a.amount)), allocated_on=a.allocated_on.isoformat(),
                         deadline=a.deadline.isoformat())  # fmt: skip
            self._audit(
                user, action="create", object_type="funding.allocation", object_id=pk, org_path=lg.org.path,
                object_repr=f"{lg.year}年 {lg.category} {_yuan(a.amount)} 元（{a.source}）",
                after={k: after[k] for k in ALLOCATION_FIELDS},
            )  # fmt: skip
        bulk_insert(Allocation, ALLOCATION_INSERT, rows)
        result.allocations_added = len(rows)

        rows, todo = [], []
        for lg, key, allocation_id, d in planned_disbursements:
            if paid[(allocation_id, d.paid_on, d.amount)]:
                paid[(allocation_id, d.paid_on, d.amount)] -= 1
                result.ledger_present += 1
            else:
                todo.append((lg, key, allocation_id, d))
        for pk, (lg, key, allocation_id, d) in zip(reserve_ids(Disbursement, len(todo)), todo, strict=True):
            user = self.township_admin if lg.org.code.startswith(DEMO_TOWNSHIP) and lg.org.depth > 2 else None
            at = self.db_time(_recorded_at(d.paid_on, pk, self.now))
            values = (
                pk, allocation_id, lg.org.id, lg.year, key[2], key[3], d.amount, d.paid_on, d.voucher, d.note,
                user.pk if user else None, at, at,
            )  # fmt: skip
            rows.append(values)
            after = dict(zip(DISBURSEMENT_INSERT[1:10], values[1:10], strict=True))
            after.update(amount=str(_yuan(d.amount)), paid_on=d.paid_on.isoformat())
            self._audit(
                user, action="create", object_type="funding.disbursement", object_id=pk, org_path=lg.org.path,
                object_repr=f"{d.paid_on} 拨付 {_yuan(d.amount)} 元", after={k: after[k] for k in DISBURSEMENT_FIELDS},
            )  # fmt: skip
        bulk_insert(Disbursement, DISBURSEMENT_INSERT, rows)
        result.disbursements_added = len(rows)

        rows = []
        for pk, (lg, e) in zip(reserve_ids(Expenditure, len(new_expenditures)), new_expenditures, strict=True):
            user = self.secretary if lg.org.code == DEMO_BRANCH else None
            at = self.db_time(_recorded_at(e.spent_on, pk, self.now))
            source = self.sources[e.source] if e.source else None
            values = (
                pk, lg.org.id, lg.year, self.categories[lg.category], source, e.amount, e.spent_on, e.purpose,
                e.voucher, "", user.pk if user else None, at, at,
            )  # fmt: skip
            rows.append(values)
            after = dict(zip(EXPENDITURE_FIELDS, values[1:10], strict=True))
            after.update(amount=str(_yuan(e.amount)), spent_on=e.spent_on.isoformat())
            self._audit(
                user, action="create", object_type="funding.expenditure", object_id=pk, org_path=lg.org.path,
                object_repr=f"{e.spent_on} 支出 {_yuan(e.amount)} 元：{e.purpose}", after=after,
            )  # fmt: skip
        bulk_insert(Expenditure, ["id", *EXPENDITURE_INSERT], rows)
        result.expenditures_added = len(rows)
        for batch in self.audits.values():
            batch.save()


def _county_orgs(root) -> list[Org]:
    from organizations.models import Organization

    qs = Organization.objects.filter(subtree_range_q("path", root.path)).order_by("path")
    return [Org(*row) for row in qs.values_list(*Org._fields)]


def _aid_candidates(root_path: str, first_year: int) -> list[tuple[int, dt.date, dt.date]]:
    """(member id, birth date, joined on) of the members in good standing who never changed branch and joined before
    the first year: whichever day of the years their aid falls on, it is recorded at their branch of today."""
    from members.choices import MemberStatus
    from members.models import Member

    return list(
        Member.objects.filter(
            branch__path__startswith=root_path, status=MemberStatus.NORMAL, joined_on__lt=dt.date(first_year, 1, 1)
        )
        .annotate(moves=models.Count("memberships"))
        .filter(moves__lte=1)
        .order_by("id")
        .values_list("id", "person__birth_date", "joined_on")
    )


def _configure(result: DemoFundingResult, years: list[int]) -> tuple[dict[str, FundCategory], dict[str, FundSource]]:
    """The default categories and sources, the rural income of each year and the two standards, as the system,
    each only where missing (a county that changed them keeps its own)."""
    from .services.config import defaults_ensure, rural_income_set, standard_create

    added_categories, added_sources = defaults_ensure(actor=None)
    categories = {c.name: c for c in FundCategory.objects.all()}
    sources = {s.name: s for s in FundSource.objects.all()}
    result.categories_added, result.sources_added = len(added_categories), len(added_sources)
    result.categories_present = len(categories) - len(added_categories)
    result.sources_present = len(sources) - len(added_sources)
    wanted_categories = {name for name, _ in DEFAULT_CATEGORIES}
    missing = sorted(wanted_categories - set(categories)) + sorted(set(DEFAULT_SOURCES) - set(sources))
    inactive = sorted(n for n in wanted_categories if n in categories and not categories[n].active)
    inactive += sorted(n for n in DEFAULT_SOURCES if n in sources and not sources[n].active)
    if missing or inactive:
        raise DemoError(f"演示经费需要的经费类别或资金来源缺失或已停用：{'、'.join(missing + inactive)}")
    have = set(RuralIncome.objects.filter(year__in=years).values_list("year", flat=True))
    for year, amount, note in zip(years, RURAL_INCOME, RURAL_INCOME_NOTES, strict=True):
        if year in have:
            result.incomes_present += 1
        else:
            rural_income_set(actor=None, year=year, amount=amount, note=f"{year}年{note}")
            result.incomes_added += 1
    names = set(FundStandard.objects.values_list("name", flat=True))
    for name, category, basis, amount, multiple, domain, kind, group, note in STANDARDS:
        if name in names:
            result.standards_present += 1
            continue
        standard_create(
            actor=None, name=name, category=categories[category], basis=basis, amount=amount, multiple=multiple,
            year_from=years[0], domain=domain, kind=kind, assessment_group=group, note=note,
        )  # fmt: skip
        result.standards_added += 1
    return categories, sources


def _write_aid(plans: list[PlannedAid], sources: dict[str, FundSource], result: DemoFundingResult) -> None:
    from members.models import Member

    from .services.aid import aid_create

    have = set(
        Aid.objects.filter(member_id__in=[p.member_id for p in plans]).values_list("member_id", "given_on", "reason")
    )
    todo = [p for p in plans if (p.member_id, p.given_on, p.reason) not in have]
    result.aid_present = len(plans) - len(todo)
    members = Member.objects.select_related("person", "branch").in_bulk([p.member_id for p in todo])
    for p in todo:
        aid_create(
            actor=None, member=members[p.member_id], amount=_yuan(p.amount), given_on=p.given_on, reason=p.reason,
            source=sources[p.source],
        )  # fmt: skip
        result.aid_added += 1
        result.aid_amount_added += _yuan(p.amount)


@transaction.atomic
def build_demo_funding() -> DemoFundingResult:
    """Record the demo county's funds for this year and the two before, as the system (the township admin for the
    demo township's villages, the demo secretary for the demo branch's spending); a second run adds nothing. Needs
    the demo county's organizations and members (build_demo_county, build_demo_members)."""
    from accounts.models import User
    from organizations.models import Organization

    root = Organization.objects.filter(code=COUNTY_CODE, depth=1).first()
    if root is None:
        raise DemoError("没有演示县的组织数据，无法生成演示经费数据。")
    now = timezone.now()
    today = timezone.localtime(now).date()
    last = today - dt.timedelta(days=1)  # nothing dated today or later: it has not happened yet
    years = list(range(today.year - YEARS + 1, today.year + 1))
    result = DemoFundingResult()
    categories, sources = _configure(result, years)

    candidates = _aid_candidates(root.path, years[0])
    aid = {year: [a for a in plan_aid(candidates, year) if a.given_on <= last] for year in years}
    _write_aid([a for year in years for a in aid[year]], sources, result)

    orgs = _county_orgs(root)
    planner = _Planner(orgs, years)
    result.below = planner.below
    ledgers = planner.ledgers(aid)
    _number_vouchers(ledgers)
    ledgers = [cut for lg in ledgers if (cut := _cut(lg, last)).allocations or cut.expenditures]
    for lg in ledgers:
        _check(lg, f"{lg.org.name}（{lg.org.code}）")
    users = {u.username: u for u in User.objects.filter(username__in=(TOWNSHIP_ADMIN, DEMO_SECRETARY))}
    writer = _Writer(
        categories={n: c.pk for n, c in categories.items()}, sources={n: s.pk for n, s in sources.items()},
        users=users, now=now,
    )  # fmt: skip
    writer.write(ledgers, result, root.path)
    return result
