"""Audit rows are insert-only in the application (no update, no delete, by queryset, instance or admin), and the
monthly archiving moves the rows older than the retention period into a checked file — the only way out."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core.archive import audit_archive
from core.audit import audit_log
from core.models import AuditEvent, AuditImmutable
from core.tasks import audit_archive_run

pytestmark = pytest.mark.django_db


def _event(days_ago: float, n: int) -> AuditEvent:
    return AuditEvent.objects.create(
        at=timezone.now() - dt.timedelta(days=days_ago), action="update", object_type="members.member",
        object_id=str(n), object_repr=f"党员{n}", before={"status": "正常"}, after={"status": "失联"},
    )  # fmt: skip


def test_audit_rows_cannot_be_changed_or_deleted(county):
    event = audit_log(actor=None, action="update", obj=county.root, before={"name": "a"}, after={"name": "b"})
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(note="改过")
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.note = "改过"
    with pytest.raises(AuditImmutable):
        event.save()
    with pytest.raises(AuditImmutable):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).note == ""


def test_the_admin_offers_no_change_or_delete(admin_client):
    from django.contrib import admin

    model_admin = admin.site._registry[AuditEvent]
    assert not model_admin.has_change_permission(None) and not model_admin.has_delete_permission(None)
    assert not model_admin.has_add_permission(None)


def test_archiving_moves_only_the_old_rows_into_a_checked_file(settings, tmp_path):
    settings.AUDIT_RETENTION_DAYS = 180
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path)
    old = [_event(400, 1), _event(181, 2)]
    kept = [_event(179, 3), _event(1, 4)]
    done = audit_archive()
    assert done.rows == 2
    with gzip.open(done.path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert [r["id"] for r in rows] == [e.pk for e in old]
    assert rows[0]["before"] == {"status": "正常"} and rows[0]["object_repr"] == "党员1"
    assert hashlib.sha256(done.path.read_bytes()).hexdigest() == done.sha256
    left = set(AuditEvent.objects.exclude(action="archive").values_list("pk", flat=True))
    assert left == {e.pk for e in kept}
    record = AuditEvent.objects.get(action="archive")
    assert record.after["rows"] == 2 and record.after["sha256"] == done.sha256
    assert audit_archive().rows == 0  # nothing old is left: a second run writes no file
    assert len(list(tmp_path.iterdir())) == 1


def test_the_job_archives_too(settings, tmp_path):
    settings.AUDIT_RETENTION_DAYS = 200
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path)
    _event(201, 1)
    _event(199, 2)
    result = audit_archive_run()
    assert result["rows"] == 1 and result["file"].endswith(".jsonl.gz")


def test_a_retention_under_six_months_is_refused(settings):
    settings.AUDIT_RETENTION_DAYS = 179
    _event(400, 1)
    with pytest.raises(ImproperlyConfigured, match="至少须保留 180 天"):
        audit_archive()
    assert AuditEvent.objects.count() == 1


def test_the_command_archives_and_refuses_a_short_retention(settings, tmp_path, monkeypatch):
    from tests.commands.cli import run_cli

    settings.AUDIT_ARCHIVE_DIR = str(tmp_path)
    settings.AUDIT_RETENTION_DAYS = 365
    _event(366, 1)
    code, out, _ = run_cli(monkeypatch, "audit_archive")
    assert code == 0 and "已归档 1 条审计记录" in out
    code, out, _ = run_cli(monkeypatch, "audit_archive")
    assert code == 0 and "没有超过保留期限的审计记录" in out
    settings.AUDIT_RETENTION_DAYS = 30
    code, _, err = run_cli(monkeypatch, "audit_archive")
    assert code == 1 and "至少须保留 180 天" in err
