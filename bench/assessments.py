"""Benchmark: the annual assessment at province scale — computing a year, the three rules, a county's ranking page.

    python -m bench.assessments [--orgs 100000] [--groups 300] [--years 5] [--postgres | --database-url URL]
                                [--runs 3] [--page-runs 20] [--explain]

The data, generated straight into the tables with core.bulk.bulk_insert (COPY on PostgreSQL): 100 counties (one per
three groups of --groups), each a 县委 root at depth 1 with ~1,000 assessed organizations: its townships (乡镇党委,
8–25; 5–6 in one county in twelve), their villages (村（社区）党组织, the bulk) and county departments (县直部门党组织,
20–80; 4–6 in one county in ten). So ~300 groups of varied sizes, some of six or fewer where the bottom-three rule is
skipped. For each of the --years years up to 2025 one default scheme (imported totals, no indicators; one county in
five caps 好 at 30%) per county and group, and one result per organization with an imported total: the
organization's own level plus the year's noise, two in five rounded to half points (ties), a few vetoed, overridden or
not scored. 书记 posts: every organization has a secretary; each year ~12% hand over (one in twenty on 31 December, the
old post ending and the new one starting that day), two in five of them by rotation — the secretaries of two to four
organizations of the county move between them on one day — a few leave a vacancy over 31 December, and one village in
a hundred shares its neighbour's secretary. The years before the last are then computed with year_compute, in order.

(1) year_compute(year=2025) for every county — the real code path (sync_results, refresh_totals, rank_scheme per
    scheme in its transaction, sync_year_penalties for every county at once) — from a cleared state: every derived
    column of the year NULL (rank … secretary, capped/bottom false), schemes 待计算, the year's penalties gone, then
    VACUUM ANALYZE; the totals in place, as the scoring services keep them (each score or imported total refreshes
    its row's total at once). Median of --runs ≤ 5 s; and ≤ 1.5 × the bare `UPDATE … SET rank = r.rnk FROM (SELECT
    id, RANK() OVER (PARTITION BY scheme_id ORDER BY total DESC) rnk FROM assessments_result WHERE year = 2025 AND
    total IS NOT NULL) r WHERE …` from the same state, median of --runs, the two interleaved. Their ranks are checked
    to agree row by row. Then the run that changes nothing (idempotent: checked to change nothing).
(2) The three rules over the years: sync_year_penalties for every county, each year in its transaction (as
    year_compute runs it), from no penalties at all, median of --runs ≤ 3 s; and once more with nothing to change.
(3) A county's ranking page (assessments:ranking, ?year=&scheme=) as that county's administrator through
    django.test.Client: median server time of --page-runs requests ≤ 100 ms, with its query count, for each of the
    county's groups (the villages' ~900 results first); where the page is not there, selectors.ranking for each
    scheme of the county's year plus a template-free render instead (said so). A slow page is profiled once.

The setup computes the years before the last with year_compute, in order (their times are printed: the first
computation of a year, totals included). When a limit is missed (or with --explain) the statements of the last timed
runs of (1) and (2) are summed by shape, and every statement of one scheme's computation and of one county's rules is
shown with EXPLAIN (ANALYZE, BUFFERS) inside a rolled-back transaction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager

from bench._setup import (
    Figure,
    add_database_arguments,
    analyze,
    run_on_throwaway,
    server_description,
)

BENCHMARK = "assessments: a province's year computed (100k orgs, 300 groups, 5 years), the three rules, ranking page"
YEAR_LIMIT_S = 5.0
PEER_FACTOR = 1.5
RULES_LIMIT_S = 3.0
PAGE_LIMIT_MS = 100.0
LAST_YEAR = 2025
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

TOWNSHIPS = "乡镇党委"
VILLAGES = "村（社区）党组织"
DEPARTMENTS = "县直部门党组织"
GROUPS = (TOWNSHIPS, VILLAGES, DEPARTMENTS)
DEPARTMENT_NAMES = (
    "财政局", "教育局", "卫健局", "公安局", "住建局", "交通局", "农业农村局", "水利局", "自然资源局", "民政局",
    "人社局", "商务局", "文旅局", "市场监管局", "统计局", "审计局", "司法局", "应急管理局", "林业局", "医保局",
)  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌海燕鹏飞云峰"


def _step(n: int) -> str:
    """The n-th child's path step in treebeard's alphabet (1 → '0001')."""
    text = ""
    while n:
        n, rest = divmod(n, 36)
        text = ALPHABET[rest] + text
    return text.rjust(4, "0")


# --- the province ---------------------------------------------------------------------------------------------------


def county_sizes(per_county: int, rng: random.Random) -> tuple[int, int, int]:
    """(townships, departments, villages) of one county: varied, a few groups of six or fewer."""
    townships = rng.randint(5, 6) if rng.random() < 1 / 12 else rng.randint(8, 25)
    departments = rng.randint(4, 6) if rng.random() < 0.1 else rng.randint(20, 80)
    villages = max(townships, per_county - townships - departments)
    return townships, departments, villages


def build_province(orgs: int, counties: int, rng: random.Random) -> dict:
    """Counties (县委 roots at depth 1) → townships → villages, and departments under each county, inserted directly
    (paths, depths and child counts as treebeard keeps them). Returns {county id: {group: [org ids]}} and more."""
    from django.db import transaction
    from django.utils import timezone

    from core.bulk import bulk_insert, reserve_ids
    from organizations.models import Organization

    per_county = max(3, orgs // counties)
    plans = [county_sizes(per_county, rng) for _ in range(counties)]
    total = sum(1 + t + d + v for t, d, v in plans)
    ids = iter(reserve_ids(Organization, total))
    now = timezone.now()
    fields = [
        "id", "path", "depth", "numchild", "code", "name", "kind", "domain", "assessment_group", "has_committee",
        "has_party_groups", "founded_on", "last_election_on", "term_years", "parent", "created_at", "updated_at",
    ]  # fmt: skip
    rows = []
    groups: dict[int, dict[str, list[int]]] = {}
    for c, (n_town, n_dept, n_vill) in enumerate(plans):
        cid = next(ids)
        cpath = _step(c + 1)
        ccode = f"X{c + 1:03d}"
        rows.append(
            (cid, cpath, 1, n_town + n_dept, ccode, f"第{c + 1}县委", "县委", "", "", True, False)
            + (dt.date(1949, 10, 1), dt.date(2021, 9, 1), 5, None, now, now)
        )
        mine = groups[cid] = {g: [] for g in GROUPS}
        # villages spread over the townships, unevenly
        weights = [rng.uniform(0.5, 1.5) for _ in range(n_town)]
        share = [int(n_vill * w / sum(weights)) for w in weights]
        for i in range(n_vill - sum(share)):
            share[i % n_town] += 1
        for t in range(n_town):
            tid = next(ids)
            tpath = cpath + _step(t + 1)
            tcode = f"{ccode}{t + 1:02d}"
            rows.append(
                (tid, tpath, 2, share[t], tcode, f"第{c + 1}县第{t + 1}镇党委", "党委", "", TOWNSHIPS, True, False)
                + (dt.date(1956, 1, 1), dt.date(2021, 6, 1), 5, cid, now, now)
            )
            mine[TOWNSHIPS].append(tid)
            for v in range(share[t]):
                vid = next(ids)
                rows.append(
                    (vid, tpath + _step(v + 1), 3, 0, f"{tcode}{v + 1:03d}", f"第{c + 1}县第{t + 1}镇第{v + 1}村党支部")
                    + ("党支部", "农村" if rng.random() < 0.85 else "社区", VILLAGES, rng.random() < 0.6, False)
                    + (dt.date(1950 + rng.randint(0, 60), 1, 1), dt.date(2021, 3, 1), None, tid, now, now)
                )
                mine[VILLAGES].append(vid)
        for d in range(n_dept):
            did = next(ids)
            name = DEPARTMENT_NAMES[d % len(DEPARTMENT_NAMES)] + (
                f"{d // len(DEPARTMENT_NAMES) + 1}" if d >= 20 else ""
            )
            rows.append(
                (did, cpath + _step(n_town + d + 1), 2, 0, f"{ccode}D{d + 1:02d}", f"第{c + 1}县{name}机关党支部")
                + ("党支部", "机关", DEPARTMENTS, True, False, dt.date(1980, 1, 1), dt.date(2022, 5, 1), None, cid)
                + (now, now)
            )
            mine[DEPARTMENTS].append(did)
    with transaction.atomic():
        bulk_insert(Organization, fields, rows)
    return {"groups": groups, "organizations": total, "counties": list(groups)}


def _random_day(year: int, rng: random.Random) -> dt.date:
    return dt.date(year, 1, 2) + dt.timedelta(days=rng.randrange(363))  # 2 January … 30 December


def secretary_posts(org_ids: list[int], villages: set[int], years: list[int], rng: random.Random, persons):
    """书记 posts of one county's organizations over the years (module docstring). `persons` hands out new person
    numbers. Returns (organization, person, start_on, end_on) tuples."""
    cur: dict[int, tuple[int, dt.date]] = {}
    posts = []
    previous = None
    for org in org_ids:
        if org in villages and previous in villages and rng.random() < 0.01:
            person = cur[previous][0]  # one secretary for two neighbouring villages
        else:
            person = next(persons)
        cur[org] = (person, dt.date(rng.randint(2012, years[0] - 1), rng.randint(1, 12), 1))
        previous = org

    def hand_over(org, person, day, *, dec31=False, vacancy=False):
        old, start = cur[org]
        end = day if dec31 else day - dt.timedelta(days=1)
        posts.append((org, old, start, max(end, start)))
        begin = dt.date(day.year + 1, 1, rng.randint(5, 20)) if vacancy else day
        cur[org] = (person, begin)

    for year in years:
        changing = rng.sample(org_ids, max(1, round(len(org_ids) * 0.12)))
        rotating = changing[: int(len(changing) * 0.4)]
        fresh = changing[len(rotating) :]
        while len(rotating) >= 2:
            k = min(len(rotating), rng.randint(2, 4))
            chain, rotating = rotating[:k], rotating[k:]
            dec31 = rng.random() < 0.05
            day = dt.date(year, 12, 31) if dec31 else _random_day(year, rng)
            movers = [cur[o][0] for o in chain]
            if max(cur[o][1] for o in chain) >= day:
                fresh += chain
                continue
            for i, org in enumerate(chain):  # org i gets the secretary of org i+1
                hand_over(org, movers[(i + 1) % k], day, dec31=dec31)
        fresh += rotating
        for org in fresh:
            dec31 = rng.random() < 0.05
            day = dt.date(year, 12, 31) if dec31 else _random_day(year, rng)
            if cur[org][1] >= day:
                continue
            hand_over(org, next(persons), day, dec31=dec31, vacancy=not dec31 and rng.random() < 0.02)
    for org, (person, start) in cur.items():
        posts.append((org, person, start, None))
    return posts


def result_rows(county_groups: dict, years: list[int], scheme_ids: dict, rng: random.Random, stamp):
    """Results of one county: the organization's level plus the year's noise; ties, vetoes, overrides, gaps."""
    rows = []
    for group, orgs in county_groups.items():
        for org in orgs:
            level = rng.gauss(82, 7)
            for year in years:
                if rng.random() < 0.004:
                    imported = None  # not scored this year: unranked, breaks the streaks
                else:
                    value = min(100.0, max(35.0, level + rng.gauss(0, 4)))
                    imported = round(value * 2) * 50 if rng.random() < 0.4 else round(value * 100)
                vetoed = imported is not None and rng.random() < 0.003
                override = 3 if imported is not None and not vetoed and rng.random() < 0.002 else None
                rows.append(
                    (scheme_ids[(group, year)], org, year, imported, vetoed, "存在一票否决事项" if vetoed else "")
                    + (override, "经县委组织部研究调整" if override else "", False, False, stamp)
                )
    return rows


RESULT_FIELDS = [
    "scheme", "organization", "year", "imported_total", "vetoed", "veto_reason", "grade_override", "override_reason",
    "capped", "bottom", "updated_at",
]  # fmt: skip


def generate(args, rng: random.Random) -> dict:
    """The province, its persons and posts, schemes and results (module docstring); returns what the run needs."""
    from django.db import connection, transaction
    from django.utils import timezone

    from assessments.models import Result, RuleSettings, Scheme
    from core.bulk import bulk_insert, reserve_ids
    from members.models import Person
    from organizations.models import Post

    years = list(range(LAST_YEAR - args.years + 1, LAST_YEAR + 1))
    counties = max(1, -(-args.groups // 3))
    start = time.perf_counter()
    tree = build_province(args.orgs, counties, rng)
    t_tree = time.perf_counter() - start

    counter = iter(range(10**9))
    posts_by_county = {}
    for cid, groups in tree["groups"].items():
        orgs = [o for g in GROUPS for o in groups[g]]
        posts_by_county[cid] = secretary_posts(orgs, set(groups[VILLAGES]), years, rng, counter)
    n_persons = next(counter)
    now = timezone.now()
    n_posts = sum(len(p) for p in posts_by_county.values())
    with transaction.atomic():
        person_ids = reserve_ids(Person, n_persons)
        bulk_insert(Person, PERSON_FIELDS, person_rows(person_ids, now))
        bulk_insert(
            Post,
            ["organization", "person", "title", "start_on", "end_on", "created_at"],
            ((org, person_ids[p], "书记", s, e, now) for posts in posts_by_county.values() for org, p, s, e in posts),
        )
    t_people = time.perf_counter() - start - t_tree

    schemes = []
    for n, cid in enumerate(tree["counties"]):
        for year in years:
            for group in GROUPS:
                cap = 30 if n % 5 == 0 and group != DEPARTMENTS else None
                schemes.append(
                    Scheme(county_id=cid, year=year, group=group, is_default=True, good_cap=cap, created_at=now)
                )
    Scheme.objects.bulk_create(schemes, batch_size=2000)
    scheme_ids = {(s.county_id, s.group, s.year): s.pk for s in Scheme.objects.all()}
    # A few counties with their own parameters of the three rules.
    RuleSettings.objects.bulk_create(
        [RuleSettings(county_id=cid, bottom_years=2, bottom_n=5) for cid in tree["counties"][3::25]]
    )
    stamp = now
    n_results = 0
    with transaction.atomic():
        for cid, groups in tree["groups"].items():
            mine = {(g, y): scheme_ids[(cid, g, y)] for g in GROUPS for y in years}
            n_results += bulk_insert(Result, RESULT_FIELDS, result_rows(groups, years, mine, rng, stamp))
    t_results = time.perf_counter() - start - t_tree - t_people
    t = time.perf_counter()
    analyze()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Result, Post, Person):
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    t_analyze = time.perf_counter() - t
    seconds = time.perf_counter() - start
    group_sizes = sorted(len(orgs) for groups in tree["groups"].values() for orgs in groups.values())
    return {
        **tree,
        "years": years,
        "persons": n_persons,
        "posts": n_posts,
        "schemes": len(schemes),
        "results": n_results,
        "seconds": seconds,
        "parts": {"tree": t_tree, "persons+posts": t_people, "schemes+results": t_results, "analyze": t_analyze},
        "group_sizes": group_sizes,
    }


PERSON_FIELDS = [
    "id", "name", "id_number_digest", "id_number_encrypted", "id_number_masked", "gender", "birth_date", "created_at",
]  # fmt: skip


def person_rows(person_ids, now):
    """Persons with made-up names and unique placeholder digests (no page here reads the encrypted number)."""
    births = [dt.date(1960 + i % 35, 1 + i % 12, 1 + i % 28) for i in range(420)]
    for i, pk in enumerate(person_ids):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 3) % len(GIVEN)]
        masked = f"1101**********{pk % 10000:04d}"
        yield (pk, name, f"bench{pk:059d}", "bench-only", masked, "男女"[i % 2], births[i % len(births)], now)


# --- measuring ------------------------------------------------------------------------------------------------------

DERIVED_NULL = [
    "indicator_total", "appraisal_score", "rank", "rank_asc", "group_size", "rule_grade", "grade", "moved_up",
    "prev_rank", "prev_grade", "secretary_id", "computed_at",
]  # fmt: skip


def _table(model) -> str:
    return model._meta.db_table


def vacuum(*models) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            if connection.vendor == "postgresql":
                cursor.execute(f"VACUUM (ANALYZE) {_table(model)}")
            else:
                cursor.execute(f"ANALYZE {_table(model)}")


def reset_year(year: int, *, totals_in_place: bool) -> None:
    """The year as before any computation: every derived column NULL (capped/bottom false), schemes 待计算, the
    year's penalties gone; the totals NULL too, or — for the bare UPDATE, whose input they are — in place."""
    from django.db import connection

    from assessments.choices import SchemeStatus
    from assessments.models import Penalty, Result, Scheme

    cleared = ", ".join(f"{c} = NULL" for c in DERIVED_NULL)
    total = "imported_total" if totals_in_place else "NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(Result)} SET {cleared}, total = {total}, capped = FALSE, bottom = FALSE WHERE year = %s",
            [year],
        )
    Scheme.objects.filter(year=year).update(status=SchemeStatus.DRAFT, computed_at=None)
    Penalty.objects.filter(year=year).delete()
    vacuum(Result, Scheme, Penalty)


