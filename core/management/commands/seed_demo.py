"""`manage.py seed_demo [--if-empty]`: build the demo county 青山县 (idempotent: a second run changes nothing)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.context import origin
from organizations.demo import DemoError, build_demo_county
from organizations.models import Organization


class Command(BaseCommand):
    help = "生成演示数据：青山县的组织树、近四年的职务任免和每种角色一个演示账号（可重复运行，不会重复生成）。"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="系统中已有任何组织时什么也不做")

    def handle(self, *args, if_empty: bool, **options):
        if if_empty and Organization.objects.exists():
            self.stdout.write("系统中已有组织数据，跳过演示数据。")
            return
        try:
            with origin("command"):
                result = build_demo_county()
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        for line in result.report.summary_lines():
            self.stdout.write(line)
        if result.accounts_created:
            self.stdout.write("已创建演示账号：" + "、".join(result.accounts_created))
        else:
            self.stdout.write("演示账号均已存在，未改动。")
        self.stdout.write(self.style.SUCCESS("演示数据已就绪；运行 manage.py demo_logins 查看演示账号。"))
