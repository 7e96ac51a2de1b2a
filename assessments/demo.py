"""Four years of the annual assessment for the demo county 青山县 (organizations.demo and the demos after it): a scheme
for each of the last four complete years and each assessment group of the county, the scores behind every result,
computed and published year by year, so the ranking pages show grades, trends and the penalties of the three rules.

What is in it:
- 村（社区）党组织: a scheme of six indicators summing to 100 — 组织建设 25 and 发挥作用 25 scored by the county's
  inspector (kaohe) with 扣分说明, 三会一课 20, 经费保障 10, 问题整改 10 and 党建任务 10 computed from the meetings,
  funds, findings and tasks (assessments.sources) in the years the county has those records, scored by hand from
  the paper ledgers before (the platform's records start in January two years before the seeding year); the duty
  report appraisal (述职评议) weighs 30%, upper-level evaluators 60% and lower-level 40%, 15–25 and 30–60 votes a
  side; at most 30% 好; one veto item (发生违纪违法案件造成恶劣影响). The first year's scheme is created, each later one
  copied from the year before (scheme_copy), its indicators switched to 系统计算 once the records exist;
- 乡镇党委: five indicators scored by hand and the appraisal (40%, half upper and half lower), no quota for 好;
- every other group (县直部门, 事业单位, “两新”组织): totals imported directly into the default scheme, as the
  考核得分 sheet does (default_scheme, imported_total_set): the demo shows both ways of assessing.

Planted so the demo shows each rule (DemoCases names them; tests/assessments/test_demo_assessments.py checks them):
- rule 3: a weak village (软弱涣散, supervision.demo) with the same secretary throughout is in the bottom three of
  its group in each of the last three years;
- the secretary who moved between villages (organizations.demo MOVER_FROM → MOVER_TO) is in the bottom three at the
  old village the year before the move and at the new one in the year of the move and the next: rule 3 follows the
  person, across the two villages;
- the village whose secretary changed on 31 December (CHANGE_ON_NEW_YEARS_EVE) is in the bottom three three years
  running, but the last of those years is its new secretary's: nobody is caught by rule 3 there;
- in the year before last, two villages tie at the bottom-three boundary: both share the rank and both are bottom;
- rule 1: a village vetoed in the last year (its score is fine, its grade is 差), and a “两新” organization whose
  imported total is below 60 that year;
- rule 2: a village of the demo township whose rank gets worse every year; the demo branch (shuji's) moves up
  every year instead;
- 乡镇党委: the demo township (zhen_admin's) moves from 8th to 3rd in the last year; another township's 好 is changed
  to 较好 with a reason that year (grade_override_set).
Outside the planted bottom places every village scores above the planted ones and no organization of the exact
groups is in the bottom three three years running, so rule 3 catches exactly the two planted secretaries. Rule 2,
as the rule reads, catches every secretary not moved up two years running: many, in every group.

Deterministic: one random.Random per purpose seeded with the organization's code and the year; the planted
organizations are picked from the organizations, posts and weak villages alone. The computed indicators are read
through their sources before anything is written, so each result's inputs are chosen to give its planned total
exactly (the formula of assessments.compute); after computing, every total is checked against the plan.

Writes: schemes, indicators and veto items, imported totals, the veto, the grade change, the computation
(workflow.year_compute, oldest year first) and the publication go through the assessment services; the hand scores
and appraisal votes, some 7,000 rows, are bulk-created with one audit event each, as the inspector's. A year whose
schemes the county already has is left alone, so a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from core.audit import AuditBatch
from core.bulk import analyze
from core.scope import subtree_range_q
from organizations.choices import PostTitle
from organizations.demo import (
    CHANGE_ON_NEW_YEARS_EVE,
    COUNTY_CODE,
    DEMO_BRANCH,
    DEMO_TOWNSHIP,
    MOVED_ON,
    MOVER_FROM,
    MOVER_TO,
    NEW_YEARS_EVE,
    TOWNSHIP_GROUP,
    TWO_NEW_GROUP,
    VILLAGE_GROUP,
    DemoError,
)

from .choices import Grade, IndicatorMethod, Rule, Side, rule_label
from .models import AppraisalTally, IndicatorScore, Penalty, Result, Scheme

SEED = 20261215
YEARS = 4  # the last four complete years
ADMIN, INSPECTOR = "admin", "kaohe"
VOTE_POINTS = (10000, 8000, 6000, 0)  # hundredths a 好/较好/一般/差 vote is worth (the scheme defaults)


class IndicatorSpec(NamedTuple):
    name: str
    max_points: int
    source: str  # "" = scored by hand every year
    description: str
    reasons: tuple[str, ...]  # what the inspectors deduct for


VILLAGE_INDICATORS = (
    IndicatorSpec(
        "组织建设", 25, "", "班子建设、党员队伍建设、组织制度落实和阵地建设，按考核细则逐项扣分",
        ("支部委员会分工不明确，职责未上墙", "党员发展计划执行不到位", "党员档案材料不完整", "党费收缴台账不规范",
         "党小组活动不经常", "村党组织书记培训未达规定学时", "流动党员管理台账不健全", "换届选举资料归档不全",
         "党员积分管理落实不到位"),
    ),
    IndicatorSpec(
        "三会一课", 20, "meetings_compliance", "规定会议（支部党员大会、支部委员会会议、党小组会、党课、主题党日）的达标情况",
        ("支部党员大会未按季度召开", "党课记录内容简单", "支部委员会会议记录不全", "党小组会未按月召开",
         "组织生活会查摆问题不具体", "主题党日活动记录缺少签到"),
    ),
    IndicatorSpec(
        "经费保障", 10, "funds_arrival", "村级组织运转经费、村干部报酬等党建经费的到位和使用情况",
        ("运转经费使用台账不规范", "服务群众专项经费使用未公示", "村干部报酬发放不及时"),
    ),
    IndicatorSpec(
        "问题整改", 10, "findings_open", "督查、巡察等发现问题的整改情况，每个未整改问题扣 2 分，逾期的再扣 3 分",
        ("巡察反馈问题整改进度滞后", "督查发现问题未按期销号", "整改报告内容不实"),
    ),
    IndicatorSpec(
        "党建任务", 10, "task_completion", "上级交办党建任务的完成情况",
        ("党建重点任务推进滞后", "任务完成情况未按时上报", "任务佐证材料不全"),
    ),
    IndicatorSpec(
        "发挥作用", 25, "", "带领发展、服务群众、基层治理中党组织和党员作用发挥情况，按考核细则逐项扣分",
        ("村级集体经济收入未达年度目标", "为民服务代办事项办结不及时", "党员联系服务群众记录不全",
         "矛盾纠纷排查化解不及时", "人居环境整治中党员示范作用不明显", "党群服务中心开放时间不足",
         "“四议两公开”程序执行不规范", "村务公开不及时"),
    ),
)  # fmt: skip
TOWNSHIP_INDICATORS = (
    IndicatorSpec(
        "党建工作责任制落实", 20, "", "党委书记抓党建第一责任人和班子成员“一岗双责”落实情况",
        ("书记抓党建述职点评问题整改不到位", "党建工作例会召开不经常", "班子成员“一岗双责”落实不到位",
         "基层党建重点任务清单推进滞后"),
    ),
    IndicatorSpec(
        "基层组织建设", 25, "", "村（社区）党组织标准化规范化建设和软弱涣散党组织整顿情况",
        ("软弱涣散村党组织整顿进度滞后", "村党组织书记队伍结构不优", "村级党群服务中心规范化建设未达标",
         "党支部标准化规范化建设推进慢"),
    ),
    IndicatorSpec(
        "党员队伍建设", 20, "", "发展党员、党员教育管理和流动党员管理情况",
        ("发展党员工作程序不规范", "党员教育培训覆盖率偏低", "流动党员管理不到位", "农村党员队伍老龄化问题未有效改善"),
    ),
    IndicatorSpec(
        "发展壮大村级集体经济", 15, "", "集体经济薄弱村消除和村级集体经济项目推进情况",
        ("集体经济薄弱村消除任务未完成", "村级集体经济项目进度滞后", "集体资产管理不规范"),
    ),
    IndicatorSpec(
        "全面从严治党", 20, "", "党风廉政建设、作风建设和村级“小微权力”监督情况",
        ("村级“小微权力”清单运行不规范", "作风建设问题整改不彻底", "群众信访反映问题较多"),
    ),
)  # fmt: skip
PAPER_LEDGERS = "（当年系统中尚无记录，由县委考核组按纸质台账评分）"
FROM_RECORDS = "（由系统按当年记录计算）"
VETO_ITEM = "发生违纪违法案件造成恶劣影响"
VETO_REASON = "村党支部委员、报账员挪用村集体资金，被县纪委监委立案审查，在全县通报，造成恶劣影响"
OVERRIDE_REASON = (
    "该镇年内发生一起较大安全生产责任事故，党委落实主体责任不到位，经县委组织部部务会研究，等次由“好”调整为“较好”"
)


class SchemeSpec(NamedTuple):
    settings: dict
    indicators: tuple[IndicatorSpec, ...]
    veto_items: tuple[str, ...]
    upper: tuple[int, int]  # evaluators a side: (fewest, most)
    lower: tuple[int, int]


SCHEMES = {
    VILLAGE_GROUP: SchemeSpec(
        {"good_cap": 30, "appraisal_weight": 30, "upper_weight": 60, "lower_weight": 40},
        VILLAGE_INDICATORS,
        (VETO_ITEM,),
        (15, 25),
        (30, 60),
    ),
    TOWNSHIP_GROUP: SchemeSpec(
        {"appraisal_weight": 40, "upper_weight": 50, "lower_weight": 50}, TOWNSHIP_INDICATORS, (), (15, 25), (30, 60)
    ),
}
# The villages' bottom places are planted: everyone else scores above them.
# The demo branch rises every year, the rule-2 village falls: their place, as a share of the group, year by year.
RISING_PLACES = (0.66, 0.46, 0.26, 0.10)
FALLING_PLACES = (0.35, 0.47, 0.59, 0.71)
CLIMBER_RANKS = (8, 3)  # the demo township, the year before last and the last year
FAILED_TOTAL = 5650  # the “两新” organization that fails in the last year (hundredths)


def _rng(*parts) -> random.Random:
    return random.Random(":".join(str(p) for p in (SEED, *parts)))


def _points(hundredths: int) -> Decimal:
    return Decimal(hundredths).scaleb(-2)


def _text(hundredths: int) -> str:
    """Points as a deduction note writes them: 2, 1.5, 0.25."""
    whole, part = divmod(hundredths, 100)
    return str(whole) if not part else f"{whole}.{part:02d}".rstrip("0")


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


# --- the formula of assessments.compute, in Python ------------------------------------------------------------------


class Formula(NamedTuple):
    weight: int  # appraisal weight %
    upper: int
    lower: int

    def side(self, votes: tuple[int, int, int, int]) -> int:
        n = sum(votes)
        return (2 * sum(v * p for v, p in zip(votes, VOTE_POINTS, strict=True)) + n) // (2 * n)

    def appraisal(self, upper, lower) -> int:
        return (self.side(upper) * self.upper + self.side(lower) * self.lower + 50) // 100

    def total(self, indicators: int, appraisal: int) -> int:
        return (indicators * (100 - self.weight) + appraisal * self.weight + 50) // 100


def _formula(spec: SchemeSpec) -> Formula:
    s = spec.settings
    return Formula(s.get("appraisal_weight", 0), s.get("upper_weight", 50), s.get("lower_weight", 50))


# --- what the county holds -------------------------------------------------------------------------------------------


class Org(NamedTuple):
    id: int
    code: str
    name: str
    path: str
    group: str


class County:
    """The demo county's organizations by group, the 书记 posts and the weak villages, read once."""

    def __init__(self, root, years: list[int]):
        from organizations.models import Organization, Post
        from supervision.models import WeakOrganization

        self.root, self.years = root, years
        rows = (
            Organization.objects.filter(subtree_range_q("path", root.path))
            .exclude(assessment_group="")
            .order_by("path")
            .values_list("id", "code", "name", "path", "assessment_group")
        )
        self.groups: dict[str, list[Org]] = defaultdict(list)
        for row in rows:
            self.groups[row[4]].append(Org(*row))
        self.by_code = {o.code: o for orgs in self.groups.values() for o in orgs}
        ids = [o.id for o in self.by_code.values()]
        posts = defaultdict(list)
        for org_id, person_id, start, end, pk in Post.objects.filter(
            organization_id__in=ids, title=PostTitle.SECRETARY
        ).values_list("organization_id", "person_id", "start_on", "end_on", "id"):
            posts[org_id].append((start, pk, person_id, end))
        # {(organization id, year): person id} — who held 书记 on 31 December (compute.rank_scheme's rule)
        self.secretary: dict[tuple[int, int], int] = {}
        for org_id, held in posts.items():
            for year in years:
                dec31 = dt.date(year, 12, 31)
                on = [p for p in held if p[0] <= dec31 and (p[3] is None or p[3] >= dec31)]
                if on:
                    self.secretary[(org_id, year)] = max(on)[2]
        self.weak = set(
            WeakOrganization.objects.filter(organization_id__in=ids, lifted_on__isnull=True).values_list(
                "organization_id", flat=True
            )
        )

    def steady(self, org: Org, years) -> bool:
        """The same responsible secretary in each of `years`."""
        people = {self.secretary.get((org.id, y)) for y in years}
        return len(people) == 1 and None not in people


