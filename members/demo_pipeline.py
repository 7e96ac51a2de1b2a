"""The people in the demo county's development pipeline (发展党员) and their thought reports, generated from the
county's rows alone (members.demo_activity records them through the services).

Most village, community and organ branches have 1–4 people in the pipeline, some schools, hospitals and "两新"
branches one or two, the demo branch (DEMO_BRANCH) one at every stage: 入党申请人, 入党积极分子, 发展对象 and 预备党员
in about equal shares, and a few who became 正式党员. Most keep to the time limits of members.pipeline; a handful
were talked to late, made development targets before a full year as activists, trained too few hours, approved
late, or skipped a quarter's thought report, so the board shows problems. Reports come once a quarter from the
activist date on; in a few townships two activists handed in nearly the same text (DUPLICATE_PAIRS), which the
nightly duplicate check is meant to find.

Deterministic like members.demo: one random.Random with a fixed seed, dates relative to DEMO_TODAY, lists only.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from core.idnumber import make_id_number
from organizations.choices import OrgKind
from organizations.demo import (
    DEMO_BRANCH,
    DEMO_TODAY,
    FEMALE_CHARS,
    MALE_CHARS,
    SURNAMES,
    DemoCounty,
    OrgSpec,
    demo_county,
)

from .choices import DevelopmentStage
from .demo import COMMUNITY, INSTITUTION, ORGAN, REGIONS, SECTOR_OF_DOMAIN, TWO_NEW, VILLAGE, DemoMembers, demo_members
from .demo_texts import near_copy, report_text, report_title
from .pipeline import quarter_of, quarters_between

PIPELINE_SEED = 20260702
TODAY = DEMO_TODAY
Stage = DevelopmentStage


# Share of branches with anyone in the pipeline, and how many people (count, weight) they have.
CANDIDATE_SHARE = {VILLAGE: 0.6, COMMUNITY: 0.85, ORGAN: 0.65, INSTITUTION: 0.3, TWO_NEW: 0.25}
CANDIDATE_COUNTS = {
    VILLAGE: ((1, 62), (2, 26), (3, 8), (4, 4)),
    COMMUNITY: ((1, 35), (2, 35), (3, 20), (4, 10)),
    ORGAN: ((1, 60), (2, 27), (3, 9), (4, 4)),
    INSTITUTION: ((1, 70), (2, 30)),
    TWO_NEW: ((1, 75), (2, 25)),
}
STAGE_WEIGHTS = (
    (Stage.APPLICANT, 24),
    (Stage.ACTIVIST, 29),
    (Stage.TARGET, 19),
    (Stage.PROBATIONARY, 22),
    (Stage.FULL, 6),
)
# Age on the application day: (youngest, oldest, weight).
APPLICANT_AGES = {
    VILLAGE: ((18, 25, 35), (26, 35, 40), (36, 45, 25)),
    COMMUNITY: ((18, 25, 30), (26, 35, 45), (36, 45, 25)),
    ORGAN: ((22, 28, 55), (29, 38, 45)),
    INSTITUTION: ((22, 28, 50), (29, 40, 50)),
    TWO_NEW: ((20, 28, 45), (29, 40, 55)),
}
# The realistic handful that breaks a time limit (shares among those who reached the step).
LATE_TALK = 0.05
SHORT_ACTIVIST = 0.07
SHORT_TRAINING = 0.05
LATE_APPROVAL = 0.06
REPORT_GAP = 0.08
EXTENDED_PROBATION = 0.15  # of those made full members: probation extended by six months
DUPLICATE_PAIRS = 4  # townships where two activists handed in nearly the same report


@dataclass(frozen=True)
class ReportSpec:
    submitted_on: dt.date
    title: str
    text: str


@dataclass
class CandidateSpec:
    name: str
    id_number: str
    branch_code: str
    township_code: str
    sector: str
    stage: str
    applied_on: dt.date
    steps: dict = field(default_factory=dict)  # members.development.STEP_FIELDS that are set
    reports: list[ReportSpec] = field(default_factory=list)


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


def _weighted(rng: random.Random, pairs):
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    return start, start + relativedelta(months=3) - dt.timedelta(days=1)


class _Pipeline:
    """The people in the pipeline, generated from the county's rows alone (no database)."""

    def __init__(self, county: DemoCounty, used_ids: set[str], reserved_names: set[str]):
        self.rng = random.Random(PIPELINE_SEED)
        self.county = county
        self.orgs = {o.code: o for o in county.organizations}
        self.used_ids = used_ids  # membership tests only: never iterated
        self.reserved_names = reserved_names
        self.result: list[CandidateSpec] = []

    def township_of(self, org: OrgSpec) -> OrgSpec:
        while org.parent_code and self.orgs[org.parent_code].parent_code:
            org = self.orgs[org.parent_code]
        return org

    def build(self) -> list[CandidateSpec]:
        rng = self.rng
        for org in self.county.organizations:
            if org.kind != OrgKind.BRANCH:
                continue
            sector = SECTOR_OF_DOMAIN.get(org.domain, ORGAN)
            if org.code == DEMO_BRANCH:  # the demo secretary sees every stage
                stages = [v for v, _ in STAGE_WEIGHTS]
            elif rng.random() < CANDIDATE_SHARE[sector]:
                stages = [_weighted(rng, STAGE_WEIGHTS) for _ in range(_weighted(rng, CANDIDATE_COUNTS[sector]))]
            else:
                continue
            for stage in stages:
                self.candidate(org, sector, stage)
        self.plant_duplicates()
        return self.result

    def person(self, sector: str, applied: dt.date) -> tuple[str, str]:
        rng = self.rng
        male = rng.random() < (0.6 if sector == VILLAGE else 0.5)
        low, high, _ = _weighted(rng, [((lo, hi, w), w) for lo, hi, w in APPLICANT_AGES[sector]])
        birth = applied - relativedelta(years=rng.randint(low, high)) - _days(rng, 0, 364)
        chars = MALE_CHARS if male else FEMALE_CHARS
        while True:
            name = rng.choice(SURNAMES) + rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.8 else "")
            if name not in self.reserved_names:
                break
        region, sequence = rng.choice(REGIONS), rng.randint(0, 99)
        for _ in range(100):
            number = make_id_number(region, birth, sequence, male)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return name, number
            sequence = (sequence + 1) % 100
        raise RuntimeError(f"no free ID number for {birth}")  # pragma: no cover - 100 per region and day

    def candidate(self, org: OrgSpec, sector: str, stage: str) -> None:
        rng = self.rng
        steps: dict = {}
        admitted = target = activist = None
        if stage in (Stage.PROBATIONARY, Stage.FULL):
            if stage == Stage.FULL:
                extension = 6 if rng.random() < EXTENDED_PROBATION else 0
                probation = relativedelta(months=12 + extension)
                admitted = TODAY - probation - _days(rng, 15, 330)
                steps.update(full_on=admitted + probation + _days(rng, 0, 14), extension_months=extension)
            else:
                admitted = TODAY - _days(rng, 20, 340)
            late = stage == Stage.PROBATIONARY and rng.random() < LATE_APPROVAL
            approved = admitted + (_days(rng, 95, 140) if late else _days(rng, 10, 75))
            short = rng.random() < SHORT_TRAINING
            steps.update(
                admitted_on=admitted,
                approved_on=approved if approved <= TODAY else None,
                training_hours=Decimal(rng.choice((12, 16, 20)) if short else rng.choice((24, 24, 28, 32))),
            )
            target = admitted - _days(rng, 90, 240)
        elif stage == Stage.TARGET:
            target = TODAY - _days(rng, 20, 330)
            if rng.random() < 0.55:  # trained already
                steps["training_hours"] = Decimal(rng.choice((24, 28, 32)))
        if target is not None:
            short = rng.random() < SHORT_ACTIVIST
            activist = target - (_days(rng, 240, 350) if short else relativedelta(years=1) + _days(rng, 0, 90))
            steps["target_on"] = target
        elif stage == Stage.ACTIVIST:
            activist = TODAY - _days(rng, 30, 700)
        if activist is not None:
            steps["activist_on"] = activist
            applied = activist - _days(rng, 90, 330)
        else:
            applied = TODAY - _days(rng, 15, 200)
        talked = applied + (_days(rng, 35, 80) if rng.random() < LATE_TALK else _days(rng, 5, 28))
        if talked <= TODAY:
            steps["talked_on"] = talked
        elif activist is not None:  # an activist has been talked to
            steps["talked_on"] = applied + _days(rng, 5, 28)
        name, number = self.person(sector, applied)
        spec = CandidateSpec(
            name=name,
            id_number=number,
            branch_code=org.code,
            township_code=self.township_of(org).code,
            sector=sector,
            stage=stage,
            applied_on=applied,
            steps={k: v for k, v in steps.items() if v is not None},
        )
        spec.reports = self.reports(spec, activist, target, admitted)
        self.result.append(spec)

    def reports(self, spec: CandidateSpec, activist, target, admitted) -> list[ReportSpec]:
        """One report a quarter from the activist date to admission (or today); some skip a finished quarter."""
        rng = self.rng
        reports = []

        def add(day: dt.date, stage: str, since: dt.date | None) -> None:
            text = report_text(rng, name=spec.name, stage=stage, since=since, submitted_on=day, sector=spec.sector)
            reports.append(ReportSpec(day, report_title(day), text))

        if activist is None:
            if rng.random() < 0.3:  # an applicant's first report
                day = spec.applied_on + _days(rng, 20, 60)
                if day <= TODAY:
                    add(day, Stage.APPLICANT, None)
            return reports
        end = min(admitted or TODAY, TODAY)
        quarters = quarters_between(activist, end)
        skipped: list = []
        if len(quarters) > 2 and rng.random() < REPORT_GAP:
            skipped = rng.sample(quarters[:-1], 2 if len(quarters) > 5 and rng.random() < 0.3 else 1)
        for year, quarter in quarters:
            start, stop = _quarter_bounds(year, quarter)
            low, high = max(start, activist), min(stop, end)
            if low > high or (year, quarter) in skipped:
                continue
            day = high - _days(rng, 0, min(25, (high - low).days))
            if target and day >= target:
                add(day, Stage.TARGET, target)
            else:
                add(day, Stage.ACTIVIST, activist)
        return reports

    def plant_duplicates(self) -> None:
        """In DUPLICATE_PAIRS townships, one activist's report of a quarter is another's, but for name and a word."""
        rng = self.rng
        by_township: dict[str, list[CandidateSpec]] = {}
        for c in self.result:
            if c.stage == Stage.ACTIVIST and len(c.reports) >= 2:
                by_township.setdefault(c.township_code, []).append(c)
        townships = [code for code, people in by_township.items() if len(people) >= 2]
        for code in rng.sample(townships, min(DUPLICATE_PAIRS, len(townships))):
            people = by_township[code]
            for _ in range(20):
                a, b = rng.sample(people, 2)
                shared = sorted(
                    {quarter_of(r.submitted_on) for r in a.reports} & {quarter_of(r.submitted_on) for r in b.reports}
                )
                if shared:
                    break
            else:
                continue
            quarter = rng.choice(shared)
            original = next(r for r in a.reports if quarter_of(r.submitted_on) == quarter)
            i = next(i for i, r in enumerate(b.reports) if quarter_of(r.submitted_on) == quarter)
            day = b.reports[i].submitted_on
            b.reports[i] = ReportSpec(
                day, report_title(day), near_copy(rng, original.text, name=b.name, submitted_on=day)
            )


def demo_candidates(county: DemoCounty | None = None, members: DemoMembers | None = None) -> list[CandidateSpec]:
    """The people in the demo county's pipeline: the same on every call."""
    county = county or demo_county()
    members = members or demo_members(county)
    used = {m.id_number for m in members.members} | {p.person.id_number for p in county.posts}
    reserved = {p.person.name for p in county.posts}
    return _Pipeline(county, used, reserved).build()