def bare_rank_sql() -> str:
    from assessments.models import Result

    t = _table(Result)
    return (
        f"UPDATE {t} SET rank = r.rnk FROM (SELECT id, RANK() OVER (PARTITION BY scheme_id ORDER BY total DESC) rnk "
        f"FROM {t} WHERE year = %s AND total IS NOT NULL) r WHERE {t}.id = r.id"
    )


def bare_rank(year: int) -> tuple[float, int]:
    from django.db import connection

    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(bare_rank_sql(), [year])
        rows = cursor.rowcount
    return time.perf_counter() - t, rows


STEPS = (
    ("assessments.services.workflow", "sync_results", "sync_results"),
    ("assessments.services.workflow", "_refresh_computed_indicators", "computed indicators"),
    ("assessments.services.workflow", "refresh_totals", "refresh_totals"),
    ("assessments.services.workflow", "rank_scheme", "rank_scheme"),
    ("assessments.services.workflow", "audit_log", "audit_log"),
    ("assessments.services.workflow", "sync_year_penalties", "sync_penalties"),
    ("assessments.penalties", "fill_changes", "  changes"),
)


class Steps:
    """Seconds spent in each step of year_compute / sync_penalties, and what the steps returned, summed: the rows
    they changed (year_compute's own summary keys schemes by their name, which repeats across counties)."""

    def __init__(self):
        self.times: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    def changes(self) -> str:
        c = self.counts
        return (
            f"{c['sync_results']} results added, {c['refresh_totals']} totals, {c['rank_scheme']} results ranked, "
            f"penalties +{c['created']} ~{c['updated']} -{c['deleted']}"
        )

    def changed_anything(self) -> bool:
        return any(self.counts[k] for k in ("sync_results", "refresh_totals", "rank_scheme", "created", "updated",
                                             "deleted"))  # fmt: skip

    def breakdown(self, total: float) -> str:
        top = sum(v for k, v in self.times.items() if not k.startswith(" "))
        parts = [f"{k.strip()} {v:.2f}" for k, v in self.times.items() if v >= 0.005]
        return ", ".join(parts + [f"other {total - top:.2f}"]) + " s"


