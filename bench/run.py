"""Run every benchmark in this folder, one process each (each sets Django up on its own throwaway database).

    python -m bench.run [--database-url URL] [--postgres] [--strict] [name …]

A benchmark is a module here with a `BENCHMARK` title and a `main(argv)`; helpers start with an underscore.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    """Modules that declare BENCHMARK at top level (read, not imported: importing must not set Django up)."""
    names = []
    for path in sorted(HERE.glob("*.py")):
        if path.name.startswith("_") or path.stem == "run":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "BENCHMARK" for t in node.targets
            ):
                names.append(path.stem)
                break
    return names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks under bench/")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--database-url", help="passed to each benchmark (default: DATABASE_URL, else SQLite)")
    parser.add_argument(
        "--postgres", action="store_true", help="after the default database, run again on a throwaway PostgreSQL"
    )
    parser.add_argument("--strict", action="store_true", help="fail when a benchmark misses a limit")
    args = parser.parse_args(argv)
    available = discover()
    unknown = [n for n in args.names if n not in available]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}")
    names = args.names or available
    failed = _run_all(names, args.database_url, args.strict)
    if args.postgres:
        from bench._setup import throwaway_postgres

        with throwaway_postgres() as url:
            failed += [f"{name} (PostgreSQL)" for name in _run_all(names, url, args.strict)]
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


def _run_all(names: list[str], database_url: str | None, strict: bool) -> list[str]:
    failed = []
    for name in names:
        command = [sys.executable, "-m", f"bench.{name}"]
        if database_url:
            command += ["--database-url", database_url]
        if strict:
            command.append("--strict")
        print(f"=== bench.{name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call(command, cwd=HERE.parent)
        print(f"=== bench.{name}: exit {code}, {time.perf_counter() - start:.0f} s ===\n", flush=True)
        if code:
            failed.append(name)
    return failed


if __name__ == "__main__":
    sys.exit(main())
