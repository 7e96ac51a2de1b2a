"""The demo county's party members: some 15,000 member files in the branches of 青山县 (organizations.demo), imported
through the same path as an uploaded 党员 sheet (rows_import), then three years of history recorded through the
services: transfers between branches (member_transfer) and changes of 党籍状态 (member_status_change).

Deterministic like the organization demo: one random.Random with a fixed seed, fixed dates (DEMO_TODAY), lists and
dicts only (sets serve membership tests, never iteration), so every run produces the very same rows.

Who is in it:
- every 党支部 has members: villages 30–80, communities 40–120, organs, schools and hospitals 15–60, "两新" 5–20;
- the people who hold posts in organizations.demo are members too, with the same name and ID number: a branch's
  secretaries (past and present) and committee members belong to that branch; those of a township committee to
  the township's organ branch, of a general branch or unit committee to its first branch (an organ branch where
  there is one), the county committee's to 县委办公室机关党支部. (Leaders of a 党组 without an organ branch below it
  have no member file here.) The secretary who moved from MOVER_FROM to MOVER_TO is transferred with the post;
- an ageing rural base (15–20% aged 35 or less in the villages), younger and better-educated organs and schools;
  mostly 汉族, some 回族/满族/蒙古族/壮族; about 3% 预备党员 (joined within the demo's last year, not yet full);
  statuses mostly 正常, with 流出 (migrant workers), 流入, 失联 and 死亡.

Idempotent: the 党员 sheet is matched by ID number, so re-importing it changes nothing, provided each row shows the
member as the history already recorded left them. So the rows carry, for each member with history, the branch and
status after the events already in the database (none on a first run, all on later runs), and only the missing
events are recorded afterwards: a transfer is there when the member has a membership in the target branch starting
that day, a status change when a change to that status on that day exists.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction

from core import crypto
from core.bulk import filter_in
from core.idnumber import make_id_number, parse_id_number
from core.xlsx.importer import ImportReport, rows_import
from core.xlsx.reader import RawSheet
from organizations.choices import Domain, OrgKind
from organizations.demo import (
    DEMO_TODAY,
    FEMALE_CHARS,
    MALE_CHARS,
    MOVED_ON,
    MOVER_TO,
    SURNAMES,
    VILLAGE_SUFFIXES,
    VILLAGE_SURNAME_PARTS,
    DemoCounty,
    DemoError,
    OrgSpec,
    demo_county,
)

from .choices import MIN_JOIN_AGE, Education, MemberCategory, MemberStatus
from .xlsx import MEMBER_COLUMNS

DEMO_MEMBERS_SEED = 20260701
HISTORY_START = dt.date(2023, 1, 1)  # transfers and status changes are dated 2023–2025
HISTORY_END = dt.date(2025, 12, 31)
# Fictional county region codes, as for the post holders; the numbers themselves never collide with theirs.
REGIONS = ("410799",) * 7 + ("410798",) * 2 + ("410797",)
COUNTY_OFFICE_BRANCH = "县委办公室机关党支部"  # where the county committee's members keep their files

VILLAGE, COMMUNITY, ORGAN, INSTITUTION, TWO_NEW = "village", "community", "organ", "institution", "two_new"
SECTOR_OF_DOMAIN = {
    Domain.RURAL: VILLAGE,
    Domain.COMMUNITY: COMMUNITY,
    Domain.ORGAN: ORGAN,
    Domain.INSTITUTION: INSTITUTION,
    Domain.STATE_ENTERPRISE: INSTITUTION,
    Domain.PRIVATE_ENTERPRISE: TWO_NEW,
    Domain.SOCIAL_ORGANIZATION: TWO_NEW,
}
# Branch sizes: (smallest, largest, beta a, beta b); the mean is smallest + (largest - smallest) * a / (a + b).
BRANCH_SIZE = {
    VILLAGE: (30, 80, 1.1, 4.0),
    COMMUNITY: (40, 120, 1.5, 3.0),
    ORGAN: (15, 60, 1.5, 2.5),
    INSTITUTION: (15, 60, 1.5, 2.5),
    TWO_NEW: (5, 20, 1.5, 2.0),
}
# Ages on DEMO_TODAY: (youngest, oldest, weight). Villages age; organs, schools and hospitals are of working age.
AGES = {
    VILLAGE: ((20, 35, 17), (36, 50, 22), (51, 65, 28), (66, 80, 24), (81, 90, 9)),
    COMMUNITY: ((20, 35, 21), (36, 50, 24), (51, 65, 24), (66, 80, 22), (81, 90, 9)),
    ORGAN: ((22, 35, 34), (36, 50, 39), (51, 60, 27)),
    INSTITUTION: ((22, 35, 38), (36, 50, 37), (51, 60, 25)),
    TWO_NEW: ((22, 35, 42), (36, 50, 40), (51, 65, 18)),
}
MALE_SHARE = {VILLAGE: 0.70, COMMUNITY: 0.55, ORGAN: 0.64, INSTITUTION: 0.45, TWO_NEW: 0.60}
# Education weights in the order of EDUCATION_LEVELS (lowest first); the young are a step better educated.
EDUCATION_LEVELS = (
    Education.JUNIOR_OR_BELOW,
    Education.HIGH_SCHOOL,
    Education.SECONDARY_VOCATIONAL,
    Education.COLLEGE,
    Education.BACHELOR,
    Education.POSTGRADUATE,
)
EDUCATION_WEIGHTS = {
    VILLAGE: (56, 22, 10, 8, 4, 0),
    COMMUNITY: (30, 25, 12, 18, 14, 1),
    ORGAN: (1, 3, 4, 20, 62, 10),
    INSTITUTION: (1, 2, 7, 25, 55, 10),
    TWO_NEW: (14, 22, 16, 25, 21, 2),
}
ETHNICITIES = (("汉族", 955), ("回族", 30), ("满族", 8), ("蒙古族", 5), ("壮族", 2))
# Age at joining the party for full members: (youngest, oldest, weight).
JOIN_AGES = ((MIN_JOIN_AGE, 25, 45), (26, 35, 35), (36, 50, 17), (51, 60, 3))
PHONE_PREFIXES = (
    tuple(f"13{d}" for d in "0123456789") + tuple(f"15{d}" for d in "012356789") + tuple(f"18{d}" for d in "0123456789")
)
OUT_PLACES = (
    "广东省深圳市", "广东省东莞市", "广东省广州市", "浙江省杭州市", "浙江省宁波市", "江苏省苏州市", "江苏省昆山市",
    "上海市浦东新区", "北京市朝阳区", "天津市滨海新区", "河南省郑州市", "福建省厦门市", "新疆维吾尔自治区乌鲁木齐市",
)  # fmt: skip


@dataclass
class MemberSpec:
    name: str
    id_number: str
    birth_date: dt.date
    gender: str
    ethnicity: str
    education: str
    branch_code: str
    category: str
    joined_on: dt.date
    full_member_on: dt.date | None
    status: str
    phone: str

    def row(self, branch_code: str, status: str) -> list:
        """A 党员 sheet row (columns as MEMBER_COLUMNS), in `branch_code` with `status`."""
        return [
            self.name,
            self.id_number,
            self.gender,
            self.ethnicity,
            self.birth_date,
            self.education,
            branch_code,
            self.category,
            self.joined_on,
            self.full_member_on,
            status,
            self.phone or None,
        ]


@dataclass(frozen=True)
class TransferSpec:
    id_number: str
    to_code: str
    on: dt.date
    note: str


@dataclass(frozen=True)
class StatusSpec:
    id_number: str
    status: str
    on: dt.date
    place: str = ""
    note: str = ""


@dataclass
class DemoMembers:
    members: list[MemberSpec] = field(default_factory=list)
    events: list[TransferSpec | StatusSpec] = field(default_factory=list)  # in the order they are recorded

    def events_of(self) -> dict[str, list[TransferSpec | StatusSpec]]:
        by_member: dict[str, list] = {}
        for event in self.events:
            by_member.setdefault(event.id_number, []).append(event)
        return by_member

    def sheets(self, applied: dict[str, int] | None = None) -> dict[str, RawSheet]:
        """The 党员 sheet as the importer reads it (row 1 the header). Each member is shown in the branch and with the
        status the first `applied[id_number]` of their events left them (0: as generated)."""
        applied = applied or {}
        by_member = self.events_of()
        rows = [(1, [c.header for c in MEMBER_COLUMNS])]
        for n, m in enumerate(self.members, start=2):
            branch_code, status = m.branch_code, m.status
            for event in by_member.get(m.id_number, [])[: applied.get(m.id_number, 0)]:
                if isinstance(event, TransferSpec):
                    branch_code = event.to_code
                else:
                    status = event.status
            rows.append((n, m.row(branch_code, status)))
        return {"党员": RawSheet("党员", rows)}


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class _Generator:
    def __init__(self, county: DemoCounty, seed: int = DEMO_MEMBERS_SEED):
        self.rng = random.Random(seed)
        self.county = county
        self.orgs = {o.code: o for o in county.organizations}
        self.children: dict[str, list[OrgSpec]] = {}
        for o in county.organizations:
            if o.parent_code:
                self.children.setdefault(o.parent_code, []).append(o)
        self.result = DemoMembers()
        # Membership tests only (never iterated), so the output does not depend on set ordering.
        self.used_ids = {p.person.id_number for p in county.posts}
        self.reserved_names = {p.person.name for p in county.posts}
        self.used_phones: set[str] = set()
        self.post_holders: set[str] = set()

    # --- small helpers -------------------------------------------------------------------------------------------

    def between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def weighted(self, options, weights):
        return self.rng.choices(options, weights=weights)[0]

    def sector(self, org: OrgSpec) -> str:
        return SECTOR_OF_DOMAIN.get(org.domain, ORGAN)

    def branches(self) -> list[OrgSpec]:
        return [o for o in self.county.organizations if o.kind == OrgKind.BRANCH]

    def home_branch(self, org: OrgSpec) -> str | None:
        """Where the holder of a post at `org` keeps their member file (see the module docstring)."""
        if org.kind == OrgKind.BRANCH:
            return org.code
        if org.parent_code is None:
            return next((o.code for o in self.county.organizations if o.name == COUNTY_OFFICE_BRANCH), None)
        for level in (self.children.get(org.code, []), self.grandchildren(org)):
            branches = [c for c in level if c.kind == OrgKind.BRANCH]
            organ = [c for c in branches if c.domain == Domain.ORGAN]
            if organ or branches:
                return (organ or branches)[0].code
        return None

    def grandchildren(self, org: OrgSpec) -> list[OrgSpec]:
        return [g for c in self.children.get(org.code, []) for g in self.children.get(c.code, [])]

    def village_surname(self, org: OrgSpec) -> str | None:
        """王 for 王庄 or 王家湾 (a village named after its clan), else None."""
        stem = org.name
        if stem[0] in VILLAGE_SURNAME_PARTS and stem[0] in SURNAMES and stem[1:].startswith(VILLAGE_SUFFIXES):
            return stem[0]
        return None

    def name(self, male: bool, clan: str | None) -> str:
        rng = self.rng
        chars = MALE_CHARS if male else FEMALE_CHARS
        while True:
            surname = clan if clan and rng.random() < 0.35 else rng.choice(SURNAMES)
            name = surname + rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.75 else "")
            if name not in self.reserved_names:  # post holders' names stay unambiguous
                return name

    def id_number(self, birth: dt.date, male: bool) -> str:
        region = self.rng.choice(REGIONS)
        sequence = self.rng.randint(0, 99)
        for _ in range(100):
            number = make_id_number(region, birth, sequence, male)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
            sequence = (sequence + 1) % 100
        raise RuntimeError(f"no free ID number for {birth}")  # pragma: no cover - 100 per region and day

    def phone(self, age: int) -> str:
        rng = self.rng
        if age >= 80 and rng.random() < 0.3:
            return ""  # some of the oldest have no phone of their own
        while True:
            number = rng.choice(PHONE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def education(self, sector: str, age: int) -> str:
        level = EDUCATION_LEVELS.index(self.weighted(EDUCATION_LEVELS, EDUCATION_WEIGHTS[sector]))
        if age <= 35 and level < len(EDUCATION_LEVELS) - 2 and self.rng.random() < 0.5:
            level += 1
        elif age >= 70 and level > 0 and self.rng.random() < 0.5:
            level -= 1
        return EDUCATION_LEVELS[level]

    def birth(self, sector: str) -> dt.date:
        low, high, _ = self.weighted(AGES[sector], [w for _, _, w in AGES[sector]])
        age = self.rng.randint(low, high)
        # Born between the day after the (age + 1)th birthday before DEMO_TODAY and the age-th one: `age` years old.
        return self.between(_years_before(DEMO_TODAY, age + 1) + dt.timedelta(days=1), _years_before(DEMO_TODAY, age))

    def joining(self, birth: dt.date, *, probationary: bool, latest: dt.date) -> tuple[dt.date, dt.date | None]:
        """(joined_on, full_member_on): at 18 or older; a full member's probation year ended by `latest`."""
        adult = _years_before(birth, -MIN_JOIN_AGE)
        if probationary:
            return self.between(
                max(adult, DEMO_TODAY - dt.timedelta(days=360)), DEMO_TODAY - dt.timedelta(days=7)
            ), None
        last_join = latest - dt.timedelta(days=400)
        low, high, _ = self.weighted(JOIN_AGES, [w for _, _, w in JOIN_AGES])
        start = max(adult, _years_before(birth, -low))
        end = min(last_join, _years_before(birth, -(high + 1)) - dt.timedelta(days=1))
        if end < start:  # the drawn age range lies after `latest`: the earliest possible date
            start, end = adult, max(adult, last_join)
        joined = self.between(start, end)
        full = min(joined + dt.timedelta(days=365 + self.rng.randint(0, 45)), latest)
        return joined, max(full, joined)

    def ethnicity(self) -> str:
        return self.weighted([e for e, _ in ETHNICITIES], [w for _, w in ETHNICITIES])

    # --- members -------------------------------------------------------------------------------------------------

    def build(self) -> DemoMembers:
        holders = self.post_holder_homes()
        by_branch: dict[str, list] = {}
        for person, code, since in holders:
            by_branch.setdefault(code, []).append((person, since))
        for org in self.branches():
            sector = self.sector(org)
            low, high, a, b = BRANCH_SIZE[sector]
            size = low + round((high - low) * self.rng.betavariate(a, b))
            for person, since in by_branch.get(org.code, []):
                self.post_holder(person, org, since)
            for _ in range(size - len(by_branch.get(org.code, []))):
                self.member(org)
        self.history()
        return self.result

    def post_holder_homes(self) -> list[tuple]:
        """(person, home branch code, first post start) for each post holder with a home branch, in post order."""
        first: dict[str, tuple] = {}
        order: list[str] = []
        for post in self.county.posts:
            number = post.person.id_number
            if number in first:
                person, org_code, since = first[number]
                first[number] = (person, org_code, min(since, post.start_on))
                continue
            first[number] = (post.person, post.org_code, post.start_on)  # the mover: MOVER_FROM comes first
            order.append(number)
        homes = []
        for number in order:
            person, org_code, since = first[number]
            home = self.home_branch(self.orgs[org_code])
            if home:
                homes.append((person, home, since))
        return homes

    def post_holder(self, person, org: OrgSpec, since: dt.date) -> None:
        """A member file for someone who holds (or held) a post: same name and ID number, full member before then."""
        info = parse_id_number(person.id_number)
        sector = self.sector(org)
        age = _age_on(info.birth_date, DEMO_TODAY)
        joined, full = self.joining(info.birth_date, probationary=False, latest=since)
        education = self.education(sector, age)
        if sector in (VILLAGE, COMMUNITY, TWO_NEW) and EDUCATION_LEVELS.index(education) < 2:
            education = Education.HIGH_SCHOOL if self.rng.random() < 0.6 else Education.COLLEGE
        self.post_holders.add(person.id_number)
        self.result.members.append(
            MemberSpec(
                name=person.name,
                id_number=person.id_number,
                birth_date=info.birth_date,
                gender=info.gender,
                ethnicity=self.ethnicity(),
                education=education,
                branch_code=org.code,
                category=MemberCategory.FULL,
                joined_on=joined,
                full_member_on=full,
                status=MemberStatus.NORMAL,
                phone=self.phone(age),
            )
        )

    def member(self, org: OrgSpec) -> None:
        rng = self.rng
        sector = self.sector(org)
        male = rng.random() < MALE_SHARE[sector]
        birth = self.birth(sector)
        age = _age_on(birth, DEMO_TODAY)
        chance = 0.09 if age <= 35 else 0.02 if age <= 50 else 0.004
        probationary = age > MIN_JOIN_AGE and rng.random() < chance
        joined, full = self.joining(birth, probationary=probationary, latest=DEMO_TODAY)
        self.result.members.append(
            MemberSpec(
                name=self.name(male, self.village_surname(org) if sector == VILLAGE else None),
                id_number=self.id_number(birth, male),
                birth_date=birth,
                gender="男" if male else "女",
                ethnicity=self.ethnicity(),
                education=self.education(sector, age),
                branch_code=org.code,
                category=MemberCategory.PROBATIONARY if probationary else MemberCategory.FULL,
                joined_on=joined,
                full_member_on=full,
                status=self.status(sector, age, probationary),
                phone=self.phone(age),
            )
        )

    def status(self, sector: str, age: int, probationary: bool) -> str:
        r = self.rng.random()
        if age >= 70 and r < 0.025:
            return MemberStatus.DECEASED
        r = self.rng.random()
        if probationary:
            return MemberStatus.NORMAL
        if sector == VILLAGE:
            if age <= 55 and r < 0.12:
                return MemberStatus.FLOWED_OUT
            if r > 0.99:
                return MemberStatus.LOST_CONTACT
            if r > 0.985:
                return MemberStatus.FLOWED_IN
        elif sector == COMMUNITY:
            if age <= 60 and r < 0.04:
                return MemberStatus.FLOWED_OUT
            if r > 0.99:
                return MemberStatus.LOST_CONTACT
            if r > 0.96:
                return MemberStatus.FLOWED_IN
        elif sector == TWO_NEW:
            if r < 0.08:
                return MemberStatus.FLOWED_IN
            if r > 0.97:
                return MemberStatus.LOST_CONTACT
        return MemberStatus.NORMAL

    # --- history -------------------------------------------------------------------------------------------------

    def history(self) -> None:
        """About 200 transfers and 150 status changes in 2023–2025, each member's events at least 90 days apart."""
        rng = self.rng
        members = self.result.members
        events: list[tuple[dt.date, int, TransferSpec | StatusSpec]] = []  # (date, member index, event)
        index = {m.id_number: i for i, m in enumerate(members)}
        mover = next((p.person for p in self.county.posts if p.org_code == MOVER_TO and p.start_on == MOVED_ON), None)
        if mover is not None and mover.id_number in index:
            events.append((MOVED_ON, index[mover.id_number], TransferSpec(mover.id_number, MOVER_TO, MOVED_ON, "调任")))

        eligible = [
            i
            for i, m in enumerate(members)
            if m.id_number not in self.post_holders
            and m.status == MemberStatus.NORMAL
            and m.category == MemberCategory.FULL
            and m.joined_on < dt.date(2022, 1, 1)
        ]
        rng.shuffle(eligible)
        movers, changers = eligible[:192], eligible[192:]
        branches = self.branches()
        sectors = {o.code: self.sector(o) for o in branches}
        township = {o.code: self.township_of(o).code for o in branches}

        def target(m: MemberSpec, current: str) -> tuple[str, str]:
            sector = sectors[current]
            r = rng.random()
            if sector == VILLAGE and r < 0.4:
                pool, note = (
                    [o for o in branches if sectors[o.code] == VILLAGE and township[o.code] == township[current]],
                    ("婚嫁迁入" if m.gender == "女" else "迁居"),
                )
            elif sector in (VILLAGE, COMMUNITY) and r < 0.75:
                pool, note = [o for o in branches if sectors[o.code] == COMMUNITY], "进城居住"
            elif sector in (ORGAN, INSTITUTION) and r < 0.7:
                pool, note = [o for o in branches if sectors[o.code] in (ORGAN, INSTITUTION)], "工作调动"
            elif sector == TWO_NEW and r < 0.6:
                pool, note = [o for o in branches if sectors[o.code] == TWO_NEW], "就业单位变动"
            else:
                pool, note = branches, "组织关系转接"
            pool = [o for o in pool if o.code != current] or [o for o in branches if o.code != current]
            to = rng.choice(pool)
            if sectors[to.code] == TWO_NEW and note == "组织关系转接":
                note = "到非公企业就业"
            return to.code, note

        for n, i in enumerate(movers):
            m = members[i]
            on = self.between(max(HISTORY_START, m.joined_on + dt.timedelta(days=1)), HISTORY_END)
            to, note = target(m, m.branch_code)
            events.append((on, i, TransferSpec(m.id_number, to, on, note)))
            if n % 24 == 0 and on <= HISTORY_END - dt.timedelta(days=180):  # a few move twice
                second = self.between(on + dt.timedelta(days=90), HISTORY_END)
                to2, note2 = target(m, to)
                events.append((second, i, TransferSpec(m.id_number, to2, second, note2)))

        villages = [i for i in changers if sectors[members[i].branch_code] == VILLAGE]
        older = [i for i in changers if _age_on(members[i].birth_date, DEMO_TODAY) >= 72]
        taken: set[int] = set()

        def pick(pool: list[int], count: int) -> list[int]:
            chosen = [i for i in pool if i not in taken][:count]
            taken.update(chosen)
            return chosen

        def date(i: int, earliest: dt.date = HISTORY_START, latest: dt.date = HISTORY_END) -> dt.date:
            return self.between(max(earliest, members[i].joined_on + dt.timedelta(days=1)), latest)

        for i in pick(older, 25):
            on = date(i)
            events.append((on, i, StatusSpec(members[i].id_number, MemberStatus.DECEASED, on, note="病故")))
        for k, i in enumerate(pick(villages, 75)):
            on = date(i, latest=HISTORY_END - dt.timedelta(days=200))
            place, note = rng.choice(OUT_PLACES), "外出务工" if k % 5 else "外出经商"
            events.append((on, i, StatusSpec(members[i].id_number, MemberStatus.FLOWED_OUT, on, place, note)))
            if k % 4 == 0:  # back home
                back = self.between(on + dt.timedelta(days=120), HISTORY_END)
                events.append((back, i, StatusSpec(members[i].id_number, MemberStatus.NORMAL, back, note="返乡")))
        for k, i in enumerate(pick(changers, 20)):
            on = date(i, latest=HISTORY_END - dt.timedelta(days=240))
            events.append(
                (
                    on,
                    i,
                    StatusSpec(
                        members[i].id_number, MemberStatus.LOST_CONTACT, on, note="连续六个月未参加组织生活、未交纳党费"
                    ),
                )
            )
            if k % 4 == 0:
                back = self.between(on + dt.timedelta(days=90), HISTORY_END)
                events.append((back, i, StatusSpec(members[i].id_number, MemberStatus.NORMAL, back, note="已取得联系")))
            elif k % 7 == 1:
                stop = self.between(on + dt.timedelta(days=183), HISTORY_END)
                events.append(
                    (
                        stop,
                        i,
                        StatusSpec(
                            members[i].id_number,
                            MemberStatus.SUSPENDED,
                            stop,
                            note="失联超过六个月，经支部大会讨论停止党籍",
                        ),
                    )
                )
        for i in pick(changers, 6):
            on = date(i)
            events.append(
                (
                    on,
                    i,
                    StatusSpec(
                        members[i].id_number,
                        MemberStatus.TRANSFERRED_OUT,
                        on,
                        rng.choice(OUT_PLACES),
                        "组织关系转出县外",
                    ),
                )
            )
        events.sort(key=lambda e: (e[0], e[1]))
        self.result.events = [event for _, _, event in events]

    def township_of(self, org: OrgSpec) -> OrgSpec:
        """The organization right below the county on `org`'s way up."""
        while org.parent_code and self.orgs[org.parent_code].parent_code:
            org = self.orgs[org.parent_code]
        return org


