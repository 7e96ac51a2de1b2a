"""Three years of 三会一课 for the demo county 青山县 (organizations.demo, members.demo): every 党支部 and 党总支 from
1 January two years before the seeding year (January 2024 for a 2026 seeding) through yesterday, with realistic gaps.

What is in it:
- most branches keep the standards: a 主题党日 on a fixed day each month (七一 in July), a 支部委员会会议 early in the
  month where there is a committee, a 党小组会 where there are party groups, a 支部党员大会 and a 党课 each quarter
  (often the same afternoon), a 组织生活会 and a 民主评议党员 once a year, mostly in November–December or in January–
  February (then about the year before), now and then a second meeting of a kind in a month;
- about one branch in ten (GAPPY_SHARE) skips some months' 主题党日 or 支部委员会会议; a few branches
  (STALLED_SHARE) hold nothing for a whole quarter; every other kind and period is missed now and then;
- a handful of meetings were entered weeks after they were held (补录, by the service's rule) and a few were edited
  more than 30 days after with a reason (逾期修改), each with its audit event;
- the demo secretary's branch (DEMO_BRANCH) has held nothing yet this month, and its kinds of the current quarter and
  year fall in the period's last month, so the secretary's 本月待办 lists them;
- meetings of the last six months carry attendance lists (members of the branch on the day, as the service's
  attendees_on picks them: everyone for the whole-branch kinds, the post holders for a committee meeting, one party
  group for a 党小组会); older ones, like imported history, carry counts only. A 党总支 keeps no member files of its
  own: its meetings carry the counts of its branches' members.

Deterministic: each branch's habits come from a random.Random seeded with its code, each month's meetings from one
seeded with the code and the month, each meeting's attendance from one seeded with its natural key, so the month's
plan never depends on what the database holds or on the day. Only the cut-off does: meetings after yesterday are not
generated (they have not been held), and the demo branch's current month is left open. A meeting already recorded
(same branch, kind and time) is skipped, so a second run adds nothing.

Written as plain rows (core.bulk) with one audit event per meeting, checked against the same rules as the service
(meetings.rules): through meeting_record, 45,000 meetings would take minutes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from core.audit import AuditBatch
from core.bulk import bulk_insert, reserve_ids
from core.scope import subtree_range_q
from members.choices import MemberStatus
from organizations.choices import Domain, OrgKind, PostTitle
from organizations.demo import COUNTY_CODE, DEMO_BRANCH, DemoError

from . import rules
from .choices import MEETING_HOLDING_KINDS, AttendanceStatus, MeetingKind
from .models import Attendance, Meeting
from .selectors import NOT_ATTENDING_STATUSES
from .services import AttendanceEntry, _attendance_summary
from .xlsx import MEETING_INSERT_FIELDS, MEETING_TYPE, MeetingValues, db_datetime

MEETINGS_SEED = 20260705
HISTORY_YEARS = 3  # 1 January two years before the seeding year through yesterday (2024-01 … for a 2026 seeding)
ATTENDANCE_MONTHS = 6  # meetings held this many months before the seeding day or later have attendance lists
GAPPY_SHARE = 0.10
STALLED_SHARE = 0.011  # of the branches (5 of the demo county's 459), at least one
BACKFILL_SHARE = 0.002
LATE_EDIT_SHARE = 0.0015
DEMO_SECRETARY = "shuji"

K = MeetingKind
WHOLE_BRANCH_KINDS = (K.GENERAL, K.LECTURE, K.THEME_DAY, K.LIFE, K.APPRAISAL)

PLACES = {
    Domain.RURAL: ("村党群服务中心会议室", "村党群服务中心会议室", "村委会会议室", "村党员活动室"),
    Domain.COMMUNITY: ("社区党群服务中心", "社区党群服务中心", "社区党员活动室"),
    Domain.ORGAN: ("机关三楼会议室", "机关党员活动室", "单位二楼会议室"),
    Domain.INSTITUTION: ("单位会议室", "党员活动室"),
    Domain.STATE_ENTERPRISE: ("公司会议室", "企业党员活动室"),
    Domain.PRIVATE_ENTERPRISE: ("企业党员活动室", "公司会议室"),
    Domain.SOCIAL_ORGANIZATION: ("党员活动室", "办公室会议室"),
}
OUTINGS = ("青山县革命烈士纪念馆", "县党史教育基地", "红色教育基地", "县廉政教育基地")
THEME_DAY_TOPICS = (
    "学习习近平新时代中国特色社会主义思想",
    "开展“我为群众办实事”志愿服务",
    "学习《中国共产党章程》",
    "学习《中国共产党纪律处分条例》",
    "人居环境整治志愿服务",
    "走访慰问困难党员和群众",
    "重温入党誓词",
    "观看党员教育专题片",
    "学习贯彻党的二十届三中全会精神",
    "党员承诺践诺",
    "安全生产和防汛知识学习",
)
THEME_DAY_MONTHS = {
    1: "新春走访慰问困难党员",
    3: "学雷锋志愿服务",
    4: "清明祭扫革命烈士",
    10: "国庆爱国主义教育",
    12: "学习宣传宪法",
}
COMMITTEE_TOPICS = (
    "研究部署本月党建工作",
    "研究发展党员工作",
    "研究党费收缴和使用情况",
    "研究困难党员帮扶工作",
    "研究季度党员大会议题",
    "研究流动党员管理工作",
    "研究党员积分评定",
)
GROUP_TOPICS = (
    "学习传达上级会议精神",
    "学习《中国共产党章程》",
    "讨论本组党员志愿服务安排",
    "学习党的理论知识",
    "交流学习心得",
)
GENERAL_TOPICS = (
    "通报上季度支部工作，部署本季度任务",
    "学习上级文件精神，讨论支部工作",
    "讨论接收预备党员、预备党员转正",
    "通报党费收缴情况，听取党员意见建议",
)
LECTURE_TOPICS = (
    "书记讲党课：坚定理想信念，践行初心使命",
    "书记讲党课：学习贯彻党的二十大精神",
    "党课：全面从严治党永远在路上",
    "党课：发扬党的优良传统",
    "党课：做新时代合格党员",
    "党课：以学铸魂、以学增智",
)
LEAVE_REASONS = ("外出务工", "身体原因", "家中有事", "因公出差", "照顾病人", "外出学习")
LATE_EDITS = (("place", "更正会议地点"), ("minutes", "补充会议记录"), ("topic", "更正会议主题表述"))


class Branch(NamedTuple):
    id: int
    code: str
    name: str
    path: str
    kind: str
    domain: str
    has_committee: bool
    has_party_groups: bool
    founded_on: dt.date | None
    parent_id: int | None


@dataclass(frozen=True)
class Habits:
    """How a branch keeps its meetings, drawn once from its code."""

    theme_day: int
    theme_time: tuple[int, int]
    committee_day: int
    group_day: int
    afternoon: tuple[int, int]
    gappy: bool
    turnout: float  # share of members who come


class Planned(NamedTuple):
    kind: str
    held_at: dt.datetime
    topic: str
    place: str
    entered_after: dt.timedelta  # from held_at to created_at
    late_edit: tuple[str, str, int] | None  # (field, reason, days after) of a late edit
    noise: tuple[float, float, float]  # draws for the counts of a meeting without an attendance list
    group: int | None = None  # the party group of a 党小组会


@dataclass
class DemoMeetingsResult:
    added: int = 0
    present: int = 0
    with_attendance: int = 0
    attendance_rows: int = 0
    backfilled: int = 0
    late_edits: int = 0

    def summary_lines(self) -> list[str]:
        return [
            f"三会一课: 已新增 {self.added} 次会议（{self.with_attendance} 次有签到名单，{self.attendance_rows} 条出席记录；"
            f"补录 {self.backfilled} 次，逾期修改 {self.late_edits} 次），已有 {self.present} 次"
        ]


def history_from(today: dt.date) -> dt.date:
    return dt.date(today.year - HISTORY_YEARS + 1, 1, 1)


def _rng(*parts) -> random.Random:
    return random.Random(":".join(str(p) for p in (MEETINGS_SEED, *parts)))


def _month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _at(year: int, month: int, day: int, time: tuple[int, int]) -> dt.datetime:
    day = max(1, min(day, _month_days(year, month)))
    return dt.datetime(year, month, day, *time, tzinfo=timezone.get_default_timezone())


def _months(start: dt.date, end: dt.date):
    for n in range(start.year * 12 + start.month - 1, end.year * 12 + end.month):
        yield divmod(n, 12)[0], divmod(n, 12)[1] + 1


class _Planner:
    """The meetings each branch would hold, month by month, whatever the database holds."""

    def __init__(self, branches: list[Branch], today: dt.date):
        self.today = today
        self.current_quarter = (today.year, (today.month - 1) // 3 + 1)
        pick = _rng("stalled")
        candidates = [b.code for b in branches if b.code != DEMO_BRANCH]
        # A branch that holds nothing for a quarter: one of the quarters from the history's second to the one that
        # ended half a year before the seeding year's end.
        first = history_from(today).year
        quarters = [
            (y, q) for y in range(first, today.year + 1) for q in range(1, 5) if (first, 1) < (y, q) <= (today.year, 2)
        ]
        count = min(len(candidates), max(1, round(len(branches) * STALLED_SHARE)))
        self.stalled = {code: pick.choice(quarters) for code in pick.sample(candidates, count)}
        self.habits = {b.code: self._habits(b) for b in branches}

    def _habits(self, b: Branch) -> Habits:
        rng = _rng(b.code)
        two_new = b.domain in (Domain.PRIVATE_ENTERPRISE, Domain.SOCIAL_ORGANIZATION)
        evening = (19, 0) if two_new and rng.random() < 0.5 else None
        return Habits(
            theme_day=rng.choice((1, 5, 5, 8, 10, 10, 15, 15, 18, 20, 25)),
            theme_time=evening or rng.choice(((9, 0), (9, 0), (9, 30), (15, 0), (14, 30))),
            committee_day=rng.randint(2, 8),
            group_day=rng.randint(10, 24),
            afternoon=evening or rng.choice(((14, 30), (15, 0), (15, 30), (16, 0))),
            gappy=b.code != DEMO_BRANCH and rng.random() < GAPPY_SHARE,
            turnout=rng.uniform(0.8, 0.97),
        )

    def year_plan(self, b: Branch, year: int) -> dict:
        """Which month of each quarter holds the 党员大会 and the 党课, which month the yearly kinds."""
        rng = _rng(b.code, year)
        general = [rng.randrange(3) for _ in range(4)]
        lecture = [g if rng.random() < 0.5 else rng.randrange(3) for g in general]
        life = rng.choices((11, 12, 1, 2, 6), weights=(25, 40, 20, 10, 5))[0]
        appraisal = life if rng.random() < 0.8 else rng.choice((12, 1))
        if b.code == DEMO_BRANCH:
            # The secretary's own branch: this quarter's and this year's kinds still to come this month (or later).
            quarter = self.current_quarter[1] - 1
            if year == self.current_quarter[0]:
                general[quarter] = lecture[quarter] = 2
                life = appraisal = 12
        return {"general": general, "lecture": lecture, "life": life, "appraisal": appraisal}

    def month(self, b: Branch, year: int, month: int, year_plan: dict) -> list[Planned]:
        habits = self.habits[b.code]
        rng = _rng(b.code, f"{year}-{month:02d}")
        if self.stalled.get(b.code) == (year, (month - 1) // 3 + 1):
            return []
        places = PLACES.get(b.domain, PLACES[Domain.ORGAN])
        home = places[0]
        out: list[Planned] = []

        def add(kind, held_at, topic, place=home, group=None):
            if any(o.kind == kind and o.held_at == held_at for o in out):
                return  # a second meeting of the kind drawn at the very time of the first
            entered = dt.timedelta(hours=rng.uniform(1, 72))
            if rng.random() < BACKFILL_SHARE:
                entered = dt.timedelta(days=rng.randint(rules.BACKFILL_AFTER_DAYS + 2, 60), hours=rng.uniform(0, 8))
            late = None
            if rng.random() < LATE_EDIT_SHARE:
                field_name, reason = rng.choice(LATE_EDITS)
                late = (field_name, reason, rng.randint(rules.LATE_EDIT_AFTER_DAYS + 5, 120))
            noise = (rng.random(), rng.gauss(0, 1), rng.gauss(0, 1))
            out.append(Planned(kind, held_at, topic, place, entered, late, noise, group))

        def skipped(share: float) -> bool:
            return rng.random() < share

        quarter, offset = divmod(month - 1, 3)
        # 主题党日: a fixed day; 七一 in July; the gappy branches skip some months.
        if not skipped(0.3 if habits.gappy else 0.004):
            day = habits.theme_day + rng.randint(0, 2)
            topic = THEME_DAY_MONTHS.get(month) or rng.choice(THEME_DAY_TOPICS)
            if month == 7 and rng.random() < 0.6:
                day, topic = 1, f"庆祝中国共产党成立{year - 1921}周年暨重温入党誓词"
            place = rng.choice(OUTINGS) if month in (4, 7) and rng.random() < 0.3 else home
            add(K.THEME_DAY, _at(year, month, day, habits.theme_time), topic, place)
            if rng.random() < 0.05:
                add(K.THEME_DAY, _at(year, month, rng.randint(20, 28), (9, 0)), rng.choice(THEME_DAY_TOPICS))
        if b.has_committee and not skipped(0.3 if habits.gappy else 0.004):
            day = habits.committee_day + rng.randint(0, 3)
            add(K.COMMITTEE, _at(year, month, day, (16, 0)), rng.choice(COMMITTEE_TOPICS))
            if rng.random() < 0.08:
                add(K.COMMITTEE, _at(year, month, rng.randint(16, 26), (16, 30)), rng.choice(COMMITTEE_TOPICS))
        if b.has_party_groups and not skipped(0.15 if habits.gappy else 0.008):
            group = (year * 12 + month) % 3
            day = habits.group_day + rng.randint(0, 3)
            topic = f"第{'一二三'[group]}党小组：{rng.choice(GROUP_TOPICS)}"
            add(K.GROUP, _at(year, month, day, habits.afternoon), topic, group=group)
        general_at = _at(year, month, rng.randint(10, 25), habits.afternoon)
        if year_plan["general"][quarter] == offset and not skipped(0.1 if habits.gappy else 0.008):
            add(K.GENERAL, general_at, rng.choice(GENERAL_TOPICS))
        if year_plan["lecture"][quarter] == offset and not skipped(0.1 if habits.gappy else 0.008):
            if year_plan["lecture"][quarter] == year_plan["general"][quarter]:
                held_at = general_at + dt.timedelta(minutes=90)  # the same afternoon, after the 党员大会
            else:
                held_at = _at(year, month, rng.randint(5, 25), habits.theme_time)
            add(K.LECTURE, held_at, rng.choice(LECTURE_TOPICS))
        about = year - 1 if month <= 3 else year  # a January meeting looks back at the year before
        life_day = rng.randint(15, 28)
        if year_plan["life"] == month and not skipped(0.015):
            add(K.LIFE, _at(year, month, life_day, (9, 0)), f"{about}年度组织生活会")
        if year_plan["appraisal"] == month and not skipped(0.015):
            same_day = year_plan["life"] == month
            held_at = _at(year, month, life_day if same_day else rng.randint(10, 28), (14, 30))
            add(K.APPRAISAL, held_at, f"{about}年度民主评议党员")
        return out


class _People:
    """Who was a member of which branch on which day, as meetings.selectors.attendees_on answers it, from a few
    queries over the whole county instead of one per meeting."""

    def __init__(self, branches: list[Branch]):
        from members.models import Member, Membership, StatusChange
        from organizations.models import Post

        ids = [b.id for b in branches]
        self.spans: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
        for member_id, branch_id, start, end in Membership.objects.filter(branch_id__in=ids).values_list(
            "member_id", "branch_id", "start_on", "end_on"
        ):
            self.spans[branch_id].append((member_id, start, end))
        self.members = {
            pk: (name, joined, status, person_id)
            for pk, name, joined, status, person_id in Member.objects.values_list(
                "id", "person__name", "joined_on", "status", "person_id"
            )
        }
        self.changes: dict[int, list[tuple[dt.date, int, str]]] = defaultdict(list)
        for member_id, on, pk, status in StatusChange.objects.values_list("member_id", "changed_on", "id", "status"):
            self.changes[member_id].append((on, pk, status))
        for history in self.changes.values():
            history.sort()
        member_of_person = {person_id: pk for pk, (_, _, _, person_id) in self.members.items()}
        # {organization id: [(member id of the holder or None, name, title, start, end)]}
        self.posts: dict[int, list[tuple[int | None, str, str, dt.date, dt.date | None]]] = defaultdict(list)
        for org_id, person_id, name, title, start, end in Post.objects.filter(organization_id__in=ids).values_list(
            "organization_id", "person_id", "person__name", "title", "start_on", "end_on"
        ):
            self.posts[org_id].append((member_of_person.get(person_id), name, title, start, end))
        self.children: dict[int, list[int]] = defaultdict(list)
        for b in branches:
            if b.parent_id is not None:
                self.children[b.parent_id].append(b.id)
        self._eligible: dict[tuple[int, dt.date], list[int]] = {}

    def status_on(self, member_id: int, day: dt.date) -> str | None:
        status = None
        for on, _, value in self.changes.get(member_id, ()):
            if on > day:
                break
            status = value
        return status

    def eligible(self, branch_id: int, day: dt.date) -> list[int]:
        """Member ids of the branch on `day`, by id: attendees_on's rule (membership that day, joined by then, no
        status that day that ends organizational life)."""
        key = (branch_id, day)
        found = self._eligible.get(key)
        if found is None:
            ids = set()
            for member_id, start, end in self.spans.get(branch_id, ()):
                if start <= day and (end is None or end >= day) and self.members[member_id][1] <= day:
                    if member_id not in self.changes or self.status_on(member_id, day) not in NOT_ATTENDING_STATUSES:
                        ids.add(member_id)
            found = self._eligible[key] = sorted(ids)
        return found

    def headcount(self, branch: Branch, day: dt.date) -> int:
        """Members a whole-branch meeting expects: the branch's own, or a 党总支's branches' members."""
        own = len(self.eligible(branch.id, day))
        if own or branch.kind != OrgKind.GENERAL_BRANCH:
            return own
        return sum(len(self.eligible(child, day)) for child in self.children.get(branch.id, ()))

    def post_holders(self, branch_id: int, day: dt.date) -> list[tuple[int | None, str, str]]:
        return [
            (member_id, name, title)
            for member_id, name, title, start, end in self.posts.get(branch_id, ())
            if start <= day and (end is None or end >= day)
        ]

    def name(self, member_id: int) -> str:
        return self.members[member_id][0]

    def status(self, member_id: int) -> str:
        return self.members[member_id][2]


