"""The demo county's party life on top of its member files (members.demo): the development pipeline (发展党员) with
its thought reports (generated in members.demo_pipeline), two years of training records (培训台账), points (积分)
for the previous and the current year, and a flow record for every member imported as 流出/流入.

Who is in it, besides the pipeline:
- training: township 冬训 each December and a spring rotation for the members of the townships and streets, courses
  of the 县委党校, the 县委组织部 and the working committees for organs, schools, "两新" and branch secretaries, 4–32
  hours each, and a few certificates whose dates differ from the course's;
- points: the default points items (created through members.config_services when the county has none): a base
  score each year, each half-year's duties done or a deduction, the 民主评议党员 at the end of the year, now and then
  volunteering, praise or a penalty, so that a finished year's totals spread over every star level (the current
  one, half over, over fewer); branches that do not keep points (NO_POINTS_SHARE) have none;
- flows: members imported as 流出 or 流入 have no status change and so no flow: they get one, open, to or from a
  plausible place, starting on their status change (if any) or some time after they joined.

Deterministic like members.demo: fixed seeds, dates relative to DEMO_TODAY (capped at the real today where a date
may not lie in the future), members visited in the order of the demo's own lists. Everything is generated whatever
the database holds, then only what is missing is written, so a second run adds nothing: a candidate is there when
someone with the ID number is in the pipeline, a report when the person handed one in that day, a training or points
row when one with the same member, course or item and dates exists, a flow when the member has an open one.

The pipeline (some 400 people, 1,700 reports) goes through the services; training, points and flows (a hundred
thousand rows) are checked against the same rules (members.rules) and written as plain rows with one audit event
each (core.bulk, core.audit.AuditBatch): through the services they would take minutes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core import crypto
from core.audit import AuditBatch, audit_json
from core.bulk import bulk_insert, filter_in, reserve_ids
from organizations.choices import OrgKind, PostTitle
from organizations.demo import DEMO_BRANCH, DEMO_TODAY, DemoCounty, DemoError, demo_county

from .choices import ACTIVE_STATUSES, DevelopmentStage, MemberStatus
from .demo import COMMUNITY, HISTORY_END, INSTITUTION, ORGAN, SECTOR_OF_DOMAIN, VILLAGE, DemoMembers, demo_members
from .demo_pipeline import CandidateSpec, demo_candidates
from .flow import FLOW_AUDIT_FIELDS
from .rules import FLOW_DIRECTIONS, flow_open_problems, point_record_problems, training_problems

ACTIVITY_SEED = 20260703
TODAY = DEMO_TODAY  # the demo's "today"; the real one only caps dates that may not lie in the future
TRAINING_FROM = TODAY - relativedelta(years=2) + dt.timedelta(days=1)
POINT_YEARS = (TODAY.year - 1, TODAY.year)
Stage = DevelopmentStage


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


def _between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + _days(rng, 0, (last - first).days)


# --- training ----------------------------------------------------------------------------------------------------

PARTY_SCHOOL, ORG_DEPARTMENT = "县委党校", "县委组织部"
ORGANS_COMMITTEE, EDUCATION_COMMITTEE, TWO_NEW_COMMITTEE = "县直机关工委", "县委教育工委", "县非公经济和社会组织党工委"
CERTIFICATE_ISSUERS = (PARTY_SCHOOL, ORG_DEPARTMENT)  # their courses end with a 结业证书
CERTIFICATE_MISMATCH = 0.01  # share of certificates whose dates differ from the course's


@dataclass(frozen=True)
class Session:
    course: str
    organizer: str
    start_on: dt.date
    end_on: dt.date
    hours: Decimal

    @property
    def certificate(self) -> bool:
        return self.organizer in CERTIFICATE_ISSUERS


def _session(course: str, organizer: str, start: dt.date, days: int, hours: int) -> Session:
    return Session(course, organizer, start, start + dt.timedelta(days=days - 1), Decimal(hours))


def _batches(course: str, organizer: str, starts: tuple[dt.date, ...], days: int, hours: int) -> list[Session]:
    numbers = "一二三四五"
    return [_session(f"{course}（第{numbers[i]}期）", organizer, s, days, hours) for i, s in enumerate(starts)]


D = dt.date
ERSHIDA = _batches(
    "学习贯彻党的二十大精神专题培训班", PARTY_SCHOOL, (D(2024, 9, 2), D(2024, 9, 23), D(2024, 10, 14)), 3, 24
)
SANZHONG = _batches(
    "学习贯彻党的二十届三中全会精神专题培训班", PARTY_SCHOOL, (D(2024, 11, 4), D(2024, 11, 18), D(2024, 12, 2)), 5, 32
)
SIZHONG = _batches("学习贯彻党的二十届四中全会精神专题培训班", PARTY_SCHOOL, (D(2025, 11, 10), D(2025, 11, 24)), 5, 32)
VILLAGE_SECRETARIES = _batches(
    "村（社区）党组织书记示范培训班", ORG_DEPARTMENT, (D(2025, 4, 14), D(2025, 4, 21)), 5, 32
)
PARTY_WORKERS = _session("基层党务工作者能力提升培训班", ORG_DEPARTMENT, D(2026, 4, 20), 4, 24)
NEW_MEMBERS = (  # (course, for those who joined from … until …)
    (_session("2025年新发展党员培训班", PARTY_SCHOOL, D(2025, 7, 14), 3, 24), D(2024, 7, 1), D(2025, 7, 1)),
    (_session("2026年新发展党员培训班", PARTY_SCHOOL, D(2026, 5, 18), 3, 24), D(2025, 7, 2), D(2026, 5, 10)),
)
ORGAN_COURSES = (  # (course, share of the organs' members)
    (_session("党纪学习教育专题读书班", ORGANS_COMMITTEE, D(2024, 7, 8), 3, 16), 0.4),
    (_session("深入贯彻中央八项规定精神学习教育专题培训", ORGANS_COMMITTEE, D(2025, 5, 12), 2, 8), 0.5),
    (_session("县直机关学习贯彻全国两会精神专题培训", ORGANS_COMMITTEE, D(2026, 3, 23), 1, 4), 0.45),
)
ORGAN_CADRES = _session("县直机关党务干部业务培训班", ORGANS_COMMITTEE, D(2025, 9, 15), 3, 16)
EDUCATION_COURSES = (
    (_session("全县教育系统党员师德师风专题培训", EDUCATION_COMMITTEE, D(2025, 8, 18), 3, 16), 0.6),
    (_session("2026年春季学期教育系统党员集中学习", EDUCATION_COMMITTEE, D(2026, 3, 2), 2, 8), 0.5),
)
TWO_NEW_SECRETARIES = _session("“两新”组织党组织书记培训班", TWO_NEW_COMMITTEE, D(2025, 5, 19), 3, 16)
TWO_NEW_COURSES = (
    (_session("2025年“两新”组织党员集中学习培训", TWO_NEW_COMMITTEE, D(2025, 6, 16), 1, 4), 0.35),
    (_session("2026年“两新”组织党员集中学习培训", TWO_NEW_COMMITTEE, D(2026, 6, 8), 1, 4), 0.35),
)


def _township_sessions(rng: random.Random, organizer: str) -> dict[str, Session]:
    """A township's (or street's) own courses: 冬训 each winter, the spring rotation, practical skills, and a day for
    the migrants home for the Spring Festival."""

    def between(start: dt.date, end: dt.date) -> dt.date:
        return _between(rng, start, end)

    winter_days, next_days = rng.choice((2, 3, 4)), rng.choice((2, 3, 4))
    return {
        "winter_2024": _session(
            "2024年度党员冬训", organizer, between(D(2024, 12, 2), D(2024, 12, 26)), winter_days, 4 * winter_days
        ),
        "winter_2025": _session(
            "2025年度党员冬训", organizer, between(D(2025, 12, 1), D(2025, 12, 26)), next_days, 4 * next_days
        ),
        "spring_2026": _session("2026年春季党员集中轮训", organizer, between(D(2026, 3, 9), D(2026, 4, 17)), 2, 8),
        "skills_2025": _session("农村党员实用技术培训", organizer, between(D(2025, 2, 17), D(2025, 3, 21)), 1, 6),
        "home_2025": _session("2025年春节返乡流动党员集中学习", organizer, between(D(2025, 2, 3), D(2025, 2, 7)), 1, 4),
        "home_2026": _session(
            "2026年春节返乡流动党员集中学习", organizer, between(D(2026, 2, 23), D(2026, 2, 27)), 1, 4
        ),
    }


# --- points ------------------------------------------------------------------------------------------------------

BASE, DUTIES, VOLUNTEER, PIONEER, AWARD, ABSENT, LATE_DUES, PUNISHED = (
    "年度基础分", "按时参加组织生活、交纳党费（半年）", "参加志愿服务活动", "发挥先锋模范作用", "受到表彰奖励",
    "无故缺席组织生活", "未按时交纳党费", "受到党纪处分",
)  # fmt: skip
# 民主评议党员 at the end of a year: (item, points, lowest appraisal score for it); the score is engagement + noise.
APPRAISALS = (
    ("民主评议党员评为优秀", "10", 0.85),
    ("民主评议党员评为合格", "5", 0.45),
    ("民主评议党员评为基本合格", "-5", 0.2),
    ("民主评议党员评为不合格", "-20", None),
)
DEFAULT_POINT_ITEMS = (
    (BASE, "70"), (DUTIES, "5"), *((name, points) for name, points, _ in APPRAISALS), (VOLUNTEER, "3"),
    (PIONEER, "5"), (AWARD, "10"), (ABSENT, "-5"), (LATE_DUES, "-3"), (PUNISHED, "-20"),
)  # fmt: skip
NO_POINTS_SHARE = 0.15  # branches that do not keep points
ENGAGEMENT = (4.0, 1.6)  # beta distribution of how engaged a member is (0–1)
VOLUNTEER_NOTES = (
    "参加“学雷锋”志愿服务", "参加人居环境整治", "参加防汛值守", "参加文明城市创建志愿服务", "参加敬老院志愿服务",
    "参加秸秆禁烧巡查", "参加森林防火值守", "参加反诈宣传", "参加义务植树",
)  # fmt: skip
PIONEER_NOTES = (
    "在防汛救灾中表现突出",
    "带头调解邻里纠纷",
    "带头发展特色产业",
    "在疫病防控中主动担当",
    "热心帮扶困难群众",
)
ABSENCE_NOTES = ("未请假缺席支部党员大会", "未请假缺席主题党日", "未请假缺席党课")

# --- flows -------------------------------------------------------------------------------------------------------

FLOW_OUT_PLACES = (
    "广东省深圳市宝安区", "广东省深圳市龙华区", "广东省东莞市长安镇", "广东省广州市白云区", "浙江省杭州市",
    "浙江省杭州市萧山区", "浙江省宁波市北仑区", "江苏省苏州市工业园区", "江苏省昆山市", "上海市浦东新区",
    "上海市松江区", "北京市朝阳区", "北京市大兴区", "天津市滨海新区", "河南省郑州市金水区", "河南省郑州市航空港区",
    "福建省厦门市集美区", "福建省泉州市晋江市", "新疆维吾尔自治区乌鲁木齐市",
)  # fmt: skip
FLOW_IN_PLACES = (
    "河南省周口市淮阳区", "河南省信阳市固始县", "河南省南阳市邓州市", "安徽省阜阳市临泉县", "安徽省亳州市利辛县",
    "湖北省襄阳市枣阳市", "山东省菏泽市曹县", "河北省邯郸市大名县", "四川省南充市营山县", "甘肃省天水市秦安县",
)  # fmt: skip
FLOW_CONTACTS = ("", "", "流动党员微信群", "本人电话联系", "流入地党组织联系")
FLOWS_SINCE = dt.date(2016, 1, 1)  # the earliest a flow of an imported member starts


# --- the database side -------------------------------------------------------------------------------------------


class MemberRow(NamedTuple):
    id: int
    id_number: str
    name: str
    birth_date: dt.date
    branch_code: str
    branch_path: str
    sector: str
    township_name: str
    township_kind: str
    status: str
    category: str
    joined_on: dt.date


@dataclass
class DemoActivityResult:
    candidates_added: int = 0
    candidates_present: int = 0
    reports_added: int = 0
    reports_present: int = 0
    flows_added: int = 0
    flows_present: int = 0
    trainings_added: int = 0
    trainings_present: int = 0
    point_items_added: int = 0
    point_items_present: int = 0
    points_added: int = 0
    points_present: int = 0

    def summary_lines(self) -> list[str]:
        return [
            f"发展党员: 已新增 {self.candidates_added} 名，已有 {self.candidates_present} 名",
            f"思想汇报: 已新增 {self.reports_added} 份，已有 {self.reports_present} 份",
            f"流动党员: 已新增 {self.flows_added} 条流动记录，已有 {self.flows_present} 条",
            f"培训台账: 已新增 {self.trainings_added} 条，已有 {self.trainings_present} 条",
            f"积分项目: 已新增 {self.point_items_added} 项，已有 {self.point_items_present} 项",
            f"积分记录: 已新增 {self.points_added} 条，已有 {self.points_present} 条",
        ]


class _Builder:
    def __init__(self, county: DemoCounty, members: DemoMembers):
        self.county = county
        self.members = members
        self.today = timezone.localdate()
        self.result = DemoActivityResult()

    def clamp(self, day: dt.date) -> dt.date:
        return min(day, self.today)

    # --- the pipeline, through the services --------------------------------------------------------------------

    def pipeline(self, candidates: list[CandidateSpec]) -> None:
        from organizations.models import Organization

        from .development import candidate_record_steps, candidate_register, thought_report_add
        from .models import Candidate, ThoughtReport

        digests = {crypto.digest(c.id_number): c for c in candidates}
        existing = {
            c.person.id_number_digest: c
            for c in filter_in(
                Candidate.objects.select_related("person", "branch"), "person__id_number_digest", list(digests)
            )
        }
        branches = {
            o.code: o for o in filter_in(Organization.objects.all(), "code", [c.branch_code for c in candidates])
        }
        found: dict[str, Candidate] = {}
        for digest, spec in digests.items():
            candidate = existing.get(digest)
            if candidate is not None:
                self.result.candidates_present += 1
            else:
                candidate = candidate_register(
                    actor=None,
                    branch=branches[spec.branch_code],
                    name=spec.name,
                    id_number=spec.id_number,
                    applied_on=self.clamp(spec.applied_on),
                )
                if spec.steps:
                    steps = {k: self.clamp(v) if isinstance(v, dt.date) else v for k, v in spec.steps.items()}
                    candidate = candidate_record_steps(actor=None, candidate=candidate, **steps)
                self.result.candidates_added += 1
            found[digest] = candidate
        handed_in = set(
            filter_in(
                ThoughtReport.objects.order_by().values_list("person_id", "submitted_on"),
                "person_id",
                [c.person_id for c in found.values()],
            )
        )
        for digest, spec in digests.items():
            candidate = found[digest]
            for report in spec.reports:
                day = self.clamp(report.submitted_on)
                if (candidate.person_id, day) in handed_in:
                    self.result.reports_present += 1
                    continue
                thought_report_add(
                    actor=None, candidate=candidate, submitted_on=day, text=report.text, title=report.title
                )
                handed_in.add((candidate.person_id, day))
                self.result.reports_added += 1

    # --- the members, in the demo's order ----------------------------------------------------------------------

    def member_rows(self, candidates: list[CandidateSpec]) -> list[MemberRow]:
        """The demo's members as the database holds them now, in the order of the demo's lists (then the pipeline's
        new members), so a generator walking them draws the same numbers on every run."""
        from organizations.models import Organization

        from .models import Member

        numbers = [m.id_number for m in self.members.members]
        numbers += [c.id_number for c in candidates if c.stage in (Stage.PROBATIONARY, Stage.FULL)]
        order = {crypto.digest(n): (i, n) for i, n in enumerate(numbers)}
        root = Organization.objects.filter(depth=1).order_by("path").first()
        if root is None:
            raise DemoError("没有演示县的组织数据，无法生成演示党员活动数据。")
        step = len(root.path)
        townships = {o.path: o for o in Organization.objects.filter(depth=2)}
        columns = (
            "id", "person__id_number_digest", "person__name", "person__birth_date", "branch__code", "branch__path",
            "branch__domain", "status", "category", "joined_on",
        )  # fmt: skip
        files = Member.objects.order_by().values_list(*columns)
        rows = []
        # All files in one query, matched here: cheaper than asking for 16,000 digests in chunks.
        for pk, digest, name, birth, code, path, domain, status, category, joined in files:
            if digest not in order:
                continue  # a file someone opened by hand: not the demo's
            township = townships.get(path[: 2 * step])
            position, number = order[digest]
            sector = SECTOR_OF_DOMAIN.get(domain, ORGAN)
            township_name, township_kind = (township.name, township.kind) if township else ("", "")
            row = MemberRow(
                pk, number, name, birth, code, path, sector, township_name, township_kind, status, category, joined
            )
            rows.append((position, row))
        rows.sort(key=lambda r: r[0])
        return [row for _, row in rows]

    # --- flows -------------------------------------------------------------------------------------------------

    def flows(self, members: list[MemberRow]) -> None:
        from .models import FlowRecord, StatusChange

        rng = random.Random(ACTIVITY_SEED + 1)
        away = [m for m in members if m.status in FLOW_DIRECTIONS]
        ids = [m.id for m in away]
        open_flows = set(
            filter_in(
                FlowRecord.objects.filter(end_on__isnull=True).values_list("member_id", flat=True), "member_id", ids
            )
        )
        last_end = dict(
            filter_in(
                FlowRecord.objects.filter(end_on__isnull=False)
                .values_list("member_id")
                .annotate(last=Max("end_on"))
                .order_by(),
                "member_id",
                ids,
            )
        )
        changed: dict[tuple[int, str], dt.date] = {}
        for member_id, status, on in filter_in(
            StatusChange.objects.filter(status__in=FLOW_DIRECTIONS).values_list("member_id", "status", "changed_on"),
            "member_id",
            ids,
        ):
            changed[(member_id, status)] = max(on, changed.get((member_id, status), on))
        rows = []
        for m in away:
            places = FLOW_OUT_PLACES if m.status == MemberStatus.FLOWED_OUT else FLOW_IN_PLACES
            place, contact = rng.choice(places), rng.choice(FLOW_CONTACTS)
            earliest = max(m.joined_on + dt.timedelta(days=30), FLOWS_SINCE, last_end.get(m.id, FLOWS_SINCE))
            latest = HISTORY_END if earliest < HISTORY_END else TODAY
            drawn = earliest + dt.timedelta(days=rng.randint(0, max(0, (latest - earliest).days)))
            if m.id in open_flows:
                self.result.flows_present += 1
                continue
            start = self.clamp(changed.get((m.id, m.status), drawn))
            problems = flow_open_problems(
                status=m.status,
                joined_on=m.joined_on,
                direction=m.status,
                place=place,
                start_on=start,
                open_flow=None,
                last_end=last_end.get(m.id),
                today=self.today,
            )
            if problems:
                raise DemoError(f"演示流动记录不合规（{m.name}）：" + "；".join(problems.values()))
            rows.append((m, (m.id, m.status, place, start, None, contact)))

        def audited():
            for m, values in rows:
                _, direction, place, start, end, contact = values
                after = dict(
                    zip(FLOW_AUDIT_FIELDS, (m.id, direction, place, start.isoformat(), end, contact), strict=True)
                )
                yield values, m, f"{m.name} {direction} {place}", after

        self.result.flows_added += _write_audited(
            FlowRecord, ["member", "direction", "place", "start_on", "end_on", "contact"], audited()
        )

    # --- training ----------------------------------------------------------------------------------------------

    def trainings(self, members: list[MemberRow]) -> None:
        from .models import TrainingRecord

        rng = random.Random(ACTIVITY_SEED + 2)
        schedule_rng = random.Random(ACTIVITY_SEED + 3)
        township_names = sorted({m.township_name for m in members if m.township_name})
        local = {name: _township_sessions(schedule_rng, name) for name in township_names}
        secretaries, cadres = self.post_holders()
        generated: list[tuple[MemberRow, Session, dt.date | None, dt.date | None]] = []
        for m in members:
            for session in self.courses_of(rng, m, local, secretaries, cadres):
                cert_start = cert_end = None
                if session.certificate:
                    cert_start, cert_end = session.start_on, session.end_on
                    if rng.random() < CERTIFICATE_MISMATCH:
                        shift = dt.timedelta(days=rng.choice((-7, -3, -1, 1, 2, 7)))
                        if rng.random() < 0.5:
                            cert_start, cert_end = cert_start + shift, cert_end + shift
                        else:
                            cert_end = cert_end + abs(shift)
                generated.append((m, session, cert_start, cert_end))
        present = Counter(
            filter_in(
                TrainingRecord.objects.order_by().values_list("member_id", "course", "start_on", "end_on"),
                "member_id",
                [m.id for m in members],
            )
        )
        new = []
        for m, session, cert_start, cert_end in generated:
            start, end = self.clamp(session.start_on), self.clamp(session.end_on)
            key = (m.id, session.course, start, end)
            if present[key] > 0:
                present[key] -= 1
                self.result.trainings_present += 1
                continue
            problems = training_problems(start_on=start, end_on=end, hours=session.hours, today=self.today)
            if problems:
                raise DemoError(f"演示培训记录不合规（{m.name}，{session.course}）：" + "；".join(problems.values()))
            new.append((m, session, start, end, cert_start, cert_end))
        now = timezone.now()
        afters: dict[tuple, object] = {}

        def audited():
            for m, session, start, end, cert_start, cert_end in new:
                key = (session, start, end, cert_start, cert_end)
                if key not in afters:
                    afters[key] = audit_json(
                        {
                            "course": session.course,
                            "organizer": session.organizer,
                            "start_on": start.isoformat(),
                            "end_on": end.isoformat(),
                            "hours": str(session.hours),
                            "certificate_start_on": cert_start.isoformat() if cert_start else None,
                            "certificate_end_on": cert_end.isoformat() if cert_end else None,
                        }
                    )
                values = (m.id, session.course, session.organizer, start, end, session.hours, cert_start, cert_end, now)
                yield values, m, f"{m.name} {session.course}", afters[key]

        fields = [
            "member", "course", "organizer", "start_on", "end_on", "hours", "certificate_start_on",
            "certificate_end_on", "created_at",
        ]  # fmt: skip
        self.result.trainings_added += _write_audited(TrainingRecord, fields, audited())

    def post_holders(self) -> tuple[set[str], set[str]]:
        """ID numbers of the branches' current secretaries, and of everyone on a branch or general branch committee."""
        kinds = {o.code: o.kind for o in self.county.organizations}
        secretaries, cadres = set(), set()
        for post in self.county.posts:
            if post.end_on is not None or kinds.get(post.org_code) not in (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH):
                continue
            cadres.add(post.person.id_number)
            if post.title == PostTitle.SECRETARY:
                secretaries.add(post.person.id_number)
        return secretaries, cadres

    def courses_of(self, rng: random.Random, m: MemberRow, local: dict, secretaries: set, cadres: set) -> list[Session]:
        """The courses one member attended in the last two years (none for files no longer active)."""
        if m.status not in ACTIVE_STATUSES or m.status == MemberStatus.LOST_CONTACT:
            return []
        away = m.status == MemberStatus.FLOWED_OUT
        presence = 0.15 if away else 1.0
        old = (TODAY - m.birth_date).days >= 80 * 365
        chosen: list[Session] = []

        def maybe(session: Session, share: float) -> None:
            if rng.random() < share and session.start_on >= max(m.joined_on, TRAINING_FROM):
                chosen.append(session)

        township = local.get(m.township_name)
        is_township = m.township_kind == OrgKind.COMMITTEE or m.township_name.endswith("街道党工委")
        if township and is_township:
            maybe(township["winter_2024"], 0.55 * presence * (0.4 if old else 1))
            maybe(township["winter_2025"], 0.6 * presence * (0.4 if old else 1))
            maybe(township["spring_2026"], 0.3 * presence)
            if m.sector == VILLAGE and not old:
                maybe(township["skills_2025"], 0.15 * presence)
            if away:
                maybe(township["home_2025"], 0.4)
                maybe(township["home_2026"], 0.4)
        if m.township_name == ORGANS_COMMITTEE:
            for session, share in ORGAN_COURSES:
                maybe(session, share * presence)
            if m.id_number in cadres:
                maybe(ORGAN_CADRES, 0.6)
        elif m.township_name == EDUCATION_COMMITTEE:
            for session, share in EDUCATION_COURSES:
                maybe(session, share * presence)
        elif m.township_name == TWO_NEW_COMMITTEE:
            for session, share in TWO_NEW_COURSES:
                maybe(session, share * presence)
            if m.id_number in secretaries:
                maybe(TWO_NEW_SECRETARIES, 0.9)
        secretary = m.id_number in secretaries
        for batches, share in ((ERSHIDA, 0.2), (SANZHONG, 0.25), (SIZHONG, 0.25)):
            # The party school's courses are for the organs, schools and hospitals, and for branch secretaries.
            share = share if m.sector in (ORGAN, INSTITUTION) else 0.0
            maybe(rng.choice(batches), max(share, 0.3) if secretary else share)
        if secretary and m.sector in (VILLAGE, COMMUNITY):
            maybe(VILLAGE_SECRETARIES[0 if rng.random() < 0.5 else 1], 0.9)
        if m.id_number in cadres:
            maybe(PARTY_WORKERS, 0.4)
        for session, since, until in NEW_MEMBERS:
            if since <= m.joined_on <= until:
                maybe(session, 0.85 * presence)
        return chosen

    # --- points ------------------------------------------------------------------------------------------------

    def point_items(self) -> dict[str, object]:
        """The active items by name, after creating the default set if the county has none."""
        from .config_services import point_item_create
        from .models import PointItem

        existing = PointItem.objects.count()
        if existing == 0:
            for name, points in DEFAULT_POINT_ITEMS:
                point_item_create(actor=None, name=name, points=Decimal(points))
            self.result.point_items_added = len(DEFAULT_POINT_ITEMS)
        self.result.point_items_present = existing
        return {item.name: item for item in PointItem.objects.filter(is_active=True)}

    def points(self, members: list[MemberRow]) -> None:
        from .models import PointRecord

        items = {name: (i.pk, i.name, i.points, i.is_active) for name, i in self.point_items().items()}
        rng = random.Random(ACTIVITY_SEED + 4)
        branch_codes = sorted({m.branch_code for m in members})
        skip_branches = {code for code in branch_codes if rng.random() < NO_POINTS_SHARE and code != DEMO_BRANCH}
        secretaries, _ = self.post_holders()
        present = Counter(
            filter_in(
                PointRecord.objects.order_by().values_list("member_id", "year", "item_id", "recorded_on"),
                "member_id",
                [m.id for m in members],
            )
        )
        new = []
        for m in members:
            if m.status not in ACTIVE_STATUSES or m.branch_code in skip_branches:
                continue
            for year, name, day, note in self.points_of(rng, m, secretary=m.id_number in secretaries):
                if name not in items:  # an item the county has since retired is simply not used
                    continue
                item = items[name]
                day = self.clamp(day)
                key = (m.id, year, item[0], day)
                if present[key] > 0:
                    present[key] -= 1
                    self.result.points_present += 1
                    continue
                problems = point_record_problems(
                    item_name=item[1],
                    item_active=item[3],
                    year=year,
                    recorded_on=day,
                    joined_on=m.joined_on,
                    today=self.today,
                )
                if problems:
                    raise DemoError(f"演示积分记录不合规（{m.name}，{item[1]}）：" + "；".join(problems.values()))
                new.append((m, year, item, day, note))
        afters: dict[tuple, object] = {}

        def audited():
            for m, year, (item_id, name, points, _), day, note in new:
                after = afters.get((item_id, year))
                if after is None:
                    after = afters[(item_id, year)] = audit_json({"item": name, "year": year, "points": str(points)})
                yield (m.id, year, item_id, points, day, note), m, f"{m.name} {year} {name} {points}", after

        self.result.points_added += _write_audited(
            PointRecord, ["member", "year", "item", "points", "recorded_on", "note"], audited()
        )

    def points_of(self, rng: random.Random, m: MemberRow, *, secretary: bool) -> list[tuple[int, str, dt.date, str]]:
        """(year, item name, date, note) for one member: a base score each year, each finished half-year either its
        duties done or a deduction, the 民主评议 at the end of a finished year, and now and then volunteering, praise
        or a penalty. How engaged the member is (one draw) sets the odds."""
        engaged = rng.betavariate(*ENGAGEMENT)
        if m.status == MemberStatus.FLOWED_OUT:
            engaged *= 0.6
        elif m.status == MemberStatus.LOST_CONTACT:
            engaged *= 0.2
        elif m.status == MemberStatus.FLOWED_IN:
            engaged *= 0.9
        if secretary:
            engaged = max(engaged, 0.8)
        out = []
        for year in POINT_YEARS:
            start, end = dt.date(year, 1, 1), min(dt.date(year, 12, 31), TODAY)
            if m.joined_on > end:
                continue
            first = max(start, m.joined_on)
            out.append((year, BASE, max(dt.date(year, 1, 2) + _days(rng, 0, 9), m.joined_on), ""))
            for half_start, half_end in ((start, dt.date(year, 6, 30)), (dt.date(year, 7, 1), dt.date(year, 12, 31))):
                if half_end > TODAY or m.joined_on > half_end - dt.timedelta(days=30):
                    continue  # a half-year not over yet, or the member joined too late in it
                closing = half_end - _days(rng, 0, 5)
                if rng.random() < 0.1 + 0.88 * engaged:
                    out.append((year, DUTIES, closing, ""))
                elif rng.random() < 0.7:
                    day = max(half_start, m.joined_on) + _days(rng, 0, 150)
                    out.append((year, ABSENT, min(day, closing), rng.choice(ABSENCE_NOTES)))
                else:
                    out.append((year, LATE_DUES, closing, "党费逾期未交"))
            if dt.date(year, 12, 31) <= TODAY and m.joined_on <= dt.date(year, 10, 1):
                score = engaged + rng.gauss(0, 0.12)
                name = next(name for name, _, low in APPRAISALS if low is None or score >= low)
                out.append((year, name, dt.date(year, 12, 20) + _days(rng, 0, 10), f"{year}年度民主评议党员"))
            if rng.random() < (0.08 + 0.32 * engaged) * (end - first).days / 365:
                out.append((year, VOLUNTEER, _between(rng, first, end), rng.choice(VOLUNTEER_NOTES)))
            if rng.random() < 0.25 * engaged * engaged:
                out.append((year, PIONEER, _between(rng, first, end), rng.choice(PIONEER_NOTES)))
            if engaged > 0.8 and rng.random() < 0.06 and m.joined_on <= dt.date(year, 6, 28):
                out.append((year, AWARD, dt.date(year, 6, 28), "被评为优秀共产党员"))
            if rng.random() < 0.002:
                out.append((year, PUNISHED, _between(rng, first, end), "受到党内警告处分"))
        return out


