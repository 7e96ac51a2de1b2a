"""Benchmark: a province's organization tree (~140k nodes) through the import, the subtree query and the list page.

    python -m bench.org_tree [--nodes 140000] [--database-url postgres://… | --postgres] [--runs 50] [--profile]

Goals: the 组织 import runs at ≥ 10,000 rows/s end to end (file read, checks, writes and audit rows); a county's
subtree (all ids) is fetched in ≤ 2 ms (median, warm); the org list page's query count does not grow with the
subtree it shows (a township vs a county vs the whole province). Runs on a throwaway database (see bench/_setup.py).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import platform
import pstats
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench._setup import Figure, bench_database, print_table, throwaway_postgres

BENCHMARK = "organization tree: import, subtree query, list page"
IMPORT_GOAL_ROWS_PER_S = 10_000
SUBTREE_LIMIT_MS = 2.0


def _timed_import(path: Path, *, profile: bool = False):
    """workbook_import as the system, with the time of each phase (taken from its progress messages)."""
    from core.context import origin
    from core.xlsx.importer import workbook_import

    marks: list[tuple[float, str]] = []

    def progress(percent: int, message: str) -> None:
        marks.append((time.perf_counter(), message))

    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    with origin("command"):
        if profiler:
            profiler.enable()
        report = workbook_import(source=str(path), actor=None, progress=progress)
        if profiler:
            profiler.disable()
    elapsed = time.perf_counter() - start
    phases = []
    previous_time, previous_label = start, "start"
    for at, message in marks + [(start + elapsed, "end")]:
        if at - previous_time > 0.0005 or message == "end":
            phases.append((previous_label, at - previous_time))
        previous_time, previous_label = at, message
    return report, elapsed, phases, profiler


def _print_profile(profiler: cProfile.Profile, limit: int = 30) -> None:
    for sort in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(sort).print_stats(limit)
        print(f"\n--- import profile, top {limit} by {sort} ---")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def _subtree_ms(org, runs: int) -> tuple[float, int]:
    from organizations.selectors import subtree

    for _ in range(5):  # warm: connection, statement caches, pages in memory
        ids = list(subtree(org).values_list("id", flat=True))
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        ids = list(subtree(org).values_list("id", flat=True))
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), len(ids)


def _page_queries(targets) -> tuple[list, str]:
    """{label: (queries, ms, status)} for /orgs/?org=<id> as a superuser, or ([], reason) while the page is missing."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User

    try:
        url = reverse("organizations:tree")
    except Exception as exc:  # the page (or the URLconf) is not there yet
        return [], f"{type(exc).__name__}: {exc}"
    user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        username="bench", email="", password="bench-only-Password-1"
    )
    client = Client()
    client.force_login(user)
    results = []
    for label, org in targets:
        try:
            client.get(url, {"org": org.pk})  # warm: templates, sessions
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                response = client.get(url, {"org": org.pk})
                ms = (time.perf_counter() - t) * 1000
        except Exception as exc:
            return [], f"{type(exc).__name__}: {exc}"
        if response.status_code != 200:
            return [], f"GET {url}?org={org.pk} answered {response.status_code}"
        results.append((label, len(ctx.captured_queries), ms))
    return results, ""


