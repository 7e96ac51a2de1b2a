"""Benchmark: party members: the 党员 import (ours and django-import-export's), the members export and the member list.

    python -m bench.members [--rows 100000] [--database-url postgres://… | --postgres] [--quick] [--profile]

(a) a 100,000-row 党员 sheet through core.xlsx.importer.workbook_import as the system, end to end (file read,
    checks, encryption, inserts, membership and audit rows): goal ≥ 10,000 rows/s; the phase timings come from the
    importer's progress callback; with --profile (or when the goal is missed) the import runs again under cProfile
    and the time spent in members/xlsx.py is listed function by function;
(b) the same file through django-import-export (a ModelResource over members.Member; what it does is printed):
    our rows/s over theirs, goal ≥ 5×;
(c) the members export (core.xlsx.exporter.export_write, kind "members", masked) of those 100,000 members, in a fresh
    child process that does only the export: seconds (≤ 15 s) and its peak RSS growth (≤ 100 MB);
(d) unless --quick: the member list page /members/ on 1,000,000 members generated straight into the tables
    (core.bulk.bulk_insert): median server time of 10 warm requests for page 1 and for page 500 (the keyset cursor
    `?after=<id of the 24,950th member by id>`), ≤ 100 ms each; query count for page sizes 50 vs 100 (or, where the
    page has no page-size parameter, page 1 vs page 500): must be equal.

Runs on a throwaway database (see bench/_setup.py); the small tree is one county, 20 townships and 500 branches.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench._setup import Figure, analyze, bench_database, print_table, server_description, throwaway_postgres

BENCHMARK = "members: 党员 import (ours vs django-import-export), members export, member list on 1M members"
IMPORT_GOAL_ROWS_PER_S = 10_000
THEIRS_GOAL_RATIO = 5.0
EXPORT_LIMIT_S = 15.0
EXPORT_LIMIT_MB = 100.0
PAGE_LIMIT_MS = 100.0
PAGE_SIZE_PARAMS = ("page_size", "per_page", "size", "limit")
PAGE_500_AFTER_ROW = 499 * 50  # page 500 of 50 starts after the 24,950th row
MEMBER_TABLES = ("members_statuschange", "members_membership", "members_member", "members_person")


# --- helpers --------------------------------------------------------------------------------------------------------


def _wipe_members() -> None:
    """Empty the member tables and the audit log (the organizations stay), as if no member had been imported."""
    from django.db import connection, transaction

    from core.models import AuditEvent

    with transaction.atomic(), connection.cursor() as cursor:
        for table in (*MEMBER_TABLES, AuditEvent._meta.db_table):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def _build_tree(townships: int, branches: int) -> int:
    from bench.datagen import member_tree_rows
    from core.context import origin
    from core.xlsx.importer import rows_import
    from core.xlsx.reader import RawSheet
    from organizations.xlsx import ORG_COLUMNS

    rows = member_tree_rows(townships, branches)
    sheet = [(1, [c.header for c in ORG_COLUMNS])] + [(n, r) for n, r in enumerate(rows, start=2)]
    with origin("command"):
        report = rows_import(sheets={"组织": RawSheet("组织", sheet)}, actor=None)
    if not report.ok:
        raise SystemExit("the tree did not import: " + "; ".join(str(p) for p in report.problems[:5]))
    return len(rows)


def _print_member_profile(profiler: cProfile.Profile) -> None:
    """Where the import's time goes: every function of members/xlsx.py, then the heaviest callees overall."""
    stats = pstats.Stats(profiler)
    total = max(stats.total_tt, 1e-9)
    rows = []
    for (filename, line, func), (_, calls, tottime, cumtime, _) in stats.stats.items():
        if filename.replace(os.sep, "/").endswith("members/xlsx.py"):
            rows.append((cumtime, tottime, calls, f"members/xlsx.py:{line} {func}"))
    print(f"\n--- cProfile of the import ({total:.1f} s under the profiler): members/xlsx.py, by cumulative time ---")
    print(f"{'cumulative s':>12} {'own s':>8} {'calls':>9}  function")
    for cumtime, tottime, calls, name in sorted(rows, reverse=True):
        print(f"{cumtime:12.2f} {tottime:8.2f} {calls:9,}  {name}")
    # The named steps the members code leans on, wherever they live.
    wanted = {
        ("reader.py", "read_workbook"),
        ("sheets.py", "parse_rows"),
        ("idnumber.py", "parse_id_number"),
        ("crypto.py", "encrypt"),
        ("crypto.py", "digest"),
        ("crypto.py", "mask_id_number"),
        ("rules.py", "member_problems"),
        ("bulk.py", "bulk_insert"),
        ("bulk.py", "filter_in"),
        ("audit.py", "save"),
        ("audit.py", "add"),
        ("audit.py", "jsonable"),
        ("services.py", "phone_fields"),
        ("scope.py", "scope_paths"),
    }
    picked = []
    for (filename, line, func), (_, calls, tottime, cumtime, _) in stats.stats.items():
        if (os.path.basename(filename), func) in wanted:
            short = "/".join(Path(filename).parts[-2:])
            picked.append((cumtime, tottime, calls, f"{short}:{line} {func}"))
    print("\n--- the steps it calls (cumulative time includes their callees) ---")
    for cumtime, tottime, calls, name in sorted(picked, reverse=True):
        print(f"{cumtime:12.2f} {tottime:8.2f} {calls:9,}  {name}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(20)
    print("\n--- top 20 by own time ---")
    print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


# --- (a) our import -------------------------------------------------------------------------------------------------


def _ours(path: Path, rows: int, args) -> tuple[list[Figure], float]:
    from bench.org_tree import _timed_import
    from core.models import AuditEvent
    from members.models import Member, Membership

    figures = []
    report, elapsed, phases, _ = _timed_import(path)
    if not report.ok:
        for problem in report.problems[:20]:
            print("  ", problem)
        raise SystemExit(f"our import refused the generated file ({len(report.problems)} problems)")
    counts = report.counts["党员"]
    rate = rows / elapsed
    analyze()  # after each bulk load, what autovacuum would soon do (see _analyze)
    members, memberships, events = Member.objects.count(), Membership.objects.count(), AuditEvent.objects.count()
    print(f"(a) ours: {counts.created:,} created in {elapsed:.2f} s = {rate:,.0f} rows/s; phases:")
    for label, seconds in phases:
        print(f"      {seconds:7.2f} s  after “{label}”")
    print(f"    wrote {members:,} members, {memberships:,} memberships, {events:,} audit events")
    figures.append(
        Figure(
            "(a) import 党员, ours (end to end)",
            rate,
            "rows/s",
            IMPORT_GOAL_ROWS_PER_S,
            higher_is_better=True,
            note=f"{rows:,} rows in {elapsed:.2f} s: read, check, encrypt, insert persons/members/memberships, "
            f"{events:,} audit events",
        )
    )

    again, elapsed2, phases2, _ = _timed_import(path)
    unchanged = again.counts["党员"].unchanged if again.ok else 0
    added = AuditEvent.objects.count() - events
    print(f"    re-import of the same file: {unchanged:,} unchanged, {added} audit events added, {elapsed2:.2f} s")
    figures.append(
        Figure(
            "    re-import, nothing changes",
            rows / elapsed2,
            "rows/s",
            note=f"{unchanged:,} of {rows:,} rows unchanged, {added} audit events written (expected 0)",
        )
    )

    if args.profile or rate < IMPORT_GOAL_ROWS_PER_S:
        print("    profiling a second first-time import (--profile, or the goal was missed) …", flush=True)
        _wipe_members()
        _, profiled, _, profiler = _timed_import(path, profile=True)
        analyze()
        print(f"    (under cProfile: {profiled:.2f} s)")
        _print_member_profile(profiler)
    return figures, rate


# --- (b) django-import-export ---------------------------------------------------------------------------------------

THEIRS_DESCRIPTION = (
    "django-import-export {version}: ModelResource over members.Member, the same 12 columns read from the same "
    ".xlsx by its XLSX format (openpyxl, read-only); per row, before_import_row parses the ID number (GB 11643 check "
    "digit), runs the same member_problems() checks as ours (birth date and gender against the ID, joined at 18+, "
    "dates, phone), looks the person up by the keyed digest and creates it (ID encrypted, masked), and encrypts the "
    "phone; the branch is a ForeignKeyWidget on Organization.code; the member is matched on person_id "
    "(ModelInstanceLoader), validated by full_clean (clean_model_instances) and written with its bulk mode "
    "(use_bulk, batch_size 1000, skip_diff); after_import adds the 建档 membership of each new member with "
    "bulk_create. One pass, no preview dry run, all in one transaction rolled back on any error. Unlike ours: no "
    "audit events, no scope check."
)


def _their_resource():
    from django.core.exceptions import ValidationError
    from import_export import fields, resources, widgets

    from core import crypto
    from core.idnumber import IdNumberError, parse_id_number
    from members.models import Member, Membership, Person
    from members.rules import member_problems
    from members.services import phone_fields
    from organizations.models import Organization

    def as_date(value):
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str) and value.strip():
            return dt.date.fromisoformat(value.strip())
        return value or None

    def text(value) -> str:
        return "" if value is None else str(value).strip()

    class MemberResource(resources.ModelResource):
        person_id = fields.Field(attribute="person_id", column_name="person_id", widget=widgets.IntegerWidget())
        branch = fields.Field(
            attribute="branch", column_name="所在支部代码", widget=widgets.ForeignKeyWidget(Organization, field="code")
        )
        category = fields.Field(attribute="category", column_name="人员类别")
        status = fields.Field(attribute="status", column_name="党籍状态")
        ethnicity = fields.Field(attribute="ethnicity", column_name="民族")
        education = fields.Field(attribute="education", column_name="学历")
        joined_on = fields.Field(attribute="joined_on", column_name="入党日期", widget=widgets.DateWidget())
        full_member_on = fields.Field(attribute="full_member_on", column_name="转正日期", widget=widgets.DateWidget())
        phone_encrypted = fields.Field(attribute="phone_encrypted", column_name="phone_encrypted")
        phone_digest = fields.Field(attribute="phone_digest", column_name="phone_digest")
        phone_masked = fields.Field(attribute="phone_masked", column_name="phone_masked")

        class Meta:
            model = Member
            fields = (
                "person_id", "branch", "category", "status", "ethnicity", "education", "joined_on",
                "full_member_on", "phone_encrypted", "phone_digest", "phone_masked",
            )  # fmt: skip
            import_id_fields = ("person_id",)
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            clean_model_instances = True

        def before_import(self, dataset, **kwargs):
            # The columns before_import_row fills in (import_id_fields must be among the headers).
            for header in ("person_id", "phone_encrypted", "phone_digest", "phone_masked"):
                dataset.append_col([None] * len(dataset), header=header)

        def before_import_row(self, row, **kwargs):
            try:
                info = parse_id_number(text(row["身份证号"]))
            except IdNumberError as exc:
                raise ValidationError({"person_id": str(exc)}) from None
            phone = text(row["手机号码"])
            problems = member_problems(
                info=info,
                birth_date=as_date(row["出生日期"]),
                gender=text(row["性别"]) or None,
                category=text(row["人员类别"]),
                joined_on=as_date(row["入党日期"]),
                full_member_on=as_date(row["转正日期"]),
                phone=phone,
            )
            if problems:
                raise ValidationError(problems)
            digest = crypto.digest(info.number)
            person = Person.objects.filter(id_number_digest=digest).first()
            if person is None:
                person = Person.objects.create(
                    name=text(row["姓名"]),
                    id_number_digest=digest,
                    id_number_encrypted=crypto.encrypt(info.number),
                    id_number_masked=crypto.mask_id_number(info.number),
                    gender=info.gender,
                    birth_date=info.birth_date,
                )
            row["person_id"] = person.pk
            row.update(phone_fields(phone))
            row["党籍状态"] = text(row["党籍状态"]) or "正常"
            row["民族"] = text(row["民族"])
            row["学历"] = text(row["学历"])

        def after_import(self, dataset, result, **kwargs):
            new = Member.objects.filter(memberships__isnull=True).values_list("id", "branch_id", "joined_on")
            Membership.objects.bulk_create(
                (Membership(member_id=pk, branch_id=b, start_on=j, note="建档") for pk, b, j in new.iterator()),
                batch_size=2000,
            )

    return MemberResource()


