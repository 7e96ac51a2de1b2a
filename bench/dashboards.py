"""Benchmark: the three dashboards on the demo county 青山县 with its years of data.

    python -m bench.dashboards [--postgres | --database-url URL] [--runs 20]

The data: `seed_demo` (513 organizations, ~15,800 members, three years of 三会一课, supervision, funds, four years of
assessment). Each page is requested through django.test.Client as its demo user — the leader's view (lingdao,
the county), the work desk of the county (admin) and of a township (zhen_admin), the secretary's phone home
(shuji) — and timed in the server (the response in full, middleware and template included):

(1) cold: the first request, which computes the snapshot (what a Celery worker does after a write; informative);
(2) warm: the median of --runs requests with the snapshot fresh, ≤ 300 ms each, with its query count;
(3) the data grown — 1,500 more members across the county's branches and 200 more meetings in the secretary's
    branch —, the snapshots computed again, the warm query count once more: it must not have changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import sys
import time

from bench._setup import Figure, add_database_arguments, analyze, run_on_throwaway, server_description

LIMIT_MS = 300.0
PAGES = (
    ("leader view (county)", "lingdao", "dashboards:leader"),
    ("work desk (county)", "admin", "dashboards:desk"),
    ("work desk (township)", "zhen_admin", "dashboards:desk"),
    ("secretary home (phone)", "shuji", "dashboards:secretary"),
)


def _client(username: str):
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _timed(client, url: str) -> tuple[float, int]:
    """(milliseconds, queries) of one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        response = client.get(url)
        ms = (time.perf_counter() - t) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return ms, len(ctx.captured_queries)


def measure(runs: int) -> dict[str, tuple[float, float, int]]:
    """{page: (cold ms, warm median ms, warm queries)}; the snapshots are dropped first so cold means computed."""
    from django.urls import reverse

    from dashboards.models import Snapshot

    Snapshot.objects.all().delete()
    out = {}
    for label, username, name in PAGES:
        client, url = _client(username), reverse(name)
        cold, _ = _timed(client, url)
        samples, queries = [], set()
        for _ in range(runs):
            ms, n = _timed(client, url)
            samples.append(ms)
            queries.add(n)
        assert len(queries) == 1, (label, queries)  # a warm page asks the same questions every time
        out[label] = (cold, statistics.median(samples), queries.pop())
    return out


def grow() -> str:
    """More data of the kinds the dashboards count: members across the county, meetings in the secretary's branch."""
    from django.utils import timezone

    from accounts.models import User
    from meetings.services import meeting_record
    from meetings.views.meetings import own_branch
    from members.services import member_create
    from organizations.models import Organization
    from tests.factories import id_number_for

    branches = list(Organization.objects.filter(kind="党支部").order_by("code"))
    for n in range(1500):
        member_create(
            actor=None, name=f"新党员{n}", id_number=id_number_for(800_000 + n), branch=branches[n % len(branches)],
            category="正式党员", joined_on=dt.date(2015, 7, 1), full_member_on=dt.date(2016, 7, 1),
        )  # fmt: skip
    branch = own_branch(User.objects.get(username="shuji"))
    start = timezone.now() - dt.timedelta(days=400)
    for n in range(200):
        meeting_record(
            actor=None, branch=branch, kind="主题党日", held_at=start + dt.timedelta(days=2 * n), topic=f"主题党日{n}",
            expected_count=10, present_count=9,
        )  # fmt: skip
    return "1,500 members, 200 meetings"


def run(args) -> list[Figure]:
    from django.core.management import call_command

    print(server_description(), flush=True)
    t = time.perf_counter()
    call_command("seed_demo", stdout=io.StringIO())
    analyze()
    print(f"seed_demo: {time.perf_counter() - t:.0f} s", flush=True)
    before = measure(args.runs)
    grown = grow()
    analyze()
    after = measure(args.runs)
    figures = []
    for label, (cold, warm, queries) in before.items():
        _, warm_after, queries_after = after[label]
        figures.append(
            Figure(
                f"{label}: warm server time (median of {args.runs})", warm, "ms", LIMIT_MS,
                note=f"{queries} queries; cold (snapshot computed) {cold:.0f} ms; after +{grown}: {warm_after:.0f} ms, "
                f"{queries_after} queries",
            )
        )  # fmt: skip
        figures.append(Figure(f"{label}: queries after the data grew, minus before", queries_after - queries, "", 0.0))
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed warm requests of each page")
    add_database_arguments(parser)
    args = parser.parse_args(argv)
    return run_on_throwaway(args, name="dashboards", size="the demo county 青山县", run=run)


if __name__ == "__main__":
    sys.exit(main())
