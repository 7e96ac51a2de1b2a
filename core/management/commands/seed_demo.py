"""`manage.py seed_demo [--if-empty]`: build the demo county 青山县, its party members and their party life — the
development pipeline, training, points and flows — and three years of 三会一课 (idempotent: a second run changes
nothing)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.context import origin
from meetings.demo import build_demo_meetings
from meetings.models import Meeting
from members.demo import build_demo_members
from members.demo_activity import build_demo_activity
from members.models import Member
from organizations.demo import COUNTY_CODE, DemoError, build_demo_county
from organizations.models import Organization


class Command(BaseCommand):
    help = (
        "生成演示数据：青山县的组织树、近四年的职务任免、约一万五千名党员及其组织关系转接和党籍状态变更，"
        "发展党员和思想汇报、培训台账、党员积分和流动党员记录、近三年的三会一课记录，"
        "以及每种角色一个演示账号（可重复运行，不会重复生成）。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="系统中已有任何组织时不生成组织树；已有任何党员档案（或没有演示县）时不生成党员；已有任何会议记录时不生成会议",
        )

    def handle(self, *args, if_empty: bool, **options):
        if if_empty and Organization.objects.exists():
            self.stdout.write("系统中已有组织数据，跳过演示数据。")
            # A database seeded before the members existed still gets the demo county's members, once.
            if not Organization.objects.filter(code=COUNTY_CODE, depth=1).exists():
                return
            if not Member.objects.exists():
                self._members()
            elif not Meeting.objects.exists():  # and one seeded before the meetings, the demo county's meetings
                self._meetings()
            return
        try:
            with origin("command"), transaction.atomic():
                county = build_demo_county()
                members = build_demo_members()
                activity = build_demo_activity(members=members.demo)
                meetings = build_demo_meetings()
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        lines = county.report.summary_lines() + members.summary_lines() + activity.summary_lines()
        for line in lines + meetings.summary_lines():
            self.stdout.write(line)
        if county.accounts_created:
            self.stdout.write("已创建演示账号：" + "、".join(county.accounts_created))
        else:
            self.stdout.write("演示账号均已存在，未改动。")
        self.stdout.write(self.style.SUCCESS("演示数据已就绪；运行 manage.py demo_logins 查看演示账号。"))

    def _members(self) -> None:
        try:
            with origin("command"), transaction.atomic():
                members = build_demo_members()
                activity = build_demo_activity(members=members.demo)
                meetings = build_demo_meetings()
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        for line in members.summary_lines() + activity.summary_lines() + meetings.summary_lines():
            self.stdout.write(line)

    def _meetings(self) -> None:
        try:
            with origin("command"), transaction.atomic():
                meetings = build_demo_meetings()
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        for line in meetings.summary_lines():
            self.stdout.write(line)
