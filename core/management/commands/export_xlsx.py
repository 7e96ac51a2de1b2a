"""`manage.py export_xlsx KIND [--year YYYY] -o FILE [--unmasked]`: write one export as the system."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.context import origin
from core.xlsx.exporter import export_write
from core.xlsx.registry import export_kinds


class Command(BaseCommand):
    help = "导出一种 Excel 报表（organizations、posts 等）到文件。"

    def add_arguments(self, parser):
        parser.add_argument("kind", help="导出类型：" + "、".join(export_kinds()))
        parser.add_argument("--year", help="年度，如 2025（按年度的导出类型必填）")
        parser.add_argument("-o", "--output", help="输出的 .xlsx 文件路径（必填）")
        parser.add_argument("--unmasked", action="store_true", help="导出完整身份证号和手机号码（记入审计日志）")

    def handle(self, *args, kind: str, year: str | None, output: str | None, unmasked: bool, **options):
        kinds = export_kinds()
        if kind not in kinds:
            raise CommandError(f"未知的导出类型“{kind}”，可选：{'、'.join(kinds)}")
        if not output:
            raise CommandError("请用 -o 指定输出文件，如 -o organizations.xlsx")
        if year is not None:
            if not (year.isdigit() and 1949 <= int(year) <= 2100):
                raise CommandError(f"年度“{year}”不正确，应为四位年份，如 2025")
            year = int(year)
        target = Path(output)
        if target.is_dir():
            raise CommandError(f"输出路径是一个目录：{output}")
        if not target.parent.exists():
            raise CommandError(f"输出目录不存在：{target.parent}")
        # Write to a temporary file beside the target and rename it, so a failed export leaves no half-written file.
        fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".xlsx", dir=target.parent)
        if not unmasked:  # mkstemp makes the file private; only an unmasked export (personal data) stays that way
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        try:
            with os.fdopen(fd, "wb") as fp, origin("command"):
                count = export_write(kind=kind, actor=None, fp=fp, year=year, unmasked=unmasked)
            os.replace(tmp, target)
        except ValueError as exc:  # e.g. a kind that needs --year
            raise CommandError(str(exc)) from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        note = "（未脱敏，已记入审计日志）" if unmasked else ""
        self.stdout.write(self.style.SUCCESS(f"已导出 {kind}：{count} 行 → {target}{note}"))
