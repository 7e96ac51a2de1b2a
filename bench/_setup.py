"""Shared by the benchmarks: a throwaway database, Django set up on it with the test settings, and the result table.

The database is never the developer's: for SQLite a fresh file in a temporary directory, for PostgreSQL a fresh
database `bench_<random>` created on the server that DATABASE_URL (or --database-url) names and dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
_POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "psql")


@dataclass
class BenchDatabase:
    url: str  # what Django connects to
    vendor: str  # sqlite / postgresql
    description: str  # printed in the report (no password)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=f"{user}{host}{port}"))


@contextmanager
def bench_database(database_url: str | None, *, keep: bool = False) -> Iterator[BenchDatabase]:
    """Create the throwaway database, set Django up on it and migrate; drop it on the way out (unless `keep`)."""
    url = database_url or os.environ.get("DATABASE_URL", "") or "sqlite://"
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme.startswith("sqlite") or scheme == "":
        tmpdir = tempfile.mkdtemp(prefix="bench-")
        db = BenchDatabase(f"sqlite:///{tmpdir}/bench.sqlite3", "sqlite", f"SQLite {tmpdir}/bench.sqlite3")
        try:
            _setup_django(db)
            yield db
        finally:
            _close_connections()
            if keep:
                print(f"(kept {tmpdir}/bench.sqlite3)")
            else:
                shutil.rmtree(tmpdir, ignore_errors=True)
        return
    if scheme not in _POSTGRES_SCHEMES:
        raise SystemExit(f"unsupported database URL scheme {scheme!r}: use sqlite:// or postgres://")

    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin_url = urlunsplit(urlsplit(url)._replace(scheme="postgresql"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    bench_url = urlunsplit(urlsplit(url)._replace(path="/" + name))
    db = BenchDatabase(bench_url, "postgresql", f"PostgreSQL {_redact(bench_url)} (throwaway)")
    try:
        _setup_django(db)
        yield db
    finally:
        _close_connections()
        if keep:
            print(f"(kept database {name})")
        else:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL cluster started by tests/services.py (temporary directory, loopback only, fsync off, C locale),
    stopped on the way out; yields the URL of its maintenance database (the benchmark creates its own)."""
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    from tests.services import ServiceError, cleanup_stack, start_postgres

    with cleanup_stack() as stack:
        try:
            pg = start_postgres(stack)
        except (ServiceError, OSError) as exc:
            raise SystemExit(f"cannot start PostgreSQL: {exc}") from None
        print(f"(started a throwaway PostgreSQL cluster on port {pg.port}: fsync off, locale C)", flush=True)
        yield urlunsplit(urlsplit(pg.url)._replace(path="/postgres"))


def _setup_django(db: BenchDatabase) -> None:
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = db.url
    # The test settings serve static files through WhiteNoise without a collected STATIC_ROOT: not our concern here.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django
    from django.conf import settings

    django.setup()
    name = str(settings.DATABASES["default"]["NAME"])
    if db.vendor == "sqlite" and Path(name).resolve() == (BASE_DIR / "db.sqlite3").resolve():
        raise SystemExit("refusing to benchmark on the developer database db.sqlite3")
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def attach_database(url: str) -> None:
    """Set Django up (test settings) on an existing benchmark database without migrating: for a child process that
    measures one thing on the database its parent built (e.g. the export's memory in bench/members.py)."""
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = url
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django
    from django.conf import settings

    django.setup()
    name = str(settings.DATABASES["default"]["NAME"])
    if Path(name).resolve() == (BASE_DIR / "db.sqlite3").resolve():
        raise SystemExit("refusing to benchmark on the developer database db.sqlite3")


def _close_connections() -> None:
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # Django never got set up
        pass


@dataclass
class Figure:
    """One line of the result table. `higher_is_better` says whether the limit is a floor (rows/s) or a ceiling."""

    name: str
    measured: float | None
    unit: str
    limit: float | None = None
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """How far the figure is within its limit: ≥ 1 means met, whichever way the limit points."""
        if self.measured is None or self.limit is None:
            return None
        if self.higher_is_better:
            return self.measured / self.limit
        if self.measured == 0:
            return float("inf")
        return self.limit / self.measured

    @property
    def met(self) -> str:
        if self.measured is None:
            return "n/a"
        if self.limit is None:
            return "-"
        return "yes" if self.ratio >= 1 else "NO"


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "not available"
    if value >= 1000:
        text = f"{value:,.0f}"
    elif value >= 100 or float(value).is_integer():
        text = f"{value:.0f}"
    else:
        text = f"{value:.3g}" if value < 1 else f"{value:.2f}"
    return f"{text} {unit}".strip()


def figure_cells(f: Figure) -> list[str]:
    """measured, limit, ratio, met? as the tables print them."""
    limit = "-" if f.limit is None else ("≥ " if f.higher_is_better else "≤ ") + _number(f.limit, f.unit)
    ratio = "-" if f.ratio is None else f"{f.ratio:.2f}"
    return [_number(f.measured, f.unit), limit, ratio, f.met]


def print_rows(rows: list[list[str]]) -> None:
    """A header row and its rows, columns padded, the header underlined."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            print("-+-".join("-" * w for w in widths))


def _record(title: str, figures: list[Figure]) -> None:
    """Append the table to the JSON-lines file BENCH_FIGURES names (bench/run.py's summary reads it)."""
    import json
    from dataclasses import asdict

    path = os.environ.get("BENCH_FIGURES")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"title": title, "figures": [asdict(f) for f in figures]}, ensure_ascii=False) + "\n")


def print_table(title: str, figures: list[Figure]) -> None:
    _record(title, figures)
    print()
    print(title)
    print_rows([["figure", "measured", "limit", "ratio", "met?"], *([f.name, *figure_cells(f)] for f in figures)])
    print("ratio ≥ 1.00 means the limit is met (measured/limit for floors ≥, limit/measured for ceilings ≤)")
    for f in figures:
        if f.note:
            print(f"  {f.name}: {f.note}")


def server_description() -> str:
    """Python, Django and database versions, printed at the head of a benchmark's output."""
    import platform

    import django
    from django.db import connection

    if connection.vendor == "sqlite":
        server = "SQLite " + connection.Database.sqlite_version
    else:
        connection.ensure_connection()
        server = f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    return f"Python {platform.python_version()}, Django {django.get_version()}, {server}"


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) would
    leave them. Without it, on PostgreSQL, a query right after an import into tables last analyzed while empty plans
    for empty tables (the members export then ran for over ten minutes instead of seconds)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def add_database_arguments(parser) -> None:
    """The options every province benchmark takes for its throwaway database and its exit code."""
    parser.add_argument("--database-url", help="server to create the throwaway database on (default: DATABASE_URL)")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL (tests/services.py)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a limit is not met")


def exit_code(figures: list[Figure], strict: bool) -> int:
    """1 with --strict when a limit is missed, else 0."""
    return 1 if strict and any(f.met == "NO" for f in figures) else 0


def run_on_throwaway(args, *, name: str, size: str, run) -> int:
    """Set up the throwaway database `args` ask for, print what runs where, run `run(args)` for its figures and print
    them as one table; the exit code (1 with --strict when a limit is missed)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        if args.postgres:
            args.database_url = stack.enter_context(throwaway_postgres())
        db = stack.enter_context(bench_database(args.database_url, keep=args.keep))
        print(f"bench.{name}: {size} on {db.description}", flush=True)
        figures = run(args)
        print_table(f"{name} ({db.vendor}, {size})", figures)
    return exit_code(figures, args.strict)
