"""Benchmark: 三会一课 compliance for a province, a county's compliance page, and the monthly report job.

    python -m bench.meetings [--branches 100000] [--database-url postgres://… | --postgres] [--runs 10] [--profile]

The data, generated straight into the tables with core.bulk.bulk_insert (COPY on PostgreSQL): one province, counties
of 20 townships × 50 branches (100 counties for 100,000 branches; `--branches N` for a smaller run), 60% of the
branches with a committee and 50% with party groups, 2% founded during the year; one year of meetings at the default
standards' frequencies with realistic gaps (a monthly kind is held in ~93% of the months, a quarterly one in ~95% of
the quarters, a few held twice; one branch in twenty is weak and skips about half), ~35 meetings per branch.

(1) compliance_summary for the whole province as the system (every branch × required kind × period of the year,
    by branch and by county), goal ≤ 30 s (median of --province-runs); and the cells expansion alone
    (compliance_cells for the province, every cell built), with the time of each step;
(2) the county's compliance page GET /meetings/compliance/?organization=<county>&year=YYYY as a county
    administrator (~1,000 branches): median server time of --runs warm requests, ≤ 150 ms; when the page is not
    there, compliance_summary for that county instead (said so in the output);
(3) informative: monthly_report_build for the province (December: the month, the fourth quarter and the year are
    due) and the bulletin ranking of one county.

Runs on a throwaway database (see bench/_setup.py). With --profile (or when (1) misses its goal) compliance_summary
runs once more under cProfile and the heaviest functions are listed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import random
import statistics
import sys
import time

from bench._setup import (
    Figure,
    add_database_arguments,
    analyze,
    run_on_throwaway,
    server_description,
)

BENCHMARK = "meetings: compliance for a province (100k branches, one year of meetings), county compliance page"
PROVINCE_LIMIT_S = 30.0
PAGE_LIMIT_MS = 150.0
TOWNSHIPS_PER_COUNTY = 20
BRANCHES_PER_TOWNSHIP = 50
PROVINCE_CODE = "SX"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _step(n: int) -> str:
    """The n-th child's path step in treebeard's alphabet (1 → '0001')."""
    text = ""
    while n:
        n, rest = divmod(n, 36)
        text = ALPHABET[rest] + text
    return text.rjust(4, "0")


# --- the tree -------------------------------------------------------------------------------------------------------


def build_tree(branches: int, rng: random.Random, year: int) -> dict:
    """Province → counties → townships → branches, inserted directly (paths, depths and child counts as treebeard
    keeps them). Returns ids and flags the meeting generator needs."""
    from django.db import transaction
    from django.utils import timezone

    from core.bulk import bulk_insert, reserve_ids
    from organizations.models import Organization

    counties = max(1, -(-branches // (TOWNSHIPS_PER_COUNTY * BRANCHES_PER_TOWNSHIP)))
    plan = []  # (county index, township index, branch index)
    for k in range(branches):
        county, rest = divmod(k, TOWNSHIPS_PER_COUNTY * BRANCHES_PER_TOWNSHIP)
        township, index = divmod(rest, BRANCHES_PER_TOWNSHIP)
        plan.append((county, township, index))
    townships = sorted({(c, t) for c, t, _ in plan})
    children: dict = {}
    for c, t in townships:
        children.setdefault(c, []).append(t)
    township_children: dict = {}
    for c, t, _ in plan:
        township_children[(c, t)] = township_children.get((c, t), 0) + 1

    total = 1 + counties + len(townships) + branches
    ids = iter(reserve_ids(Organization, total))
    now = timezone.now()
    fields = [
        "id", "path", "depth", "numchild", "code", "name", "kind", "domain", "assessment_group", "has_committee",
        "has_party_groups", "founded_on", "last_election_on", "term_years", "parent", "created_at", "updated_at",
    ]  # fmt: skip
    rows = []
    province_id = next(ids)
    province_path = _step(1)
    rows.append(
        (province_id, province_path, 1, counties, PROVINCE_CODE, "省委", "党委", "", "", True, False)
        + (dt.date(1949, 10, 1), dt.date(2021, 11, 20), 5, None, now, now)
    )
    county_ids, township_ids, branch_info = [], {}, []
    for c in range(counties):
        cid = next(ids)
        county_ids.append(cid)
        cpath = province_path + _step(c + 1)
        ccode = f"{PROVINCE_CODE}{c + 1:03d}"
        rows.append(
            (cid, cpath, 2, len(children[c]), ccode, f"第{c + 1}县委", "县委", "", "", True, False)
            + (dt.date(1949, 10, 1), dt.date(2021, 9, 1), 5, province_id, now, now)
        )
        for t in children[c]:
            tid = next(ids)
            tpath = cpath + _step(t + 1)
            township_ids[(c, t)] = (tid, tpath, f"{ccode}{t + 1:02d}")
            rows.append(
                (tid, tpath, 3, township_children[(c, t)], f"{ccode}{t + 1:02d}", f"第{c + 1}县第{t + 1}镇党委")
                + ("党委", "", "乡镇党委", True, False, dt.date(1956, 1, 1), dt.date(2021, 6, 1), 5, cid, now, now)
            )
    for c, t, b in plan:
        tid, tpath, tcode = township_ids[(c, t)]
        bid = next(ids)
        committee = rng.random() < 0.6
        groups = rng.random() < 0.5
        if rng.random() < 0.02:  # founded during the year: owes only the periods starting after
            founded = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(1, 330))
        else:
            founded = dt.date(1950 + rng.randint(0, 60), rng.randint(1, 12), rng.randint(1, 28))
        rows.append(
            (bid, tpath + _step(b + 1), 4, 0, f"{tcode}{b + 1:03d}", f"第{c + 1}县第{t + 1}镇第{b + 1}村党支部")
            + ("党支部", "农村", "村（社区）党组织", committee, groups, founded, dt.date(2021, 3, 1), None, tid)
            + (now, now)
        )
        branch_info.append((bid, committee, groups, founded))
    with transaction.atomic():
        bulk_insert(Organization, fields, rows)
    return {
        "province": province_id,
        "counties": county_ids,
        "townships": len(townships),
        "branches": branch_info,
        "organizations": total,
    }


# --- the meetings ---------------------------------------------------------------------------------------------------

MONTHLY = ("支部委员会会议", "党小组会", "主题党日")
QUARTERLY = ("支部党员大会", "党课")
SLOTS = ((9, 0), (14, 30), (19, 30))


def meeting_rows(branches, year: int, rng: random.Random, now):
    """Tuples for MEETING_FIELDS: each required kind at its frequency with gaps, only on or after the founding."""
    from django.utils import timezone

    tz = timezone.get_default_timezone()
    days = []  # days[month][day - 1] = date
    for month in range(1, 13):
        last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
        days.append([dt.date(year, month, d) for d in range(1, last + 1)])
    times = {}

    def held_at(day, slot):
        key = (day, slot)
        value = times.get(key)
        if value is None:
            hh, mm = SLOTS[slot]
            value = times[key] = dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz)
        return value

    random_ = rng.random
    randrange = rng.randrange
    for bid, committee, groups, founded in branches:
        weak = random_() < 0.05
        skip = 0.5 if weak else 0.07
        size = 5 + randrange(36)
        occasions = []  # (kind, month range)
        monthly = [k for k in MONTHLY if (k != "支部委员会会议" or committee) and (k != "党小组会" or groups)]
        for kind in monthly:
            for month in range(1, 13):
                occasions.append((kind, month, month))
        for kind in QUARTERLY:
            for q in range(4):
                occasions.append((kind, 3 * q + 1, 3 * q + 3))
        occasions.append(("组织生活会", 10, 12))
        occasions.append(("民主评议党员", 11, 12))
        for kind, first, last in occasions:
            if random_() < skip:
                continue
            times_held = 2 if random_() < 0.04 else 1
            used = set()
            for _ in range(times_held):
                month = first + randrange(last - first + 1)
                month_days = days[month - 1]
                day = month_days[randrange(len(month_days))]
                if day < founded or day in used:
                    continue
                used.add(day)
                present = size - randrange(min(size, 6))
                yield (
                    bid, kind, held_at(day, randrange(3)), day, "党员活动室", f"{month}月{kind}", "", "", "",
                    size, present, min(size - present, 2), False, random_() < 0.05, "", "", None, None, now, now,
                )  # fmt: skip


MEETING_FIELDS = [
    "branch", "kind", "held_at", "held_on", "place", "topic", "host", "recorder", "minutes", "expected_count",
    "present_count", "leave_count", "has_attendance", "backfilled", "submission_key", "late_edit_reason",
    "late_edited_at", "created_by", "created_at", "updated_at",
]  # fmt: skip


def generate_meetings(branches, year: int, rng: random.Random) -> tuple[int, float]:
    from django.db import transaction
    from django.utils import timezone

    from core.bulk import bulk_insert, chunked
    from meetings.models import Meeting

    start = time.perf_counter()
    count = 0
    with transaction.atomic():
        for batch in chunked(meeting_rows(branches, year, rng, timezone.now()), 500_000):
            count += bulk_insert(Meeting, MEETING_FIELDS, batch)
            print(f"    … {count:,} meetings ({time.perf_counter() - start:.0f} s)", flush=True)
    analyze()
    return count, time.perf_counter() - start


# --- (1) the province -----------------------------------------------------------------------------------------------


def _steps(province, year: int, today: dt.date) -> list[tuple[str, float, str]]:
    """compliance_summary's parts one by one, for the breakdown (the same calls it makes), and the building of the
    cells that compliance_cells adds."""
    from meetings import compliance

    steps = []
    t = time.perf_counter()
    qs = compliance.holding_branches(actor=None, organization=province)
    rows = compliance.branch_rows(qs)
    steps.append(("branch rows", time.perf_counter() - t, f"{len(rows):,} branches"))
    t = time.perf_counter()
    reqs = compliance.requirements(year)
    counts = compliance.year_counts(qs, year)
    steps.append(("year_counts (one grouped query)", time.perf_counter() - t, f"{len(counts.months):,} (branch, kind)"))
    t = time.perf_counter()
    cells = sum(
        met + missed + running for _, met, missed, running in compliance.status_counts(rows, reqs, counts.months, today)
    )
    steps.append(("status_counts (cells counted)", time.perf_counter() - t, f"{cells:,} cells"))
    t = time.perf_counter()
    built = sum(1 for _ in compliance.expand_months(rows, reqs, counts.months, today))
    steps.append(("expand_months (cells built, compliance_cells only)", time.perf_counter() - t, f"{built:,} cells"))
    return steps


def _print_profile(profiler: cProfile.Profile, limit: int = 25) -> None:
    for sort in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(limit)
        print(f"\n--- compliance_summary profile, top {limit} by {sort} ---")
        print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


def province_figures(province, year: int, today: dt.date, runs: int, profile: bool) -> list[Figure]:
    from meetings.compliance import compliance_cells, compliance_summary

    samples = []
    for n in range(runs):
        t = time.perf_counter()
        by_branch, groups = compliance_summary(actor=None, year=year, today=today, organization=province)
        samples.append(time.perf_counter() - t)
        print(f"(1) compliance_summary, province, run {n + 1}: {samples[-1]:.2f} s", flush=True)
    met = sum(g.met for g in groups)
    missed = sum(g.missed for g in groups)
    opened = sum(g.open for g in groups)
    cells = met + missed + opened
    print(
        f"    {len(by_branch):,} branches in {len(groups)} counties: {cells:,} cells — 达标 {met:,}, 未达标 {missed:,}, "
        f"进行中 {opened:,}; province rate {met / max(met + missed, 1):.2%}"
    )
    t = time.perf_counter()
    expanded = sum(1 for _ in compliance_cells(actor=None, year=year, today=today, organization=province))
    expansion = time.perf_counter() - t
    print(f"(1) compliance_cells, province: {expanded:,} cells in {expansion:.2f} s")
    steps = _steps(province, year, today)
    for name, seconds, what in steps:
        print(f"      {seconds:7.2f} s  {name} ({what})")
    median = statistics.median(samples)
    if profile or median > PROVINCE_LIMIT_S:
        profiler = cProfile.Profile()
        profiler.enable()
        compliance_summary(actor=None, year=year, today=today, organization=province)
        profiler.disable()
        _print_profile(profiler)
    return [
        Figure(
            "(1) compliance_summary, whole province (median)",
            median,
            "s",
            PROVINCE_LIMIT_S,
            note=f"{len(by_branch):,} branches, {cells:,} cells, runs {', '.join(f'{s:.1f}' for s in samples)} s; "
            + "; ".join(f"{name} {seconds:.1f} s" for name, seconds, _ in steps[:3]),
        ),
        Figure(
            "(1) cells expansion (compliance_cells), province",
            expansion,
            "s",
            PROVINCE_LIMIT_S,
            note=f"{expanded:,} cells built (query included); building them: {steps[3][1]:.1f} s",
        ),
    ]


# --- (2) the county page --------------------------------------------------------------------------------------------


def county_figures(county, year: int, today: dt.date, runs: int) -> list[Figure]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from accounts.services import account_create
    from meetings.compliance import compliance_summary, holding_branches

    branches = holding_branches(actor=None, organization=county).count()
    try:
        url = reverse("meetings:compliance")
    except NoReverseMatch:
        url = None
    reason = ""
    if url is not None:
        user = account_create(
            actor=None,
            username="bench-county",
            password="bench-only-Password-1",
            organization=county,
            role="county_admin",
        )
        client = Client()
        client.force_login(user)
        params = {"organization": county.pk, "year": year}
        first = client.get(url, params)
        if first.status_code != 200:
            reason = f"GET {url} answered {first.status_code}"
        else:
            for _ in range(2):
                client.get(url, params)
            samples = []
            for _ in range(runs):
                t = time.perf_counter()
                response = client.get(url, params)
                samples.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200
            with CaptureQueriesContext(connection) as ctx:
                client.get(url, params)
            median = statistics.median(samples)
            print(
                f"(2) GET {url}?organization={county.pk}&year={year} ({branches:,} branches): median {median:.1f} ms "
                f"of {runs} (min {min(samples):.1f}, max {max(samples):.1f}), {len(ctx.captured_queries)} queries"
            )
            return [
                Figure(
                    "(2) county compliance page (median)",
                    median,
                    "ms",
                    PAGE_LIMIT_MS,
                    note=f"{branches:,} branches, as a county administrator, {len(ctx.captured_queries)} queries, "
                    f"{len(response.content) / 1024:.0f} KiB",
                )
            ]
    reason = reason or "the page meetings:compliance is not there"
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        compliance_summary(actor=None, year=year, today=today, organization=county)
        samples.append((time.perf_counter() - t) * 1000)
    median = statistics.median(samples)
    print(f"(2) {reason}: compliance_summary for one county ({branches:,} branches) instead: median {median:.1f} ms")
    return [
        Figure(
            "(2) compliance_summary, one county (median)",
            median,
            "ms",
            PAGE_LIMIT_MS,
            note=f"{reason}; {branches:,} branches",
        )
    ]


# --- (3) the monthly report -----------------------------------------------------------------------------------------


def report_figures(province, county, year: int) -> list[Figure]:
    from core.context import origin
    from meetings.models import MonthlyReport
    from meetings.reports import bulletin_rows, monthly_report_build

    december = dt.date(year, 12, 1)
    t = time.perf_counter()
    with origin("command"):
        build = monthly_report_build(month=december)
    first = time.perf_counter() - t
    t = time.perf_counter()
    with origin("command"):
        monthly_report_build(month=december)
    again = time.perf_counter() - t
    rows = MonthlyReport.objects.filter(month=december).count()
    print(
        f"(3) monthly_report_build {december:%Y-%m}: {build.branches:,} branches, {build.meetings:,} meetings, due "
        f"{build.due:,} / met {build.met:,} in {first:.2f} s; rebuilt in {again:.2f} s, {rows:,} rows (no duplicates)"
    )
    t = time.perf_counter()
    ranking = bulletin_rows(organization=county, month=december)
    bulletin_ms = (time.perf_counter() - t) * 1000
    print(f"(3) bulletin ranking of one county, {len(ranking)} townships: {bulletin_ms:.0f} ms")
    return [
        Figure(
            "(3) monthly report, province, December", first, "s", note=f"{build.branches:,} rows; rebuild {again:.1f} s"
        ),
        Figure("(3) bulletin ranking, one county", bulletin_ms, "ms", note=f"{len(ranking)} townships"),
    ]


# --- the run --------------------------------------------------------------------------------------------------------


def run(args) -> list[Figure]:
    from django.utils import timezone

    from meetings.models import Meeting
    from organizations.models import Organization

    print(server_description())
    today = timezone.localdate()
    year = today.year - 1  # a whole year, every period decided
    rng = random.Random(args.seed)
    t = time.perf_counter()
    tree = build_tree(args.branches, rng, year)
    print(
        f"tree: {tree['organizations']:,} organizations ({len(tree['counties'])} counties, {tree['townships']:,} "
        f"townships, {len(tree['branches']):,} branches) in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    print(f"generating one year ({year}) of meetings …", flush=True)
    count, seconds = generate_meetings(tree["branches"], year, rng)
    print(
        f"    {count:,} meetings ({count / len(tree['branches']):.1f} per branch) in {seconds:.1f} s "
        f"({count / seconds:,.0f} rows/s)",
        flush=True,
    )
    assert Meeting.objects.count() == count
    province = Organization.objects.get(pk=tree["province"])
    county = Organization.objects.get(pk=tree["counties"][0])
    figures = [
        Figure(
            "data: meetings generated",
            count / seconds,
            "rows/s",
            note=f"{count:,} meetings over {len(tree['branches']):,} branches in {seconds:.1f} s (bulk_insert)",
        )
    ]
    figures += province_figures(province, year, today, args.province_runs, args.profile)
    figures += county_figures(county, year, today, args.runs)
    if not args.skip_report:
        figures += report_figures(province, county, year)
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=100_000, help="branches of the generated province")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=10, help="timed requests of the county page")
    parser.add_argument("--province-runs", type=int, default=3, help="timed runs of the province compliance")
    parser.add_argument("--profile", action="store_true", help="cProfile compliance_summary for the province")
    parser.add_argument("--skip-report", action="store_true", help="skip (3), the monthly report build")
    add_database_arguments(parser)
    args = parser.parse_args(argv)
    return run_on_throwaway(args, name="meetings", size=f"{args.branches:,} branches", run=run)


if __name__ == "__main__":
    sys.exit(main())
