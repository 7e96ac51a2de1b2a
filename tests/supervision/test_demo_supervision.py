"""The demo county's supervision (supervision.demo) and the formalism planted in it: `seed_demo` records tasks,
findings, weak villages, first secretaries and speech materials in every state the pages show, plants faults for each
nightly check, runs the checks once — and each planted fault is on the findings board as a 系统检查 finding of its
check, with its evidence. A second seed changes nothing, and the checks run again register nothing new.

The full demo takes half a minute to seed, so the whole county is checked in one test, seeded once per pass (as
tests/commands/test_seed_demo.py does); a second, small test runs the builder on a five-branch county named like the
demo one, to show it copes with a county that has few of the records it looks for.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Q
from django.utils import timezone

from core.models import AuditEvent
from meetings.models import Attendance, Meeting, Speech
from members.models import ThoughtReport
from organizations.demo import DEMO_BRANCH
from supervision.checks import run_checks
from supervision.choices import (
    FINDING_TRANSITIONS,
    AssignmentStatus,
    CheckKind,
    FindingSource,
    FindingStatus,
    FindingStep,
)
from supervision.demo import COPIED_MEETINGS, build_demo_supervision
from supervision.models import (
    Dispatch,
    DutyCheckIn,
    Finding,
    FindingEvent,
    Task,
    TaskAssignment,
    WeakOrganization,
    WeakRectificationStep,
)
from supervision.selectors.tasks import overdue_q, reported_late

pytestmark = pytest.mark.django_db

MODELS = (
    Task, TaskAssignment, Finding, FindingEvent, WeakOrganization, WeakRectificationStep, Dispatch, DutyCheckIn, Speech,
    Meeting, Attendance, ThoughtReport, AuditEvent,
)  # fmt: skip


def _run(*args) -> list[str]:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue().splitlines()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _refs(finding: Finding) -> set[tuple[str, int]]:
    return {(r["type"], r["id"]) for r in finding.evidence.get("refs", ())}


def _assert_tasks(today: dt.date) -> None:
    tasks = Task.objects.all()
    assert 10 <= tasks.count() <= 14
    assert {t.sender.depth for t in tasks.select_related("sender")} == {1, 2}  # the county and townships
    assert tasks.order_by("created_at").first().created_at.date() >= today - dt.timedelta(days=560)
    assert tasks.filter(deadline__gte=today).count() >= 2
    assignments = TaskAssignment.objects.select_related("task")
    status = Counter(assignments.values_list("status", flat=True))
    assert set(status) == set(AssignmentStatus.values), status
    assert status[AssignmentStatus.ACCEPTED] >= 0.6 * assignments.count()
    accepted = [a for a in assignments.filter(status=AssignmentStatus.ACCEPTED)]
    assert sum(reported_late(a) for a in accepted) >= 5  # accepted, but reported after the deadline
    assert assignments.filter(overdue_q(today), status=AssignmentStatus.PENDING).count() >= 5
    assert assignments.filter(status=AssignmentStatus.PENDING, task__deadline__gte=today).count() >= 5
    assert assignments.filter(status=AssignmentStatus.RETURNED).exclude(review_comment="").count() >= 3
    assert assignments.filter(status=AssignmentStatus.ACCEPTED, report_count=2).exists()  # returned, then accepted
    assert not assignments.filter(status=AssignmentStatus.REPORTED, reported_at__isnull=True).exists()
    assert not assignments.filter(Q(reported_at__gt=timezone.now()) | Q(reviewed_at__gt=timezone.now())).exists()
    # Every target lies below its sender; the demo secretary has one task returned and one still to do.
    assert all(a.organization.path.startswith(a.task.sender.path) for a in assignments.select_related("organization"))
    mine = set(assignments.filter(organization__code=DEMO_BRANCH).values_list("status", flat=True))
    assert {AssignmentStatus.RETURNED, AssignmentStatus.PENDING} <= mine
    events = AuditEvent.objects.filter(object_type="supervision.taskassignment", action="create")
    assert events.count() == assignments.count()


def _assert_findings(today: dt.date) -> None:
    findings = Finding.objects.exclude(source=FindingSource.SYSTEM).select_related("organization")
    assert 70 <= findings.count() <= 100
    assert set(findings.values_list("source", flat=True)) == set(FindingSource.values) - {FindingSource.SYSTEM}
    assert len(set(findings.values_list("year", flat=True))) >= 2  # three, but in the first days of a year
    status = Counter(findings.values_list("status", flat=True))
    assert set(status) == set(FindingStatus.values), status
    assert findings.overdue(today).count() >= 3
    assert FindingEvent.objects.filter(step=FindingStep.SEND_BACK).count() >= 3
    # Repeated exactly where the service would mark it: the same organization and category the year before.
    for f in findings:
        before = Finding.objects.filter(organization=f.organization, category=f.category, year=f.year - 1)
        assert f.repeated == before.exists(), f.pk
        if f.repeated:
            assert f.previous_id == before.order_by("-found_on", "-id").first().pk, f.pk
    assert findings.filter(repeated=True).count() >= 5
    # Each finding's events: registered, then one allowed step at a time, ending in its status, none in the future.
    events = {}
    for e in FindingEvent.objects.filter(finding__in=findings).order_by("at", "id"):
        events.setdefault(e.finding_id, []).append(e)
    for f in findings:
        steps = events[f.pk]
        assert steps[0].step == FindingStep.CREATE and steps[0].to_status == FindingStatus.OPEN, f.pk
        for e in steps[1:]:
            assert FINDING_TRANSITIONS[(e.from_status, e.step)] == e.to_status, (f.pk, e.step)
        assert steps[-1].to_status == f.status and steps[-1].at <= timezone.now(), f.pk
        assert (f.closed_on is not None) == (f.status == FindingStatus.CLOSED), f.pk
        assert (f.rectified_on is not None) == (f.status in (FindingStatus.RECTIFIED, FindingStatus.CLOSED)), f.pk
        assert f.deadline >= f.found_on and f.responsible, f.pk
    assert AuditEvent.objects.filter(object_type="supervision.finding", action="advance").count() == sum(
        len(steps) - 1 for steps in events.values()
    )


def _assert_weak_and_dispatches(today: dt.date) -> None:
    weak = WeakOrganization.objects.annotate(n_steps=Count("steps")).select_related("organization")
    assert weak.count() == 5
    assert weak.filter(lifted_on__isnull=False).count() == 2
    assert all(w.n_steps >= 3 for w in weak), [w.n_steps for w in weak]
    assert {w.organization.domain for w in weak} == {"农村"}
    assert not WeakRectificationStep.objects.filter(done_on__gte=today).exists()

    dispatches = Dispatch.objects.all()
    first = dispatches.filter(role="第一书记")
    assert 20 <= first.values("organization").distinct().count() <= 30
    assert dispatches.filter(role="工作队员").count() >= 3
    assert dispatches.filter(end_on__isnull=False).count() >= 4
    current = first.filter(end_on__isnull=True)
    assert all(weak_org in set(current.values_list("organization", flat=True)) for weak_org in
               weak.filter(lifted_on__isnull=True).values_list("organization", flat=True))  # fmt: skip
    last = dict(DutyCheckIn.objects.values("dispatch").annotate(last=Max("on")).values_list("dispatch", "last"))
    silent = [d for d in current if (last.get(d.pk) or dt.date.min) < today - dt.timedelta(days=30)]
    never = [d for d in current if d.pk not in last]
    assert 3 <= len(silent) <= 10 and 1 <= len(never) <= 3, (len(silent), len(never))
    per_month = DutyCheckIn.objects.filter(on__gte=today - dt.timedelta(days=90)).count() / max(1, current.count())
    assert 5 <= per_month <= 30, per_month  # a few a month each


def _assert_speeches(today: dt.date) -> None:
    speeches = Speech.objects.select_related("meeting")
    assert speeches.count() >= 5000
    assert set(speeches.values_list("meeting__kind", flat=True)) == {"组织生活会"}
    assert speeches.filter(meeting__held_on__lt=today - dt.timedelta(days=365)).count() == 0
    lengths = [len(t) for t in speeches.values_list("text", flat=True)[::50]]
    assert 200 <= min(lengths) and max(lengths) <= 400, (min(lengths), max(lengths))
    # On a meeting with an attendance list, only those present hand in a speech.
    listed = speeches.filter(meeting__has_attendance=True)
    present = set(Attendance.objects.filter(status="出席").values_list("meeting_id", "member_id"))
    assert all((s.meeting_id, s.member_id) in present for s in listed.only("meeting_id", "member_id"))
    assert AuditEvent.objects.filter(object_type="meetings.speech").count() == speeches.count()


def _assert_planted_found(planted) -> None:
    """Each planted fault is a 系统检查 finding of its check naming the records planted, with its evidence."""
    kinds = Counter(p.kind for p in planted)
    assert kinds[CheckKind.DUPLICATE_SPEECH] >= COPIED_MEETINGS
    assert kinds[CheckKind.DUPLICATE_REPORT] == 5
    assert kinds[CheckKind.ATTENDANCE_DATES] == 3
    assert kinds[CheckKind.MEETING_OVERLAP] == 3
    assert kinds[CheckKind.DISPATCH_DATES] == 3
    assert kinds[CheckKind.CERTIFICATE_DATES] >= 4
    # every check has its planted fault here but the funding ones, whose late money the funding demo plants
    assert set(kinds) == set(CheckKind.values) - {CheckKind.FUNDS_LATE, CheckKind.FUNDS_BELOW_STANDARD}
    system = Finding.objects.filter(source=FindingSource.SYSTEM)
    by_kind: dict[str, list[Finding]] = {}
    for f in system:
        by_kind.setdefault(f.check_kind, []).append(f)
    speeches = {(s.meeting_id, s.member_id): s.text for s in Speech.objects.all()}
    reports = dict(ThoughtReport.objects.values_list("id", "text"))
    missing = []
    for p in planted:
        found = [f for f in by_kind.get(p.kind, []) if set(p.refs) <= _refs(f)]
        if not found:
            missing.append(p)
            continue
        f = found[0]
        assert f.evidence["summary"] and f.description and f.check_key.startswith(p.kind), f.pk
        assert f.status == FindingStatus.OPEN and f.deadline >= f.found_on
        if p.kind == CheckKind.DUPLICATE_SPEECH:
            (_, meeting), (_, left), (_, right) = p.refs
            pair = f.evidence["pair"]
            assert {pair["left"]["text"], pair["right"]["text"]} == {speeches[meeting, left], speeches[meeting, right]}
            assert pair["similarity"] >= 0.8
        if p.kind == CheckKind.DUPLICATE_REPORT:
            pair = f.evidence["pair"]
            assert {pair["left"]["text"], pair["right"]["text"]} == {reports[i] for _, i in p.refs}
    assert missing == []
    # Nothing the demo did not mean: the copies are the only near-identical speeches.
    speech_findings = by_kind.get(CheckKind.DUPLICATE_SPEECH, [])
    copied = {p.refs[0][1] for p in planted if p.kind == CheckKind.DUPLICATE_SPEECH}
    assert {r[1] for f in speech_findings for r in _refs(f) if r[0] == "meeting"} == copied
    assert (
        AuditEvent.objects.filter(object_type="supervision.finding", action="create").count() == Finding.objects.count()
    )


def test_seed_demo_plants_formalism_the_nightly_checks_find():
    today = timezone.localdate()
    lines = _run()
    assert any(line.startswith("党建任务: 已新增 ") for line in lines)
    assert any(line.startswith("发言材料: 已新增 ") for line in lines)
    assert any(line.startswith("夜间检查·发言材料雷同: 发现 ") for line in lines)
    _assert_tasks(today)
    _assert_findings(today)
    _assert_weak_and_dispatches(today)
    _assert_speeches(today)

    before = _counts()
    again = _run()
    assert _counts() == before
    assert "党建任务: 已新增 0 项（0 个承办组织），已有 " + str(before["Task"]) + " 项" in again
    assert all(line.endswith("新登记 0 条问题") for line in again if line.startswith("夜间检查·"))

    result = build_demo_supervision()  # a third time: the plan, with nothing to add
    assert (result.tasks_added, result.findings_added, result.speeches_added, result.planted_added) == (0, 0, 0, 0)
    assert _counts() == before
    _assert_planted_found(result.planted)

    counts = run_checks()
    assert {kind: c["new"] for kind, c in counts.items()} == {kind: 0 for kind in counts}
    assert _counts() == before


def test_the_builder_copes_with_a_small_county(db):
    """Five branches, a few members, meetings: whatever the builder finds records to build on, it builds, the rest
    it leaves out; a second run adds nothing."""
    from meetings.demo import build_demo_meetings
    from members.services import member_create, member_status_change
    from organizations.services import organization_create
    from tests.factories import PostFactory, id_number_for

    def org(parent, code, name, kind="党支部", **extra):
        extra.setdefault("founded_on", dt.date(1980, 1, 1))
        return organization_create(actor=None, parent=parent, code=code, name=name, kind=kind, domain="农村", **extra)

    root = org(None, "QS", "青山县委", "县委")
    town = org(root, "QS02", "石门镇党委", "党委")
    villages = [org(town, f"QS02{n:03d}", f"{name}党支部", has_committee=True) for n, name in
                enumerate(("秦庄村", "北村", "东村", "西村", "南村"), start=1)]  # fmt: skip
    n = iter(range(1000))
    for village in villages:
        people = [
            member_create(actor=None, name=f"{village.name[:2]}{i}", id_number=id_number_for(next(n)), branch=village,
                          category="正式党员", joined_on=dt.date(2010, 7, 1))
            for i in range(6)
        ]  # fmt: skip
        PostFactory(organization=village, person=people[0].person, title="书记", start_on=dt.date(2021, 1, 1))
        PostFactory(organization=village, person=people[1].person, title="组织委员", start_on=dt.date(2021, 1, 1))
    member_status_change(actor=None, member=people[5], status="死亡", on=dt.date(2025, 3, 1))
    build_demo_meetings()
    first = build_demo_supervision()
    assert first.tasks_added and first.findings_added and first.dispatches_added and first.weak_added
    assert first.speeches_added > 0
    assert Task.objects.filter(sender=town).exists()  # the demo township's own tasks to its villages
    before = _counts()
    second = build_demo_supervision()
    assert _counts() == before
    assert (second.tasks_added, second.speeches_added, second.planted_added) == (0, 0, 0)
    assert [p.refs for p in second.planted] == [p.refs for p in first.planted]