def _theirs(path: Path, rows: int) -> tuple[Figure | None, float | None, str]:
    try:
        import import_export
        from import_export.formats.base_formats import XLSX
    except ImportError as exc:
        return None, None, f"django-import-export is not installed ({exc}); pip install -r requirements-dev.txt"
    from members.models import Member, Membership

    description = THEIRS_DESCRIPTION.format(version=import_export.__version__)
    resource = _their_resource()
    start = time.perf_counter()
    dataset = XLSX().create_dataset(path.read_bytes())
    read = time.perf_counter() - start
    result = resource.import_data(dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True)
    elapsed = time.perf_counter() - start
    if result.has_errors() or result.has_validation_errors():
        errors = [repr(e.error) for e in result.base_errors[:3]]
        errors += [f"row {n}: {e.error!r}" for n, errs in result.row_errors()[:5] for e in errs]
        errors += [f"row {r.number}: {r.error_dict}" for r in result.invalid_rows[:5]]
        return None, None, f"their import reported errors: {errors}"
    members, memberships = Member.objects.count(), Membership.objects.count()
    if members != rows:
        return None, None, f"their import wrote {members:,} members for {rows:,} rows"
    rate = rows / elapsed
    print(f"(b) theirs: {description}")
    print(
        f"    {rows:,} rows in {elapsed:.2f} s = {rate:,.0f} rows/s (file read into a tablib Dataset: {read:.2f} s; "
        f"import_data: {elapsed - read:.2f} s); wrote {members:,} members, {memberships:,} memberships"
    )
    figure = Figure(
        "(b) import 党员, django-import-export",
        rate,
        "rows/s",
        note=f"{rows:,} rows in {elapsed:.2f} s (read {read:.2f} s); see the description printed above",
    )
    return figure, rate, ""