def _host_and_recorder(holders: list[tuple[int | None, str, str]], pick: float) -> tuple[str, str]:
    """The secretary hosts (the deputy where there is none); a committee member keeps the record, else the host
    (half the time) or nobody noted."""
    by_title = {title: name for _, name, title in holders}
    host = by_title.get(PostTitle.SECRETARY) or by_title.get(PostTitle.DEPUTY_SECRETARY, "")
    for title in (PostTitle.ORGANIZATION_MEMBER, PostTitle.PROPAGANDA_MEMBER, PostTitle.MEMBER):
        if by_title.get(title):
            return host, by_title[title]
    return host, host if pick < 0.5 else ""


def _attendance(people: _People, member_ids: list[int], turnout: float, rng: random.Random) -> list[AttendanceEntry]:
    entries = []
    for member_id in member_ids:
        status = people.status(member_id)
        draw = rng.random()
        if status == MemberStatus.LOST_CONTACT:
            entries.append(AttendanceEntry(member_id, AttendanceStatus.ABSENT))
        elif status == MemberStatus.FLOWED_OUT:
            if draw < 0.15:
                entries.append(AttendanceEntry(member_id, AttendanceStatus.PRESENT))
            elif draw < 0.85:
                entries.append(AttendanceEntry(member_id, AttendanceStatus.LEAVE, "外出务工"))
            else:
                entries.append(AttendanceEntry(member_id, AttendanceStatus.ABSENT))
        elif draw < turnout:
            entries.append(AttendanceEntry(member_id, AttendanceStatus.PRESENT))
        elif rng.random() < 0.75:
            entries.append(AttendanceEntry(member_id, AttendanceStatus.LEAVE, rng.choice(LEAVE_REASONS)))
        else:
            entries.append(AttendanceEntry(member_id, AttendanceStatus.ABSENT))
    return entries


