"""Backups (core/backup.py): `manage.py backup` then `manage.py restore` into a fresh database gives back every table
with the same row count and checksum, and the uploaded files; a damaged backup is refused before anything is
touched; a restore that does not match says so. On SQLite and, in the second pass, on PostgreSQL (pg_dump)."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from django.db import connection

from core.backup import BackupError, backup, database_url, restore, table_checksums
from tests.members.api_helpers import make_member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(county, settings):
    for n in range(3):
        make_member(county.village_a1, n)
    upload = Path(settings.MEDIA_ROOT) / "meetings" / "签到表.jpg"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(b"\xff\xd8\xff" + b"x" * 100)
    return upload


@pytest.fixture
def fresh_database(tmp_path):
    """The URL of an empty database of the same kind as the test database, dropped afterwards."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed")
    name = f"restore_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    base = database_url().rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_then_restore_gives_back_every_row_and_file(world, fresh_database, tmp_path):
    saved = backup(directory=tmp_path / "backups")
    manifest = json.loads((saved / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["members_member"][0] == 3
    assert manifest["tables"] == table_checksums()
    media = tmp_path / "restored-media"
    restored = restore(source=saved, database_url=fresh_database, media_root=media)
    assert restored == manifest["tables"]
    assert (media / "meetings" / "签到表.jpg").read_bytes() == world.read_bytes()


def test_a_damaged_backup_is_refused_before_anything_is_touched(world, fresh_database, tmp_path):
    saved = backup(directory=tmp_path / "backups")
    dump = next(p for p in saved.iterdir() if p.name.startswith("database."))
    dump.write_bytes(dump.read_bytes()[:-10] + b"0123456789")
    media = tmp_path / "restored-media"
    with pytest.raises(BackupError, match="校验值与清单不符"):
        restore(source=saved, database_url=fresh_database, media_root=media)
    assert not media.exists()


def test_a_restore_that_does_not_match_the_manifest_says_so(world, fresh_database, tmp_path):
    saved = backup(directory=tmp_path / "backups")
    manifest = json.loads((saved / "manifest.json").read_text(encoding="utf-8"))
    manifest["tables"]["members_member"] = [4, "0" * 32]  # as if a row had been lost
    (saved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BackupError, match="members_member"):
        restore(source=saved, database_url=fresh_database, media_root=tmp_path / "m")
