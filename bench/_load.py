"""Shared by the load tests: gunicorn on loopback over the throwaway database, locust headless against it, bounded in
time, and the per-endpoint statistics it writes."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from bench._setup import BASE_DIR

# The users log in over this many seconds; the figures are of the `seconds` after (locust --reset-stats), when all
# of them are at work: the login burst is not what is measured.
RAMP_SECONDS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not listen on port {port}")


def run_locust(
    *, db_url: str, locustfile: str, users: int, seconds: int, workers: int, tmp: Path, env_extra: dict
) -> tuple[list[dict], float]:
    """(locust's rows per endpoint with the `Aggregated` one, seconds the run took): gunicorn (gthread, `workers` ×
    8 threads, persistent connections as in production) and locust on this machine's cores."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "MEDIA_ROOT": str(tmp / "media"),
    }
    prefix = str(tmp / "locust")
    with ExitStack() as stack:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}",
             "-w", str(workers), "-k", "gthread", "--threads", "8", "--keep-alive", "30", "--log-level", "warning"],
            cwd=BASE_DIR, env=env,
        )  # fmt: skip
        stack.callback(server.wait, 30)
        stack.callback(server.terminate)
        _wait_for(port)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(BASE_DIR / "bench" / locustfile), "--headless",
             "-u", str(users), "-r", str(max(1, users // RAMP_SECONDS)), "-t", f"{seconds + RAMP_SECONDS}s",
             "--reset-stats", "--host", f"http://127.0.0.1:{port}", "--csv", prefix, "--only-summary",
             "--stop-timeout", "10", "--loglevel", "WARNING"],
            cwd=BASE_DIR, env={**env, **env_extra}, check=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - t
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh)), elapsed


def print_endpoints(rows: list[dict]) -> None:
    print(f"\n{'endpoint':40} {'requests':>9} {'errors':>7} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for row in rows:
        name = row["Name"] if row["Type"] else "all requests"
        print(
            f"{name:40} {row['Request Count']:>9} {row['Failure Count']:>7} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