# --- the planted cases -----------------------------------------------------------------------------------------------


@dataclass
class DemoCases:
    """The organizations planted for each rule (codes), as the plan picked them from the county."""

    rule3: str | None = None  # a village in the bottom three in each of the last three years
    mover: tuple[str, str] | None = None  # the moving secretary's villages, bottom three over the move
    handover: str | None = None  # bottom three three years running, the last under a new secretary
    tie: tuple[int, str, str] | None = None  # (year, code, code) tied at the bottom-three boundary
    falling: str | None = None  # rule 2: its rank worse every year
    rising: str | None = None  # moved up every year
    vetoed: str | None = None  # vetoed in the last year
    failed: str | None = None  # below 60 in the last year (an imported total)
    climber: str | None = None  # township: 8th the year before last, 3rd in the last year
    override: str | None = None  # township: 好 changed to 较好 in the last year
    bottoms: dict[int, list[str]] = field(default_factory=dict)  # villages, lowest first (a tie counted at its rank)


def _cases(county: County) -> DemoCases:
    years = county.years
    cases = DemoCases(bottoms={y: [] for y in years})
    villages = county.groups.get(VILLAGE_GROUP, [])
    codes = {o.code for o in villages}
    last3 = years[-3:]
    if len(villages) >= 12 and len(years) >= 3:
        by_code = county.by_code
        sec = county.secretary
        special = {CHANGE_ON_NEW_YEARS_EVE, MOVER_FROM, MOVER_TO, DEMO_BRANCH}
        h, m = NEW_YEARS_EVE.year, MOVED_ON.year
        if (
            CHANGE_ON_NEW_YEARS_EVE in codes
            and {h - 2, h - 1, h} <= set(years)
            and county.steady(by_code[CHANGE_ON_NEW_YEARS_EVE], (h - 2, h - 1))
            and sec.get((by_code[CHANGE_ON_NEW_YEARS_EVE].id, h))
            != sec.get((by_code[CHANGE_ON_NEW_YEARS_EVE].id, h - 1))
        ):
            cases.handover = CHANGE_ON_NEW_YEARS_EVE
        if {MOVER_FROM, MOVER_TO} <= codes and {m - 1, m, m + 1} <= set(years):
            old, new = by_code[MOVER_FROM], by_code[MOVER_TO]
            person = sec.get((old.id, m - 1))
            if person is not None and sec.get((new.id, m)) == person == sec.get((new.id, m + 1)):
                cases.mover = (MOVER_FROM, MOVER_TO)
        steady = [o for o in villages if o.code not in special and county.steady(o, last3)]
        weak = [o for o in steady if o.id in county.weak]
        rule3 = weak[0] if weak else _rng("rule3").choice(steady)
        cases.rule3 = rule3.code
        falling = [o for o in steady if o.code.startswith(DEMO_TOWNSHIP) and o.code != rule3.code]
        cases.falling = (falling or [o for o in steady if o.code != rule3.code])[0].code
        if DEMO_BRANCH in codes:
            cases.rising = DEMO_BRANCH
        taken = special | {cases.rule3, cases.falling}
        last = years[-1]
        vetoable = [o for o in villages if o.code not in taken and (o.id, last) in sec]
        cases.vetoed = _rng("vetoed").choice(vetoable).code
        taken.add(cases.vetoed)

        bottoms = cases.bottoms
        for y in last3:
            bottoms[y].append(cases.rule3)
        if cases.mover:
            bottoms[m - 1].append(MOVER_FROM)
            bottoms[m].append(MOVER_TO)
            bottoms[m + 1].append(MOVER_TO)
        tie_year = years[-2]
        tie_pair: list[str] = []
        if cases.handover:
            for y in (h - 2, h - 1, h):
                if y == tie_year:
                    tie_pair.append(CHANGE_ON_NEW_YEARS_EVE)
                else:
                    bottoms[y].append(CHANGE_ON_NEW_YEARS_EVE)
        fillers = [o.code for o in villages if o.code not in taken and o.code not in special]
        _rng("fillers").shuffle(fillers)
        for y in years:
            want = 2 if y == tie_year else 3
            while len(bottoms[y]) < want:
                bottoms[y].append(fillers.pop())
        if len(bottoms[tie_year]) >= 2 and bottoms[tie_year][0] == cases.rule3:
            bottoms[tie_year][:2] = bottoms[tie_year][1::-1]  # not always the very last: 260th, 259th, 260th
        if len(bottoms[tie_year]) == 2:
            while len(tie_pair) < 2:
                tie_pair.append(fillers.pop())
            cases.tie = (tie_year, *tie_pair)
            bottoms[tie_year] += tie_pair
        elif tie_pair:  # no room for a tie at the boundary: the handover village is an ordinary bottom one
            bottoms[tie_year] += tie_pair
    townships = county.groups.get(TOWNSHIP_GROUP, [])
    if len(townships) >= 10 and len(years) >= 2:
        if DEMO_TOWNSHIP in {o.code for o in townships}:
            cases.climber = DEMO_TOWNSHIP
        others = [o for o in townships if o.code != cases.climber and (o.id, years[-1]) in county.secretary]
        cases.override = _rng("override").choice(others).code
    two_new = [o for o in county.groups.get(TWO_NEW_GROUP, []) if (o.id, years[-1]) in county.secretary]
    if len(two_new) >= 10:
        cases.failed = _rng("failed").choice(two_new).code
    return cases


