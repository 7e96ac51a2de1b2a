"""Audit retention: rows older than AUDIT_RETENTION_DAYS (at least 180: the Cybersecurity Law, art. 21, wants
network logs kept six months) are moved out of the table into a compressed file, then deleted — the one way audit
rows ever leave it. The file comes first and is checked: a row is deleted only once it is on disk, in id order, one
JSON object a line, with the file's SHA-256 in the audit event the archiving itself leaves. In production the job
runs under a database role allowed to DELETE from the audit table, which the application's role is not
(docs/security.md)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .audit import build_event
from .models import AuditEvent

MIN_RETENTION_DAYS = 180
COLUMNS = ["id", "at", "actor_id", "actor_name", "source", "ip", "action", "object_type", "object_id",
           "object_repr", "org_path", "before", "after", "note"]  # fmt: skip


@dataclass
class Archived:
    rows: int
    path: Path | None = None
    sha256: str = ""


def retention_days() -> int:
    days = int(getattr(settings, "AUDIT_RETENTION_DAYS", 365))
    if days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_DAYS 为 {days} 天，审计记录至少须保留 {MIN_RETENTION_DAYS} 天（网络安全法第二十一条）。"
        )
    return days


def archive_dir() -> Path:
    return Path(getattr(settings, "AUDIT_ARCHIVE_DIR", "") or Path(settings.MEDIA_ROOT) / "audit-archive")


def _write(path: Path, rows) -> tuple[int, str]:
    """The rows into `path` (written beside it and renamed once complete); (count, SHA-256 of the file)."""
    tmp = path.with_suffix(".part")
    count = 0
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
        for row in rows:
            out.write(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False).encode() + b"\n")
            count += 1
    with open(tmp, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return count, digest


def audit_archive(*, now: dt.datetime | None = None) -> Archived:
    """Move the events older than the retention period into one file; nothing to do, nothing written."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=retention_days())
    old = AuditEvent.objects.filter(at__lt=cutoff).order_by("id")
    last = old.values_list("id", flat=True).last()
    if last is None:
        return Archived(0)
    chosen = old.filter(id__lte=last)
    directory = archive_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"audit-{timezone.localtime(cutoff):%Y%m%d}-to-{last}.jsonl.gz"
    count, digest = _write(path, chosen.values(*COLUMNS).iterator(chunk_size=5000))
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:  # the queryset refuses to delete audit rows: this is the one exception
            cursor.execute(f"DELETE FROM {table} WHERE id <= %s AND at < %s", [last, cutoff])
            deleted = cursor.rowcount
        if deleted != count:  # a row changed under us: keep everything, the file stays as evidence
            transaction.set_rollback(True)
            raise RuntimeError(f"审计归档：写入文件 {count} 行，待删除 {deleted} 行，不一致，已撤销删除")
        build_event(
            actor=None, action="archive", target=("core.auditevent", str(last), f"审计记录归档至 {path.name}"),
            after={"rows": count, "file": path.name, "sha256": digest, "before": cutoff.isoformat()},
            note=f"归档 {timezone.localtime(cutoff):%Y-%m-%d} 以前的审计记录 {count} 条",
        ).save()  # fmt: skip
    return Archived(count, path, digest)