@contextmanager
def step_times():
    """A Steps filled while the block runs: the module-level names the code calls through are wrapped with a timer
    (and a counter of what they return) and restored afterwards."""
    import importlib

    steps = Steps()
    saved = []
    for module_name, name, label in STEPS:
        module = importlib.import_module(module_name)
        fn = getattr(module, name)
        saved.append((module, name, fn))

        def timed(*args, _fn=fn, _label=label, **kwargs):
            t = time.perf_counter()
            try:
                value = _fn(*args, **kwargs)
            finally:
                steps.times[_label] += time.perf_counter() - t
            if isinstance(value, int):
                steps.counts[_label] += value
            elif _label == "sync_penalties":  # {county id: {created, updated, deleted}}
                for counts in value.values():
                    for key, n in counts.items():
                        steps.counts[key] += n
            return value

        setattr(module, name, timed)
    try:
        yield steps
    finally:
        for module, name, fn in reversed(saved):
            setattr(module, name, fn)


@contextmanager
def statements():
    """[(statement shape, seconds)] of every statement run in the block (timed around the driver's execute)."""
    import re

    from django.db import connection

    seen: list[tuple[str, float]] = []
    numbers = re.compile(r"\b\d+\b")

    def record(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            shape = numbers.sub("N", " ".join(sql.split()))
            seen.append((shape, time.perf_counter() - t))

    with connection.execute_wrapper(record):
        yield seen


def print_statements(seen: list[tuple[str, float]], title: str, top: int = 12) -> None:
    by_shape: dict[str, list[float]] = defaultdict(list)
    for shape, seconds in seen:
        by_shape[shape].append(seconds)
    total = sum(s for _, s in seen)
    print(f"\n--- statements of {title}: {len(seen):,} statements, {total:.2f} s in the database driver ---")
    for shape, times in sorted(by_shape.items(), key=lambda kv: -sum(kv[1]))[:top]:
        print(f"  {sum(times):6.2f} s {len(times):5d} × {1000 * sum(times) / len(times):7.2f} ms  {shape[:150]}")


def timed_year_compute(year: int, record: list | None = None) -> tuple[float, Steps]:
    from assessments.services.workflow import year_compute

    with step_times() as steps:
        if record is None:
            t = time.perf_counter()
            year_compute(year=year)
            seconds = time.perf_counter() - t
        else:
            with statements() as seen:
                t = time.perf_counter()
                year_compute(year=year)
                seconds = time.perf_counter() - t
            record.extend(seen)
    return seconds, steps


def snapshot_ranks(year: int) -> None:
    from django.db import connection

    from assessments.models import Result

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_rank_check")
        cursor.execute(
            f"CREATE TABLE bench_rank_check AS SELECT id, rank FROM {_table(Result)} WHERE year = %s", [year]
        )


def rank_mismatches(year: int) -> int:
    from django.db import connection

    from assessments.models import Result

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {_table(Result)} r JOIN bench_rank_check b ON b.id = r.id "
            f"WHERE r.year = %s AND NOT (r.rank = b.rank OR (r.rank IS NULL AND b.rank IS NULL))",
            [year],
        )
        return cursor.fetchone()[0]


