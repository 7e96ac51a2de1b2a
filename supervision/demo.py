"""Supervision in the demo county 青山县 (organizations.demo, members.demo, meetings.demo): dispatched tasks, findings
and their rectification, weak and lax villages, first secretaries with their duty check-ins, the members' speech
materials at the 组织生活会 of the last year, and formalism planted for the nightly checks (supervision.checks) to
find.

What is in it:
- tasks: a dozen from the county and four townships over the last eighteen months, to all township committees, all
  village branches, one township's villages or the weak villages, with assignments in every state (accepted on time
  or late, returned and reported again, returned and waiting, reported and waiting for review, pending past the
  deadline, pending and not yet due);
- findings: some eighty from 督查, 暗访, 巡察 and 述职点评 over three years, every status with its events (开始整改 →
  报告整改完成 → 销号, some 退回重改), some overdue, some repeated (same category, same organization, next year:
  `repeated` and `previous` as supervision.services.findings sets them);
- five weak villages (two lifted, three still under rectification, with their steps);
- first secretaries for some twenty-five villages and a few team members, from county units, some ended, with a few
  duty check-ins a month; a few have not checked in for over a month, two never;
- a speech material for each member at the 组织生活会 of the last 365 days (present on the attendance list, or of the
  branch that day where the meeting has no list), with two or three near-identical ones in COPIED_MEETINGS meetings.

Formalism planted for the checks (DemoSupervisionResult.planted lists each fault and the records a finding of it
names): copied speeches; thought reports of one branch copied from another activist's (members.demo_pipeline
plants its copies across branches of a township, which the branch-level check does not compare); the dead and the
not-yet-joined on attendance lists (inserted directly: the service would refuse them, as an import later changed
would not); members signed in at two meetings in two places within an hour; duty check-ins outside the dispatch.
Certificates whose dates differ from the course's come from members.demo_activity, overdue elections from
organizations.demo, back-filled and missing meetings from meetings.demo; the planted list names those too.

Deterministic: one random.Random with a fixed seed per section, speeches from one seeded with the meeting's natural
key, records picked from lists in a fixed order. Dates count back from the day of seeding, like the meetings. A
second run changes nothing: a section whose rows exist (tasks, findings, weak villages, dispatches of the demo
county) is left alone, speeches and planted rows are matched by their natural keys. Plain rows with one audit event
each (core.bulk, core.audit.AuditBatch), as the other demo builders write them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.audit import AuditBatch
from core.bulk import bulk_insert, filter_in, reserve_ids
from core.scope import subtree_range_q
from organizations.choices import Domain, OrgKind, PostTitle
from organizations.demo import (
    COUNTY_CODE,
    DEMO_BRANCH,
    DEMO_TOWNSHIP,
    FEMALE_CHARS,
    MALE_CHARS,
    SURNAMES,
    DemoError,
)

from . import demo_texts as texts
from .choices import AssignmentStatus, CheckKind, FindingSource, FindingStatus, FindingStep, Severity
from .demo_texts import TASKS, TaskSpec

SEED = 20260710
HISTORY_DAYS = 548  # eighteen months
SPEECH_DAYS = 365
COPIED_MEETINGS = 6
WEAK_VILLAGES = 5
FIRST_SECRETARIES = 25
USERS = ("admin", "zhen_admin", "shuji", "kaohe")
ZONE = timezone.get_default_timezone()
A = AssignmentStatus
S = FindingStatus


@dataclass(frozen=True)
class Planted:
    """One fault planted (or left by another demo builder) for a check: the records a finding of it names in its
    evidence refs, as (type, id)."""

    kind: str
    refs: tuple[tuple[str, int], ...]
    what: str


@dataclass
class DemoSupervisionResult:
    tasks_added: int = 0
    tasks_present: int = 0
    assignments_added: int = 0
    findings_added: int = 0
    findings_present: int = 0
    finding_events_added: int = 0
    weak_added: int = 0
    weak_present: int = 0
    weak_steps_added: int = 0
    dispatches_added: int = 0
    dispatches_present: int = 0
    check_ins_added: int = 0
    speeches_added: int = 0
    speeches_present: int = 0
    planted_added: int = 0
    planted_present: int = 0
    planted: list[Planted] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        return [
            f"党建任务: 已新增 {self.tasks_added} 项（{self.assignments_added} 个承办组织），已有 {self.tasks_present} 项",
            f"问题清单: 已新增 {self.findings_added} 条（{self.finding_events_added} 条整改记录），"
            f"已有 {self.findings_present} 条",
            f"软弱涣散党组织: 已新增 {self.weak_added} 个（{self.weak_steps_added} 条整顿进展），已有 {self.weak_present} 个",
            f"驻村干部: 已新增 {self.dispatches_added} 名（{self.check_ins_added} 条到岗记录），"
            f"已有 {self.dispatches_present} 名",
            f"发言材料: 已新增 {self.speeches_added} 份，已有 {self.speeches_present} 份",
            f"形式主义线索: 已新增 {self.planted_added} 条，已有 {self.planted_present} 条",
        ]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _office_time(rng: random.Random, day: dt.date) -> dt.datetime:
    return _at(day, rng.randint(8, 17), rng.randrange(0, 60, 5))


def _short(name: str) -> str:
    for suffix in ("党委", "党工委", "党总支", "党支部"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def demo_supervision_exists() -> bool:
    """Whether the demo county already has its supervision records (for `seed_demo --if-empty`)."""
    from organizations.models import Organization

    from .models import Dispatch, Task

    root = Organization.objects.filter(code=COUNTY_CODE, depth=1).first()
    if root is None:
        return False
    return (
        Task.objects.filter(subtree_range_q("sender__path", root.path)).exists()
        or Dispatch.objects.filter(subtree_range_q("organization__path", root.path)).exists()
    )


class _County:
    """The demo county's organizations, people and demo logins, read once."""

    def __init__(self):
        from accounts.models import User
        from organizations.models import Organization, Post

        root = Organization.objects.filter(code=COUNTY_CODE, depth=1).first()
        if root is None:
            raise DemoError("没有演示县的组织数据，无法生成演示督查数据。")
        self.root = root
        self.orgs = list(Organization.objects.filter(subtree_range_q("path", root.path)).order_by("path"))
        self.by_id = {o.pk: o for o in self.orgs}
        self.by_code = {o.code: o for o in self.orgs}
        self.townships = [
            o for o in self.orgs if o.depth == 2 and o.kind in (OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE)
        ]
        ids = {o.pk for o in self.townships}
        village_kinds = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
        self.villages = [
            o
            for o in self.orgs
            if o.parent_id in ids and o.kind in village_kinds and o.domain in (Domain.RURAL, Domain.COMMUNITY)
        ]
        self.rural = [o for o in self.villages if o.domain == Domain.RURAL and o.kind == OrgKind.BRANCH]
        self.branches = [o for o in self.orgs if o.kind == OrgKind.BRANCH]
        self.users = dict(User.objects.filter(username__in=USERS).values_list("username", "id"))
        # {organization id: [(person id, name, start, end)]} of the 书记 posts
        self.secretaries: dict[int, list[tuple[int, str, dt.date, dt.date | None]]] = defaultdict(list)
        for org_id, person_id, name, start, end in Post.objects.filter(
            organization_id__in=list(self.by_id), title=PostTitle.SECRETARY
        ).values_list("organization_id", "person_id", "person__name", "start_on", "end_on"):
            self.secretaries[org_id].append((person_id, name, start, end))

    def secretary(self, org_id: int, day: dt.date) -> tuple[int | None, str]:
        """(person id, name) of the organization's 书记 on `day` (the latest start), or (None, "")."""
        held = [
            (start, pid, name)
            for pid, name, start, end in self.secretaries.get(org_id, ())
            if start <= day and (end is None or end >= day)
        ]
        if not held:
            return None, ""
        _, pid, name = max(held)
        return pid, name

    def township_of(self, org):
        return next((o for o in self.townships if org.path.startswith(o.path)), None)

    def under(self, org, code: str) -> bool:
        top = self.by_code.get(code)
        return bool(top) and org.path.startswith(top.path)

    def user_for_change(self, org) -> int | None:
        """Who records the organization's own steps: the demo secretary at the demo branch, the township admin in
        the demo township, nobody (the system, as imported) elsewhere."""
        if org.code == DEMO_BRANCH:
            return self.users.get("shuji")
        return self.users.get("zhen_admin") if self.under(org, DEMO_TOWNSHIP) else None

    def user_for_review(self, org) -> int | None:
        """Who signs off or reviews for the level above `org`."""
        parent = self.by_id.get(org.parent_id)
        if parent is not None and parent.code == DEMO_TOWNSHIP:
            return self.users.get("zhen_admin")
        return self.users.get("admin")


