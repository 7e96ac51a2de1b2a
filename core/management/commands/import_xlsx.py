"""`manage.py import_xlsx FILE [--dry-run]`: import every known sheet of a workbook as the system."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.context import origin
from core.xlsx.importer import workbook_import


class Command(BaseCommand):
    help = (
        "导入 Excel 工作簿中的所有已知工作表（组织 → 职务 → …）；有任何错误则逐条列出、不写入任何数据并以状态 1 退出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx 文件路径")
        parser.add_argument("--dry-run", action="store_true", help="只检查并报告将要做的改动，不写入")

    def handle(self, *args, file: str, dry_run: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        with origin("command"):
            report = workbook_import(source=str(path), actor=None, dry_run=dry_run)
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"导入失败：共 {len(report.problems)} 个问题，未写入任何数据。")
        for line in report.summary_lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("试运行：检查通过，未写入任何数据。")
        else:
            self.stdout.write(self.style.SUCCESS("导入完成。"))
