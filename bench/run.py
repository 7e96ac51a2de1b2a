"""Run every benchmark in this folder, one process each (each sets Django up on its own throwaway database).

    python -m bench.run [--database-url URL] [--postgres] [--strict] [--markdown FILE] [name …]

A benchmark is a module here with a `BENCHMARK` title and a `main(argv)`; helpers start with an underscore. Each
prints its own table as it goes; at the end one table gathers every figure of every benchmark (measured, limit,
ratio, met?), also written as Markdown with --markdown (docs/performance.md keeps the latest).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
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
    parser.add_argument("--markdown", help="also write the summary table to this Markdown file")
    args = parser.parse_args(argv)
    available = discover()
    unknown = [n for n in args.names if n not in available]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}")
    names = args.names or available
    collected = Path(tempfile.mkdtemp(prefix="bench-run-")) / "figures.jsonl"
    os.environ["BENCH_FIGURES"] = str(collected)
    failed = _run_all(names, args.database_url, args.strict)
    if args.postgres:
        from bench._setup import throwaway_postgres

        with throwaway_postgres() as url:
            failed += [f"{name} (PostgreSQL)" for name in _run_all(names, url, args.strict)]
    summary(collected, args.markdown)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


def summary(collected: Path, markdown: str | None) -> None:
    """One table of every figure the benchmarks printed (each benchmark's title heads its rows)."""
    from bench._setup import Figure, figure_cells, print_rows

    tables = (
        [json.loads(line) for line in collected.read_text(encoding="utf-8").splitlines()] if collected.exists() else []
    )
    rows = [["benchmark", "figure", "measured", "limit", "ratio", "met?"]]
    for table in tables:
        for f in table["figures"]:
            rows.append([table["title"], f["name"], *figure_cells(Figure(**f))])
    print("\n=== every figure ===")
    print_rows(rows)
    missed = [r for r in rows[1:] if r[-1] == "NO"]
    print(f"{len(rows) - 1} figures, {len(missed)} limits not met")
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows[1:]]
        Path(markdown).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"(written to {markdown})")


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