def _runs(samples: list[float]) -> str:
    return ", ".join(f"{s:.2f}" for s in samples) + " s"


def year_figures(year: int, rows: int, runs: int, label: str = "", record: list | None = None) -> list[Figure]:
    """(1): year_compute against the bare RANK UPDATE, interleaved, each from the same cleared state (totals in
    place, as the scoring services keep them; every derived column NULL); then the run that changes nothing. The
    statements of the last run are recorded into `record` when given."""
    compute_s, bare_s, steps_of = [], [], []
    mismatches = None
    for n in range(runs):
        reset_year(year, totals_in_place=True)
        seconds, updated = bare_rank(year)
        bare_s.append(seconds)
        if n > 0:
            mismatches = rank_mismatches(year)
        print(f"(1){label} bare RANK() UPDATE, run {n + 1}: {seconds:.2f} s ({updated:,} rows)", flush=True)
        reset_year(year, totals_in_place=True)
        seconds, steps = timed_year_compute(year, record if n == runs - 1 else None)
        compute_s.append(seconds)
        steps_of.append((seconds, steps))
        snapshot_ranks(year)
        print(
            f"(1){label} year_compute({year}), run {n + 1}: {seconds:.2f} s — {steps.breakdown(seconds)}; "
            f"changed: {steps.changes()}",
            flush=True,
        )
    seconds, steps = timed_year_compute(year)
    again = seconds
    print(
        f"(1){label} year_compute({year}) again (nothing to change): {seconds:.2f} s — {steps.breakdown(seconds)}; "
        f"changed: {steps.changes()}",
        flush=True,
    )
    idempotent = "nothing changed" if not steps.changed_anything() else f"NOT IDEMPOTENT: {steps.changes()}"
    compute, bare = statistics.median(compute_s), statistics.median(bare_s)
    median_seconds, median_steps = min(steps_of, key=lambda b: abs(b[0] - compute))
    agree = "not checked (one run)" if mismatches is None else f"{mismatches} rows differ"
    return [
        Figure(
            f"(1){label} year_compute({year}), all counties (median)",
            compute,
            "s",
            YEAR_LIMIT_S,
            note=f"{rows:,} results, {median_steps.changes()}; runs {_runs(compute_s)}; steps of the median run: "
            f"{median_steps.breakdown(median_seconds)}",
        ),
        Figure(
            f"(1){label} bare RANK() OVER (PARTITION BY scheme_id) UPDATE (peer, median)",
            bare,
            "s",
            note=f"runs {_runs(bare_s)}; its ranks against year_compute's: {agree}",
        ),
        Figure(
            f"(1){label} year_compute against {PEER_FACTOR} × the bare UPDATE",
            compute,
            "s",
            PEER_FACTOR * bare,
            note=f"year_compute takes {compute / bare:.2f} × the bare UPDATE (goal ≤ {PEER_FACTOR} ×)",
        ),
        Figure(
            f"(1){label} year_compute({year}) again, nothing to change",
            again,
            "s",
            YEAR_LIMIT_S,
            note=f"{idempotent}; {steps.breakdown(again)}",
        ),
    ]


