"""`manage.py restore DIR [--database-url URL] [--media-root DIR]`: a backup of `manage.py backup` restored and
checked table by table against its manifest (core/backup.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, restore
from core.backup import database_url as current_database_url


class Command(BaseCommand):
    help = "从备份目录恢复数据库和上传文件，并逐表核对行数和校验值。"

    def add_arguments(self, parser):
        parser.add_argument("source", help="备份目录（manage.py backup 生成的 backup-… 目录）")
        parser.add_argument("--database-url", help="恢复到的数据库（默认：当前配置的数据库）")
        parser.add_argument("--media-root", help="上传文件恢复到的目录（默认：MEDIA_ROOT）")

    def handle(self, *args, source: str, database_url: str | None, media_root: str | None, **options):
        url = database_url or current_database_url()
        try:
            tables = restore(source=Path(source), database_url=url, media_root=Path(media_root or settings.MEDIA_ROOT))
        except (BackupError, OSError, subprocess.CalledProcessError, KeyError, ValueError) as exc:
            raise CommandError(f"恢复失败：{exc}") from None
        rows = sum(count for count, _ in tables.values())
        self.stdout.write(self.style.SUCCESS(f"已恢复 {len(tables)} 张表、{rows} 行，与备份清单一致"))
