"""`manage.py backup [--output DIR]`: the database and the uploaded files, with a manifest (core/backup.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backup import backup


class Command(BaseCommand):
    help = "备份数据库和上传文件（含审计归档）到一个目录，附带校验清单。"

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "backups"), help="备份存放目录")

    def handle(self, *args, output: str, **options):
        try:
            folder = backup(directory=Path(output))
        except (OSError, subprocess.CalledProcessError) as exc:
            raise CommandError(f"备份失败：{exc}") from None
        self.stdout.write(self.style.SUCCESS(f"已备份到 {folder}"))
