"""`manage.py audit_archive`: move the audit events older than AUDIT_RETENTION_DAYS into a file (core/archive.py).
In production run it from cron under the archiving database role (docs/security.md), which alone may delete."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from core.archive import audit_archive
from core.context import origin


class Command(BaseCommand):
    help = "将超过保留期限（AUDIT_RETENTION_DAYS，至少 180 天）的审计记录归档到压缩文件后从表中移除。"

    def handle(self, *args, **options):
        try:
            with origin("command"):
                done = audit_archive()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if not done.rows:
            self.stdout.write("没有超过保留期限的审计记录。")
            return
        self.stdout.write(self.style.SUCCESS(f"已归档 {done.rows} 条审计记录 → {done.path}（SHA-256 {done.sha256}）"))