# --- (c) export -------------------------------------------------------------------------------------------------


def _proc_status_mib(key: str) -> float | None:
    """VmRSS / VmHWM of this process from /proc/self/status (Linux), in MiB; None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux ≥ 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _export_child(url: str, out: str) -> None:
    """In a fresh process: only the export, its time and the growth of its peak RSS.

    Peak RSS is VmHWM from /proc/self/status, reset to the current RSS just before the export. ru_maxrss is no use
    here on Linux: a child started by fork/exec (or posix_spawn) inherits the parent's high-water mark, so it would
    report the benchmark process's own peak (hundreds of MB after the imports). Where /proc is missing (macOS), the
    fallback is ru_maxrss before/after, with that caveat."""
    import gc
    import resource

    from bench._setup import attach_database

    attach_database(url)
    from django.db import connection

    import core.xlsx.exporter
    import core.xlsx.writer
    import members.xlsx  # noqa: F401  (loaded before the baseline: we measure the export, not imports)

    connection.ensure_connection()
    gc.collect()
    if _reset_peak_rss() and _proc_status_mib("VmHWM") is not None:
        method = "VmHWM (/proc/self/status), reset to the current RSS just before the export"
        before = _proc_status_mib("VmRSS")
    else:
        method = "ru_maxrss before/after (inherits the parent's peak: may hide growth below it)"
        scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    profiler = cProfile.Profile() if os.environ.get("BENCH_EXPORT_PROFILE") else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    with open(out, "wb") as fp:
        count = core.xlsx.exporter.export_write(kind="members", actor=None, fp=fp)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - start
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("tottime").print_stats(15)
        print(text.getvalue(), file=sys.stderr)
    if method.startswith("VmHWM"):
        peak = _proc_status_mib("VmHWM")
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    print(
        json.dumps(
            {
                "rows": count,
                "seconds": elapsed,
                "rss_before_mb": before,
                "rss_peak_mb": peak,
                "method": method,
                "bytes": os.path.getsize(out),
            }
        )
    )


def _export_profile(db_url: str, out: str) -> None:
    """The export again, in another fresh process, under cProfile (its timing is not the figure)."""
    env = {**os.environ, "BENCH_EXPORT_PROFILE": "1"}
    command = [sys.executable, "-m", "bench.members", "--export-child", db_url, out]
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent, env=env)
    print("\n--- cProfile of the export (child process) ---")
    print("\n".join(line for line in done.stderr.splitlines() if line.strip()))


def _export(db_url: str, tmp: str, profile: bool = False) -> list[Figure]:
    out = str(Path(tmp) / "members-export.xlsx")
    command = [sys.executable, "-m", "bench.members", "--export-child", db_url, out]
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"(c) export: the child process failed: {reason}")
        return [Figure("(c) export members (masked)", None, "", note=f"child failed: {reason}")]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    growth = result["rss_peak_mb"] - result["rss_before_mb"]
    print(
        f"(c) export: {result['rows']:,} members in {result['seconds']:.2f} s → {result['bytes'] / 1e6:.1f} MB .xlsx; "
        f"peak RSS {result['rss_before_mb']:.0f} MB → {result['rss_peak_mb']:.0f} MB (+{growth:.1f} MB)"
    )
    if profile or result["seconds"] > EXPORT_LIMIT_S:
        _export_profile(db_url, out)
    return [
        Figure(
            f"(c) export {result['rows']:,} members (masked)",
            result["seconds"],
            "s",
            EXPORT_LIMIT_S,
            note=f"export_write(kind='members', actor=None) to a temp file, {result['rows']:,} rows, fresh process",
        ),
        Figure(
            "(c) export peak memory growth",
            growth,
            "MB",
            EXPORT_LIMIT_MB,
            note=f"peak RSS during the export minus RSS before it: {result['method']}; child process with Django "
            f"and the export modules loaded, baseline {result['rss_before_mb']:.0f} MB",
        ),
    ]


# --- (d) the list page on a million members -------------------------------------------------------------------------


def _generate_members(count: int, branch_ids: list[int], pool: int = 4096) -> float:
    """`count` members (persons, member files, 建档 memberships) straight into the tables with bulk_insert.

    ID numbers are distinct and valid (bench.datagen.member_identity), their HMAC digests exact (the digest is the
    unique key); the AES-GCM ciphertexts come from a pool of `pool` encrypted values reused cyclically, since no
    page reads them and encrypting a million values would dominate the generation time."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from bench.datagen import _PHONE_PREFIXES, member_identity
    from core import crypto
    from core.bulk import bulk_insert
    from members.models import Member, Membership, Person

    start = time.perf_counter()
    cipher_ids = [crypto.encrypt(member_identity(i)[0]) for i in range(pool)]
    cipher_phones = [crypto.encrypt(f"1380000{i:04d}") for i in range(pool)]
    first_person = (Person.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    first_member = (Member.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    now = dt.datetime.now(dt.UTC)
    surnames, given = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
    educations = ("初中及以下", "高中", "中专", "大学专科", "大学本科", "研究生")
    statuses = ("正常",) * 18 + ("流出", "失联")
    chunk = 100_000
    with transaction.atomic():
        for base in range(0, count, chunk):
            people, files, links = [], [], []
            for i in range(base, min(base + chunk, count)):
                number, birth, male = member_identity(i)
                phone = (
                    f"{_PHONE_PREFIXES[i % len(_PHONE_PREFIXES)]}{i // len(_PHONE_PREFIXES) * 7919 % 100_000_000:08d}"
                )
                joined = birth + dt.timedelta(days=365 * 20 + i % 3000)
                name = surnames[i % 20] + given[(i // 20) % len(given)] + given[(i // 600) % len(given)]
                people.append(
                    (
                        first_person + i,
                        name,
                        crypto.digest(number),
                        cipher_ids[i % pool],
                        crypto.mask_id_number(number),
                        "男" if male else "女",
                        birth,
                        now,
                    )
                )
                branch = branch_ids[i % len(branch_ids)]
                files.append(
                    (
                        first_member + i,
                        first_person + i,
                        branch,
                        "正式党员",
                        statuses[i % 20],
                        "汉族",
                        educations[i % 6],
                        joined,
                        joined + dt.timedelta(days=365),
                        "",
                        "",
                        cipher_phones[i % pool],
                        crypto.digest(phone),
                        crypto.mask_phone(phone),
                        now,
                        now,
                    )
                )
                links.append((first_member + i, branch, joined, "建档"))
            person_fields = [
                "id", "name", "id_number_digest", "id_number_encrypted", "id_number_masked", "gender", "birth_date",
                "created_at",
            ]  # fmt: skip
            member_fields = [
                "id", "person", "branch", "category", "status", "ethnicity", "education", "joined_on",
                "full_member_on", "occupation", "address", "phone_encrypted", "phone_digest", "phone_masked",
                "created_at", "updated_at",
            ]  # fmt: skip
            bulk_insert(Person, person_fields, people)
            bulk_insert(Member, member_fields, files)
            bulk_insert(Membership, ["member", "branch", "start_on", "note"], links)
            print(f"    … {min(base + chunk, count):,} members", flush=True)
        # Explicit ids leave PostgreSQL's sequences behind: move them past the rows (no-op SQL on SQLite).
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Person, Member, Membership]):
                cursor.execute(sql)
    analyze()
    return time.perf_counter() - start


def _page_size_param(client, url) -> str | None:
    """The page's page-size parameter, if it honours one (a 100-row page is clearly longer than a 50-row one)."""
    base = client.get(url)
    for name in PAGE_SIZE_PARAMS:
        r50, r100 = client.get(url, {name: 50}), client.get(url, {name: 100})
        if r50.status_code == r100.status_code == 200 and len(r100.content) > 1.3 * len(r50.content):
            if abs(len(r50.content) - len(base.content)) < 0.1 * len(base.content):
                return name
    return None


def _list_page(runs: int) -> tuple[list[Figure], str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from members.models import Member

    try:
        url = reverse("members:list")
    except Exception as exc:
        return [], f"{type(exc).__name__}: {exc}"
    user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        username="bench", email="", password="bench-only-Password-1"
    )
    client = Client()
    client.force_login(user)
    try:
        first = client.get(url)
    except Exception as exc:
        return [], f"GET {url} raised {type(exc).__name__}: {exc}"
    if first.status_code != 200 or b"<" not in first.content:
        where = f" → {first.get('Location')}" if first.status_code in (301, 302) else ""
        return [], f"GET {url} answered {first.status_code}{where} (the list page is not there yet)"
    after = Member.objects.order_by("id").values_list("id", flat=True)[PAGE_500_AFTER_ROW - 1]

    def timed(params) -> tuple[float, int, int]:
        for _ in range(2):  # warm: templates, sessions, statement caches
            client.get(url, params)
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get(url, params)
            samples.append((time.perf_counter() - t) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}?{params} answered {response.status_code}")
        with CaptureQueriesContext(connection) as ctx:
            client.get(url, params)
        return statistics.median(samples), len(ctx.captured_queries), len(response.content)

    figures = []
    try:
        ms1, q1, _ = timed({})
        ms500, q500, _ = timed({"after": after})
    except RuntimeError as exc:
        return [], str(exc)
    print(f"(d) /members/ page 1: median {ms1:.1f} ms of {runs}, {q1} queries")
    print(f"(d) /members/?after={after} (page 500): median {ms500:.1f} ms of {runs}, {q500} queries")
    figures.append(Figure("(d) /members/ page 1 (median)", ms1, "ms", PAGE_LIMIT_MS, note=f"{q1} queries"))
    figures.append(
        Figure(
            "(d) /members/ page 500 (median)",
            ms500,
            "ms",
            PAGE_LIMIT_MS,
            note=f"?after={after} (the 24,950th member by id), {q500} queries",
        )
    )
    param = _page_size_param(client, url)
    if param:
        _, q50, _ = timed({param: 50})
        _, q100, _ = timed({param: 100})
        print(f"(d) queries with {param}=50: {q50}, {param}=100: {q100}")
        figures.append(
            Figure(
                f"(d) queries, {param}=100", q100, "", q50, note=f"limit = the count with {param}=50 (must be equal)"
            )
        )
    else:
        print(f"(d) the page has no page-size parameter ({', '.join(PAGE_SIZE_PARAMS)} tried): page 1 vs page 500")
        figures.append(
            Figure(
                "(d) queries, page 500 vs page 1",
                q500,
                "",
                q1,
                note="limit = page 1's count (must be equal); the page has no page-size parameter "
                f"({', '.join(PAGE_SIZE_PARAMS)} tried)",
            )
        )
    return figures, ""


# --- the run --------------------------------------------------------------------------------------------------------


def run(args, db) -> list[Figure]:
    from django.db import connection

    from bench.datagen import member_rows, write_member_workbook
    from organizations.models import Organization

    print(server_description())
    figures: list[Figure] = []
    t = time.perf_counter()
    orgs = _build_tree(args.townships, args.branches)
    print(
        f"tree: {orgs:,} organizations ({args.townships} townships, {args.branches} branches) in {time.perf_counter() - t:.1f} s"
    )
    codes = list(Organization.objects.filter(kind="党支部").order_by("code").values_list("code", flat=True))

    with tempfile.TemporaryDirectory(prefix="bench-members-") as tmp:
        path = Path(tmp) / "members.xlsx"
        t = time.perf_counter()
        rows = write_member_workbook(path, member_rows(args.rows, codes))
        print(f"generated {rows:,} 党员 rows → {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s")

        ours, our_rate = _ours(path, rows, args)
        figures += ours
        figures += _export(db.url, tmp, profile=args.profile)

        _wipe_members()
        theirs, their_rate, reason = (
            (None, None, "skipped (--skip-theirs)") if args.skip_theirs else _theirs(path, rows)
        )
        if theirs is None:
            print(f"(b) theirs: not available ({reason})")
            figures.append(Figure("(b) import 党员, django-import-export", None, "", note=reason))
        else:
            figures.append(theirs)
            figures.append(
                Figure(
                    "(b) ours / theirs",
                    our_rate / their_rate,
                    "×",
                    THEIRS_GOAL_RATIO,
                    higher_is_better=True,
                    note=f"{our_rate:,.0f} vs {their_rate:,.0f} rows/s on the same file",
                )
            )

    if args.quick:
        print("(d) skipped (--quick)")
        return figures
    _wipe_members()
    branch_ids = list(Organization.objects.filter(kind="党支部").order_by("id").values_list("id", flat=True))
    print(f"(d) generating {args.million_rows:,} members over {len(branch_ids)} branches …", flush=True)
    seconds = _generate_members(args.million_rows, branch_ids)
    print(f"    generated in {seconds:.1f} s ({connection.vendor})")
    page, reason = _list_page(args.runs)
    if not page:
        print(f"(d) member list page: not available ({reason})")
        figures.append(Figure("(d) /members/ on 1M members", None, "", note="not available: " + reason))
    figures += page
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the generated 党员 sheet")
    parser.add_argument("--townships", type=int, default=20)
    parser.add_argument("--branches", type=int, default=500)
    parser.add_argument("--database-url", help="server to create the throwaway database on (default: DATABASE_URL)")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL (tests/services.py)")
    parser.add_argument("--million", dest="quick", action="store_false", help="(d) on 1M members (the default)")
    parser.add_argument("--quick", dest="quick", action="store_true", help="skip (d), the million-member list page")
    parser.add_argument("--million-rows", type=int, default=1_000_000, help="members generated for (d)")
    parser.add_argument("--runs", type=int, default=10, help="timed requests per page in (d)")
    parser.add_argument("--profile", action="store_true", help="cProfile our import and list where the time goes")
    parser.add_argument("--skip-theirs", action="store_true", help="skip (b), django-import-export (several minutes)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a limit is not met")
    parser.add_argument("--export-child", nargs=2, metavar=("DATABASE_URL", "OUT"), help=argparse.SUPPRESS)
    parser.set_defaults(quick=False)
    args = parser.parse_args(argv)
    if args.export_child:
        _export_child(*args.export_child)
        return 0
    with ExitStack() as stack:
        if args.postgres:
            args.database_url = stack.enter_context(throwaway_postgres())
        db = stack.enter_context(bench_database(args.database_url, keep=args.keep))
        print(f"bench.members: {args.rows:,} rows on {db.description}", flush=True)
        figures = run(args, db)
        size = "" if args.quick else f", list page on {args.million_rows:,}"
        print_table(f"members ({db.vendor}, {args.rows:,}-row sheet{size})", figures)
    missed = [f.name for f in figures if f.met == "NO"]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
