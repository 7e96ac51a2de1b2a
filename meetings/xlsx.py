"""The 会议 sheet (historical 三会一课 records) and the compliance export (layouts in README, "Excel 格式").

An imported meeting has no attendance list: its 应到/实到 counts are as given. Rows are matched by their natural key
(支部代码, 会议类型, 召开时间); a changed 地点, 主题, 主持人, 记录人 or count updates the meeting. Imports of history are
not a secretary's late edits: no 逾期修改原因 is asked for, each change is one audited update (source 导入). New
meetings are marked 补录 by the same rule as the service (rules.is_backfilled against the import day).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from core.audit import AuditBatch, diff
from core.bulk import Prepared, bulk_insert, filter_in, reserve_ids
from core.scope import ALL, Action, scope_paths
from core.xlsx import cells
from core.xlsx.sheets import Column, Counts, ImportContext, Row, SheetImporter
from core.xlsx.writer import ExportTable
from organizations.models import Organization

from . import rules
from .choices import MEETING_HOLDING_KINDS, MeetingKind
from .compliance import compliance_cells, holding_branches
from .models import Meeting

ORGS_PLANNED_ROWS = "organizations.planned_rows"  # {code: parsed row} of the file's 组织 sheet (organizations.xlsx)
MEETING_TYPE = Meeting._meta.label_lower
MAX_COUNT = 100_000
# The columns a bulk write fills, in this order (the demo writes through the same list).
MEETING_INSERT_FIELDS = [
    "id", "branch", "kind", "held_at", "held_on", "place", "topic", "host", "recorder", "minutes", "expected_count",
    "present_count", "leave_count", "has_attendance", "backfilled", "submission_key", "late_edit_reason",
    "late_edited_at", "created_by", "created_at", "updated_at",
]  # fmt: skip
UPDATABLE = ("place", "topic", "host", "recorder", "expected_count", "present_count")
PROBLEM_COLUMNS = {"held_at": "召开时间", "expected_count": "应到人数", "present_count": "实到人数"}

_DATETIME_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def _zone():
    return timezone.get_default_timezone()  # Asia/Shanghai (cached by Django)


def local_day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai date of an aware time; cheap for the times this module made (already in that zone)."""
    zone = _zone()
    return (moment if moment.tzinfo is zone else moment.astimezone(zone)).date()


def local_text(moment: dt.datetime) -> str:
    zone = _zone()
    return (moment if moment.tzinfo is zone else moment.astimezone(zone)).isoformat()


def held_at_cell(value) -> dt.datetime:
    """An Excel date-time or date (a date alone is 00:00 that day), or text YYYY-MM-DD [HH:MM[:SS]], read as
    Asia/Shanghai wall-clock time; returns an aware datetime."""
    kind = type(value)
    if kind is dt.datetime:
        if value.tzinfo is not None:
            return value
        return value.replace(tzinfo=_zone())
    if kind is dt.date:
        return dt.datetime(value.year, value.month, value.day, tzinfo=_zone())
    if isinstance(value, str):
        text = value.strip().replace("/", "-")
        m = _DATETIME_RE.match(text)
        if m:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
            try:
                return dt.datetime(y, mo, d, h, mi, s, tzinfo=_zone())
            except ValueError:
                raise cells.CellError(f"时间“{value.strip()}”不存在") from None
    raise cells.CellError(
        f"“{cells.as_text(value)}”不是日期时间，应为 Excel 日期（时间）或 YYYY-MM-DD / YYYY-MM-DD HH:MM 格式的文本"
    )


_KINDS = frozenset(MeetingKind.values)


def _kind_cell(value) -> str:
    kind = cells.as_text(value)
    if kind not in _KINDS:
        raise cells.CellError(rules.kind_problem(kind))
    return kind


_any_integer = cells.integer(-(10**12), 10**12)


def _count_cell(value) -> int:
    """A head count: blank is 0; negative numbers are refused."""
    number = _any_integer(value)
    if number is None:
        return 0
    if number < 0:
        raise cells.CellError("人数不能为负数")
    if number > MAX_COUNT:
        raise cells.CellError(f"{number} 超出范围，应在 0 到 {MAX_COUNT} 之间")
    return number


