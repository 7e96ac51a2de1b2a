"""`manage.py seed_demo [--if-empty]`: build the demo county 青山县, its party members and their party life — the
development pipeline, training, points and flows —, three years of 三会一课 and the county's supervision (tasks,
findings, weak villages, first secretaries, speech materials and formalism planted for the nightly checks), three
years of funds (allocations, disbursements, spending, standards, aid to members in difficulty), four years of
assessment (schemes, scores, computed and published results, the penalties of the three rules), then run the nightly
checks once so the findings board opens with what they find (idempotent: a second run changes nothing)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments.demo import build_demo_assessments, demo_assessments_exists
from core.context import origin
from funding.demo import build_demo_funding, demo_funding_exists
from meetings.demo import build_demo_meetings
from meetings.models import Meeting
from members.demo import build_demo_members
from members.demo_activity import build_demo_activity
from members.models import Member
from organizations.demo import COUNTY_CODE, DemoError, build_demo_county
from organizations.models import Organization
from supervision.choices import CheckKind
from supervision.demo import build_demo_supervision, demo_supervision_exists


def _members() -> list[str]:
    members = build_demo_members()
    activity = build_demo_activity(members=members.demo)
    return members.summary_lines() + activity.summary_lines()


def _summary(build):
    return lambda: build().summary_lines()


# The demo in the order the capabilities were built (each needs the ones before it), each with how `--if-empty`
# tells that a database seeded before that capability existed lacks it (looked up when called, so tests can stand
# in for a capability that is there).
STAGES = [
    (lambda: Member.objects.exists(), _members),
    (lambda: Meeting.objects.exists(), _summary(build_demo_meetings)),
    (lambda: demo_supervision_exists(), _summary(build_demo_supervision)),
    (lambda: demo_funding_exists(), _summary(build_demo_funding)),
    (lambda: demo_assessments_exists(), _summary(build_demo_assessments)),
]


class Command(BaseCommand):
    help = (
        "生成演示数据：青山县的组织树、近四年的职务任免、约一万五千名党员及其组织关系转接和党籍状态变更，"
        "发展党员和思想汇报、培训台账、党员积分和流动党员记录、近三年的三会一课记录，"
        "督查督办数据（党建任务、问题清单、软弱涣散村、第一书记、组织生活会发言材料及供夜间检查发现的形式主义线索），"
        "近三年的经费台账（下达、拨付、支出、保障标准和党内关爱帮扶），"
        "近四年的年度考核（考核方案、评分和述职评议、已发布的排名等次及“三个一律”处理），"
        "并运行一次夜间检查，以及每种角色一个演示账号（可重复运行，不会重复生成）。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=(
                "系统中已有任何组织时不生成组织树；已有任何党员档案（或没有演示县）时不生成党员；已有任何会议记录时不生成会议；"
                "演示县已有党建任务或驻村干部时不生成督查数据；演示县已有经费下达记录时不生成经费数据；"
                "演示县已有考核方案时不生成考核数据"
            ),
        )

    def handle(self, *args, if_empty: bool, **options):
        if if_empty and Organization.objects.exists():
            self.stdout.write("系统中已有组织数据，跳过演示数据。")
            # A database seeded before a later capability existed still gets the demo county's data of that
            # capability and of the ones after it, once.
            if not Organization.objects.filter(code=COUNTY_CODE, depth=1).exists():
                return
            missing = next((i for i, (present, _) in enumerate(STAGES) if not present()), None)
            if missing is not None:
                self._build([build for _, build in STAGES[missing:]])
            return
        county = []

        def build_county() -> list[str]:
            county.append(build_demo_county())
            return county[0].report.summary_lines()

        self._build([build_county] + [build for _, build in STAGES])
        if county[0].accounts_created:
            self.stdout.write("已创建演示账号：" + "、".join(county[0].accounts_created))
        else:
            self.stdout.write("演示账号均已存在，未改动。")
        self.stdout.write(self.style.SUCCESS("演示数据已就绪；运行 manage.py demo_logins 查看演示账号。"))

    def _build(self, stages) -> None:
        """Run `stages` (each returns its summary lines) in one transaction — all or nothing —, print what they
        added, then run the nightly checks."""
        try:
            with origin("command"), transaction.atomic():
                lines = [line for build in stages for line in build()]
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        for line in lines:
            self.stdout.write(line)
        self._checks()

    def _checks(self) -> None:
        """The nightly checks, once, in their own transaction: the demo opens with the faults they find."""
        from core.models import Job
        from supervision.checks.runs import CHECKS_JOB_KIND
        from supervision.tasks import checks_job_run

        with transaction.atomic():
            job = Job.objects.create(kind=CHECKS_JOB_KIND, params={"trigger": "demo"}, message="排队中")
            counts = checks_job_run(job, source="command")
        for kind, c in counts.items():
            self.stdout.write(f"夜间检查·{CheckKind(kind).label}: 发现 {c['seen']} 处，新登记 {c['new']} 条问题")