def _party_group(member_ids: list[int], group: int) -> list[int]:
    return [m for i, m in enumerate(member_ids) if i % 3 == group]


@dataclass
class _Batch:
    # (values, org path, the create event's after, attendance entries or None)
    meetings: list[tuple[MeetingValues, str, object, list[AttendanceEntry] | None]] = field(default_factory=list)
    edits: list[tuple[MeetingValues, str, dict, dict, str]] = field(default_factory=list)


def _demo_branches() -> list[Branch]:
    from organizations.models import Organization

    root = Organization.objects.filter(code=COUNTY_CODE, depth=1).first()
    if root is None:
        raise DemoError("没有演示县的组织数据，无法生成演示会议记录。")
    qs = Organization.objects.filter(subtree_range_q("path", root.path), kind__in=MEETING_HOLDING_KINDS)
    return [Branch(*row) for row in qs.order_by("code").values_list(*Branch._fields)]


@transaction.atomic
def build_demo_meetings() -> DemoMeetingsResult:
    """Record the demo county's meetings from 1 January two years back through yesterday as the system; a second run adds
    nothing. Needs the demo county's organizations, posts and members (build_demo_county, build_demo_members)."""
    from accounts.models import User

    now = timezone.now()
    today = timezone.localtime(now).date()
    cutoff = dt.datetime.combine(today, dt.time(), tzinfo=timezone.get_default_timezone())  # today 00:00
    attendance_from = today - relativedelta(months=ATTENDANCE_MONTHS)
    branches = _demo_branches()
    planner = _Planner(branches, today)
    people = _People(branches)
    result = DemoMeetingsResult()
    first = history_from(today)
    existing = set(
        Meeting.objects.filter(branch_id__in=[b.id for b in branches], held_on__gte=first).values_list(
            "branch_id", "kind", "held_at"
        )
    )
    secretary = User.objects.filter(username=DEMO_SECRETARY).values_list("id", flat=True).first()
    batch = _Batch()
    for b in branches:
        for year, month in _months(first, today):
            if b.code == DEMO_BRANCH and (year, month) == (today.year, today.month):
                continue  # the secretary's month still to do
            plan = planner.year_plan(b, year)
            for p in planner.month(b, year, month, plan):
                held_on = p.held_at.date()
                if p.held_at >= cutoff or (b.founded_on and held_on < b.founded_on):
                    continue
                if (b.id, p.kind, p.held_at) in existing:
                    result.present += 1
                    continue
                existing.add((b.id, p.kind, p.held_at))
                _add(batch, result, people, b, p, planner.habits[b.code], now=now, attendance_from=attendance_from,
                     created_by=secretary if b.code == DEMO_BRANCH else None)  # fmt: skip
    _write(batch, result)
    return result


