"""What a sheet is to the importer: its columns, its checks and how its rows are written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.scope import Action, scope_paths


@dataclass(frozen=True)
class Column:
    header: str  # part of the public interface: never renamed silently
    field: str
    parse: Callable[[Any], Any]
    required: bool = False
    note: str = ""  # shown in the downloadable template's 填写说明 sheet


@dataclass
class Row:
    number: int  # the row number the user sees in Excel
    values: dict[str, Any]


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        if self.row is None:
            return f"工作表 {self.sheet}: {self.reason}" if self.sheet else f"文件: {self.reason}"
        return f"工作表 {self.sheet} 第 {self.row} 行 {self.column}: {self.reason}"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class ImportContext:
    """Shared state of one import: the actor, the problems found, and what earlier sheets will create."""

    actor: Any
    problems: list[Problem] = field(default_factory=list)
    shared: dict[str, Any] = field(default_factory=dict)  # e.g. organizations planned by the 组织 sheet

    def __post_init__(self):
        self.manage_paths = scope_paths(self.actor, Action.MANAGE)

    def problem(self, sheet: str, row: int | None, column: str, reason: str) -> None:
        self.problems.append(Problem(sheet, row, column, reason))


class SheetImporter:
    """A sheet of the public layout. Subclasses set `name`, `columns` and implement `plan` and `apply`.

    `plan` checks every row against the file and the database and records what would change (nothing is written);
    `apply` writes that plan inside the import's transaction, through the same services and audit as the pages.
    """

    name: str = ""
    aliases: tuple[str, ...] = ()  # the export kind's sheet name, so an export imports back unchanged
    columns: tuple[Column, ...] = ()

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)

    def header_problems(self, header: list) -> tuple[dict[str, int], list[str]]:
        """Map each column to its index in the header row, or list what is missing."""
        seen = [str(h).strip() if h is not None else "" for h in header]
        index = {}
        missing = []
        for col in self.columns:
            if col.header in seen:
                index[col.field] = seen.index(col.header)
            else:
                missing.append(col.header)
        unknown = [h for h in seen if h and h not in {c.header for c in self.columns}]
        reasons = []
        for header_name in missing:
            hint = f"（表头中有未识别的：{'、'.join(unknown)}；是否改了名？）" if unknown else ""
            reasons.append(f"缺少表头“{header_name}”{hint}")
        return index, reasons

    def parse_rows(self, raw_rows, ctx: ImportContext) -> list[Row] | None:
        """Parse each row's cells; problems go to ctx. None when the header itself is wrong."""
        from .cells import CellError

        if not raw_rows:
            ctx.problem(self.name, None, "", "工作表是空的，没有表头")
            return None
        header_number, header = raw_rows[0]
        index, reasons = self.header_problems(header)
        for reason in reasons:
            ctx.problem(self.name, header_number, "表头", reason)
        if reasons:
            return None
        # The loop below runs for every cell of 100k-row sheets: the column attributes are looked up once here.
        plan = [(index[c.field], c.field, c.parse, c.required, c.header) for c in self.columns]
        rows = []
        for number, cells in raw_rows[1:]:
            values = {}
            ok = True
            width = len(cells)
            for i, name, parse, required, header in plan:
                raw = cells[i] if i < width else None
                if required and (raw is None or (type(raw) is str and not raw.strip())):
                    ctx.problem(self.name, number, header, "必填，不能为空")
                    ok = False
                    continue
                try:
                    values[name] = parse(raw)
                except CellError as exc:
                    ctx.problem(self.name, number, header, str(exc))
                    ok = False
            if ok:
                rows.append(Row(number, values))
        return rows

    def plan(self, rows: list[Row], ctx: ImportContext) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def apply(self, plan: Any, ctx: ImportContext) -> Counts:  # pragma: no cover - interface
        raise NotImplementedError

    def counts(self, plan: Any) -> Counts:  # pragma: no cover - interface
        raise NotImplementedError