@transaction.atomic
def build_demo_activity(*, county: DemoCounty | None = None, members: DemoMembers | None = None) -> DemoActivityResult:
    """Record the demo county's pipeline, training, points and flows as the system; a second run adds nothing.

    Needs the demo county's organizations and members (build_demo_county, build_demo_members) in the database."""
    county = county or demo_county()
    members = members or demo_members(county)
    candidates = demo_candidates(county, members)
    builder = _Builder(county, members)
    builder.pipeline(candidates)
    rows = builder.member_rows(candidates)
    builder.flows(rows)
    builder.trainings(rows)
    builder.points(rows)
    return builder.result


def _write_audited(model, fields: list[str], rows) -> int:
    """Insert demo rows with reserved ids and one create event each. `rows` yields (values in `fields` order, the
    member row whose branch files the event, the event's text, its `after`)."""
    rows = list(rows)
    batch = AuditBatch(None)
    object_type = model._meta.label_lower
    plain = []
    for pk, (values, m, text, after) in zip(reserve_ids(model, len(rows)), rows, strict=True):
        plain.append((pk, *values))
        batch.add(
            action="create",
            object_type=object_type,
            object_id=pk,
            object_repr=text,
            org_path=m.branch_path,
            after=after,
        )
    bulk_insert(model, ["id", *fields], plain)
    batch.save()
    return len(plain)
