"""Benchmark: funding summaries — a county's 经费汇总 and the whole province's, on three years of ledgers.

    python -m bench.funding [--villages 100000] [--database-url postgres://… | --postgres] [--runs 10] [--explain]

The data, generated straight into the tables with core.bulk.bulk_insert (COPY on PostgreSQL): the province of
bench/meetings.py (build_tree: 100 counties × 20 townships × 50 village branches for 100,000 villages; `--villages
N` for a smaller run), the nine default categories and six sources (defaults_ensure), and for every village, each
category and each of the three years: one allocation (下达) with one to three disbursements (about two; one in
twenty short, one in ten partly after the deadline) and two to four expenditures (about three), spending within what
arrived — 2.7 million allocations, ~5.4 million disbursements and ~8.1 million expenditures for 100,000 villages.

(a) the county summary: selectors.summarize for one county (1,000 villages) and the last year, by="unit" + by="category"
    + by="source" as the county admin — median of --runs, ≤ 150 ms; and the page GET /funding/?organization=<county>
    &year=YYYY (funding:summary) as that county admin through django.test.Client — median server time of --runs
    warm requests, ≤ 150 ms (skipped, and said so, where the page is not there);
(b) the province summary, set-based: every county's figures for the year in grouped queries (summarize(by="unit")
    at the province: three grouped queries over the year's 5.4 million rows) — median of --province-runs, ≤ 5 s;
    informative: by="category" for the province.

Runs on a throwaway database (see bench/_setup.py). With --explain (or when a limit is missed) the query plans of
the summary's queries are printed (EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL).
"""

from __future__ import annotations

import argparse
import datetime as dt
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

BENCHMARK = "funding summaries: county 经费汇总 and the province's, 100k villages × 9 categories × 3 years of ledgers"
COUNTY_LIMIT_MS = 150.0
PAGE_LIMIT_MS = 150.0
PROVINCE_LIMIT_S = 5.0
YEARS = 3

ALLOCATION_FIELDS = [
    "id", "organization", "year", "category", "source", "amount", "allocated_on", "deadline", "document_no", "note",
    "created_by", "created_at", "updated_at",
]  # fmt: skip
DISBURSEMENT_FIELDS = [
    "allocation", "organization", "year", "category", "source", "amount", "paid_on", "voucher", "note", "created_by",
    "created_at", "updated_at",
]  # fmt: skip
EXPENDITURE_FIELDS = [
    "organization", "year", "category", "source", "amount", "spent_on", "purpose", "voucher", "note", "created_by",
    "created_at", "updated_at",
]  # fmt: skip
PURPOSES = ("办公经费", "水电费", "党报党刊订阅", "主题党日活动", "发放报酬", "维修费", "培训费", "慰问困难党员")


# --- the ledgers ----------------------------------------------------------------------------------------------------


def ledger_rows(villages, years, categories, sources, rng: random.Random, ids, stamp):
    """(allocations, disbursements, expenditures) tuples for the villages: per village, year and category one
    allocation, 1–3 disbursements (short one time in twenty, partly late one time in ten), 2–4 expenditures within
    what arrived. Amounts in whole fen, as MoneyField stores them."""
    allocations, disbursements, expenditures = [], [], []
    rand, randrange, choice = rng.random, rng.randrange, rng.choice
    day_of = {year: [dt.date(year, 1, 1) + dt.timedelta(days=d) for d in range(365)] for year in years}
    year_end = {year: 364 for year in years}
    for village in villages:
        for year in years:
            days = day_of[year]
            last = year_end[year]
            for category, within in categories:
                pk = next(ids)
                source = choice(sources)
                amount = randrange(50, 2000) * 10_000  # 5,000–200,000 yuan, in hundreds of yuan
                on = randrange(0, 300)
                deadline = min(on + within, last)
                allocations.append(
                    (pk, village, year, category, source, amount, days[on], days[deadline], "", "", None, stamp, stamp)
                )
                count = choice((1, 2, 2, 2, 3))
                paid = amount if rand() >= 0.05 else amount * 7 // 10 // 100 * 100
                share = paid // count // 100 * 100
                for n in range(count):
                    piece = share if n < count - 1 else paid - share * (count - 1)
                    when = on + randrange(0, max(1, deadline - on) + 1)
                    if n == count - 1 and rand() < 0.1:
                        when = min(deadline + randrange(5, 60), last)
                    disbursements.append(
                        (pk, village, year, category, source, piece, days[when], "", "", None, stamp, stamp)
                    )
                spend = int(paid * (0.7 + 0.3 * rand())) // 10 * 10
                parts = choice((2, 3, 3, 4))
                each = spend // parts // 10 * 10
                if each <= 0:
                    continue
                latest_paid = min(deadline + 60, last)  # every tranche is in by then: spending never runs ahead
                for n in range(parts):
                    piece = each if n < parts - 1 else spend - each * (parts - 1)
                    when = randrange(latest_paid, last + 1)
                    expenditures.append(
                        (village, year, category, source, piece, days[when], choice(PURPOSES), "", "", None, stamp,
                         stamp)
                    )  # fmt: skip
    return allocations, disbursements, expenditures