def demo_members(county: DemoCounty | None = None) -> DemoMembers:
    """The demo members and their history: the same on every call."""
    return _Generator(county or demo_county()).build()


@dataclass
class DemoMembersResult:
    report: ImportReport
    transfers_added: int = 0
    transfers_present: int = 0
    status_changes_added: int = 0
    status_changes_present: int = 0
    demo: DemoMembers | None = field(default=None, repr=False)  # the rows imported, for members.demo_activity

    def summary_lines(self) -> list[str]:
        return [
            *self.report.summary_lines(),
            f"组织关系转接: 已新增 {self.transfers_added} 次，已有 {self.transfers_present} 次",
            f"党籍状态变更: 已新增 {self.status_changes_added} 次，已有 {self.status_changes_present} 次",
        ]


def _applied(demo: DemoMembers, by_member: dict[str, list]) -> dict[str, int]:
    """{id_number: how many of the member's events (a prefix) the database already holds}."""
    from .models import Member, Membership, StatusChange

    digests = {crypto.digest(number): number for number in by_member}
    members = {
        digests[digest]: (pk, branch_code)
        for pk, digest, branch_code in filter_in(
            Member.objects.order_by().values_list("id", "person__id_number_digest", "branch__code"),
            "person__id_number_digest",
            list(digests),
        )
    }
    if not members:
        return {}
    ids = [pk for pk, _ in members.values()]
    starts = set(
        filter_in(Membership.objects.order_by().values_list("member_id", "branch__code", "start_on"), "member_id", ids)
    )
    changes = set(
        filter_in(StatusChange.objects.order_by().values_list("member_id", "status", "changed_on"), "member_id", ids)
    )
    applied = {}
    for number, events in by_member.items():
        if number not in members:
            continue
        pk = members[number][0]
        done = 0
        for event in events:
            if isinstance(event, TransferSpec):
                present = (pk, event.to_code, event.on) in starts
            else:
                present = (pk, event.status, event.on) in changes
            if not present:
                break
            done += 1
        applied[number] = done
    return applied