def all_rules(years: list[int], counties: list[int], record: list | None = None) -> tuple[float, Steps]:
    """sync_year_penalties for every county, a year at a time in its transaction (as year_compute runs it)."""
    from contextlib import nullcontext

    from django.db import transaction

    from assessments.services import workflow

    with step_times() as steps, statements() if record is not None else nullcontext() as seen:
        t = time.perf_counter()
        for year in years:
            with transaction.atomic():
                workflow.sync_year_penalties(year=year, county_ids=counties)
        seconds = time.perf_counter() - t
    if record is not None:
        record.extend(seen)
    return seconds, steps


def rules_figures(
    years: list[int], counties: list[int], runs: int, label: str = "", record: list | None = None
) -> list[Figure]:
    """(2): the three rules for every county and year from no penalties (median of `runs`), then once more with
    nothing to change."""
    from django.db.models import Count

    from assessments.models import Penalty

    scratch, steps_of = [], []
    for n in range(runs):
        Penalty.objects.all().delete()
        vacuum(Penalty)
        seconds, steps = all_rules(years, counties, record if n == runs - 1 else None)
        scratch.append(seconds)
        steps_of.append((seconds, steps))
        print(
            f"(2){label} three rules, {len(years)} years × {len(counties)} counties from none, run {n + 1}: "
            f"{seconds:.2f} s — {steps.breakdown(seconds)}; {steps.changes()}",
            flush=True,
        )
    again, steps = all_rules(years, counties)
    print(
        f"(2){label} three rules again (nothing to change): {again:.2f} s — {steps.breakdown(again)}; "
        f"{steps.changes()}",
        flush=True,
    )
    idempotent = "nothing changed" if not steps.changed_anything() else f"NOT IDEMPOTENT: {steps.changes()}"
    by_rule = dict(Penalty.objects.order_by().values_list("rule").annotate(n=Count("id")))
    by_year = dict(Penalty.objects.order_by().values_list("year").annotate(n=Count("id")))
    print(f"    penalties by rule {dict(sorted(by_rule.items()))}, by year {dict(sorted(by_year.items()))}", flush=True)
    median = statistics.median(scratch)
    median_seconds, median_steps = min(steps_of, key=lambda b: abs(b[0] - median))
    figures = [
        Figure(
            f"(2){label} three rules, {len(years)} years, every county, from none (median)",
            median,
            "s",
            RULES_LIMIT_S,
            note=f"{len(years)} sync_year_penalties calls of {len(counties)} counties; {sum(by_rule.values()):,} penalties "
            f"(rule 1: {by_rule.get(1, 0):,}, 2: {by_rule.get(2, 0):,}, 3: {by_rule.get(3, 0):,}); runs "
            f"{_runs(scratch)}; steps: {median_steps.breakdown(median_seconds)}",
        ),
        Figure(
            f"(2){label} three rules again, nothing to change",
            again,
            "s",
            RULES_LIMIT_S,
            note=f"{idempotent}; {steps.breakdown(again)}",
        ),
    ]
    return figures


