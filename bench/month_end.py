"""Month-end load test: 200 users on the demo county through gunicorn on loopback (locust, headless, bounded).

    python -m bench.month_end [--postgres | --database-url URL] [--seconds 180] [--workers 4] [--quick]

Issue 9's figures: 150 branch secretaries submitting meetings (bench/_locust_secretaries.py: the 本月待办, the form
with its members, 提交 with one on leave, now and then a double tap), 40 township staff browsing their lists (work
desk, members, meetings, overdue, findings, funds) and exporting a quarter's compliance, 10 leaders on their
dashboards, the ranking and the penalties (bench/_locust_month_end.py) — 3 minutes measured after 20 s of logins;
0 errors and p95 ≤ 500 ms over all requests, with p50/p95/p99 per endpoint. The data: `seed_demo` (the county
青山县: 513 organizations, ~15,800 members, three years of records) plus one login per secretary (150 branches with
members), per staff member (two per township) and per leader. Secretaries fill in the form for 15–45 s and everyone
pauses 3–10 s between actions, as people do; locust runs on the same two cores as the server and the database.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench._load import RAMP_SECONDS, print_endpoints, run_locust
from bench._setup import Figure, bench_database, exit_code, print_table, throwaway_postgres

BENCHMARK = "month-end load test: 150 secretaries, 40 staff, 10 leaders (locust)"
P95_LIMIT_MS = 500
PASSWORD = "Month-end-bench-2026!"
USERS = {"secretary": 150, "staff": 40, "leader": 10}


def _accounts(counts: dict) -> dict[str, list[dict]]:
    from accounts.services import account_create
    from members.models import Member
    from organizations.models import Organization

    def login(username, org, role):
        account_create(actor=None, username=username, password=PASSWORD, organization=org, role=role)
        return {"username": username, "password": PASSWORD, "org": org.pk}

    branches = list(
        Organization.objects.filter(kind="党支部", pk__in=Member.objects.values("branch")).order_by("code")
    )[: counts["secretary"]]
    townships = list(Organization.objects.filter(depth=2, numchild__gt=0).order_by("code"))
    county = Organization.objects.get(depth=1)
    return {
        "secretary": [login(f"me-shuji{n:03d}", b, "branch_secretary") for n, b in enumerate(branches)],
        "staff": [
            login(f"me-zhen{n:03d}", townships[n % len(townships)], "township_admin") for n in range(counts["staff"])
        ],
        "leader": [login(f"me-lingdao{n:02d}", county, "leader") for n in range(counts["leader"])],
    }


def run(args, db) -> list[Figure]:
    from django.core.management import call_command
    from django.utils import timezone

    from bench._setup import analyze
    from meetings.models import Meeting

    t = time.perf_counter()
    call_command("seed_demo", stdout=io.StringIO())
    accounts = _accounts(USERS)
    analyze()
    print(f"seed_demo and {sum(len(v) for v in accounts.values())} logins: {time.perf_counter() - t:.0f} s", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="month-end-"))
    (tmp / "secretaries.json").write_text(json.dumps(accounts["secretary"]), encoding="utf-8")
    (tmp / "accounts.json").write_text(json.dumps(accounts), encoding="utf-8")
    before = Meeting.objects.count()
    rows, elapsed = run_locust(
        db_url=db.url, locustfile="_locust_month_end.py", users=sum(USERS.values()), seconds=args.seconds,
        workers=args.workers, tmp=tmp,
        env_extra={
            "RUSH_CREDENTIALS": str(tmp / "secretaries.json"), "MONTH_END_CREDENTIALS": str(tmp / "accounts.json"),
            "MONTH_END_YEAR": str(timezone.localdate().year),
            **({"RUSH_FILL_SECONDS": "2,5", "RUSH_PAUSE_SECONDS": "1,3"} if args.quick else {}),
        },
    )  # fmt: skip
    saved = Meeting.objects.count() - before
    print_endpoints(rows)
    print(f"\n{saved} meetings saved in {elapsed:.0f} s ({RAMP_SECONDS} s of logins, then {args.seconds} s measured)")
    total = next(r for r in rows if r["Name"] == "Aggregated")
    figures = [
        Figure("errors (all requests)", float(total["Failure Count"]), "", 0, note=f"of {total['Request Count']}"),
        Figure(
            "p95, all requests", float(total["95%"]), "ms", P95_LIMIT_MS, note=f"p50 {total['50%']}, p99 {total['99%']}"
        ),
    ]
    worst = max((r for r in rows if r["Type"]), key=lambda r: float(r["95%"]))
    figures.append(
        Figure(f"p95, slowest endpoint ({worst['Name']})", float(worst["95%"]), "ms", None, note=f"p99 {worst['99%']}")
    )
    figures.append(Figure("requests per second", float(total["Requests/s"]), "/s", None))
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=180, help="measured seconds (after the logins)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (8 threads each)")
    parser.add_argument("--database-url")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL (tests/services.py)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a limit is not met")
    parser.add_argument("--quick", action="store_true", help="30 measured seconds, short pauses (a smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 30
    with ExitStack() as stack:
        if args.postgres:
            args.database_url = stack.enter_context(throwaway_postgres())
        db = stack.enter_context(bench_database(args.database_url))
        print(f"database: {db.description}")
        figures = run(args, db)
    print_table(BENCHMARK, figures)
    return exit_code(figures, args.strict)


if __name__ == "__main__":
    sys.exit(main())