def run(args) -> list[Figure]:
    import django
    from django.db import connection

    from bench.datagen import PROVINCE_CODE, province_rows, write_org_workbook
    from core.models import AuditEvent
    from organizations.models import Organization
    from organizations.selectors import subtree

    figures: list[Figure] = []
    if connection.vendor == "sqlite":
        server = "SQLite " + connection.Database.sqlite_version
    else:
        connection.ensure_connection()
        server = f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    print(f"Python {platform.python_version()}, Django {django.get_version()}, {server}")

    with tempfile.TemporaryDirectory(prefix="bench-xlsx-") as tmp:
        path = Path(tmp) / "province.xlsx"
        t = time.perf_counter()
        rows = write_org_workbook(path, province_rows(args.nodes))
        print(
            f"(a) generated {rows:,} organizations → {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s"
        )

        report, elapsed, phases, profiler = _timed_import(path, profile=args.profile)
        if not report.ok:
            for problem in report.problems[:20]:
                print("  ", problem)
            raise SystemExit(f"import refused the generated file ({len(report.problems)} problems)")
        created = report.counts["组织"].created
        rate = rows / elapsed
        print(f"(b) imported {created:,} rows in {elapsed:.2f} s = {rate:,.0f} rows/s; phases:")
        for label, seconds in phases:
            print(f"      {seconds:7.2f} s  after “{label}”")
        figures.append(
            Figure(
                "import 组织 (end to end)",
                rate,
                "rows/s",
                IMPORT_GOAL_ROWS_PER_S,
                higher_is_better=True,
                note=f"{rows:,} rows in {elapsed:.2f} s: read, check, insert, {created:,} audit events",
            )
        )
        if profiler:
            _print_profile(profiler)

        events = AuditEvent.objects.count()
        again, elapsed2, _, _ = _timed_import(path)
        unchanged = again.counts["组织"].unchanged if again.ok else 0
        added = AuditEvent.objects.count() - events
        print(f"    re-import of the same file: {unchanged:,} unchanged, {added} audit events added, {elapsed2:.2f} s")
        figures.append(
            Figure(
                "re-import, nothing changes",
                rows / elapsed2,
                "rows/s",
                note=f"{unchanged:,} of {rows:,} rows unchanged, {added} audit events written (expected 0)",
            )
        )

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would have done after a bulk load

    county = Organization.objects.get(code=f"{PROVINCE_CODE}001")
    township = Organization.objects.get(code=f"{PROVINCE_CODE}00101")
    province = Organization.objects.get(code=PROVINCE_CODE)
    ms, size = _subtree_ms(county, args.runs)
    print(f"(c) county subtree: {size:,} rows, median of {args.runs} warm runs {ms:.3f} ms")
    figures.append(
        Figure(
            "county subtree ids (median)",
            ms,
            "ms",
            SUBTREE_LIMIT_MS,
            note=f"{size:,} rows; list(subtree(county).values_list('id', flat=True)), {args.runs} runs",
        )
    )

    targets = [
        (f"township ({subtree(township).count():,} orgs)", township),
        (f"county ({size:,} orgs)", county),
        (f"province ({Organization.objects.count():,} orgs)", province),
    ]
    results, reason = _page_queries(targets)
    if not results:
        print(f"(d) org list page /orgs/?org=…: not available ({reason})")
        figures.append(Figure("/orgs/ page queries", None, "", note="not available: " + reason))
    else:
        base = results[0][1]
        for label, queries, page_ms in results:
            print(f"(d) /orgs/?org= {label}: {queries} queries, {page_ms:.1f} ms")
            figures.append(
                Figure(
                    f"/orgs/ queries, {label}",
                    queries,
                    "",
                    base,
                    note=f"rendered in {page_ms:.1f} ms; limit = the township's count (must not grow)",
                )
            )
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=140_000, help="organizations in the generated province")
    parser.add_argument("--database-url", help="server to create the throwaway database on (default: DATABASE_URL)")
    parser.add_argument("--runs", type=int, default=50, help="runs of the subtree query")
    parser.add_argument("--profile", action="store_true", help="cProfile the import and print where the time goes")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL (tests/services.py)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a limit is not met")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        if args.postgres:
            args.database_url = stack.enter_context(throwaway_postgres())
        db = stack.enter_context(bench_database(args.database_url, keep=args.keep))
        print(f"bench.org_tree: {args.nodes:,} nodes on {db.description}", flush=True)
        figures = run(args)
        print_table(f"organization tree ({db.vendor}, {args.nodes:,} nodes)", figures)
    missed = [f.name for f in figures if f.met == "NO"]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