# --- the plan: each result's inputs ------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One organization's year: its planned total and the inputs that give it."""

    org: Org
    total: int  # hundredths
    manual: dict[str, tuple[int, str]] = field(default_factory=dict)  # indicator: (points in hundredths, 扣分说明)
    upper: tuple[int, int, int, int] | None = None
    lower: tuple[int, int, int, int] | None = None


@dataclass
class GroupYear:
    group: str
    year: int
    spec: SchemeSpec | None  # None: totals imported
    indicators: list[tuple[IndicatorSpec, str]]  # (indicator, source this year or "" = by hand)
    entries: dict[int, Entry] = field(default_factory=dict)
    vetoed: int | None = None  # organization id
    override: int | None = None


class Realized(NamedTuple):
    manual: int
    upper: tuple[int, int, int, int]
    lower: tuple[int, int, int, int]
    total: int


def _votes(rng: random.Random, n: int, quality: float) -> tuple[int, int, int, int]:
    q = min(1.0, max(0.0, quality))
    good = 0.08 + 0.82 * q
    fair = good + (1 - good) * 0.68
    average = fair + (1 - good) * 0.27
    counts = [0, 0, 0, 0]
    for _ in range(n):
        r = rng.random()
        counts[0 if r < good else 1 if r < fair else 2 if r < average else 3] += 1
    return counts[0], counts[1], counts[2], counts[3]