# --- (3) the ranking page -------------------------------------------------------------------------------------------


def _render(results) -> str:
    """A template-free rendering of a ranking: what the page shows per row, joined into one string."""
    from assessments.choices import Grade

    labels = dict(Grade.choices)
    lines = []
    for r in results:
        arrow = "" if r.moved_up is None else ("↑" if r.moved_up else "↓")
        lines.append(
            f"<tr><td>{r.rank or ''}</td><td>{r.organization.code}</td><td>{r.organization.name}</td>"
            f"<td>{r.total if r.total is not None else ''}</td><td>{labels.get(r.grade, '')}</td>"
            f"<td>{'后三名' if r.bottom else ''}</td><td>{arrow}{r.prev_rank or ''}</td>"
            f"<td>{r.secretary.name if r.secretary_id else ''}</td></tr>"
        )
    return "\n".join(lines)


def _median_ms(fn, runs: int) -> tuple[float, list[float]]:
    for _ in range(2):
        fn()  # warm
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), samples


def ranking_request(scheme):
    """(url, query parameters) of the ranking page for `scheme`, or None where the page is not there."""
    from django.urls import NoReverseMatch, reverse

    for kwargs in ({}, {"pk": scheme.pk}, {"scheme_id": scheme.pk}):
        try:
            url = reverse("assessments:ranking", kwargs=kwargs or None)
        except NoReverseMatch:
            continue
        params = {} if kwargs else {"year": scheme.year, "scheme": scheme.pk}
        return url, params
    return None


