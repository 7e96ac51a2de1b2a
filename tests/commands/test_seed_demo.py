"""`manage.py seed_demo` builds the demo county 青山县 with its members' party life and three years of 三会一课
(idempotent), `--if-empty` leaves a used database alone, and `manage.py demo_logins` lists the demo accounts.

Building the county imports some 500 organizations, 1,700 posts and 15,000 members and records their pipeline,
training, points, flows and some 45,000 meetings, so this module keeps to three tests, each run once per pass (SQLite,
then PostgreSQL), with nothing parametrized: the first looks at what one run builds, the second at what a second run
adds. The demo meetings run up to the real yesterday, so their checks hold whatever day the tests run.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User
from assessments.models import Penalty, Result, Scheme
from core.models import AuditEvent, Job
from funding.models import Aid, Allocation, Disbursement, Expenditure
from meetings.compliance import compliance_cells, due_now
from meetings.models import Attendance, Meeting
from meetings.selectors import attendees_on
from members.choices import ACTIVE_STATUSES, DevelopmentStage, MemberCategory
from members.demo_activity import DEFAULT_POINT_ITEMS
from members.development import member_points, pipeline_board
from members.models import (
    Candidate,
    FlowRecord,
    Member,
    Membership,
    Person,
    PointItem,
    PointRecord,
    StatusChange,
    ThoughtReport,
    TrainingRecord,
)
from members.views.care import training_coverage
from organizations.demo import DEMO_BRANCH, DEMO_TODAY
from organizations.models import Organization, Post
from supervision.choices import CheckKind

pytestmark = pytest.mark.django_db

# The five demo logins (formats.md: one per role), where each is granted, and the one demo password.
DEMO_LOGINS = {
    "admin": ("county_admin", "QS"),
    "zhen_admin": ("township_admin", "QS02"),
    "shuji": ("branch_secretary", "QS02001"),
    "lingdao": ("leader", "QS"),
    "kaohe": ("inspector", "QS"),
}
DEMO_PASSWORD = "Dangjian@2026"


def _run(name, *args) -> list[str]:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue().splitlines()


def _counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "posts": Post.objects.count(),
        "persons": Person.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "users": User.objects.count(),
        "members": Member.objects.count(),
        "memberships": Membership.objects.count(),
        "status_changes": StatusChange.objects.count(),
        "candidates": Candidate.objects.count(),
        "thought_reports": ThoughtReport.objects.count(),
        "flows": FlowRecord.objects.count(),
        "trainings": TrainingRecord.objects.count(),
        "point_items": PointItem.objects.count(),
        "points": PointRecord.objects.count(),
        "meetings": Meeting.objects.count(),
        "attendance": Attendance.objects.count(),
        "allocations": Allocation.objects.count(),
        "disbursements": Disbursement.objects.count(),
        "expenditures": Expenditure.objects.count(),
        "aid": Aid.objects.count(),
        "schemes": Scheme.objects.count(),
        "results": Result.objects.count(),
        "penalties": Penalty.objects.count(),
    }


def _sentences(text: str) -> set[str]:
    """A thought report's sentences, without the signature (name and date) at its foot."""
    body = text.rpartition("汇报人：")[0] or text
    return {s for s in body.replace("\n", "").split("。") if s}