MEETING_COLUMNS = (
    Column(
        "支部代码", "branch_code", cells.code(32), required=True, note="党支部或党总支的组织代码，须在您的管理范围内"
    ),
    Column("会议类型", "kind", _kind_cell, required=True, note=" / ".join(MeetingKind.values)),
    Column(
        "召开时间",
        "held_at",
        held_at_cell,
        required=True,
        note="Excel 日期时间，或 YYYY-MM-DD HH:MM（北京时间）；只填日期视为当天 0:00；不能晚于现在、不能早于支部成立日期",
    ),
    Column("地点", "place", cells.text(100)),
    Column("主题", "topic", cells.text(200), required=True, note="最多 200 字"),
    Column("主持人", "host", cells.text(50)),
    Column("记录人", "recorder", cells.text(50)),
    Column("应到人数", "expected_count", _count_cell, note="整数，空白为 0"),
    Column("实到人数", "present_count", _count_cell, note="整数，不能多于应到人数；空白为 0"),
)


def db_datetime():
    """A converter of aware datetimes to what the database stores, as Prepared values for bulk_insert: Django's
    DateTimeField preparation costs ~25 µs a value, a second per 50,000 meetings. SQLite keeps UTC text in
    str(datetime) form (as Django's adapt_datetimefield_value writes it), psycopg takes aware datetimes as they are."""
    vendor = transaction.get_connection().vendor
    if vendor == "postgresql":
        return Prepared
    if vendor != "sqlite":
        return lambda value: value  # bulk_insert prepares it through the field
    cache: dict[dt.datetime, Prepared] = {}  # a batch repeats its `now` on every row

    def convert(value: dt.datetime) -> Prepared:
        found = cache.get(value)
        if found is None:
            if len(cache) > 10_000:
                cache.clear()
            found = cache[value] = Prepared(str(value.astimezone(dt.UTC).replace(tzinfo=None)))
        return found

    return convert


class BranchInfo(NamedTuple):
    code: str
    name: str
    kind: str
    founded_on: dt.date | None


class Existing(NamedTuple):
    id: int
    branch_id: int
    branch_path: str
    kind: str
    held_at: dt.datetime
    held_on: dt.date
    place: str
    topic: str
    host: str
    recorder: str
    expected_count: int
    present_count: int
    has_attendance: bool


@dataclass
class MeetingPlan:
    creates: list[dict] = field(default_factory=list)
    updates: list[tuple[Existing, dict]] = field(default_factory=list)
    unchanged: int = 0


def _reason(text: str) -> str:
    return text.rstrip("。")