@transaction.atomic
def build_demo_members() -> DemoMembersResult:
    """Import the demo members as the system and record their missing history; a second run changes nothing.

    Needs the demo county's organizations (organizations.demo.build_demo_county) in the database."""
    from organizations.models import Organization

    from .models import Member
    from .services import member_status_change, member_transfer

    demo = demo_members()
    by_member = demo.events_of()
    applied = _applied(demo, by_member)
    report = rows_import(sheets=demo.sheets(applied), actor=None)
    if not report.ok:
        raise DemoError("演示党员数据导入失败：\n" + "\n".join(str(p) for p in report.problems[:50]))
    result = DemoMembersResult(report=report, demo=demo)
    pending = []
    seen: dict[str, int] = {}
    for event in demo.events:
        k = seen.get(event.id_number, 0)
        seen[event.id_number] = k + 1
        if k < applied.get(event.id_number, 0):
            if isinstance(event, TransferSpec):
                result.transfers_present += 1
            else:
                result.status_changes_present += 1
        else:
            pending.append(event)
    if not pending:
        return result
    numbers = {crypto.digest(e.id_number): e.id_number for e in pending}
    members = {
        numbers[m.person.id_number_digest]: m
        for m in filter_in(Member.objects.select_related("person", "branch"), "person__id_number_digest", list(numbers))
    }
    branches = {
        o.code: o
        for o in filter_in(
            Organization.objects.all(), "code", [e.to_code for e in pending if isinstance(e, TransferSpec)]
        )
    }
    for event in pending:
        member = members[event.id_number]
        if isinstance(event, TransferSpec):
            member_transfer(actor=None, member=member, to_branch=branches[event.to_code], on=event.on, note=event.note)
            result.transfers_added += 1
        else:
            member_status_change(
                actor=None, member=member, status=event.status, on=event.on, place=event.place, note=event.note
            )
            result.status_changes_added += 1
    return result