def _near_duplicates(reports) -> list[tuple]:
    """Pairs of reports by different people of one township and quarter that share most of their sentences."""
    groups: dict[tuple, list] = {}
    for r in reports:
        groups.setdefault((r.branch.path[:8], r.submitted_on.year, (r.submitted_on.month - 1) // 3), []).append(r)
    pairs = []
    for group in groups.values():
        texts = [(r, _sentences(r.text)) for r in group]
        for i, (a, sa) in enumerate(texts):
            for b, sb in texts[i + 1 :]:
                if a.person_id != b.person_id and len(sa & sb) / len(sa | sb) >= 0.7:
                    pairs.append((a, b))
    return pairs


def _assert_demo_activity(admin: User) -> None:
    """What the first run records besides the files: the pipeline, thought reports, training, points and flows."""
    # The pipeline: every stage, most village, community and organ branches with 1–4 people, the demo branch with
    # one at every stage, and a member file for each one admitted.
    stages = Counter(Candidate.objects.values_list("stage", flat=True))
    assert 300 <= sum(stages.values()) <= 800, stages
    assert all(stages[s] >= 15 for s in DevelopmentStage.values if s != DevelopmentStage.FULL), stages
    assert 5 <= stages[DevelopmentStage.FULL] <= 60, stages
    assert set(Candidate.objects.filter(branch__code=DEMO_BRANCH).values_list("stage", flat=True)) == set(
        DevelopmentStage.values
    )
    per_branch = Counter(Candidate.objects.exclude(branch__code=DEMO_BRANCH).values_list("branch__domain", "branch"))
    assert max(per_branch.values()) <= 4
    for domain in ("农村", "社区", "机关"):
        branches = Organization.objects.filter(kind="党支部", domain=domain).count()
        assert sum(1 for d, _ in per_branch if d == domain) >= 0.5 * branches, domain
    admitted = Candidate.objects.filter(admitted_on__isnull=False).select_related("person__member")
    assert admitted.count() == stages[DevelopmentStage.PROBATIONARY] + stages[DevelopmentStage.FULL]
    for c in admitted:
        file = c.person.member
        assert (file.joined_on, file.branch_id) == (c.admitted_on, c.branch_id)
        assert file.category == (MemberCategory.FULL if c.full_on else MemberCategory.PROBATIONARY)
        assert file.full_member_on == c.full_on

    # Thought reports once a quarter, and the board shows a realistic handful of problems on the demo's "today".
    reports = ThoughtReport.objects.select_related("branch")
    assert 1000 <= reports.count() <= 4000
    cultivated = Candidate.objects.filter(activist_on__isnull=False).annotate(n=Count("person__thought_reports"))
    assert all(c.n >= 1 for c in cultivated)
    assert not ThoughtReport.objects.filter(submitted_on__gt=timezone.localdate()).exists()
    board = pipeline_board(actor=admin, today=DEMO_TODAY)
    assert len(board) == sum(stages.values()) - stages[DevelopmentStage.FULL]
    troubled = [problems for _, problems in board if problems]
    assert 0.03 * len(board) <= len(troubled) <= 0.3 * len(board), len(troubled)
    kinds = "\n".join(p for problems in troubled for p in problems)
    for kind in ("谈话晚于申请后一个月", "积极分子培养不满一年即列为发展对象", "培养期间缺少思想汇报"):
        assert kind in kinds, kind
    # A few nearly identical reports of two activists of one township, for the nightly duplicate check to find.
    pairs = _near_duplicates(reports)
    assert 3 <= len(pairs) <= 8, len(pairs)
    for a, b in pairs:
        assert {a.person.candidate.stage, b.person.candidate.stage} == {DevelopmentStage.ACTIVIST}

    # Training: a good share of members over the last two years, in every township; a few certificate mismatches.
    trainings = TrainingRecord.objects.all()
    assert 15_000 <= trainings.count() <= 40_000
    assert trainings.filter(Q(hours__lt=4) | Q(hours__gt=32) | Q(end_on__lt=F("start_on"))).count() == 0
    assert trainings.filter(start_on__lt=dt.date(2024, 7, 1)).count() == 0
    assert 5 <= sum(1 for t in trainings.exclude(certificate_start_on=None) if t.certificate_mismatch) <= 100
    assert {"县委组织部", "县委党校", "石门镇党委"} <= set(trainings.values_list("organizer", flat=True))
    for township in Organization.objects.filter(depth=2):
        for year in (DEMO_TODAY.year - 1, DEMO_TODAY.year):
            rows = training_coverage(actor=admin, organization=township, year=year)
            assert sum(r["trained"] for r in rows) > 0, (township.name, year)
    active = Member.objects.filter(status__in=ACTIVE_STATUSES)
    trained = active.filter(trainings__isnull=False).distinct().count()
    assert 0.5 * active.count() <= trained <= 0.9 * active.count()

    # Points: the default items, most members in both years, the finished year over every star level.
    assert sorted(PointItem.objects.values_list("name", flat=True)) == sorted(n for n, _ in DEFAULT_POINT_ITEMS)
    for year, labels in ((DEMO_TODAY.year - 1, 5), (DEMO_TODAY.year, 3)):
        stars = member_points(members=Member.objects.all(), year=year)
        assert len(stars) >= 0.8 * active.count(), year
        spread = Counter(label for _, _, label in stars.values())
        assert len(spread) >= labels, (year, spread)
        assert max(spread.values()) <= 0.75 * len(stars), (year, spread)
    assert not PointRecord.objects.exclude(points=F("item__points")).exists()
    assert not PointRecord.objects.filter(recorded_on__lt=F("member__joined_on")).exists()

    # Flows: every member away (流出/流入) has exactly one open flow, that way, since they joined.
    away = Member.objects.filter(status__in=["流出", "流入"]).annotate(
        open=Count("flows", filter=Q(flows__end_on__isnull=True)),
        same_way=Count("flows", filter=Q(flows__end_on__isnull=True, flows__direction=F("status"))),
    )
    assert away.count() >= 600
    assert [m.pk for m in away if (m.open, m.same_way) != (1, 1)] == []
    assert not FlowRecord.objects.filter(Q(start_on__lt=F("member__joined_on")) | Q(place="")).exists()

    # One audit event per row written in bulk, filed under the member's branch.
    for model, label in ((TrainingRecord, "trainingrecord"), (PointRecord, "pointrecord"), (FlowRecord, "flowrecord")):
        events = AuditEvent.objects.filter(object_type=f"members.{label}", action="create")
        assert events.count() == model.objects.count(), label
    sample = TrainingRecord.objects.select_related("member__branch").order_by("pk")[::997]
    events = dict(
        AuditEvent.objects.filter(
            object_type="members.trainingrecord", object_id__in=[str(t.pk) for t in sample]
        ).values_list("object_id", "org_path")
    )
    assert {str(t.pk): t.member.branch.path for t in sample} == events


def _quarters_without_meetings(today: dt.date) -> dict[str, list[tuple[int, int]]]:
    """{branch code: [(year, quarter) with no meeting at all]} over the quarters of the history that are over."""
    held = set(
        (code, day.year, (day.month - 1) // 3 + 1)
        for code, day in Meeting.objects.values_list("branch__code", "held_on")
    )
    quarters = [(y, q) for y in range(today.year - 2, today.year + 1) for q in range(1, 5)]
    over = [(y, q) for y, q in quarters if dt.date(y, 3 * q, 1) < today.replace(day=1)]
    return {
        code: gaps
        for code in {c for c, _, _ in held}
        if (gaps := [(y, q) for y, q in over if (code, y, q) not in held])
    }


def _assert_demo_meetings() -> None:
    """Three years of meetings up to yesterday: most branches keep the standards, some skip months, a few stop for
    a quarter; attendance lists for the last six months; a handful back-filled or edited late; one audit event per
    meeting; the demo secretary's month still to do."""
    today = timezone.localdate()
    meetings = Meeting.objects.all()
    branches = Organization.objects.filter(kind__in=["党支部", "党总支"])
    assert 35_000 <= meetings.count() <= 60_000, meetings.count()
    first = dt.date(today.year - 2, 1, 1)
    assert first <= meetings.order_by("held_on").first().held_on <= first + dt.timedelta(days=10)
    assert meetings.order_by("-held_at").first().held_at < timezone.now()
    assert not meetings.filter(held_on__gte=today).exists()
    assert meetings.values("branch").distinct().count() == branches.count()

    # The last full year: a high rate, most branches with nothing missed, about one in ten skipping months.
    year = today.year - 1
    cells = list(compliance_cells(actor=None, year=year, today=today))
    status = Counter(c.status for c in cells)
    assert status["进行中"] == 0
    rate = status["达标"] / (status["达标"] + status["未达标"])
    assert 0.95 <= rate <= 0.995, rate
    missed = Counter(c.branch.code for c in cells if c.status == "未达标")
    assert 0.65 * branches.count() <= branches.count() - len(missed) <= 0.9 * branches.count(), len(missed)
    monthly = Counter(c.branch.code for c in cells if c.status == "未达标" and c.kind in ("主题党日", "支部委员会会议"))
    gappy = [code for code, n in monthly.items() if n >= 2]
    assert 0.04 * branches.count() <= len(gappy) <= 0.2 * branches.count(), len(gappy)
    # A few branches held nothing for a whole quarter.
    stalled = _quarters_without_meetings(today)
    assert 3 <= len(stalled) <= 10, stalled
    # 组织生活会 and 民主评议党员 mostly in the fourth or the first quarter.
    for kind in ("组织生活会", "民主评议党员"):
        months = Counter(meetings.filter(kind=kind).values_list("held_on__month", flat=True))
        assert sum(months[m] for m in (10, 11, 12, 1, 2, 3)) >= 0.85 * sum(months.values()), (kind, months)

    # Back-filled by the service's rule, late edits with a reason and an event each; a create event per meeting.
    backfilled = meetings.filter(backfilled=True)
    assert 20 <= backfilled.count() <= 300, backfilled.count()
    for m in backfilled[:50]:
        assert (timezone.localtime(m.created_at).date() - m.held_on).days > 15
    late = meetings.exclude(late_edit_reason="")
    assert 10 <= late.count() <= 200, late.count()
    events = AuditEvent.objects.filter(object_type="meetings.meeting")
    assert events.filter(action="create").count() == meetings.count()
    assert events.filter(action="update", note__startswith="逾期修改").count() == late.count()

    # Attendance lists only from six months back, as attendees_on picks them.
    since = today - relativedelta(months=6)
    assert not meetings.filter(has_attendance=True, held_on__lt=since).exists()
    recent = meetings.filter(held_on__gte=since, branch__kind="党支部")
    assert recent.filter(has_attendance=True).count() >= 0.9 * recent.count()
    assert 100_000 <= Attendance.objects.count() <= 300_000
    for m in recent.filter(has_attendance=True, kind="主题党日").select_related("branch").order_by("pk")[::500]:
        listed = set(m.attendance.values_list("member_id", flat=True))
        assert listed == {x.pk for x in attendees_on(branch=m.branch, on=m.held_on)}, m.pk

    # The demo secretary's branch: nothing yet this month, so 本月待办 lists this month's kinds.
    branch = Organization.objects.get(code=DEMO_BRANCH)
    assert not meetings.filter(branch=branch, held_on__gte=today.replace(day=1)).exists()
    due = {(c.kind, c.status) for c in due_now(branch, today=today)}
    assert {("主题党日", "进行中"), ("党小组会", "进行中")} <= due, due
    assert (
        meetings.filter(branch=branch, created_by__username="shuji").count() == meetings.filter(branch=branch).count()
    )


def _check_the_first_seed(lines: list[str]) -> None:
    """What a first seed_demo builds and prints, and what demo_logins lists after it."""
    assert lines[-2:] == [
        "已创建演示账号：admin、zhen_admin、shuji、lingdao、kaohe",
        "演示数据已就绪；运行 manage.py demo_logins 查看演示账号。",
    ]
    orgs = Organization.objects.count()
    assert lines[0] == f"组织: 已新增 {orgs} 行，已更新 0 行，未变 0 行"
    assert lines[1] == f"职务: 已新增 {Post.objects.count()} 行，已更新 0 行，未变 0 行"

    root = Organization.objects.get(depth=1)
    assert (root.code, root.name, root.kind) == ("QS", "青山县委", "县委")
    townships = Organization.objects.filter(kind="党委", assessment_group="乡镇党委")
    assert townships.count() >= 18
    assert set(townships.values_list("parent__code", flat=True)) == {"QS"}
    assert Organization.objects.filter(assessment_group="村（社区）党组织").count() >= 240
    assert orgs >= 400

    # Every 党支部 has had a 书记 and has exactly one now (a term with no end).
    branches = Organization.objects.filter(kind="党支部").annotate(
        secretaries=Count("posts", filter=Q(posts__title="书记")),
        current=Count("posts", filter=Q(posts__title="书记", posts__end_on__isnull=True)),
    )
    assert branches.count() >= 300
    assert [b.code for b in branches if b.secretaries == 0] == []
    assert [b.code for b in branches if b.current != 1] == []

    users = {u.username: u for u in User.objects.filter(username__in=DEMO_LOGINS)}
    assert set(users) == set(DEMO_LOGINS)
    for username, (role, code) in DEMO_LOGINS.items():
        assert list(users[username].grants.values_list("role", "organization__code")) == [(role, code)], username
        assert users[username].check_password(DEMO_PASSWORD), username
    assert {role for role, _ in DEMO_LOGINS.values()} == {
        "county_admin",
        "township_admin",
        "branch_secretary",
        "leader",
        "inspector",
    }
    assert set(AuditEvent.objects.values_list("source", flat=True)) == {"command"}
    _assert_demo_activity(users["admin"])
    _assert_demo_meetings()

    listing = _run("demo_logins")
    assert listing[0] == "演示账号："
    assert listing[1].split() == ["账号", "角色", "所属组织", "密码"]
    table = [line.split() for line in listing[3:]]
    assert [row[0] for row in table] == list(DEMO_LOGINS)
    assert all(row[-1] == DEMO_PASSWORD for row in table)
    assert table[0][1:3] == ["县委组织部管理员", "青山县委"]
    assert table[1][1:3] == ["乡镇（工委）管理员", "石门镇党委"]


# What supervision/demo.py plants for the nightly checks to find, on top of the members and meetings demos.
PLANTED_REPORT_COPIES = 5  # plant_reports: a copied 思想汇报 in five branches
PLANTED_OVERLAP_MEETINGS = 3  # plant_overlaps: three committee meetings an hour after a 主题党日
SUPERVISION_TITLES = ["党建任务", "问题清单", "软弱涣散党组织", "驻村干部", "发言材料", "形式主义线索"]


def test_seed_demo_builds_the_county_and_a_second_run_changes_nothing():
    # One test, one full seed per pass: the demo county takes ~30 s to build (and minutes to roll back on PostgreSQL).
    first = _run("seed_demo", "--if-empty")  # an empty database: --if-empty builds the county
    _check_the_first_seed(first)
    before = _counts()
    assert before["organizations"] >= 400 and before["users"] == 5
    assert 14_000 <= before["members"] <= 17_000  # the issue asks for ~15,000 members
    assert before["candidates"] and before["thought_reports"] and before["trainings"] and before["points"]
    assert before["allocations"] and before["disbursements"] and before["expenditures"] and before["aid"]
    assert before["schemes"] == 20 and before["results"] and before["penalties"]
    ledger = before["allocations"] + before["disbursements"] + before["expenditures"]
    away = Member.objects.filter(status__in=["流出", "流入"]).count()
    admitted = Candidate.objects.filter(
        admitted_on__isnull=False
    ).count()  # files opened by the pipeline, not the sheet
    tree = list(Organization.objects.order_by("code").values_list("code", "path", "name", "parent__code"))
    passwords = dict(User.objects.values_list("username", "password"))

    lines = _run("seed_demo")

    assert _counts() == before
    assert list(Organization.objects.order_by("code").values_list("code", "path", "name", "parent__code")) == tree
    assert dict(User.objects.values_list("username", "password")) == passwords
    supervision = [line for line in lines if line.split(":")[0] in SUPERVISION_TITLES]
    assert [line.split(":")[0] for line in supervision] == SUPERVISION_TITLES
    assert all(": 已新增 0 " in line for line in supervision)  # nothing added the second time
    checks = [line for line in lines if line.startswith("夜间检查·")]
    assert len(checks) == len(CheckKind.values) and all(line.endswith("新登记 0 条问题") for line in checks)
    assert lines == [
        f"组织: 已新增 0 行，已更新 0 行，未变 {before['organizations']} 行",
        f"职务: 已新增 0 行，已更新 0 行，未变 {before['posts']} 行",
        f"党员: 已新增 0 行，已更新 0 行，未变 {before['members'] - admitted} 行",
        f"组织关系转接: 已新增 0 次，已有 {before['memberships'] - before['members']} 次",
        f"党籍状态变更: 已新增 0 次，已有 {before['status_changes']} 次",
        f"发展党员: 已新增 0 名，已有 {before['candidates']} 名",
        # the members and meetings demos count their own records; the supervision demo planted some besides
        f"思想汇报: 已新增 0 份，已有 {before['thought_reports'] - PLANTED_REPORT_COPIES} 份",
        f"流动党员: 已新增 0 条流动记录，已有 {away} 条",
        f"培训台账: 已新增 0 条，已有 {before['trainings']} 条",
        f"积分项目: 已新增 0 项，已有 {before['point_items']} 项",
        f"积分记录: 已新增 0 条，已有 {before['points']} 条",
        f"三会一课: 已新增 0 次会议（0 次有签到名单，0 条出席记录；补录 0 次，逾期修改 0 次），已有 {before['meetings'] - PLANTED_OVERLAP_MEETINGS} 次",
        *supervision,
        "经费类别和资金来源: 已新增 0 类、0 个来源，已有 9 类、6 个来源",
        "经费保障标准: 已新增 0 项（农村居民人均可支配收入 0 个年度），已有 2 项（3 个年度）",
        f"经费台账: 已新增 0 条（下达 0、拨付 0、支出 0），已有 {ledger} 条",
        f"党内关爱帮扶: 已新增 0 人次（0.00 元），已有 {before['aid']} 人次",
        f"考核方案: 已新增 0 个（已发布 0 个），已有 {before['schemes']} 个",
        f"考核结果: 已新增 0 个（指标得分 0 项、述职评议 0 条、导入总分 0 个），已有 {before['results']} 个",
        f"三个一律: 已新增 0 条（不合格 0、连续两年未晋位升级 0、连续三年后三名 0），已有 {before['penalties']} 条",
        *checks,
        "演示账号均已存在，未改动。",
        "演示数据已就绪；运行 manage.py demo_logins 查看演示账号。",
    ]
    # each run's checks are on record as a run of the checks page (found, of which new), like a night's
    runs = Job.objects.filter(kind="formalism_checks", params__trigger="demo").order_by("pk")
    assert [(job.status, sum(r["new"] for r in job.result.values()) > 0) for job in runs] == [
        ("succeeded", True),
        ("succeeded", False),
    ]
    assert _run("seed_demo", "--if-empty") == ["系统中已有组织数据，跳过演示数据。"]
    assert _counts() == before


def test_if_empty_leaves_a_used_database_alone(county):
    before = _counts()
    assert _run("seed_demo", "--if-empty") == ["系统中已有组织数据，跳过演示数据。"]
    assert _counts() == before
    assert not Organization.objects.filter(code="QS").exists()
    assert _run("demo_logins") == ["没有演示账号。运行 manage.py seed_demo 生成演示数据。"]