class MeetingSheet(SheetImporter):
    """会议: one meeting a row, matched by (支部代码, 会议类型, 召开时间)."""

    name = "会议"
    columns = MEETING_COLUMNS

    def plan(self, rows: list[Row], ctx: ImportContext) -> MeetingPlan:
        sheet = self.name
        plan = MeetingPlan()
        now = timezone.now()
        change_paths = scope_paths(ctx.actor, Action.CHANGE)

        def changeable(path: str) -> bool:
            return change_paths is ALL or any(path.startswith(p) for p in change_paths)

        codes = {r.values["branch_code"] for r in rows}
        in_db = {
            o.code: o
            for o in filter_in(
                Organization.objects.only("id", "code", "name", "path", "kind", "founded_on"), "code", codes
            )
        }
        planned_rows = ctx.shared.get(ORGS_PLANNED_ROWS, {})
        # What each code will be once the 组织 sheet is written: the file's row wins over the database.
        branches: dict[str, BranchInfo | None] = {}
        for code in codes:
            org = in_db.get(code)
            row = planned_rows.get(code)
            if org is not None and not changeable(org.path):
                branches[code] = None  # the same answer as for an unknown code
            elif row is not None:
                # A new organization of the file lies under a parent the 组织 sheet found in the importer's MANAGE
                # scope, and every role that may MANAGE may CHANGE.
                branches[code] = BranchInfo(code, row["name"], row["kind"], row["founded_on"])
            elif org is not None:
                branches[code] = BranchInfo(code, org.name, org.kind, org.founded_on)
            else:
                branches[code] = None

        seen: dict[tuple, int] = {}
        valid: list[Row] = []
        for row in rows:
            v = row.values
            ok = True
            branch = branches[v["branch_code"]]
            if branch is None:
                ctx.problem(
                    sheet,
                    row.number,
                    "支部代码",
                    f"支部 {v['branch_code']} 不存在（本文件的“组织”表和系统中都没有）或不在您的管理范围内",
                )
                ok = False
            elif problem := rules.holding_problem(branch):
                ctx.problem(sheet, row.number, "支部代码", problem)
                ok = False
            held_at = v["held_at"]
            held_on = v["held_on"] = local_day(held_at)
            founded_on = branch.founded_on if branch is not None else None
            problems = rules.held_problems(held_on=held_on, held_at=held_at, now=now, founded_on=founded_on)
            problems.update(rules.count_problems(expected=v["expected_count"], present=v["present_count"]))
            for name, reason in problems.items():
                ctx.problem(sheet, row.number, PROBLEM_COLUMNS[name], _reason(reason))
                ok = False
            key = (v["branch_code"], v["kind"], held_at)
            if key in seen:
                ctx.problem(sheet, row.number, "召开时间", f"与第 {seen[key]} 行重复（同一支部、会议类型和召开时间）")
                ok = False
            else:
                seen[key] = row.number
            if ok:
                valid.append(row)

        known = {in_db[r.values["branch_code"]].pk for r in valid if r.values["branch_code"] in in_db}
        existing = self._existing(known, valid)
        for row in valid:
            v = row.values
            org = in_db.get(v["branch_code"])
            found = existing.get((org.pk, v["kind"], v["held_at"])) if org is not None else None
            if found is None:
                plan.creates.append(v)
                continue
            changes = {name: v[name] for name in UPDATABLE if getattr(found, name) != v[name]}
            if found.has_attendance and ("expected_count" in changes or "present_count" in changes):
                ctx.problem(
                    sheet,
                    row.number,
                    "实到人数" if "present_count" in changes else "应到人数",
                    f"该会议已按签到名单登记（应到 {found.expected_count} 人，实到 {found.present_count} 人），"
                    "人数不能通过导入修改",
                )
                continue
            if changes:
                plan.updates.append((found, changes))
            else:
                plan.unchanged += 1
        return plan

    @staticmethod
    def _existing(branch_ids: set[int], rows: list[Row]) -> dict[tuple, Existing]:
        """The meetings already recorded for the file's branches within its time span, by natural key."""
        if not branch_ids or not rows:
            return {}
        times = [r.values["held_at"] for r in rows]
        qs = Meeting.objects.filter(held_at__gte=min(times), held_at__lte=max(times)).values_list(
            "id", "branch_id", "branch__path", *Existing._fields[3:]
        )
        return {
            (m.branch_id, m.kind, m.held_at): m for m in map(Existing._make, filter_in(qs, "branch_id", branch_ids))
        }

    def counts(self, plan: MeetingPlan) -> Counts:
        return Counts(created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged)

    def apply(self, plan: MeetingPlan, ctx: ImportContext) -> Counts:
        now = timezone.now()
        today = timezone.localtime(now).date()
        audit = AuditBatch(ctx.actor)
        # Branches are resolved now: some may have been created by this file's 组织 sheet a moment ago.
        branches = {
            code: (pk, path)
            for code, pk, path in filter_in(
                Organization.objects.order_by().values_list("code", "id", "path"),
                "code",
                {v["branch_code"] for v in plan.creates},
            )
        }
        actor_id = ctx.actor.pk if getattr(ctx.actor, "pk", None) else None
        backfill_note = f"补录：召开后超过 {rules.BACKFILL_AFTER_DAYS} 天登记"
        db_time = db_datetime()

        # Reserved before the COPY starts: the generator below runs inside it, where the connection takes no queries.
        ids = reserve_ids(Meeting, len(plan.creates))

        def rows():
            for pk, v in zip(ids, plan.creates, strict=True):
                branch_id, path = branches[v["branch_code"]]
                backfilled = rules.is_backfilled(held_on=v["held_on"], entered_on=today)
                meeting = MeetingValues(
                    id=pk, branch_id=branch_id, kind=v["kind"], held_at=v["held_at"], held_on=v["held_on"],
                    place=v["place"], topic=v["topic"], host=v["host"], recorder=v["recorder"],
                    expected_count=v["expected_count"], present_count=v["present_count"], backfilled=backfilled,
                    created_by_id=actor_id, created_at=now,
                )  # fmt: skip
                audit.add(
                    action="create",
                    object_type=MEETING_TYPE,
                    object_id=pk,
                    object_repr=meeting.repr(),
                    org_path=path,
                    after=meeting.audit_after(),
                    note=backfill_note if backfilled else "",
                )
                yield meeting.row(db_time)

        bulk_insert(Meeting, MEETING_INSERT_FIELDS, rows())
        self._update(plan, now, audit)
        audit.save()
        return self.counts(plan)

    @staticmethod
    def _update(plan: MeetingPlan, now: dt.datetime, audit: AuditBatch) -> None:
        """Changed meetings, one audited update each. Each change set is one UPDATE of the rows sharing it: an import
        that corrects one column of many meetings costs a handful of statements."""
        by_changes: dict[tuple, list[int]] = {}
        for found, changes in plan.updates:
            before = {name: getattr(found, name) for name in UPDATABLE}
            after = {**before, **changes}
            b, a = diff(before, after)
            audit.add(
                action="update",
                object_type=MEETING_TYPE,
                object_id=found.id,
                object_repr=f"{found.held_on:%Y-%m-%d} {found.kind}",
                org_path=found.branch_path,
                before=b,
                after=a,
                note="Excel 导入",
            )
            by_changes.setdefault(tuple(sorted(changes.items())), []).append(found.id)
        for changes, ids in by_changes.items():
            for batch in [ids[i : i + 2000] for i in range(0, len(ids), 2000)]:
                Meeting.objects.filter(pk__in=batch).update(**dict(changes), updated_at=now)