class _Picks:
    """What the sections share, drawn from the county's list alone: the weak villages with their dates, and the
    villages with first secretaries and the cadres dispatched there."""

    def __init__(self, county: _County, today: dt.date):
        rng = random.Random(f"{SEED}:picks")
        rural = [o for o in county.rural if o.code != DEMO_BRANCH]
        demo_town = [o for o in rural if county.under(o, DEMO_TOWNSHIP)]
        weak = rng.sample(demo_town, min(1, len(demo_town)))
        others = [o for o in rural if o not in weak]
        weak += rng.sample(others, min(WEAK_VILLAGES - len(weak), len(others)))
        self.weak = weak
        # (designated, lifted): the first two lifted, the others still under rectification.
        ages = ((640, 240), (560, 120), (280, None), (200, None), (95, None))
        self.weak_dates = [
            (today - dt.timedelta(days=d + rng.randint(0, 10)), today - dt.timedelta(days=lift) if lift else None)
            for d, lift in ages[: len(weak)]
        ]
        rest = [o for o in rural if o not in weak]
        demo = [o for o in county.rural if o.code == DEMO_BRANCH]
        count = max(0, min(FIRST_SECRETARIES - len(weak) - len(demo), len(rest)))
        self.dispatched = weak + demo + rng.sample(rest, count)
        designated = {o.pk: d for o, (d, _) in zip(weak, self.weak_dates)}
        self.dispatches = _dispatch_plan(rng, today, self.dispatched, designated)


@dataclass
class _DispatchSpec:
    org: object
    name: str
    role: str
    unit: str
    unit_post: str
    start_on: dt.date
    end_on: dt.date | None
    note: str
    habit: str  # regular | stale (not since 35–90 days) | never | after_end | before_start (planted)


# Places in the list of dispatched villages (the weak ones first, then the demo branch) with a particular story.
PREVIOUS_ROUND = (6, 9, 13, 18)  # a first secretary who ended, then the current one
AFTER_END = (6, 13)  # … whose check-ins go on after the end (planted for dispatch_dates)
ENDED = (14, 16)  # a first secretary who ended, no successor yet
TEAMS = (7, 11)  # a team member besides the first secretary (the weak villages have one too); 11's ended
HABITS = {8: "stale", 12: "stale", 15: "stale", 19: "stale", 10: "never", 21: "never", 17: "before_start"}


def _dispatch_plan(rng: random.Random, today: dt.date, villages: list, weak: dict) -> list[_DispatchSpec]:
    """`weak`: {organization id: designated}; a weak village gets its first secretary a few weeks after."""
    specs: list[_DispatchSpec] = []
    used: set[str] = set()

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    def name() -> str:
        while True:
            chars = MALE_CHARS if rng.random() < 0.8 else FEMALE_CHARS
            n = rng.choice(SURNAMES) + rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.6 else "")
            if n not in used:
                used.add(n)
                return n

    def add(org, role, start, end, habit):
        note = f"{start.year}年选派" + ("，派驻软弱涣散村" if org.pk in weak else "")
        unit, post = rng.choice(texts.DISPATCH_UNITS), rng.choice(texts.DISPATCH_POSTS)
        specs.append(_DispatchSpec(org, name(), role, unit, post, start, end, note, habit))

    for i, org in enumerate(villages):
        if i in ENDED:
            add(org, "第一书记", ago(rng.randint(700, 760)), ago(rng.randint(20, 120)), "regular")
            continue
        start = ago(rng.randint(60, 600))
        if org.pk in weak:
            start = weak[org.pk] + dt.timedelta(days=rng.randint(20, 45))
        if i in PREVIOUS_ROUND:
            old_end = ago(rng.randint(200, 420))
            habit = "after_end" if i in AFTER_END else "regular"
            add(org, "第一书记", old_end - dt.timedelta(days=730), old_end, habit)
            start = old_end + dt.timedelta(days=rng.randint(1, 20))
        habit = HABITS.get(i, "regular")
        if habit == "never":
            start = ago(rng.randint(40, 80))
        add(org, "第一书记", start, None, habit)
        if org.pk in weak or i in TEAMS:
            add(org, "工作队员", start, ago(rng.randint(30, 90)) if i == TEAMS[-1] else None, "regular")
    return specs


def _check_in_days(rng: random.Random, spec: _DispatchSpec, today: dt.date) -> list[dt.date]:
    """A few weekdays a month on duty from the start (at most eighteen months back) to the end or yesterday."""
    yesterday = today - dt.timedelta(days=1)
    first = max(spec.start_on, today - dt.timedelta(days=HISTORY_DAYS))
    last = min(spec.end_on or yesterday, yesterday)
    if spec.habit == "never":
        return []
    if spec.habit == "stale":
        last = min(last, today - dt.timedelta(days=rng.randint(35, 90)))
    days: set[dt.date] = set()
    month = first.replace(day=1)
    while month <= last:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        workdays = [
            month + dt.timedelta(days=n)
            for n in range((following - month).days)
            if first <= month + dt.timedelta(days=n) <= last and (month + dt.timedelta(days=n)).weekday() < 5
        ]
        days.update(rng.sample(workdays, min(len(workdays), rng.randint(3, 8))))
        month = following
    if spec.habit == "after_end" and spec.end_on:
        days.update(d for d in (spec.end_on + dt.timedelta(days=3), spec.end_on + dt.timedelta(days=10)) if d < today)
    if spec.habit == "before_start":
        days.add(spec.start_on - dt.timedelta(days=rng.randint(2, 5)))
    return sorted(days)


# Fixed states where the demo logins look: the demo secretary has a task sent back and one still to do.
TASK_STATES = {("discipline", DEMO_BRANCH): "returned", ("winter", DEMO_BRANCH): "pending"}


TOWNSHIPS_NOTE = "全县各乡镇党委、街道党工委及县直各党（工）委"