def generate_ledgers(tree: dict, years: list[int], rng: random.Random) -> dict:
    """The three years of ledgers, a county at a time (one transaction each: COPY, then the deferred foreign-key
    checks of that county at its commit)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from core.bulk import bulk_insert, reserve_ids
    from funding.models import Allocation, Disbursement, Expenditure, FundCategory, FundSource
    from funding.services.config import defaults_ensure
    from meetings.xlsx import db_datetime

    defaults_ensure(actor=None)
    categories = list(FundCategory.objects.order_by("order").values_list("id", "disburse_within_days"))
    sources = list(FundSource.objects.order_by("order").values_list("id", flat=True))
    stamp = db_datetime()(timezone.now())
    villages = [b[0] for b in tree["branches"]]
    per_county = 20 * 50
    counts = {"allocations": 0, "disbursements": 0, "expenditures": 0}
    start = time.perf_counter()
    for first in range(0, len(villages), per_county):
        chunk = villages[first : first + per_county]
        with transaction.atomic():
            ids = iter(reserve_ids(Allocation, len(chunk) * len(years) * len(categories)))
            allocations, disbursements, expenditures = ledger_rows(chunk, years, categories, sources, rng, ids, stamp)
            counts["allocations"] += bulk_insert(Allocation, ALLOCATION_FIELDS, allocations)
            counts["disbursements"] += bulk_insert(Disbursement, DISBURSEMENT_FIELDS, disbursements)
            counts["expenditures"] += bulk_insert(Expenditure, EXPENDITURE_FIELDS, expenditures)
        done = first + len(chunk)
        if done % (10 * per_county) == 0 or done == len(villages):
            rows = sum(counts.values())
            print(f"    … {done:,} villages, {rows:,} rows ({time.perf_counter() - start:.0f} s)", flush=True)
    t = time.perf_counter()
    analyze()
    if connection.vendor == "postgresql":
        # The visibility map as autovacuum leaves it after a load (index-only scans read it), not as COPY left it.
        with connection.cursor() as cursor:
            for model in (Allocation, Disbursement, Expenditure):
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    counts["analyze_s"] = time.perf_counter() - t
    counts["seconds"] = time.perf_counter() - start
    return counts


# --- measuring ------------------------------------------------------------------------------------------------------


def _county_summary(actor, county, year):
    from funding.selectors import summarize

    return [summarize(actor=actor, root=county, year=year, by=by) for by in ("unit", "category", "source")]


def _median_ms(fn, runs: int) -> tuple[float, list[float]]:
    fn()  # warm
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), samples


def explain(fn, label: str) -> None:
    """The plans of the queries `fn` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    print(f"\n--- query plans: {label} ({len(ctx.captured_queries)} queries) ---")
    for n, query in enumerate(ctx.captured_queries, start=1):
        sql = query["sql"]
        print(f"[{n}] {query['time']} s  {sql[:600]}{' …' if len(sql) > 600 else ''}")
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            for row in cursor.fetchall():
                print("      " + " | ".join(str(c) for c in row))


def county_figures(county, year: int, runs: int, want_explain: bool) -> list[Figure]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from accounts.services import account_create
    from funding.models import Allocation
    from funding.selectors import total_of

    user = account_create(
        actor=None, username="bench-county", password="bench-only-Password-1", organization=county, role="county_admin"
    )
    records = Allocation.objects.filter(organization__path__startswith=county.path, year=year).count()
    median, samples = _median_ms(lambda: _county_summary(user, county, year), runs)
    by_unit, by_category, by_source = _county_summary(user, county, year)
    total = total_of(by_source)
    print(
        f"(a) summarize ×3 (unit, category, source), one county ({records:,} allocations in {year}): median "
        f"{median:.1f} ms of {runs} (min {min(samples):.1f}, max {max(samples):.1f}); {len(by_unit)} townships, "
        f"{len(by_category)} categories, {len(by_source)} sources; 下达 {total.allocated:,} 到位 {total.disbursed:,} "
        f"支出 {total.spent:,} 到位率 {total.arrival_rate}% 使用率 {total.use_rate}%",
        flush=True,
    )
    if want_explain or median > COUNTY_LIMIT_MS:
        explain(lambda: _county_summary(user, county, year), "county summary")
    figures = [
        Figure(
            "(a) county summary: summarize unit+category+source (median)",
            median,
            "ms",
            COUNTY_LIMIT_MS,
            note=f"1 county, {records:,} allocations of {year}, as the county admin; 9 grouped queries",
        )
    ]
    try:
        url = reverse("funding:summary")
    except NoReverseMatch:
        url = None
    reason = "the page funding:summary is not there" if url is None else ""
    if url is not None:
        client = Client()
        client.force_login(user)
        params = {"organization": county.pk, "year": year}
        first = client.get(url, params)
        if first.status_code != 200:
            reason = f"GET {url} answered {first.status_code}"
        else:
            page_median, page_samples = _median_ms(lambda: client.get(url, params), runs)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, params)
            print(
                f"(a) GET {url}?organization={county.pk}&year={year}: median {page_median:.1f} ms of {runs} "
                f"(min {min(page_samples):.1f}, max {max(page_samples):.1f}), {len(ctx.captured_queries)} queries, "
                f"{len(response.content) / 1024:.0f} KiB",
                flush=True,
            )
            figures.append(
                Figure(
                    "(a) county summary page funding:summary (median)",
                    page_median,
                    "ms",
                    PAGE_LIMIT_MS,
                    note=f"as the county admin, {len(ctx.captured_queries)} queries, "
                    f"{len(response.content) / 1024:.0f} KiB",
                )
            )
    if reason:
        print(f"(a) page not measured: {reason}")
        figures.append(Figure("(a) county summary page funding:summary", None, "ms", PAGE_LIMIT_MS, note=reason))
    return figures