@dataclass
class MeetingValues:
    """One meeting as a plain row for bulk_insert, with the audit values the service would record for it."""

    id: int
    branch_id: int
    kind: str
    held_at: dt.datetime
    held_on: dt.date
    topic: str
    created_at: dt.datetime
    place: str = ""
    host: str = ""
    recorder: str = ""
    minutes: str = ""
    expected_count: int = 0
    present_count: int = 0
    leave_count: int = 0
    has_attendance: bool = False
    backfilled: bool = False
    late_edit_reason: str = ""
    late_edited_at: dt.datetime | None = None
    created_by_id: int | None = None
    updated_at: dt.datetime | None = None

    def row(self, db_time) -> tuple:
        """The values in MEETING_INSERT_FIELDS order; `db_time` is db_datetime()'s converter."""
        return (
            self.id, self.branch_id, self.kind, db_time(self.held_at), self.held_on, self.place, self.topic, self.host,
            self.recorder, self.minutes, self.expected_count, self.present_count, self.leave_count,
            self.has_attendance, self.backfilled, "", self.late_edit_reason,
            db_time(self.late_edited_at) if self.late_edited_at else None, self.created_by_id, db_time(self.created_at),
            db_time(self.updated_at or self.created_at),
        )  # fmt: skip

    def repr(self) -> str:
        return f"{self.held_on.isoformat()} {self.kind}"

    def audit_after(self, attendance: str | None = None) -> Prepared:
        """The service's create snapshot (services.MEETING_AUDIT_FIELDS) as json.dumps would write it. Formatted
        here, strings escaped by json's own C encoder: json.dumps of the dict is a third of a 50,000-row import's
        row building."""
        text = _AFTER % (
            self.branch_id, _json_text(self.kind), _json_text(local_text(self.held_at)), _json_text(self.place),
            _json_text(self.topic), _json_text(self.host), _json_text(self.recorder), _json_text(self.minutes),
            self.expected_count, self.present_count, self.leave_count, "true" if self.backfilled else "false",
        )  # fmt: skip
        if attendance is not None:
            text += ', "attendance": ' + _json_text(attendance)
        return Prepared(text + "}")


_json_text = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str (ensure_ascii)
_AFTER = (
    '{"branch": %d, "kind": %s, "held_at": %s, "place": %s, "topic": %s, "host": %s, "recorder": %s, "minutes": %s, '
    '"expected_count": %d, "present_count": %d, "leave_count": %d, "backfilled": %s'
)


# --- The compliance export -----------------------------------------------------------------------------------------

COMPLIANCE_HEADERS = ["组织代码", "组织名称", "会议类型", "周期", "要求次数", "实际次数", "状态"]


def compliance_export(actor, *, year=None, unmasked=False, queryset=None) -> ExportTable:
    """One row per branch, required kind and period of `year` (exempt kinds have none): sorted by 组织代码, kinds in
    the order of the 会议 sheet, periods in time order. `queryset` narrows the branches (a filtered list page)."""
    if year is None:
        raise ValueError("导出 compliance 须指定年度，如 --year 2025")
    year = int(year)
    if queryset is not None:
        branches = queryset.restrict(actor, Action.VIEW).filter(kind__in=MEETING_HOLDING_KINDS).order_by("code")
    else:
        branches = holding_branches(actor=actor)
    cells_ = compliance_cells(actor=actor, year=year, today=timezone.localdate(), branches=branches)

    def rows():
        for c in cells_:
            yield [c.branch.code, c.branch.name, c.kind, c.period.label, c.required, c.actual, str(c.status)]

    return ExportTable("compliance", COMPLIANCE_HEADERS, rows(), f"compliance-{year}.xlsx")