def _realize(
    rng: random.Random, formula: Formula, *, computed: int, manual_max: int, lo: int, hi: int, quality: float,
    voters: tuple[int, int], tries: int = 80,
) -> Realized | None:  # fmt: skip
    """Hand scores (whole half points in all) and votes giving a total within [lo, hi] hundredths, or None."""
    q = quality
    w = formula.weight
    for _ in range(tries):
        upper = _votes(rng, voters[0], q - 0.05)
        lower = _votes(rng, voters[1], q)
        a = formula.appraisal(upper, lower)
        ind_lo = _ceil_div(100 * lo - 50 - a * w, 100 - w)
        ind_hi = (100 * hi + 49 - a * w) // (100 - w)
        m_lo = _ceil_div(max(ind_lo - computed, 0), 50) * 50
        m_hi = min(ind_hi - computed, manual_max) // 50 * 50
        if m_lo <= m_hi:
            m = rng.randrange(m_lo, m_hi + 1, 50)
            return Realized(m, upper, lower, formula.total(computed + m, a))
        if ind_lo - computed > manual_max:
            q = min(1.0, q + 0.06)
        elif ind_hi - computed < 0:
            q = max(0.0, q - 0.06)
    return None


def _closest(rng, formula: Formula, *, computed: int, manual_max: int, target: int, quality: float, voters) -> Realized:
    """The inputs nearest to `target` where no inputs reach it (computed points too low or too high)."""
    upper = _votes(rng, voters[0], 1.0 if target > 9000 else quality)
    lower = _votes(rng, voters[1], 1.0 if target > 9000 else quality)
    a = formula.appraisal(upper, lower)
    w = formula.weight
    need = _ceil_div(100 * target - 50 - a * w, 100 - w) - computed
    m = min(max(need // 50 * 50, 0), manual_max)
    return Realized(m, upper, lower, formula.total(computed + m, a))


def _split(rng: random.Random, indicators: list[IndicatorSpec], deduction: int) -> dict[str, int]:
    """`deduction` hundredths (whole half points) off the hand-scored `indicators`: {name: points lost}."""
    caps = [i.max_points * 2 for i in indicators]  # half points
    units = deduction // 50
    weights = [c * rng.uniform(0.4, 1.6) for c in caps]
    lost = [min(cap, int(units * w / sum(weights))) for cap, w in zip(caps, weights, strict=True)]
    while sum(lost) < units:
        open_ = [i for i, cap in enumerate(caps) if lost[i] < cap]
        i = rng.choices(open_, weights=[weights[i] for i in open_])[0]
        lost[i] += 1
    return {i.name: n * 50 for i, n in zip(indicators, lost, strict=True)}


def _note(rng: random.Random, indicator: IndicatorSpec, lost: int) -> str:
    """A 扣分说明 for `lost` hundredths (whole half points): one to three reasons, each with its points."""
    units = lost // 50
    if units <= 0:
        return ""
    # Mostly one to three reasons of at most three points each; more reasons for a large deduction.
    parts = min(units, max(rng.choice((1, 1, 2, 2, 3)), _ceil_div(units, 6)), len(indicator.reasons))
    amounts = [1] * parts
    for _ in range(units - parts):
        small = [i for i, a in enumerate(amounts) if a < 6]
        amounts[rng.choice(small or range(parts))] += 1
    reasons = rng.sample(indicator.reasons, parts)
    return "；".join(f"{r}，扣{_text(n * 50)}分" for r, n in zip(reasons, amounts, strict=True)) + "。"


class _Planner:
    def __init__(self, county: County, cases: DemoCases, today: dt.date):
        self.county, self.cases, self.today = county, cases, today
        self.years = county.years

    # -- computed indicators

    def sources_in_use(self, year: int) -> set[str]:
        """The sources with records of `year` in the county: before them, their indicators are scored by hand."""
        from funding.models import Allocation
        from meetings.models import Meeting
        from supervision.models import Finding, TaskAssignment

        path = self.county.root.path
        checks = {
            "meetings_compliance": Meeting.objects.filter(subtree_range_q("branch__path", path), held_on__year=year),
            "funds_arrival": Allocation.objects.filter(subtree_range_q("organization__path", path), year=year),
            "findings_open": Finding.objects.filter(subtree_range_q("organization__path", path), year=year),
            "task_completion": TaskAssignment.objects.filter(
                subtree_range_q("organization__path", path), task__deadline__year=year
            ),
        }
        return {key for key, qs in checks.items() if qs.exists()}

    def computed(self, orgs: list[Org], year: int, indicators) -> dict[int, int]:
        """{organization id: hundredths} of the year's computed indicators, as the computation will find them."""
        from .sources import SOURCES, Target

        targets = [Target(o.id, o.path) for o in orgs]
        out = {o.id: 0 for o in orgs}
        for indicator, source in indicators:
            if not source:
                continue
            s = SOURCES[source]
            values = s.compute(
                self.county.root, year, targets, Decimal(indicator.max_points), s.clean_params({}), self.today
            )
            for org_id, (points, _basis) in values.items():
                out[org_id] += int(points * 100)
        return out

    # -- the plan

    def plan(self) -> dict[int, list[GroupYear]]:
        in_use = {y: self.sources_in_use(y) for y in self.years}
        plans: dict[int, list[GroupYear]] = defaultdict(list)
        for group in sorted(self.county.groups):
            orgs = self.county.groups[group]
            spec = SCHEMES.get(group)
            if group == VILLAGE_GROUP:
                rows = self.villages(orgs, spec, in_use)
            elif spec is not None:
                rows = self.exact(orgs, spec)
            else:
                rows = self.imported(orgs, group)
            for gy in rows:
                plans[gy.year].append(gy)
        return plans

    def _group_year(self, group, year, spec, in_use=frozenset()) -> GroupYear:
        indicators = []
        if spec is not None:
            indicators = [(i, i.source if i.source in in_use else "") for i in spec.indicators]
        return GroupYear(group, year, spec, indicators)

    def _fill(self, gy: GroupYear, org: Org, r: Realized, manual_specs: list[IndicatorSpec]) -> None:
        rng = _rng("notes", org.code, gy.year)
        lost = _split(rng, manual_specs, sum(i.max_points for i in manual_specs) * 100 - r.manual)
        entry = Entry(org, r.total, upper=r.upper, lower=r.lower)
        for indicator in manual_specs:
            off = lost[indicator.name]
            entry.manual[indicator.name] = (indicator.max_points * 100 - off, _note(rng, indicator, off))
        gy.entries[org.id] = entry

    def _quality(self, org: Org, year: int) -> float:
        base = _rng("quality", org.code).betavariate(2.6, 1.5)
        return min(1.0, max(0.0, base + _rng("year", org.code, year).gauss(0, 0.09)))

    def _voters(self, spec: SchemeSpec, org: Org, year: int) -> tuple[int, int]:
        rng = _rng("voters", org.code, year)
        return rng.randint(*spec.upper), rng.randint(*spec.lower)

    def villages(self, orgs: list[Org], spec: SchemeSpec, in_use) -> list[GroupYear]:
        cases, formula = self.cases, _formula(spec)
        by_code = {o.code: o for o in orgs}
        n = len(orgs)
        out = []
        for index, year in enumerate(self.years):
            gy = self._group_year(VILLAGE_GROUP, year, spec, in_use[year])
            manual_specs = [i for i, source in gy.indicators if not source]
            manual_max = sum(i.max_points for i in manual_specs) * 100
            computed = self.computed(orgs, year, gy.indicators)
            bottoms = cases.bottoms.get(year, [])
            tie = list(cases.tie[1:]) if cases.tie and cases.tie[0] == year else []
            places = {}
            offset = len(self.years) - len(RISING_PLACES)
            if cases.rising and index - offset >= 0:
                places[cases.rising] = RISING_PLACES[index - offset]
            if cases.falling and index - offset >= 0:
                places[cases.falling] = FALLING_PLACES[index - offset]
            placed: dict[int, int] = {}

            def realize(org, lo, hi, quality, tries=80, year=year, computed=computed, manual_max=manual_max):
                rng = _rng("inputs", org.code, year, lo, hi)
                return _realize(
                    rng, formula, computed=computed[org.id], manual_max=manual_max, lo=lo, hi=hi, quality=quality,
                    voters=self._voters(spec, org, year), tries=tries,
                )  # fmt: skip

            for org in orgs:
                if org.code in bottoms or org.code in places:
                    continue
                q = self._quality(org, year)
                target = 6900 + round(2850 * q)
                r = realize(org, target - 40, target + 40, q) or _closest(
                    _rng("closest", org.code, year), formula, computed=computed[org.id], manual_max=manual_max,
                    target=target, quality=q, voters=self._voters(spec, org, year),
                )  # fmt: skip
                self._fill(gy, org, r, manual_specs)
                placed[org.id] = r.total
            for code, share in places.items():
                org = by_code[code]
                totals = sorted(placed.values(), reverse=True)
                want = max(1, round(share * n))
                for rank in sorted(range(max(1, want - 8), want + 9), key=lambda r, w=want: (abs(r - w), r)):
                    hi = totals[rank - 2] - 1 if rank >= 2 else 10000
                    lo = totals[rank - 1] + 1 if rank - 1 < len(totals) else totals[-1] - 300
                    if lo <= hi and (r := realize(org, lo, hi, 1 - rank / n, tries=300)):
                        break
                else:
                    raise DemoError(f"演示考核数据无法安排{org.name}（{year}年度）的名次。")
                self._fill(gy, org, r, manual_specs)
                placed[org.id] = r.total
            ceiling = min(placed.values())
            for code in [*tie[:1], *reversed([c for c in bottoms if c not in tie])]:
                org = by_code[code]
                r = realize(org, ceiling - 160, ceiling - 40, 0.25, tries=300)
                if r is None:
                    raise DemoError(f"演示考核数据无法安排{org.name}（{year}年度）的后三名。")
                self._fill(gy, org, r, manual_specs)
                placed[org.id] = r.total
                ceiling = r.total
                if tie and code == tie[0]:  # the other of the tie: exactly the same total
                    other = by_code[tie[1]]
                    r = realize(other, ceiling, ceiling, 0.25, tries=5000)
                    if r is None:
                        raise DemoError(f"演示考核数据无法安排{year}年度后三名边界的并列。")
                    self._fill(gy, other, r, manual_specs)
                    placed[other.id] = r.total
            if year == self.years[-1] and cases.vetoed:
                gy.vetoed = by_code[cases.vetoed].id
            self._check_bottoms(gy, bottoms)
            out.append(gy)
        return out

    def _check_bottoms(self, gy: GroupYear, bottoms: list[str]) -> None:
        if not bottoms:
            return
        totals = [e.total for e in gy.entries.values()]
        found = {e.org.code for e in gy.entries.values() if sum(1 for t in totals if t < e.total) < 3}
        if found != set(bottoms):
            raise DemoError(f"演示考核数据规划有误：{gy.year}年度后三名为{sorted(found)}，应为{sorted(bottoms)}。")

    def _orders(self, orgs: list[Org], pins: dict[int, dict[int, int]]) -> dict[int, list[Org]]:
        """Each year's order, best first: by quality with yearly noise, the pinned organizations at their places, and
        no organization in the bottom three three years running."""
        orders: dict[int, list[Org]] = {}
        bottom: dict[int, set[int]] = {}
        n = len(orgs)
        for index, year in enumerate(self.years):
            pinned = pins.get(year, {})
            order = sorted(
                (o for o in orgs if o.id not in pinned), key=lambda o, y=year: (-self._quality(o, y), o.code)
            )
            for org_id, place in sorted(pinned.items(), key=lambda p: p[1]):
                order.insert(place, next(o for o in orgs if o.id == org_id))
            if index >= 2 and n > 6:
                before = bottom[self.years[index - 1]] & bottom[self.years[index - 2]]
                for place in range(n - 3, n):
                    org = order[place]
                    if org.id in before and org.id not in pinned:
                        for j in range(n - 4, -1, -1):
                            if order[j].id not in pinned and order[j].id not in before:
                                order[place], order[j] = order[j], order[place]
                                break
            orders[year] = order
            bottom[year] = {o.id for o in order[-3:]}
        return orders

    @staticmethod
    def _totals(rng: random.Random, n: int, top: int, low: int, gap: int) -> list[int]:
        values = sorted((rng.randint(low, top) for _ in range(n)), reverse=True)
        for i in range(1, n):
            values[i] = min(values[i], values[i - 1] - gap - rng.randint(0, gap))
        return values

    def exact(self, orgs: list[Org], spec: SchemeSpec) -> list[GroupYear]:
        """A group scored by hand (乡镇党委): each year's order planned, then inputs giving its totals."""
        cases, formula = self.cases, _formula(spec)
        group = orgs[0].group
        by_code = {o.code: o for o in orgs}
        pins: dict[int, dict[int, int]] = defaultdict(dict)
        if group == TOWNSHIP_GROUP and len(self.years) >= 2:
            if cases.climber:
                pins[self.years[-2]][by_code[cases.climber].id] = CLIMBER_RANKS[0] - 1
                pins[self.years[-1]][by_code[cases.climber].id] = CLIMBER_RANKS[1] - 1
            if cases.override:
                pins[self.years[-1]][by_code[cases.override].id] = 1
        orders = self._orders(orgs, pins)
        out = []
        for year in self.years:
            gy = self._group_year(group, year, spec)
            manual_specs = [i for i, _ in gy.indicators]
            values = self._totals(_rng("totals", group, year), len(orgs), 9700, 7000, 50)
            if cases.override and group == TOWNSHIP_GROUP and year == self.years[-1]:
                values[0], values[1] = max(values[0], 9700), max(values[1], 9400)
            for place, (org, target) in enumerate(zip(orders[year], values, strict=True)):
                q = 1 - place / len(orgs)
                rng = _rng("inputs", org.code, year)
                r = _realize(
                    rng, formula, computed=0, manual_max=10000, lo=target - 20, hi=target + 20, quality=q,
                    voters=self._voters(spec, org, year), tries=300,
                )  # fmt: skip
                if r is None:
                    raise DemoError(f"演示考核数据无法安排{org.name}（{year}年度）的得分。")
                self._fill(gy, org, r, manual_specs)
            if cases.override and group == TOWNSHIP_GROUP and year == self.years[-1]:
                gy.override = by_code[cases.override].id
            out.append(gy)
        return out

    def imported(self, orgs: list[Org], group: str) -> list[GroupYear]:
        """A group whose totals are imported (考核得分): each year's order planned, totals to the hundredth."""
        cases = self.cases
        pins: dict[int, dict[int, int]] = defaultdict(dict)
        failed = self.county.by_code.get(cases.failed) if cases.failed else None
        if failed is not None and failed.group == group:
            pins[self.years[-1]][failed.id] = len(orgs) - 1
            if len(self.years) >= 2:
                pins[self.years[-2]][failed.id] = len(orgs) // 2
        orders = self._orders(orgs, pins)
        out = []
        for year in self.years:
            gy = self._group_year(group, year, None)
            values = self._totals(_rng("totals", group, year), len(orgs), 9800, 7200, 5)
            for org, total in zip(orders[year], values, strict=True):
                if failed is not None and org.id == failed.id and year == self.years[-1]:
                    total = min(FAILED_TOTAL, values[-2] - 300 if len(values) > 1 else FAILED_TOTAL)
                gy.entries[org.id] = Entry(org, total)
            out.append(gy)
        return out


# --- the result ----------------------------------------------------------------------------------------------------


@dataclass
class DemoAssessmentResult:
    years: list[int] = field(default_factory=list)
    cases: DemoCases = field(default_factory=DemoCases)
    schemes_added: int = 0
    schemes_present: int = 0
    published_added: int = 0
    results_added: int = 0
    results_present: int = 0
    scores_added: int = 0
    appraisals_added: int = 0
    imported_added: int = 0
    penalties_added: Counter = field(default_factory=Counter)  # rule: count
    penalties_present: int = 0
    labels: dict[int, str] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        label = {r: self.labels.get(r, rule_label(r, 3 if r == Rule.BOTTOM else 2)) for r in Rule.values}
        rules = "、".join(f"{label[r]} {self.penalties_added[r]}" for r in Rule.values)
        return [
            f"考核方案: 已新增 {self.schemes_added} 个（已发布 {self.published_added} 个），已有 {self.schemes_present} 个",
            f"考核结果: 已新增 {self.results_added} 个（指标得分 {self.scores_added} 项、述职评议 {self.appraisals_added} 条、"
            f"导入总分 {self.imported_added} 个），已有 {self.results_present} 个",
            f"三个一律: 已新增 {sum(self.penalties_added.values())} 条（{rules}），已有 {self.penalties_present} 条",
        ]


def demo_assessments_exists() -> bool:
    """Whether the demo county already has any assessment scheme, or has no organization in an assessment group
    and so nothing the demo could add (for `seed_demo --if-empty`, which would otherwise try again on every run)."""
    from organizations.models import Organization

    if Scheme.objects.filter(county__code=COUNTY_CODE, county__depth=1).exists():
        return True
    root = Organization.objects.filter(code=COUNTY_CODE, depth=1).first()
    if root is None:
        return True
    return not Organization.objects.filter(subtree_range_q("path", root.path)).exclude(assessment_group="").exists()


# --- writing -------------------------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, county: County, users: dict, now, result: DemoAssessmentResult):
        self.county, self.now, self.result = county, now, result
        self.admin, self.inspector = users.get(ADMIN), users.get(INSPECTOR)
        self.root = county.root

    def scheme(self, gy: GroupYear) -> Scheme:
        from .services.schemes import (
            default_scheme,
            indicator_add,
            indicator_update,
            scheme_copy,
            scheme_create,
            sync_results,
            veto_item_add,
        )

        if gy.spec is None:
            scheme = default_scheme(county=self.root, year=gy.year, group=gy.group)
            sync_results(scheme)
            return scheme
        previous = Scheme.objects.filter(county=self.root, year=gy.year - 1, group=gy.group, is_default=False).first()
        if previous is not None:
            scheme = scheme_copy(actor=self.admin, source=previous, year=gy.year)
            have = {i.name: i for i in scheme.indicators.all()}
            for order, (spec, source) in enumerate(gy.indicators, start=1):
                values = self._indicator_values(spec, source)
                indicator = have.get(spec.name)
                if indicator is None:
                    indicator_add(actor=self.admin, scheme=scheme, order=order * 10, **values)
                elif (indicator.source, indicator.description) != (values["source"], values["description"]):
                    indicator_update(actor=self.admin, indicator=indicator, **values)
            return scheme
        scheme = scheme_create(
            actor=self.admin, county=self.root, year=gy.year, group=gy.group,
            name=f"{gy.year}年度{gy.group}党建工作考核", **gy.spec.settings,
        )  # fmt: skip
        for order, (spec, source) in enumerate(gy.indicators, start=1):
            indicator_add(actor=self.admin, scheme=scheme, order=order * 10, **self._indicator_values(spec, source))
        for name in gy.spec.veto_items:
            veto_item_add(actor=self.admin, scheme=scheme, name=name)
        return scheme

    @staticmethod
    def _indicator_values(spec: IndicatorSpec, source: str) -> dict:
        if source:
            method, description = IndicatorMethod.COMPUTED, spec.description + FROM_RECORDS
        elif spec.source:
            method, description = IndicatorMethod.MANUAL, spec.description + PAPER_LEDGERS
        else:
            method, description = IndicatorMethod.MANUAL, spec.description
        return {
            "name": spec.name,
            "max_points": spec.max_points,
            "method": method,
            "source": source,
            "params": {},
            "description": description,
        }

    def inputs(self, gy: GroupYear, scheme: Scheme, audit: AuditBatch) -> None:
        """The hand scores and votes (bulk, one audit event each), or the imported totals (the service)."""
        from .services.scoring import imported_total_set

        results = dict(Result.objects.filter(scheme=scheme).values_list("organization_id", "id"))
        if set(results) != set(gy.entries):
            raise DemoError(f"{scheme}的考核对象与演示计划不符。")
        if gy.spec is None:
            for org_id, entry in gy.entries.items():
                imported_total_set(actor=self.admin, result=Result(pk=results[org_id]), total=_points(entry.total))
                self.result.imported_added += 1
            return
        indicators = {i.name: i for i in scheme.indicators.all()}
        scores, tallies = [], []
        for org_id, entry in gy.entries.items():
            for name, (points, note) in entry.manual.items():
                scores.append(
                    (entry.org, IndicatorScore(
                        result_id=results[org_id], indicator=indicators[name], score=_points(points), note=note,
                        entered_by=self.inspector, updated_at=self.now,
                    ))
                )  # fmt: skip
            for side, votes in ((Side.UPPER, entry.upper), (Side.LOWER, entry.lower)):
                good, fair, average, poor = votes
                tallies.append(
                    (entry.org, AppraisalTally(
                        result_id=results[org_id], side=side, good=good, fair=fair, average=average, poor=poor,
                        updated_at=self.now,
                    ))
                )  # fmt: skip
        IndicatorScore.objects.bulk_create([row for _, row in scores], batch_size=2000)
        AppraisalTally.objects.bulk_create([row for _, row in tallies], batch_size=2000)
        for org, row in scores:
            audit.add(
                action="create", object_type="assessments.indicatorscore", object_id=row.pk,
                object_repr=f"{gy.year}年度 {org.name} {row.indicator.name} {row.score}", org_path=org.path,
                after={"score": str(row.score), "note": row.note}, note=f"{org.name} · {row.indicator.name}",
            )  # fmt: skip
        for org, row in tallies:
            audit.add(
                action="create", object_type="assessments.appraisaltally", object_id=row.pk,
                object_repr=f"{gy.year}年度 {org.name} {Side(row.side).label}", org_path=org.path,
                after={"good": row.good, "fair": row.fair, "average": row.average, "poor": row.poor},
                note=f"{org.name} · {Side(row.side).label}",
            )  # fmt: skip
        self.result.scores_added += len(scores)
        self.result.appraisals_added += len(tallies)

    def decisions(self, gy: GroupYear, scheme: Scheme) -> None:
        """The veto and the change of grade: the county department's, through the services."""
        from .services.scoring import grade_override_set, veto_set

        if gy.vetoed is not None:
            result = Result.objects.get(scheme=scheme, organization_id=gy.vetoed)
            item = scheme.veto_items.filter(name=VETO_ITEM).first()
            veto_set(actor=self.admin, result=result, vetoed=True, item=item, reason=VETO_REASON)
        if gy.override is not None:
            result = Result.objects.get(scheme=scheme, organization_id=gy.override)
            grade_override_set(actor=self.admin, result=result, grade=Grade.FAIR, reason=OVERRIDE_REASON)

    def year(self, year: int, plans: list[GroupYear]) -> None:
        from .services.workflow import scheme_publish, year_compute

        audit = AuditBatch(self.inspector)
        schemes = []
        for gy in plans:
            scheme = self.scheme(gy)
            self.inputs(gy, scheme, audit)
            self.decisions(gy, scheme)
            schemes.append(scheme)
        audit.save()
        # The computation joins results, scores and votes written in this same transaction: without fresh
        # statistics PostgreSQL planned nested loops over them that ran for minutes (seed_demo's test on CI).
        analyze(Result, IndicatorScore, AppraisalTally)
        year_compute(year=year, county=self.root)
        planned = {org_id: _points(e.total) for gy in plans for org_id, e in gy.entries.items()}
        found = dict(Result.objects.filter(scheme__in=schemes).values_list("organization_id", "total"))
        wrong = [org_id for org_id, total in planned.items() if found.get(org_id) != total]
        if wrong:
            raise DemoError(f"演示考核数据计算结果与计划不符（{year}年度，{len(wrong)} 个组织）。")
        for scheme in schemes:
            scheme_publish(actor=self.admin, scheme=scheme)
        self.result.schemes_added += len(schemes)
        self.result.published_added += len(schemes)
        self.result.results_added += len(found)
        self.result.scores_added += IndicatorScore.objects.filter(
            result__scheme__in=schemes, indicator__method=IndicatorMethod.COMPUTED
        ).count()


def demo_years(today: dt.date) -> list[int]:
    """The last four complete years, oldest first."""
    return list(range(today.year - YEARS, today.year))


def demo_cases() -> DemoCases:
    """The planted cases for the demo county as it stands (the same on every call)."""
    from organizations.models import Organization

    root = Organization.objects.filter(code=COUNTY_CODE, depth=1).first()
    if root is None:
        raise DemoError("没有演示县的组织数据，无法生成演示考核数据。")
    return _cases(County(root, demo_years(timezone.localdate())))


@transaction.atomic
def build_demo_assessments() -> DemoAssessmentResult:
    """Assess the demo county's last four complete years, compute and publish them, oldest first: the county
    department (admin) sets the schemes, imports totals, vetoes, changes a grade and publishes; the inspector
    (kaohe) enters the scores and votes. A year whose schemes exist is left alone. Needs the demo county and the
    demos before this one (their records feed the computed indicators)."""
    from accounts.models import User
    from organizations.models import Organization

    from .selectors import rule_settings

    root = Organization.objects.filter(code=COUNTY_CODE, depth=1).first()
    if root is None:
        raise DemoError("没有演示县的组织数据，无法生成演示考核数据。")
    today = timezone.localdate()
    years = demo_years(today)
    county = County(root, years)
    result = DemoAssessmentResult(years=years, cases=_cases(county))
    settings = rule_settings(root)
    result.labels = {
        Rule.FAILED: rule_label(Rule.FAILED, 1),
        Rule.NOT_MOVED_UP: rule_label(Rule.NOT_MOVED_UP, settings.not_moved_up_years),
        Rule.BOTTOM: rule_label(Rule.BOTTOM, settings.bottom_years),
    }
    present = set(Scheme.objects.filter(county=root, year__in=years).values_list("year", flat=True))
    result.schemes_present = Scheme.objects.filter(county=root, year__in=years).count()
    result.results_present = Result.objects.filter(scheme__county=root, year__in=years).count()
    penalties = Penalty.objects.filter(county=root, year__in=years)
    result.penalties_present = penalties.count()
    todo = [y for y in years if y not in present]
    if not todo or not county.groups:
        return result
    before = Counter(penalties.values_list("rule", flat=True))
    plans = _Planner(county, result.cases, today).plan()
    users = {u.username: u for u in User.objects.filter(username__in=(ADMIN, INSPECTOR))}
    writer = _Writer(county, users, timezone.now(), result)
    for year in todo:
        writer.year(year, plans[year])
    after = Counter(Penalty.objects.filter(county=root, year__in=years).values_list("rule", flat=True))
    result.penalties_added = Counter({rule: after[rule] - before[rule] for rule in Rule.values})
    return result