def page_figures(county_id: int, year: int, runs: int) -> list[Figure]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.services import account_create
    from assessments.models import Scheme
    from assessments.selectors import ranking
    from organizations.models import Organization

    county = Organization.objects.get(pk=county_id)
    user = account_create(
        actor=None, username="bench-county", password="bench-only-Password-1", organization=county, role="county_admin"
    )
    schemes = list(Scheme.objects.filter(county=county, year=year).order_by("group"))
    sizes = {s.pk: s.results.count() for s in schemes}
    biggest = max(schemes, key=lambda s: sizes[s.pk])
    figures = []
    reason = ""
    request = ranking_request(biggest)
    if request is None:
        reason = "the page assessments:ranking is not there"
    else:
        url, params = request
        client = Client()
        client.force_login(user)
        first = client.get(url, params)
        if first.status_code != 200:
            reason = f"GET {url} answered {first.status_code}"
        elif biggest.group not in first.content.decode() and str(biggest.pk) not in first.content.decode():
            reason = f"GET {url} {params} answered 200 but does not show the group {biggest.group}"
        else:
            for scheme in sorted(schemes, key=lambda s: -sizes[s.pk]):
                url, params = ranking_request(scheme)
                median, samples = _median_ms(lambda u=url, p=params: client.get(u, p), runs)
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(url, params)
                assert response.status_code == 200, response.status_code
                shown = response.content.decode().count("</tr>")
                print(
                    f"(3) GET {url} {params} ({scheme.group}, {sizes[scheme.pk]} results): median {median:.1f} ms of "
                    f"{runs} (min {min(samples):.1f}, max {max(samples):.1f}), {len(ctx.captured_queries)} queries, "
                    f"{len(response.content) / 1024:.0f} KiB, {shown} table rows",
                    flush=True,
                )
                figures.append(
                    Figure(
                        f"(3) ranking page, {scheme.group} of one county (median)",
                        median,
                        "ms",
                        PAGE_LIMIT_MS,
                        note=f"{sizes[scheme.pk]} results, as the county admin; {len(ctx.captured_queries)} queries, "
                        f"{len(response.content) / 1024:.0f} KiB",
                    )
                )
            if figures and figures[0].met == "NO":
                url, params = ranking_request(max(schemes, key=lambda s: sizes[s.pk]))
                profile_request(client, url, params)
            return figures

    # No page (yet): the selector behind it, every scheme of the county's year, and a template-free render.
    def read_all():
        return [_render(ranking(actor=user, scheme=s)) for s in schemes]

    median, samples = _median_ms(read_all, runs)
    with CaptureQueriesContext(connection) as ctx:
        read_all()
    total = sum(sizes.values())
    print(
        f"(3) {reason}: selectors.ranking + a template-free render for the county's {len(schemes)} schemes of {year} "
        f"({total} results): median {median:.1f} ms of {runs} (min {min(samples):.1f}, max {max(samples):.1f}), "
        f"{len(ctx.captured_queries)} queries",
        flush=True,
    )
    figures.append(
        Figure(
            f"(3) selectors.ranking ×{len(schemes)} + render, one county (median)",
            median,
            "ms",
            PAGE_LIMIT_MS,
            note=f"{reason}; {total} results in {len(schemes)} groups, as the county admin, "
            f"{len(ctx.captured_queries)} queries",
        )
    )
    return figures


def profile_request(client, url: str, params: dict, top: int = 22) -> None:
    """One request under cProfile: where a slow page spends its time (view, selectors, template)."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url, params)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"(assessments|core|template|db/models/query)", top)
    print(f"\n--- profile of GET {url} {params} (cumulative; application, template and query functions) ---")
    text = out.getvalue()
    print(text[text.find("   ncalls") :].rstrip())


# --- the plans ------------------------------------------------------------------------------------------------------


def explain_statements(scheme_id: int, county_id: int, year: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement one scheme's computation and one county's rules run, from the
    cleared state, inside a transaction rolled back afterwards (each statement's plan in a savepoint rolled back
    before the statement itself runs)."""
    from django.db import connection, transaction

    from assessments.models import Penalty, Result, RuleSettings, Scheme
    from assessments.penalties import sync_penalties
    from assessments.services.workflow import scheme_compute

    if connection.vendor != "postgresql":
        print("(plans are shown on PostgreSQL only)")
        return
    seen = []

    def explainer(execute, sql, params, many, context):
        head = sql.lstrip()[:12].upper()
        if not many and head.startswith(("SELECT", "UPDATE", "INSERT", "DELETE", "WITH")):
            raw = context["cursor"].cursor if hasattr(context["cursor"], "cursor") else context["cursor"]
            raw.execute("SAVEPOINT bench_explain")
            raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in raw.fetchall()]
            raw.execute("ROLLBACK TO SAVEPOINT bench_explain")
            seen.append((sql, plan))
        return execute(sql, params, many, context)

    scheme = Scheme.objects.select_related("county").get(pk=scheme_id)
    settings = RuleSettings.objects.filter(county_id=county_id).first() or RuleSettings()
    cleared = ", ".join(f"{c} = NULL" for c in DERIVED_NULL)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_table(Result)} SET {cleared}, total = NULL, capped = FALSE, bottom = FALSE "
                "WHERE scheme_id = %s",
                [scheme_id],
            )
        Scheme.objects.filter(pk=scheme_id).update(status="draft")
        Penalty.objects.filter(county_id=county_id, year=year).delete()
        with connection.execute_wrapper(explainer):
            scheme_compute(scheme, settings=settings)
        n_compute = len(seen)
        with connection.execute_wrapper(explainer):
            sync_penalties(county_id=county_id, year=year)
        transaction.set_rollback(True)
    print(f"\n--- plans: scheme_compute({scheme}, {scheme.results.count()} results), then sync_penalties of its county")
    for n, (sql, plan) in enumerate(seen, start=1):
        where = "scheme_compute" if n <= n_compute else "sync_penalties"
        text = " ".join(sql.split())
        print(f"[{n}] {where}: {text[:700]}{' …' if len(text) > 700 else ''}")
        for line in plan:
            print("      " + line)