def _add(
    batch: _Batch, result, people: _People, b: Branch, p: Planned, habits: Habits, *, now, attendance_from, created_by
) -> None:
    zone = timezone.get_default_timezone()
    held_on = p.held_at.date()
    holders = people.post_holders(b.id, held_on)
    pick, gauss, spread = p.noise
    entries = None
    if held_on >= attendance_from:
        rng = _rng(b.code, p.kind, p.held_at.isoformat())  # the list's draws: its own, whatever was written before
        eligible = people.eligible(b.id, held_on)
        if p.kind in WHOLE_BRANCH_KINDS:
            listed = eligible
        elif p.kind == K.COMMITTEE:
            on_list = set(eligible)
            listed = sorted({m for m, _, _ in holders if m in on_list})
        else:
            listed = _party_group(eligible, p.group or 0)
        if listed:
            turnout = max(habits.turnout, 0.92) if p.kind == K.COMMITTEE else habits.turnout
            entries = _attendance(people, listed, min(0.99, turnout + 0.03 * gauss), rng)
    host, recorder = _host_and_recorder(holders, pick)
    if entries is not None:
        expected = len(entries)
        present = sum(e.status == AttendanceStatus.PRESENT for e in entries)
        leave = sum(e.status == AttendanceStatus.LEAVE for e in entries)
    else:
        if p.kind in WHOLE_BRANCH_KINDS:
            expected = people.headcount(b, held_on.replace(day=15))  # the month's head count is close enough
        elif p.kind == K.COMMITTEE:
            expected = len(holders) or 3 + int(pick * 3)
        else:
            expected = max(1, (people.headcount(b, held_on.replace(day=15)) + 2) // 3)
        turnout = max(habits.turnout, 0.92) if p.kind == K.COMMITTEE else habits.turnout
        away = round(expected * (1 - min(0.99, turnout + 0.03 * gauss)) + 0.8 * spread)
        present, leave = expected - max(0, min(expected, away)), 0
    created_at = min(p.held_at + p.entered_after, now)
    values = MeetingValues(
        id=0, branch_id=b.id, kind=p.kind, held_at=p.held_at, held_on=held_on, topic=p.topic, created_at=created_at,
        place=p.place, host=host, recorder=recorder, expected_count=expected, present_count=present,
        leave_count=leave, has_attendance=entries is not None, created_by_id=created_by,
        backfilled=rules.is_backfilled(held_on=held_on, entered_on=created_at.astimezone(zone).date()),
        minutes=f"会议由{host or '支部书记'}主持，应到 {expected} 人，实到 {present} 人。围绕“{p.topic}”进行了学习讨论。"
        if entries is not None else "",
    )  # fmt: skip
    problems = {
        **rules.held_problems(held_on=held_on, held_at=p.held_at, now=now, founded_on=b.founded_on),
        **rules.count_problems(expected=expected, present=present),
    }
    if problems:
        raise DemoError(f"演示会议不合规（{b.name} {values.repr()}）：" + "；".join(problems.values()))
    summary = None
    if entries is not None:
        summary = _attendance_summary(entries, {e.member_id: people.name(e.member_id) for e in entries})
    batch.meetings.append((values, b.path, values.audit_after(summary), entries))
    result.backfilled += values.backfilled
    if p.late_edit is not None:
        _late_edit(batch, b, p, values, now=now)


def _late_edit(batch: _Batch, b: Branch, p: Planned, values: MeetingValues, *, now) -> None:
    """A change made more than 30 days after the meeting, with its reason (the create event keeps the first text)."""
    field_name, reason, days = p.late_edit
    edited_at = min(p.held_at + dt.timedelta(days=days, hours=8), now)
    if not rules.needs_edit_reason(held_on=values.held_on, today=edited_at.astimezone(p.held_at.tzinfo).date()):
        return  # not old enough yet on the seeding day
    before = getattr(values, field_name)
    if field_name == "place":
        places = [pl for pl in (*PLACES.get(b.domain, PLACES[Domain.ORGAN]), *OUTINGS) if pl != before]
        after = places[days % len(places)]
    elif field_name == "minutes":
        after = (before + "\n" if before else "") + "补充：会后已将会议照片和签到表整理归档。"
    else:
        after = f"{before}（{values.held_on.year}年{values.held_on.month}月）"
    setattr(values, field_name, after)
    values.late_edit_reason, values.late_edited_at, values.updated_at = reason, edited_at, edited_at
    batch.edits.append((values, b.path, {field_name: before}, {field_name: after}, reason))


def _write(batch: _Batch, result: DemoMeetingsResult) -> None:
    audit = AuditBatch(None)
    db_time = db_datetime()
    backfill_note = f"补录：召开后超过 {rules.BACKFILL_AFTER_DAYS} 天登记"
    ids = reserve_ids(Meeting, len(batch.meetings))
    rows, attendance = [], []
    for pk, (values, path, after, entries) in zip(ids, batch.meetings, strict=True):
        values.id = pk
        rows.append(values.row(db_time))
        audit.add(
            action="create",
            object_type=MEETING_TYPE,
            object_id=pk,
            object_repr=values.repr(),
            org_path=path,
            after=after,
            note=backfill_note if values.backfilled else "",
        )
        if entries is not None:
            result.with_attendance += 1
            attendance.extend((pk, e.member_id, e.status, e.reason) for e in entries)
    for values, path, before, after, reason in batch.edits:
        audit.add(
            action="update",
            object_type=MEETING_TYPE,
            object_id=values.id,
            object_repr=values.repr(),
            org_path=path,
            before=before,
            after=after,
            note=f"逾期修改，原因：{reason}",
        )
    bulk_insert(Meeting, MEETING_INSERT_FIELDS, rows)
    bulk_insert(Attendance, ["meeting", "member", "status", "reason"], attendance)
    audit.save()
    result.added = len(rows)
    result.attendance_rows = len(attendance)
    result.late_edits = len(batch.edits)