class _Builder:
    def __init__(self, county: _County, picks: _Picks, *, today: dt.date, now: dt.datetime):
        self.c = county
        self.picks = picks
        self.today = today
        self.now = now
        self.latest = now - dt.timedelta(minutes=30)  # nothing generated is later than this
        self.result = DemoSupervisionResult()
        self.audit = AuditBatch(None)

    def event(self, action: str, object_type: str, pk: int, text: str, path: str, **values) -> None:
        """One audit event of the bulk write (`values`: before, after, note)."""
        self.audit.add(action=action, object_type=object_type, object_id=pk, object_repr=text, org_path=path, **values)

    def in_county(self, field: str):
        return subtree_range_q(field, self.c.root.path)

    def days_ago(self, days: int) -> dt.date:
        return self.today - dt.timedelta(days=days)

    # --- weak organizations ------------------------------------------------------------------------------------

    def weak(self) -> None:
        from .models import WeakOrganization, WeakRectificationStep

        present = WeakOrganization.objects.filter(self.in_county("organization__path")).count()
        if present:
            self.result.weak_present = present
            return
        rng = random.Random(f"{SEED}:weak")
        first_secretaries = {s.org.pk: s for s in self.picks.dispatches if s.role == "第一书记"}
        rows, steps = [], []
        admin = self.c.users.get("admin")
        ids = reserve_ids(WeakOrganization, len(self.picks.weak))
        for pk, org, (designated, lifted) in zip(ids, self.picks.weak, self.picks.weak_dates, strict=True):
            reason = texts.WEAK_REASONS[len(rows) % len(texts.WEAK_REASONS)]
            measures = rng.choice(texts.WEAK_MEASURES)
            created = _at(designated, 10)
            rows.append(
                (
                    pk,
                    org.pk,
                    designated,
                    reason,
                    measures,
                    lifted,
                    texts.WEAK_LIFT_NOTE if lifted else "",
                    admin,
                    created,
                )
            )
            self.event(
                "create",
                "supervision.weakorganization",
                pk,
                f"{org.name} 软弱涣散 {designated}",
                org.path,
                after={
                    "organization": org.pk,
                    "designated_on": designated.isoformat(),
                    "reason": reason,
                    "measures": measures,
                    "lifted_on": None,
                    "lift_note": "",
                },
            )
            if lifted:
                chosen = [0, 1, 2, 3, 4, rng.choice((5, 6)), 8]
                end = lifted - dt.timedelta(days=3)
            else:
                chosen = [0, 1, 2, 3, 4, 6, 7][: 3 + min(4, (self.today - designated).days // 60)]
                end = self.days_ago(2)
            spec = first_secretaries.get(org.pk)
            if spec is None:
                chosen.remove(2)
            span = max(1, (end - designated).days)
            planned = []
            for n, k in enumerate(chosen):
                day = designated + dt.timedelta(days=max(1, round(span * (n + 1) / len(chosen))))
                if n == len(chosen) - 1 and lifted:
                    day = end
                if k == 2:  # the first secretary's arrival, on the day the dispatch starts
                    day = min(spec.start_on, end)
                text = texts.WEAK_STEPS[k].format(unit=spec.unit, name=spec.name) if spec else texts.WEAK_STEPS[k]
                planned.append((day, n, text))
            for day, _, text in sorted(planned):
                steps.append((pk, day, text, self.c.user_for_change(org), min(_at(day, 17), self.latest), org))
            if lifted:
                self.event(
                    "lift",
                    "supervision.weakorganization",
                    pk,
                    f"{org.name} 软弱涣散 {designated}",
                    org.path,
                    before={"lifted_on": None},
                    after={"lifted_on": lifted.isoformat(), "lift_note": texts.WEAK_LIFT_NOTE},
                )
        fields = [
            "id",
            "organization",
            "designated_on",
            "reason",
            "measures",
            "lifted_on",
            "lift_note",
            "created_by",
            "created_at",
        ]
        bulk_insert(WeakOrganization, fields, rows)
        step_ids = reserve_ids(WeakRectificationStep, len(steps))
        for step_pk, (weak_pk, day, text, _, _, org) in zip(step_ids, steps, strict=True):
            self.event(
                "create",
                "supervision.weakrectificationstep",
                step_pk,
                f"{weak_pk} {day}",
                org.path,
                after={"weak": weak_pk, "done_on": day.isoformat(), "description": text},
            )
        bulk_insert(
            WeakRectificationStep,
            ["id", "weak", "done_on", "description", "recorded_by", "recorded_at"],
            [(pk, *step[:5]) for pk, step in zip(step_ids, steps, strict=True)],
        )
        self.result.weak_added, self.result.weak_steps_added = len(rows), len(steps)

    # --- first secretaries and their check-ins -----------------------------------------------------------------

    def dispatches(self) -> None:
        from .models import Dispatch, DutyCheckIn

        present = Dispatch.objects.filter(self.in_county("organization__path")).count()
        if present:
            self.result.dispatches_present = present
            return
        specs = self.picks.dispatches
        ids = reserve_ids(Dispatch, len(specs))
        rows, check_ins = [], []
        for pk, s in zip(ids, specs, strict=True):
            rows.append(
                (
                    pk,
                    s.org.pk,
                    s.name,
                    s.role,
                    s.unit,
                    s.unit_post,
                    s.start_on,
                    s.end_on,
                    s.note,
                    min(_at(s.start_on, 10), self.latest),
                )
            )
            self.event(
                "create",
                "supervision.dispatch",
                pk,
                f"{s.org.name} {s.role} {s.name}",
                s.org.path,
                after={
                    "organization": s.org.pk,
                    "name": s.name,
                    "role": s.role,
                    "unit": s.unit,
                    "unit_post": s.unit_post,
                    "start_on": s.start_on.isoformat(),
                    "end_on": s.end_on.isoformat() if s.end_on else None,
                    "note": s.note,
                },
            )
            rng = random.Random(f"{SEED}:checkin:{s.org.code}:{s.name}")
            recorder = self.c.user_for_change(s.org)
            for day in _check_in_days(rng, s, self.today):
                check_ins.append(
                    (
                        pk,
                        day,
                        rng.choice(texts.CHECK_IN_NOTES),
                        recorder,
                        min(_at(day, 18, rng.randrange(0, 60, 5)), self.latest),
                        s,
                    )
                )
        bulk_insert(
            Dispatch,
            ["id", "organization", "name", "role", "unit", "unit_post", "start_on", "end_on", "note", "created_at"],
            rows,
        )
        check_ids = reserve_ids(DutyCheckIn, len(check_ins))
        for pk, (dispatch, day, note, _, _, s) in zip(check_ids, check_ins, strict=True):
            self.event(
                "create",
                "supervision.dutycheckin",
                pk,
                f"{s.name} {day}",
                s.org.path,
                after={"dispatch": dispatch, "on": day.isoformat(), "note": note},
            )
        bulk_insert(
            DutyCheckIn,
            ["id", "dispatch", "on", "note", "recorded_by", "recorded_at"],
            [(pk, *c[:5]) for pk, c in zip(check_ids, check_ins, strict=True)],
        )
        self.result.dispatches_added, self.result.check_ins_added = len(rows), len(check_ins)

    # --- tasks -------------------------------------------------------------------------------------------------

    def sent_on(self, spec: TaskSpec) -> dt.date:
        if spec.start is None:
            return self.days_ago(spec.ago)
        year = self.today.year
        while dt.date(year, *spec.start) + dt.timedelta(days=spec.days + 10) > self.today:
            year -= 1
        return dt.date(year - spec.back, *spec.start)

    def targets(self, spec: TaskSpec, sender) -> tuple[list, str]:
        if spec.targets == "townships":
            return list(self.c.townships), TOWNSHIPS_NOTE
        if spec.targets == "villages":
            return list(self.c.villages), "全县村（社区）党组织"
        if spec.targets == "weak":
            return [
                o for o, (_, lifted) in zip(self.picks.weak, self.picks.weak_dates) if not lifted
            ], "软弱涣散整顿村党组织"
        return [o for o in self.c.villages if o.parent_id == sender.pk], f"{sender.name}所辖村（社区）党组织"

    def tasks(self) -> None:
        from .models import Task, TaskAssignment

        present = Task.objects.filter(self.in_county("sender__path")).count()
        if present:
            self.result.tasks_present = present
            return
        tasks, assignments = [], []
        for spec in TASKS:
            sender = self.c.root if not spec.sender else self.c.by_code.get(spec.sender)
            if sender is None:
                continue
            targets, note = self.targets(spec, sender)
            if not targets:
                continue
            sent = self.sent_on(spec)
            deadline = sent + dt.timedelta(days=spec.days)
            creator = self.c.users.get("admin") if sender == self.c.root else None
            if sender.code == DEMO_TOWNSHIP:
                creator = self.c.users.get("zhen_admin")
            tasks.append((spec, sender, spec.title.format(year=deadline.year), sent, deadline, note, creator, targets))
        task_ids = reserve_ids(Task, len(tasks))
        rows = []
        for pk, (spec, sender, title, sent, deadline, note, creator, targets) in zip(task_ids, tasks, strict=True):
            rows.append((pk, sender.pk, title, spec.body, deadline, note, creator, _at(sent, 9, 30)))
            self.event(
                "dispatch",
                "supervision.task",
                pk,
                title,
                sender.path,
                after={
                    "title": title,
                    "deadline": deadline.isoformat(),
                    "organizations": len(targets),
                    "targets_note": note,
                },
            )
            rng = random.Random(f"{SEED}:task:{spec.key}")
            for org in sorted(targets, key=lambda o: o.path):
                state = TASK_STATES.get((spec.key, org.code)) or self.task_state(rng, deadline)
                assignments.append(
                    (pk, spec, sender, sent, deadline, org, self.steps(rng, spec, sent, deadline, state))
                )
        bulk_insert(
            Task, ["id", "sender", "title", "body", "deadline", "targets_note", "created_by", "created_at"], rows
        )
        ids = reserve_ids(TaskAssignment, len(assignments))
        rows = []
        for pk, (task_pk, _, sender, _, deadline, org, steps) in zip(ids, assignments, strict=True):
            rows.append(self.assignment_row(pk, task_pk, sender, deadline, org, steps))
        fields = [
            "id",
            "task",
            "organization",
            "status",
            "report",
            "reported_at",
            "reported_by",
            "report_count",
            "review_comment",
            "reviewed_at",
            "reviewed_by",
        ]
        bulk_insert(TaskAssignment, fields, rows)
        self.result.tasks_added, self.result.assignments_added = len(tasks), len(rows)

    def task_state(self, rng: random.Random, deadline: dt.date) -> str:
        r = rng.random()
        if deadline >= self.today:
            return "pending" if r < 0.55 else "reported" if r < 0.8 else "accepted" if r < 0.94 else "returned"
        recent = deadline >= self.days_ago(75)
        for state, share in (("on_time", 0.66), ("late", 0.74), ("again", 0.81), ("returned", 0.85)):
            if r < share:
                return state
        if r < 0.9:
            return "reported" if recent else "on_time"
        return "pending"

    def steps(self, rng, spec: TaskSpec, sent: dt.date, deadline: dt.date, state: str) -> list[tuple]:
        """(what, when, text) of an assignment's reports and reviews, none later than now."""
        yesterday = self.days_ago(1)
        last = min(deadline, yesterday)

        def day(low: dt.date, high: dt.date) -> dt.date:
            return _between(rng, low, max(low, high))

        def report() -> str:
            return rng.choice(texts.TASK_REPORTS[spec.key]).format(n=rng.randint(20, 80), k=rng.randint(1, 6))

        out: list[tuple] = []
        if state == "pending":
            return out
        if state == "late":
            first = day(deadline + dt.timedelta(days=1), deadline + dt.timedelta(days=14))
        elif state == "again":
            first = day(sent + dt.timedelta(days=1), last - dt.timedelta(days=3))
        else:
            first = day(sent + dt.timedelta(days=1), last)
        out.append(("report", _office_time(rng, first), report()))
        if state in ("again", "returned"):
            back = first + dt.timedelta(days=rng.randint(1, 3))
            out.append(("return", _office_time(rng, back), rng.choice(texts.TASK_RETURN_COMMENTS)))
            if state == "again":
                again = back + dt.timedelta(days=rng.randint(1, 6))
                out.append(("report", _office_time(rng, again), report()))
                out.append(("accept", _office_time(rng, again + dt.timedelta(days=rng.randint(1, 4))), ""))
        elif state in ("on_time", "late", "accepted"):
            review = out[-1][1].date() + dt.timedelta(days=rng.randint(1, 5))
            out.append(("accept", _office_time(rng, review), rng.choice(texts.TASK_ACCEPT_COMMENTS)))
        return [step for step in out if step[1] <= self.latest]

    def assignment_row(self, pk: int, task_pk: int, sender, deadline: dt.date, org, steps: list[tuple]) -> tuple:
        status, report, reported_at, count, comment, reviewed_at = A.PENDING, "", None, 0, "", None
        reporter = self.c.user_for_change(org)
        reviewer = self.c.users.get("admin") if sender == self.c.root else self.c.user_for_review(org)
        self.event("create", "supervision.taskassignment", pk, org.name, org.path, after={"task": task_pk})
        for what, at, text in steps:
            before = status
            if what == "report":
                status, report, reported_at, count = A.REPORTED, text, at, count + 1
                late = _local_day(at) > deadline
                self.event(
                    "report",
                    "supervision.taskassignment",
                    pk,
                    org.name,
                    org.path,
                    before={"status": before},
                    after={"status": status, "report": text},
                    note="逾期上报" if late else "",
                )
            else:
                status, comment, reviewed_at = (A.RETURNED if what == "return" else A.ACCEPTED), text, at
                self.event(
                    "review",
                    "supervision.taskassignment",
                    pk,
                    org.name,
                    org.path,
                    before={"status": before},
                    after={"status": status, "review_comment": text},
                )
        return (
            pk,
            task_pk,
            org.pk,
            status,
            report,
            reported_at,
            reporter if count else None,
            count,
            comment,
            reviewed_at,
            reviewer if reviewed_at else None,
        )

    # --- findings ----------------------------------------------------------------------------------------------

    def finding_plan(self, rng: random.Random) -> list[dict]:
        """Some eighty findings over three years (fewer in the first), a few found again the next year."""
        y = self.today.year
        last_day = self.days_ago(3)
        townships = [o for o in self.c.townships if o.kind == OrgKind.COMMITTEE] or self.c.townships
        villages = self.c.villages
        organs = [o for o in self.c.branches if o.domain == Domain.ORGAN]
        others = [o for o in self.c.branches if o.domain not in (Domain.RURAL, Domain.ORGAN)]
        dispatched = {o.pk for o in self.picks.dispatched}
        plan: list[dict] = []

        def day_in(year: int, first: tuple[int, int], last: tuple[int, int]) -> dt.date:
            low, high = dt.date(year, *first), min(dt.date(year, *last), last_day)
            if high < low:
                low = min(dt.date(year, 1, 10), high)
            return _between(rng, low, high)

        def add(org, source, category, description, found_on):
            plan.append(
                {
                    "org": org,
                    "source": source,
                    "category": category,
                    "description": description,
                    "found_on": found_on,
                    "severity": rng.choices(Severity.values, weights=(60, 30, 10))[0],
                }
            )

        for year, count in ((y - 2, 17), (y - 1, 27), (y, 26)):
            for _ in range(count):
                source = rng.choices(
                    (
                        FindingSource.INSPECTION,
                        FindingSource.UNANNOUNCED,
                        FindingSource.PATROL,
                        FindingSource.DUTY_REVIEW,
                    ),
                    weights=(45, 25, 15, 15),
                )[0]
                if source == FindingSource.DUTY_REVIEW and townships:
                    category, description = rng.choice(texts.FINDINGS_AT_TOWNSHIPS)
                    add(rng.choice(townships), source, category, description, day_in(year, (1, 15), (2, 28)))
                    continue
                r = rng.random()
                pool = villages if r < 0.75 or not (organs or others) else organs if r < 0.87 and organs else others
                org = rng.choice(pool or villages)
                templates = [
                    t for t in texts.FINDINGS_AT_BRANCHES if "村“两委”" not in t[1] or org.domain == Domain.RURAL
                ]
                if org.pk in dispatched and rng.random() < 0.3:
                    templates = list(texts.FINDINGS_AT_DISPATCH_VILLAGES)
                category, description = rng.choice(templates)
                if source == FindingSource.PATROL:
                    found = day_in(year, *rng.choice((((4, 10), (5, 31)), ((9, 10), (10, 31)))))
                elif year == y and rng.random() < 0.4:  # this autumn's round, still being rectified
                    found = _between(rng, max(dt.date(y, 1, 10), self.days_ago(75)), last_day)
                else:
                    found = day_in(year, (3, 1), (12, 15))
                add(org, source, category, description, found)
        for org, (designated, _) in zip(self.picks.weak, self.picks.weak_dates):
            add(
                org,
                FindingSource.INSPECTION,
                "班子建设",
                texts.FINDINGS_AT_BRANCHES[12][1] if org.domain == Domain.RURAL else texts.FINDINGS_AT_BRANCHES[13][1],
                designated - dt.timedelta(days=rng.randint(30, 60)),
            )
        earlier = [f for f in plan if f["found_on"].year < y and f["source"] != FindingSource.DUTY_REVIEW]
        for f in rng.sample(earlier, min(9, len(earlier))):
            year = f["found_on"].year + 1
            found = day_in(year, (3, 1), (12, 15))
            add(
                f["org"],
                rng.choice((FindingSource.INSPECTION, FindingSource.PATROL)),
                f["category"],
                f["description"] + texts.REPEATED_SUFFIX,
                found,
            )
        plan.sort(key=lambda f: (f["found_on"], f["org"].path, f["description"]))
        return plan

    def finding_steps(self, rng: random.Random, f: dict) -> list[tuple]:
        """(step, from, to, note, at, actor) of one finding, up to now; its status follows from the last."""
        org, found, deadline = f["org"], f["found_on"], f["deadline"]
        creator = self.c.users.get("admin" if f["source"] == FindingSource.DUTY_REVIEW else "kaohe")
        doer, reviewer = self.c.user_for_change(org), self.c.user_for_review(org)
        overdue_by = (self.today - deadline).days
        weights = (4, 7, 6, 83) if overdue_by > 60 else (15, 25, 30, 30) if overdue_by > 0 else (30, 35, 25, 10)
        target = rng.choices((S.OPEN, S.IN_PROGRESS, S.RECTIFIED, S.CLOSED), weights=weights)[0]
        steps = [(FindingStep.CREATE, "", S.OPEN, f"来源：{f['source']}", _office_time(rng, found), creator)]
        if target != S.OPEN:
            start = found + dt.timedelta(days=rng.randint(1, 10))
            steps.append(
                (
                    FindingStep.START,
                    S.OPEN,
                    S.IN_PROGRESS,
                    rng.choice(texts.FINDING_START_NOTES),
                    _office_time(rng, start),
                    doer,
                )
            )
            if target in (S.RECTIFIED, S.CLOSED):
                if rng.random() < 0.8 and (deadline - start).days > 3:
                    report = _between(rng, start + dt.timedelta(days=3), deadline)
                else:
                    report = deadline + dt.timedelta(days=rng.randint(3, 40))
                steps.append(
                    (
                        FindingStep.REPORT,
                        S.IN_PROGRESS,
                        S.RECTIFIED,
                        rng.choice(texts.FINDING_REPORT_NOTES),
                        _office_time(rng, report),
                        doer,
                    )
                )
                if rng.random() < 0.2:
                    back = report + dt.timedelta(days=rng.randint(3, 10))
                    again = back + dt.timedelta(days=rng.randint(5, 20))
                    steps.append(
                        (
                            FindingStep.SEND_BACK,
                            S.RECTIFIED,
                            S.IN_PROGRESS,
                            rng.choice(texts.FINDING_SEND_BACK_NOTES),
                            _office_time(rng, back),
                            reviewer,
                        )
                    )
                    steps.append(
                        (
                            FindingStep.REPORT,
                            S.IN_PROGRESS,
                            S.RECTIFIED,
                            rng.choice(texts.FINDING_RESUBMIT_NOTES),
                            _office_time(rng, again),
                            doer,
                        )
                    )
                if target == S.CLOSED:
                    close = _local_day(steps[-1][4]) + dt.timedelta(days=rng.randint(3, 20))
                    steps.append(
                        (
                            FindingStep.SIGN_OFF,
                            S.RECTIFIED,
                            S.CLOSED,
                            rng.choice(texts.FINDING_SIGN_OFF_NOTES),
                            _office_time(rng, close),
                            reviewer,
                        )
                    )
        kept = [steps[0]]
        for step in steps[1:]:
            if step[4] <= self.latest and step[4] > kept[-1][4]:
                kept.append(step)
            else:
                break
        return kept

    def findings(self) -> None:
        from .models import Finding, FindingEvent

        mine = Finding.objects.filter(self.in_county("organization__path")).exclude(source=FindingSource.SYSTEM)
        present = mine.count()
        if present:
            self.result.findings_present = present
            return
        rng = random.Random(f"{SEED}:findings")
        plan = self.finding_plan(rng)
        days = {Severity.MINOR: (30, 30, 45), Severity.MAJOR: (45, 60), Severity.SEVERE: (90,)}
        ids = reserve_ids(Finding, len(plan))
        for pk, f in zip(ids, plan, strict=True):
            f["id"], f["year"] = pk, f["found_on"].year
            f["deadline"] = f["found_on"] + dt.timedelta(days=rng.choice(days[f["severity"]]))
            f["steps"] = self.finding_steps(rng, f)
        # Repeated as the service marks it: a finding of the same organization and category the year before.
        org_ids = sorted({f["org"].pk for f in plan})
        others = list(
            filter_in(
                Finding.objects.values_list("id", "organization_id", "category", "year", "found_on", "repeated"),
                "organization_id",
                org_ids,
            )
        )
        known = [(f["id"], f["org"].pk, f["category"], f["year"], f["found_on"]) for f in plan]
        known += [row[:5] for row in others]
        for f in plan:
            before = [k for k in known if (k[1], k[2], k[3]) == (f["org"].pk, f["category"], f["year"] - 1)]
            f["previous"] = max(before, key=lambda k: (k[4], k[0]))[0] if before else None
        for pk, org_id, category, year, _, repeated in others:
            mine_before = [f for f in plan if (f["org"].pk, f["category"], f["year"]) == (org_id, category, year - 1)]
            if mine_before and not repeated:
                latest = max(mine_before, key=lambda f: (f["found_on"], f["id"]))
                Finding.objects.filter(pk=pk).update(repeated=True, previous=latest["id"])
        rows, events = [], []
        for f in plan:
            org, steps = f["org"], f["steps"]
            status = steps[-1][2]
            reports = [s for s in steps if s[0] == FindingStep.REPORT]
            rectified = _local_day(reports[-1][4]) if status in (S.RECTIFIED, S.CLOSED) else None
            closed = _local_day(steps[-1][4]) if status == S.CLOSED else None
            _, responsible = self.c.secretary(org.pk, f["found_on"])
            repeated = f["previous"] is not None
            rows.append(
                (
                    f["id"],
                    org.pk,
                    f["source"],
                    f["category"],
                    f["severity"],
                    f["description"],
                    responsible,
                    f["found_on"],
                    f["year"],
                    f["deadline"],
                    status,
                    repeated,
                    f["previous"],
                    "",
                    "",
                    {},
                    rectified,
                    closed,
                    steps[0][5],
                    steps[0][4],
                    steps[-1][4],
                )
            )
            self.event(
                "create",
                "supervision.finding",
                f["id"],
                f"{org.name} · {f['category']} · {f['found_on']}",
                org.path,
                after={
                    "organization": org.pk,
                    "source": f["source"],
                    "category": f["category"],
                    "severity": f["severity"],
                    "description": f["description"],
                    "responsible": responsible,
                    "found_on": f["found_on"].isoformat(),
                    "deadline": f["deadline"].isoformat(),
                    "status": S.OPEN,
                    "repeated": repeated,
                    "check_kind": "",
                },
                note="上年同类问题重复发生" if repeated else "",
            )
            for step, before, after, note, at, actor in steps:
                events.append((f["id"], step, before, after, note, actor, at))
                if step != FindingStep.CREATE:
                    self.event(
                        "advance",
                        "supervision.finding",
                        f["id"],
                        f"{org.name} · {f['category']} · {f['found_on']}",
                        org.path,
                        before={"status": before},
                        after={"status": after},
                        note=f"{step}：{note}" if note else step,
                    )
        fields = [
            "id",
            "organization",
            "source",
            "category",
            "severity",
            "description",
            "responsible",
            "found_on",
            "year",
            "deadline",
            "status",
            "repeated",
            "previous",
            "check_kind",
            "check_key",
            "evidence",
            "rectified_on",
            "closed_on",
            "created_by",
            "created_at",
            "updated_at",
        ]
        bulk_insert(Finding, fields, rows)
        bulk_insert(FindingEvent, ["finding", "step", "from_status", "to_status", "note", "actor", "at"], events)
        self.result.findings_added, self.result.finding_events_added = len(rows), len(events)

    # --- speech materials at the 组织生活会 ----------------------------------------------------------------------

    def members(self) -> dict[int, tuple[dt.date, int, str]]:
        """{member id: (joined_on, person id, name)} of the county's members."""
        from members.models import Member

        if not hasattr(self, "_members"):
            rows = Member.objects.filter(self.in_county("branch__path")).values_list(
                "id", "joined_on", "person_id", "person__name"
            )
            self._members = {pk: (joined, person, name) for pk, joined, person, name in rows}
        return self._members

    def eligible(self, meetings: list[tuple]) -> dict[int, list[int]]:
        """{meeting id: member ids of its branch on its day} by attendees_on's rule, for meetings without a list."""
        from meetings.selectors import NOT_ATTENDING_STATUSES
        from members.models import Membership, StatusChange

        branches = sorted({m[1] for m in meetings})
        spans = defaultdict(list)
        for member_id, branch_id, start, end in filter_in(
            Membership.objects.values_list("member_id", "branch_id", "start_on", "end_on"), "branch_id", branches
        ):
            spans[branch_id].append((member_id, start, end))
        ended = set(StatusChange.objects.filter(status__in=NOT_ATTENDING_STATUSES).values_list("member_id", flat=True))
        history = defaultdict(list)
        for member_id, on, pk, status in filter_in(
            StatusChange.objects.values_list("member_id", "changed_on", "id", "status"), "member_id", ended
        ):
            history[member_id].append((on, pk, status))
        members = self.members()
        out = {}
        for pk, branch_id, _, held_on, _, _ in meetings:
            ids = []
            for member_id, start, end in spans[branch_id]:
                if not (start <= held_on and (end is None or end >= held_on)) or member_id not in members:
                    continue
                if members[member_id][0] > held_on:
                    continue
                status = None
                for on, _, value in sorted(history.get(member_id, ())):
                    if on <= held_on:
                        status = value
                if status not in NOT_ATTENDING_STATUSES:
                    ids.append(member_id)
            out[pk] = sorted(set(ids))
        return out

    def speeches(self) -> None:
        from meetings.choices import AttendanceStatus, MeetingKind
        from meetings.models import Attendance, Meeting, Speech
        from members.demo import SECTOR_OF_DOMAIN

        since = self.today - dt.timedelta(days=SPEECH_DAYS)
        meetings = list(
            Meeting.objects.filter(
                self.in_county("branch__path"), kind=MeetingKind.LIFE, held_on__gte=since, held_on__lt=self.today
            )
            .order_by("held_at", "branch__path")
            .values_list("id", "branch_id", "held_at", "held_on", "has_attendance", "present_count")
        )
        present = defaultdict(list)
        for meeting_id, member_id in filter_in(
            Attendance.objects.filter(status=AttendanceStatus.PRESENT).values_list("meeting_id", "member_id"),
            "meeting_id",
            [m[0] for m in meetings if m[4]],
        ):
            present[meeting_id].append(member_id)
        eligible = self.eligible([m for m in meetings if not m[4]])
        existing = set(
            filter_in(Speech.objects.values_list("meeting_id", "member_id"), "meeting_id", [m[0] for m in meetings])
        )
        members = self.members()
        speakers = {}
        for pk, branch_id, held_at, _, listed, count in meetings:
            code = self.c.by_id[branch_id].code
            if listed:
                chosen = sorted(m for m in present[pk] if m in members)
            else:
                pool = eligible.get(pk, [])
                chosen = sorted(
                    random.Random(f"{SEED}:speakers:{code}:{held_at.isoformat()}").sample(pool, min(count, len(pool)))
                )
            if chosen:
                speakers[pk] = chosen

        def rank(m) -> float:
            return random.Random(f"{SEED}:copy:{self.c.by_id[m[1]].code}:{m[2].isoformat()}").random()

        copied = sorted((m for m in meetings if len(speakers.get(m[0], ())) >= 4), key=rank)[:COPIED_MEETINGS]
        copied_rank = {m[0]: n for n, m in enumerate(copied)}
        new = []
        for pk, branch_id, held_at, held_on, _, _ in meetings:
            if pk not in speakers:
                continue
            branch = self.c.by_id[branch_id]
            key = f"{branch.code}:{held_at.isoformat()}"
            rng = random.Random(f"{SEED}:speech:{key}")
            about = held_on.year - 1 if held_on.month <= 3 else held_on.year
            secretary_person, _ = self.c.secretary(branch_id, held_on)
            sector = SECTOR_OF_DOMAIN.get(branch.domain, "organ")
            written: dict[int, str] = {}
            made: list[set] = []
            for member_id in speakers[pk]:
                joined, person, _ = members[member_id]
                for _ in range(25):  # two speeches of one meeting share at most three of their parts
                    text, choices = texts.speech_text(
                        rng,
                        about=about,
                        branch=branch.name,
                        sector=sector,
                        years=max(0, (held_on - joined).days // 365),
                        secretary=person == secretary_person,
                    )
                    parts = set(choices)
                    if all(len(parts & other) <= 3 for other in made):
                        break
                made.append(parts)
                written[member_id] = text
            if pk in copied_rank:
                crng = random.Random(f"{SEED}:copied:{key}")
                group = sorted(crng.sample(speakers[pk], 3 if copied_rank[pk] < 2 else 2))
                for member_id in group[1:]:
                    written[member_id] = texts.near_copy_speech(crng, written[group[0]], changes=5 - len(group))
                    self.result.planted.append(
                        Planted(
                            CheckKind.DUPLICATE_SPEECH,
                            (("meeting", pk), ("member", group[0]), ("member", member_id)),
                            f"speech of member {member_id} copied from member {group[0]} at meeting {pk}",
                        )
                    )
            for member_id in speakers[pk]:
                if (pk, member_id) in existing:
                    self.result.speeches_present += 1
                    continue
                at = min(held_at + dt.timedelta(hours=rng.randint(1, 48)), self.latest)
                new.append((pk, member_id, written[member_id], at, branch))
        ids = reserve_ids(Speech, len(new))
        for speech_pk, (pk, member_id, text, _, branch) in zip(ids, new, strict=True):
            self.event(
                "create",
                "meetings.speech",
                speech_pk,
                f"{members[member_id][2]} 发言材料",
                branch.path,
                after={"meeting": pk, "member": member_id, "length": len(text)},
            )
        bulk_insert(
            Speech,
            ["id", "meeting", "member", "text", "created_at"],
            [(speech_pk, *row[:4]) for speech_pk, row in zip(ids, new, strict=True)],
        )
        self.result.speeches_added = len(new)

    # --- planted formalism -------------------------------------------------------------------------------------

    def plant(self) -> None:
        self.plant_attendance()
        self.plant_overlaps()
        self.plant_reports()

    def listed_meetings(self, kinds) -> dict[int, list[tuple]]:
        """{branch id: [(held_at, meeting id, held_on), …]} of the county's meetings of `kinds` with a list."""
        from meetings.models import Meeting

        by_branch = defaultdict(list)
        for pk, branch_id, held_at, held_on in Meeting.objects.filter(
            self.in_county("branch__path"), kind__in=kinds, has_attendance=True
        ).values_list("id", "branch_id", "held_at", "held_on"):
            by_branch[branch_id].append((held_at, pk, held_on))
        for rows in by_branch.values():
            rows.sort()
        return by_branch

    def plant_attendance(self) -> None:
        """Two members who had died and one not yet in the party, on the list of a 党员大会 or 党课 as present (inserted
        directly, as an import or a later change would have left them: the service refuses them)."""
        from meetings.choices import AttendanceStatus, MeetingKind
        from meetings.models import Attendance, Meeting
        from members.choices import MemberStatus
        from members.models import Member, Membership, StatusChange

        rng = random.Random(f"{SEED}:attendance")
        listed = self.listed_meetings((MeetingKind.GENERAL, MeetingKind.LECTURE))
        deaths = list(
            StatusChange.objects.filter(self.in_county("member__branch__path"), status=MemberStatus.DECEASED)
            .order_by("changed_on", "member_id")
            .values_list("member_id", "changed_on")
        )
        homes = {}
        for member_id, branch_id, start, end in filter_in(
            Membership.objects.values_list("member_id", "branch_id", "start_on", "end_on"),
            "member_id",
            [m for m, _ in deaths],
        ):
            homes.setdefault(member_id, []).append((branch_id, start, end))
        dead = []
        for member_id, died in deaths:
            branch = next((b for b, s, e in homes.get(member_id, ()) if s <= died and (e is None or e >= died)), None)
            after = [m for m in listed.get(branch, ()) if m[2] > died]
            if after:
                dead.append((member_id, after[0][1], f"member {member_id} died {died}"))
        late = []
        for member_id, branch_id, joined in (
            Member.objects.filter(self.in_county("branch__path"))
            .order_by("id")
            .values_list("id", "branch_id", "joined_on")
        ):
            before = [m for m in listed.get(branch_id, ()) if m[2] < joined]
            if before:
                late.append((member_id, before[-1][1], f"member {member_id} joined {joined}"))
        # One who had not joined yet where the lists reach back far enough (they cover the last six months), else a
        # third who had died.
        late = rng.sample(late, min(1, len(late)))
        chosen = rng.sample(dead, min(3 - len(late), len(dead))) + late
        there = set(
            filter_in(Attendance.objects.values_list("meeting_id", "member_id"), "meeting_id", [c[1] for c in chosen])
        )
        for member_id, meeting_id, what in chosen:
            self.result.planted.append(
                Planted(CheckKind.ATTENDANCE_DATES, (("meeting", meeting_id), ("member", member_id)), what)
            )
            if (meeting_id, member_id) in there:
                self.result.planted_present += 1
                continue
            Attendance.objects.create(meeting_id=meeting_id, member_id=member_id, status=AttendanceStatus.PRESENT)
            meeting = Meeting.objects.select_related("branch").get(pk=meeting_id)
            Meeting.objects.filter(pk=meeting_id).update(
                expected_count=F("expected_count") + 1, present_count=F("present_count") + 1
            )
            self.event(
                "update",
                "meetings.meeting",
                meeting_id,
                f"{meeting.held_on.isoformat()} {meeting.kind}",
                meeting.branch.path,
                before={"expected_count": meeting.expected_count, "present_count": meeting.present_count},
                after={"expected_count": meeting.expected_count + 1, "present_count": meeting.present_count + 1},
                note="Excel 导入",
            )
            self.result.planted_added += 1

    def plant_overlaps(self) -> None:
        """Three committee meetings an hour after a morning 主题党日, at the township, with the one committee member
        who was at the 主题党日 signed in at both."""
        from meetings import rules
        from meetings.choices import AttendanceStatus, MeetingKind
        from meetings.demo import COMMITTEE_TOPICS
        from meetings.models import Attendance, Meeting
        from meetings.services import AttendanceEntry, _attendance_summary
        from meetings.xlsx import MEETING_INSERT_FIELDS, MEETING_TYPE, MeetingValues, db_datetime
        from organizations.models import Post

        rng = random.Random(f"{SEED}:overlap")
        members = self.members()
        member_of = {person: pk for pk, (_, person, _) in members.items()}
        committees = {o.pk for o in self.c.branches if o.has_committee}
        holders = defaultdict(list)
        for org_id, person_id, start, end in Post.objects.filter(organization_id__in=sorted(committees)).values_list(
            "organization_id", "person_id", "start_on", "end_on"
        ):
            if person_id in member_of:
                holders[org_id].append((member_of[person_id], start, end))
        since = self.today - dt.timedelta(days=180)
        themes = [
            m
            for branch_id, rows in sorted(self.listed_meetings((MeetingKind.THEME_DAY,)).items())
            if branch_id in committees
            for m in rows
            if m[2] >= since and timezone.localtime(m[0]).hour < 12
        ]
        on_list = defaultdict(set)
        for meeting_id, member_id in filter_in(
            Attendance.objects.filter(status=AttendanceStatus.PRESENT).values_list("meeting_id", "member_id"),
            "meeting_id",
            [m[1] for m in themes],
        ):
            on_list[meeting_id].add(member_id)
        branch_of = {}
        for branch_id, rows in self.listed_meetings((MeetingKind.THEME_DAY,)).items():
            for _, pk, _ in rows:
                branch_of[pk] = branch_id
        candidates = []
        for held_at, pk, held_on in sorted(themes, key=lambda m: (m[0], m[1])):
            branch_id = branch_of[pk]
            team = sorted({m for m, s, e in holders[branch_id] if s <= held_on and (e is None or e >= held_on)})
            both = [m for m in team if m in on_list[pk]]
            if len(team) >= 2 and len(both) == 1:
                candidates.append((held_at, pk, held_on, branch_id, team, both[0]))
        chosen, branches = [], set()
        for c in rng.sample(candidates, len(candidates)):
            if c[3] not in branches and len(chosen) < 3:
                chosen.append(c)
                branches.add(c[3])
        chosen.sort(key=lambda c: (c[0], c[1]))
        new, overlaps = [], []
        for held_at, first_pk, held_on, branch_id, team, both in chosen:
            branch = self.c.by_id[branch_id]
            at = held_at + dt.timedelta(hours=1)
            found = Meeting.objects.filter(branch_id=branch_id, kind=MeetingKind.COMMITTEE, held_at=at).first()
            if found is not None:
                self.result.planted_present += 1
                second = found.pk
            else:
                township = self.c.township_of(branch)
                place = f"{_short(township.name) if township else ''}便民服务中心会议室"
                topic = rng.choice(COMMITTEE_TOPICS)
                _, host = self.c.secretary(branch_id, held_on)
                created = min(at + dt.timedelta(hours=3), self.latest)
                values = MeetingValues(
                    id=0,
                    branch_id=branch_id,
                    kind=MeetingKind.COMMITTEE,
                    held_at=at,
                    held_on=held_on,
                    topic=topic,
                    created_at=created,
                    place=place,
                    host=host,
                    recorder=host,
                    expected_count=len(team),
                    present_count=len(team),
                    has_attendance=True,
                    backfilled=rules.is_backfilled(held_on=held_on, entered_on=_local_day(created)),
                    minutes=f"会议由{host or '支部书记'}主持，应到 {len(team)} 人，实到 {len(team)} 人。围绕“{topic}”进行了研究。",
                )
                entries = [AttendanceEntry(m, AttendanceStatus.PRESENT) for m in team]
                new.append((values, branch, entries))
                second = None
            overlaps.append((first_pk, second, both, None if second else values))
        ids = reserve_ids(Meeting, len(new))
        db_time = db_datetime()
        rows, attendance = [], []
        for pk, (values, branch, entries) in zip(ids, new, strict=True):
            values.id = pk
            rows.append(values.row(db_time))
            summary = _attendance_summary(entries, {e.member_id: members[e.member_id][2] for e in entries})
            self.event("create", MEETING_TYPE, pk, values.repr(), branch.path, after=values.audit_after(summary))
            attendance += [(pk, e.member_id, e.status, e.reason) for e in entries]
        bulk_insert(Meeting, MEETING_INSERT_FIELDS, rows)
        bulk_insert(Attendance, ["meeting", "member", "status", "reason"], attendance)
        self.result.planted_added += len(new)
        for first_pk, second, member_id, values in overlaps:
            second = second or values.id  # a meeting written just now: its id is known now
            self.result.planted.append(
                Planted(
                    CheckKind.MEETING_OVERLAP,
                    (("member", member_id), ("meeting", first_pk), ("meeting", second)),
                    f"member {member_id} at meetings {first_pk} and {second} an hour apart",
                )
            )

    def plant_reports(self) -> None:
        """In five branches, the second activist hands in (besides their own) a copy of the first one's report of
        an earlier quarter, with their name, the date and a word changed."""
        from members.demo_texts import QUARTER_NAMES, near_copy, report_title
        from members.models import Candidate, Person, ThoughtReport
        from members.pipeline import quarter_of

        rng = random.Random(f"{SEED}:reports")
        reports = defaultdict(lambda: defaultdict(list))
        for pk, person, branch_id, day, text in (
            ThoughtReport.objects.filter(self.in_county("branch__path"))
            .order_by("submitted_on", "id")
            .values_list("id", "person_id", "branch_id", "submitted_on", "text")
        ):
            reports[branch_id][person].append((day, pk, text))
        people = sorted({p for by_person in reports.values() for p in by_person})
        activist = dict(filter_in(Candidate.objects.values_list("person_id", "activist_on"), "person_id", people))
        names = dict(filter_in(Person.objects.values_list("id", "name"), "id", people))
        branches = sorted(
            (b for b, by_person in reports.items() if len(by_person) >= 2), key=lambda b: self.c.by_id[b].path
        )
        count = 0
        for branch_id in rng.sample(branches, len(branches)):
            if count == 5:
                break
            first, second = sorted(reports[branch_id])[:2]
            own_day = reports[branch_id][second][-1][0]  # the second's latest report: always their own
            day = own_day - dt.timedelta(days=5)
            if quarter_of(day) != quarter_of(own_day):
                day = own_day - dt.timedelta(days=1)
            if quarter_of(day) != quarter_of(own_day) or (activist.get(second) and day < activist[second]):
                continue
            sources = [r for r in reports[branch_id][first] if quarter_of(r[0]) < quarter_of(day)]
            if not sources:
                continue
            src_day, src_pk, src_text = sources[-1]
            crng = random.Random(f"{SEED}:report:{src_pk}:{second}")
            year, quarter = quarter_of(src_day)
            new_year, new_quarter = quarter_of(day)
            body = src_text.replace(
                f"{year}年第{QUARTER_NAMES[quarter]}季度", f"{new_year}年第{QUARTER_NAMES[new_quarter]}季度"
            )
            text = near_copy(crng, body, name=names[second], submitted_on=day)
            found = [r for r in reports[branch_id][second] if r[0] == day]
            if found and found[0][2] != text:
                continue
            count += 1
            if found:
                pk = found[0][1]
                self.result.planted_present += 1
            else:
                branch = self.c.by_id[branch_id]
                title = report_title(day)
                report = ThoughtReport.objects.create(
                    person_id=second,
                    branch_id=branch_id,
                    submitted_on=day,
                    title=title,
                    text=text,
                    created_at=min(_at(day, 20), self.latest),
                )
                pk = report.pk
                self.event(
                    "create",
                    "members.thoughtreport",
                    pk,
                    f"{names[second]} {day}",
                    branch.path,
                    after={"submitted_on": day.isoformat(), "title": title, "length": len(text)},
                )
                self.result.planted_added += 1
            self.result.planted.append(
                Planted(
                    CheckKind.DUPLICATE_REPORT,
                    (("thoughtreport", src_pk), ("thoughtreport", pk)),
                    f"report {pk} of person {second} copied from report {src_pk}",
                )
            )

    # --- what the checks should find -----------------------------------------------------------------------------

    def collect_planted(self) -> None:
        """Add the faults the other demo builders leave: certificates (members.demo_activity), duty check-ins outside
        a dispatch (planted above with the dispatches), back-filled meetings of the last year (meetings.demo),
        overdue elections (organizations.demo) and required meetings missing (meetings.demo's gaps)."""
        from meetings.models import Meeting
        from members.models import TrainingRecord
        from supervision.checks.common import lookback_start

        from .models import DutyCheckIn

        start_differs = Q(certificate_start_on__isnull=False) & ~Q(certificate_start_on=F("start_on"))
        end_differs = Q(certificate_end_on__isnull=False) & ~Q(certificate_end_on=F("end_on"))
        planted = self.result.planted
        for pk in (
            TrainingRecord.objects.filter(self.in_county("member__branch__path"))
            .filter(start_differs | end_differs)
            .order_by("id")
            .values_list("id", flat=True)
        ):
            planted.append(Planted(CheckKind.CERTIFICATE_DATES, (("training", pk),), f"training {pk}"))
        outside = Q(on__lt=F("dispatch__start_on")) | Q(dispatch__end_on__isnull=False, on__gt=F("dispatch__end_on"))
        for pk in (
            DutyCheckIn.objects.filter(self.in_county("dispatch__organization__path"))
            .filter(outside)
            .order_by("dispatch_id")
            .values_list("dispatch_id", flat=True)
            .distinct()
        ):
            planted.append(Planted(CheckKind.DISPATCH_DATES, (("dispatch", pk),), f"dispatch {pk}"))
        for pk in (
            Meeting.objects.filter(
                self.in_county("branch__path"), backfilled=True, held_on__gte=lookback_start(self.today)
            )
            .order_by("id")
            .values_list("id", flat=True)
        ):
            planted.append(Planted(CheckKind.BACKFILLED, (("meeting", pk),), f"meeting {pk}"))
        for org in self.c.orgs:
            if org.last_election_on and org.term_overdue(self.today):
                planted.append(Planted(CheckKind.ELECTION_OVERDUE, (("organization", org.pk),), org.code))
        planted.append(Planted(CheckKind.MEETING_MISSING, (), "gaps of meetings.demo"))


@transaction.atomic
def build_demo_supervision() -> DemoSupervisionResult:
    """Record the demo county's supervision and plant its formalism, as the system; a second run adds nothing.
    Needs the demo county's organizations, members and meetings (build_demo_county … build_demo_meetings)."""
    county = _County()
    today = timezone.localdate()
    builder = _Builder(county, _Picks(county, today), today=today, now=timezone.now())
    builder.weak()
    builder.dispatches()
    builder.tasks()
    builder.findings()
    builder.speeches()
    builder.plant()
    builder.audit.save()
    builder.collect_planted()
    return builder.result