# --- the run --------------------------------------------------------------------------------------------------------


def run(args) -> list[Figure]:
    from assessments.models import Result, Scheme

    print(server_description())
    rng = random.Random(args.seed)
    print(
        f"generating {args.orgs:,} organizations in ~{args.groups} groups, {args.years} years of results …", flush=True
    )
    data = generate(args, rng)
    years, counties = data["years"], data["counties"]
    sizes = data["group_sizes"]
    small = sum(1 for n in sizes if n <= 6)
    parts = ", ".join(f"{k} {v:.1f}" for k, v in data["parts"].items())
    rows = data["organizations"] + data["persons"] + data["posts"] + data["schemes"] + data["results"]
    print(
        f"    {data['organizations']:,} organizations ({len(counties)} counties), {len(sizes)} groups of "
        f"{sizes[0]}–{sizes[-1]} (median {statistics.median(sizes):.0f}; {small} of six or fewer), "
        f"{data['persons']:,} persons, {data['posts']:,} 书记 posts, {data['schemes']:,} schemes, "
        f"{data['results']:,} results in {data['seconds']:.1f} s ({parts} s)",
        flush=True,
    )
    figures = [
        Figure(
            "data: rows generated",
            rows / data["seconds"],
            "rows/s",
            note=f"{rows:,} rows ({data['results']:,} results, {data['posts']:,} posts, {data['persons']:,} persons, "
            f"{data['organizations']:,} organizations) in {data['seconds']:.1f} s: {parts} s",
        )
    ]
    last = years[-1]
    earlier = []
    for year in years[:-1]:
        seconds, steps = timed_year_compute(year)
        earlier.append(seconds)
        print(
            f"    setup: year_compute({year}), the first time: {seconds:.2f} s — {steps.breakdown(seconds)}; "
            f"changed: {steps.changes()}",
            flush=True,
        )
    vacuum(Result, Scheme)
    if earlier:
        figures.append(
            Figure(
                f"setup: year_compute {years[0]}–{years[-2]}, the first time, totals too (informative, median)",
                statistics.median(earlier),
                "s",
                note="per year: " + ", ".join(f"{y} {s:.2f}" for y, s in zip(years, earlier)) + " s",
            )
        )
    rows_last = Result.objects.filter(year=last).count()
    compute_statements, rules_statements = [], []
    figures += year_figures(last, rows_last, args.runs, record=compute_statements)
    figures += rules_figures(years, counties, args.runs, record=rules_statements)
    figures += page_figures(counties[0], last, args.page_runs)
    missed = [f for f in figures if f.met == "NO"]
    if args.explain or missed:
        print_statements(compute_statements, f"year_compute({last}), its last timed run")
        print_statements(rules_statements, "the three rules, their last timed run from none")
        if connection_vendor() == "postgresql":
            biggest = max(Scheme.objects.filter(year=last, county_id=counties[0]), key=lambda s: s.results.count())
            explain_statements(biggest.pk, counties[0], last)
    return figures


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=100_000, help="assessed organizations of the province")
    parser.add_argument("--groups", type=int, default=300, help="assessment groups (three per county)")
    parser.add_argument("--years", type=int, default=5, help=f"years of results, up to {LAST_YEAR}")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of (1) and (2), each")
    parser.add_argument("--page-runs", type=int, default=20, help="timed requests of the ranking page")
    parser.add_argument("--explain", action="store_true", help="print the plans of the computation's statements")
    add_database_arguments(parser)
    args = parser.parse_args(argv)
    if args.years < 1 or args.groups < 1 or args.orgs < args.groups:
        parser.error("need at least one year, one group and an organization per group")
    size = f"{args.orgs:,} organizations, ~{args.groups} groups, {args.years} years"
    return run_on_throwaway(args, name="assessments", size=size, run=run)


if __name__ == "__main__":
    sys.exit(main())
