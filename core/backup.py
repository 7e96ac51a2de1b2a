"""Backups: the database and the uploaded files (with the audit archives in MEDIA_ROOT) in one directory, with a
manifest that says what a good restore must give back.

    backup-YYYYmmdd-HHMMSS/
        database.dump       pg_dump custom format (PostgreSQL) / database.sqlite3 (SQLite's online backup)
        media.tar.gz        MEDIA_ROOT
        manifest.json       when, from what, each file's SHA-256, each table's row count and checksum

A restore checks the files against the manifest before touching anything, restores into the database it is
pointed at, unpacks the files, and then compares every table's count and checksum with the manifest: a restore that
does not give back exactly what was saved says so (and exits 1), it never passes quietly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables() -> list[tuple[str, str]]:
    """(table, primary key column) of every concrete model, sorted."""
    out = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            out.add((model._meta.db_table, model._meta.pk.column))
    return sorted(out)


def table_checksums(conn=None) -> dict[str, list]:
    """{table: [rows, checksum]}: the rows in key order hashed, in SQL on PostgreSQL, in Python on SQLite."""
    conn = conn or connection
    out = {}
    with conn.cursor() as cursor:
        for table, pk in _tables():
            t, k = conn.ops.quote_name(table), conn.ops.quote_name(pk)
            if conn.vendor == "postgresql":
                cursor.execute(
                    f"SELECT count(*), md5(coalesce(string_agg(md5(r::text), '' ORDER BY r.{k}), '')) FROM {t} r"
                )
                count, checksum = cursor.fetchone()
            else:
                cursor.execute(f"SELECT * FROM {t} ORDER BY {k}")
                digest, count = hashlib.md5(), 0
                for row in cursor:
                    digest.update(repr(row).encode())
                    count += 1
                checksum = digest.hexdigest()
            out[table] = [count, checksum]
    return out


def _pg_env(url: str) -> tuple[list[str], dict]:
    """pg_dump/pg_restore connection arguments for `url`, the password through the environment, not the command."""
    parts = urlsplit(url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    env = {**os.environ, **({"PGPASSWORD": parts.password} if parts.password else {})}
    return [*args, "-d", parts.path.lstrip("/")], env


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def backup(*, directory: Path, now: dt.datetime | None = None) -> Path:
    """Write a backup under `directory`; returns its folder."""
    now = now or timezone.now()
    target = Path(directory) / f"backup-{timezone.localtime(now):%Y%m%d-%H%M%S}"
    target.mkdir(parents=True)
    files = {}
    if connection.vendor == "postgresql":
        args, env = _pg_env(database_url())
        dump = target / "database.dump"
        subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), *args], env=env, check=True)
    else:
        dump = target / "database.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(dump) as out:
            connection.connection.backup(out)
    files[dump.name] = _sha256(dump)
    media = target / "media.tar.gz"
    with tarfile.open(media, "w:gz") as tar:
        root = Path(settings.MEDIA_ROOT)
        if root.exists():
            tar.add(root, arcname="media")
    files[media.name] = _sha256(media)
    manifest = {
        "created_at": now.isoformat(),
        "vendor": connection.vendor,
        "files": files,
        "tables": table_checksums(),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


def _verify_files(source: Path, manifest: dict) -> None:
    for name, digest in manifest["files"].items():
        path = source / name
        if not path.exists():
            raise BackupError(f"备份缺少文件 {name}")
        if _sha256(path) != digest:
            raise BackupError(f"备份文件 {name} 的校验值与清单不符，文件已损坏或被改动")


def restore(*, source: Path, database_url: str, media_root: Path) -> dict[str, list]:
    """Restore `source` into the (empty or older) database at `database_url` and the files into `media_root`;
    returns the restored tables' checksums after comparing them with the manifest (BackupError on a difference)."""
    source = Path(source)
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    _verify_files(source, manifest)
    scheme = urlsplit(database_url).scheme.split("+")[0]
    if manifest["vendor"] == "postgresql":
        if not scheme.startswith("postgres"):
            raise BackupError("PostgreSQL 的备份只能恢复到 PostgreSQL 数据库")
        args, env = _pg_env(database_url)
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
             str(source / "database.dump")],
            env=env, check=True,
        )  # fmt: skip
    else:
        shutil.copyfile(source / "database.sqlite3", urlsplit(database_url).path)
    media_root = Path(media_root)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / "media.tar.gz", "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.name == "media" or m.name.startswith("media/")]
        for m in members:
            m.name = m.name[len("media/") :] if m.name != "media" else "."
        tar.extractall(media_root, members=members, filter="data")
    restored = _checksums_at(database_url)
    wrong = sorted(t for t in manifest["tables"] if restored.get(t) != manifest["tables"][t])
    if wrong:
        raise BackupError(f"恢复后 {len(wrong)} 张表与备份清单不符：{'、'.join(wrong[:10])}")
    return restored


def _checksums_at(url: str) -> dict[str, list]:
    """table_checksums of the database at `url`, through a connection of its own."""
    import environ
    from django.db.utils import ConnectionHandler

    handler = ConnectionHandler({"default": {**environ.Env.db_url_config(url), "TIME_ZONE": None}})
    try:
        return table_checksums(handler["default"])
    finally:
        handler["default"].close()
