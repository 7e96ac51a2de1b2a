"""Run an import: read every known sheet, check every row, then write everything in one transaction or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from .reader import RawSheet, WorkbookError, read_workbook
from .registry import sheet_importers
from .sheets import Counts, ImportContext, Problem

Progress = Callable[[int, str], None]


@dataclass
class ImportReport:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary_lines(self) -> list[str]:
        verb = "将" if self.dry_run else "已"
        return [
            f"{sheet}: {verb}新增 {c.created} 行，{verb}更新 {c.updated} 行，未变 {c.unchanged} 行"
            for sheet, c in self.counts.items()
        ]

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "problems": [
                {"sheet": p.sheet, "row": p.row, "column": p.column, "reason": p.reason, "text": str(p)}
                for p in self.problems
            ],
            "counts": {sheet: c.as_dict() for sheet, c in self.counts.items()},
        }


def _noop(percent: int, message: str) -> None:
    pass


def rows_import(
    *, sheets: dict[str, RawSheet], actor, dry_run: bool = False, progress: Progress = _noop
) -> ImportReport:
    """Import already-read sheets (the workbook import and seed_demo both come through here)."""
    importers = sheet_importers()
    ctx = ImportContext(actor=actor)
    report = ImportReport(dry_run=dry_run)
    by_name = {}
    for imp in importers:
        for name in (imp.name, *imp.aliases):
            if name in sheets:
                by_name[imp.name] = sheets[name]
                break
    if not by_name:
        known = "、".join(imp.name for imp in importers)
        report.problems.append(Problem("", None, "", f"没有找到可导入的工作表，工作表名称应为：{known}"))
        return report

    plans = []
    steps = len(by_name) * 2 + 1
    done = 0
    for imp in importers:  # dependency order: 组织 → 职务 → 党员 → …
        raw = by_name.get(imp.name)
        if raw is None:
            continue
        progress(5 + int(85 * done / steps), f"正在检查工作表“{imp.name}”")
        rows = imp.parse_rows(raw.rows, ctx)
        done += 1
        if rows is None:
            continue
        plans.append((imp, imp.plan(rows, ctx)))
        done += 1
    report.problems = ctx.problems
    if report.problems:
        return report
    if dry_run:
        report.counts = {imp.name: imp.counts(plan) for imp, plan in plans}
        return report
    progress(5 + int(85 * done / steps), "检查通过，正在写入")
    with transaction.atomic():
        for imp, plan in plans:
            report.counts[imp.name] = imp.apply(plan, ctx)
    progress(100, "导入完成")
    return report


def workbook_import(*, source, actor, dry_run: bool = False, progress: Progress = _noop) -> ImportReport:
    """Import an .xlsx workbook (bytes, a path or a file object); on any problem nothing is written."""
    wanted = {name for imp in sheet_importers() for name in (imp.name, *imp.aliases)}
    progress(1, "正在读取文件")
    try:
        sheets = read_workbook(source, wanted)
    except WorkbookError as exc:
        return ImportReport(problems=[Problem("", None, "", str(exc))], dry_run=dry_run)
    return rows_import(sheets=sheets, actor=actor, dry_run=dry_run, progress=progress)