def province_figures(province, year: int, runs: int, want_explain: bool) -> list[Figure]:
    from funding.selectors import summarize, total_of

    samples = []
    for n in range(runs):
        t = time.perf_counter()
        by_county = summarize(actor=None, root=province, year=year, by="unit")
        samples.append(time.perf_counter() - t)
        print(f"(b) summarize(by='unit'), province, run {n + 1}: {samples[-1]:.2f} s", flush=True)
    total = total_of(by_county)
    print(
        f"    {len(by_county)} counties; 下达 {total.allocated:,} 到位 {total.disbursed:,} 支出 {total.spent:,} "
        f"到位率 {total.arrival_rate}% 使用率 {total.use_rate}%"
    )
    t = time.perf_counter()
    by_category = summarize(actor=None, root=province, year=year, by="category")
    category_s = time.perf_counter() - t
    print(f"(b) summarize(by='category'), province: {category_s:.2f} s ({len(by_category)} categories)", flush=True)
    median = statistics.median(samples)
    if want_explain or median > PROVINCE_LIMIT_S:
        explain(lambda: summarize(actor=None, root=province, year=year, by="unit"), "province by county")
    return [
        Figure(
            "(b) province summary, every county (median)",
            median,
            "s",
            PROVINCE_LIMIT_S,
            note=f"{len(by_county)} counties in 3 grouped queries; runs {', '.join(f'{s:.2f}' for s in samples)} s",
        ),
        Figure(
            "(b) province summary by category (informative)", category_s, "s", note=f"{len(by_category)} categories"
        ),
    ]


# --- the run --------------------------------------------------------------------------------------------------------


def run(args) -> list[Figure]:
    from django.utils import timezone

    from bench.meetings import build_tree
    from organizations.models import Organization

    print(server_description())
    today = timezone.localdate()
    years = list(range(today.year - YEARS + 1, today.year + 1))
    year = today.year - 1  # the last whole year
    rng = random.Random(args.seed)
    t = time.perf_counter()
    tree = build_tree(args.villages, rng, year)
    print(
        f"tree: {tree['organizations']:,} organizations ({len(tree['counties'])} counties, {tree['townships']:,} "
        f"townships, {len(tree['branches']):,} villages) in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    print(f"generating the ledgers of {years[0]}–{years[-1]} …", flush=True)
    counts = generate_ledgers(tree, years, rng)
    rows = counts["allocations"] + counts["disbursements"] + counts["expenditures"]
    print(
        f"    {counts['allocations']:,} allocations, {counts['disbursements']:,} disbursements, "
        f"{counts['expenditures']:,} expenditures ({rows:,} rows) in {counts['seconds']:.0f} s "
        f"({rows / counts['seconds']:,.0f} rows/s; ANALYZE/VACUUM {counts['analyze_s']:.0f} s)",
        flush=True,
    )
    province = Organization.objects.get(pk=tree["province"])
    county = Organization.objects.get(pk=tree["counties"][0])
    figures = [
        Figure(
            "data: ledger rows generated",
            rows / counts["seconds"],
            "rows/s",
            note=f"{counts['allocations']:,} allocations + {counts['disbursements']:,} disbursements + "
            f"{counts['expenditures']:,} expenditures over {len(tree['branches']):,} villages × 9 categories × "
            f"{len(years)} years in {counts['seconds']:.0f} s",
        )
    ]
    figures += county_figures(county, year, args.runs, args.explain)
    figures += province_figures(province, year, args.province_runs, args.explain)
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=100_000, help="villages of the generated province")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=10, help="timed runs of the county summary and page")
    parser.add_argument("--province-runs", type=int, default=3, help="timed runs of the province summary")
    parser.add_argument("--explain", action="store_true", help="print the query plans of the summaries")
    add_database_arguments(parser)
    args = parser.parse_args(argv)
    return run_on_throwaway(args, name="funding", size=f"{args.villages:,} villages", run=run)


if __name__ == "__main__":
    sys.exit(main())
