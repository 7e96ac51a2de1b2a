"""The 经费 sheet (allocations, disbursements and spending of past years) and the funding export (layouts in README,
"Excel 格式").

One record a row, 记录类型 下达 / 拨付 / 支出. The rules are the services' (funding/services/ledger.py), checked against
the database and the file's own earlier rows together: 下达 rows are taken first, then 拨付, then 支出 (each kind in
date order), so a sheet sorted by date, or in any other order, reads the same. A 拨付 row goes to the allocations of
its organization, year, category and source oldest first (下达日期, id) and is split across them where one alone
lacks room; each part is a disbursement with the row's date and 摘要.

Rows are matched by their natural key, every column of the row (a 拨付 by the sum of its parts): a row already
recorded changes nothing, identical rows are as many records as they are rows. Nothing is ever updated: a ledger
record that differs is another record. New rows are written set-based under the services' ledger locks, and the
sums checked are read again under them, so a page write between the check and the write cannot break a rule.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit import AuditBatch
from core.bulk import Prepared, bulk_insert, filter_in, reserve_ids
from core.money import parse_amount, rate, yuan
from core.scope import ALL, Action, scope_paths, subtree_range_q
from core.xlsx import cells
from core.xlsx.sheets import Column, Counts, ImportContext, Problem, Row, SheetImporter
from core.xlsx.writer import ExportTable
from organizations.models import Organization

from .choices import RecordType
from .models import Allocation, Disbursement, Expenditure, FundCategory, FundSource
from .services.ledger import (
    ALLOCATION_FIELDS,
    DISBURSEMENT_FIELDS,
    EXPENDITURE_FIELDS,
    FIRST_YEAR,
    check_in_year,
    default_deadline,
)

ORGS_PLANNED_ROWS = "organizations.planned_rows"  # {code: parsed row} of the file's 组织 sheet (organizations.xlsx)
ALLOCATE, DISBURSE, SPEND = RecordType.ALLOCATION.value, RecordType.DISBURSEMENT.value, RecordType.EXPENDITURE.value
DATE_LABELS = {ALLOCATE: "下达日期", DISBURSE: "拨付日期", SPEND: "支出日期"}
ALLOCATION_TYPE = Allocation._meta.label_lower
DISBURSEMENT_TYPE = Disbursement._meta.label_lower
EXPENDITURE_TYPE = Expenditure._meta.label_lower
ALLOCATION_INSERT_FIELDS = [
    "id", "organization", "year", "category", "source", "amount", "allocated_on", "deadline", "document_no", "note",
    "created_by", "created_at", "updated_at",
]  # fmt: skip
DISBURSEMENT_INSERT_FIELDS = [
    "id", "allocation", "organization", "year", "category", "source", "amount", "paid_on", "voucher", "note",
    "created_by", "created_at", "updated_at",
]  # fmt: skip
EXPENDITURE_INSERT_FIELDS = [
    "id", "organization", "year", "category", "source", "amount", "spent_on", "purpose", "voucher", "note",
    "created_by", "created_at", "updated_at",
]  # fmt: skip
# A 拨付 row already recorded as parts is found by a bounded search: the parts of one (organization, year, category,
# source, date, 摘要) are a handful, and a file that repeats one key thousands of times must not search for ever.
MATCH_STEPS = 20_000
LOCK_CHUNK = 1000
NEW_ORDER = 1 << 62  # new allocations sort after every existing one of the same date, as their ids will


# --- cells ----------------------------------------------------------------------------------------------------------


def _year_cell():
    seen: dict = {}  # a sheet repeats two or three years on every row

    def parse(value) -> int:
        key = (type(value), value)
        found = seen.get(key)
        if found is not None:
            return found
        text = cells.as_text(value)
        if not (len(text) == 4 and text.isascii() and text.isdigit()):
            raise cells.CellError(f"“{text}”不是年份，应为四位数字，如 2025")
        if len(seen) < 1000:
            seen[key] = int(text)
        return int(text)

    return parse


def _amount_cell():
    seen: dict = {}  # amounts repeat (a monthly payment of the same sum): each text is read once

    def parse(value) -> int:
        """Whole fen: the exact integer arithmetic of the checks below."""
        key = (type(value), value)
        found = seen.get(key)
        if found is not None:
            return found
        try:
            amount = parse_amount(value)
        except ValidationError as exc:  # the services' own message
            raise cells.CellError(exc.messages[0].rstrip("。")) from None
        fen = int(amount.scaleb(2))
        if len(seen) < 100_000:
            seen[key] = fen
        return fen

    return parse


FUNDING_COLUMNS = (
    Column("年度", "year", _year_cell(), required=True, note="四位年份，如 2025；账目按年度登记"),
    Column(
        "组织代码",
        "org_code",
        cells.code(32),
        required=True,
        note="组织须在系统中（或本文件的“组织”表中）且在您的管理范围内",
    ),
    Column("经费类别", "category", cells.text(50), required=True, note="须为系统中启用的经费类别，如 村级组织运转经费"),
    Column(
        "资金来源",
        "source",
        cells.text(50),
        note="须为系统中启用的资金来源，如 县财政；下达、拨付必填，支出可空",
    ),
    Column("记录类型", "kind", cells.choice(RecordType.values), required=True, note=" / ".join(RecordType.values)),
    Column("金额（元）", "amount", _amount_cell(), required=True, note="正数，以元为单位，最多两位小数"),
    Column(
        "日期",
        "day",
        cells.date,
        required=True,
        note="Excel 日期或 YYYY-MM-DD，须在该年度内：下达为下达日期，拨付为拨付日期（不早于对应的下达日期），"
        "支出为支出日期（不晚于今天）",
    ),
    Column(
        "摘要",
        "note",
        cells.text(200),
        note="下达、拨付为摘要；支出为用途，必填。拨付按同一组织、年度、类别和来源的下达先后（先下达的先拨）对应，"
        "一笔下达不够时拆分到后面的下达",
    ),
)


# --- the plan -------------------------------------------------------------------------------------------------------


class OrgRef(NamedTuple):
    code: str
    name: str
    may_manage: bool  # 下达, 拨付
    may_change: bool  # 支出


class Entry(NamedTuple):
    """One checked row. `org` is the organization code (an organization may be created by this file's 组织 sheet, so
    ids are known only when writing)."""

    number: int
    kind: str
    org: str
    year: int
    category: int
    source: int | None
    fen: int
    day: dt.date
    note: str
    ledger: tuple[str, int, int]  # (org, year, category), the ledger the rules sum over


@dataclass
class Pot:
    """The allocations of one organization, year, category and source, oldest first: [allocated_on, order, ref,
    amount, disbursed] each (fen); `ref` an existing id or ("new", index in plan.allocations)."""

    allocations: list[list] = field(default_factory=list)
    allocated: int = 0
    disbursed: int = 0
    cursor: int = 0  # every allocation before it is full


@dataclass
class FundingPlan:
    rows: list[Row] = field(default_factory=list)  # kept to check again under the locks
    allocations: list[tuple[Entry, dt.date]] = field(default_factory=list)  # (entry, deadline)
    disbursements: list[tuple[Entry, list[tuple]]] = field(default_factory=list)  # (entry, [(ref, fen), …])
    expenditures: list[Entry] = field(default_factory=list)
    unchanged: int = 0
    state: dict = field(default_factory=dict)  # {ledger: the database rows checked against} (see _read_ledgers)

    @property
    def created(self) -> int:
        return len(self.allocations) + len(self.disbursements) + len(self.expenditures)

    def written_ledgers(self) -> set[tuple[str, int, int]]:
        return (
            {e.ledger for e, _ in self.allocations}
            | {e.ledger for e, _ in self.disbursements}
            | {e.ledger for e in self.expenditures}
        )


class FundingSheet(SheetImporter):
    """经费: one allocation, disbursement or expenditure a row, matched by every column of the row."""

    name = "经费"
    columns = FUNDING_COLUMNS

    def plan(self, rows: list[Row], ctx: ImportContext) -> FundingPlan:
        problems: list[tuple[int, str, str]] = []  # (row, column, reason): reported row by row at the end
        plan = self._plan(rows, ctx, problems)
        order = {c.header: i for i, c in enumerate(self.columns)}
        for number, column, reason in sorted(problems, key=lambda p: (p[0], order[p[1]])):
            ctx.problem(self.name, number, column, reason)
        return plan

    def _plan(self, rows: list[Row], ctx: ImportContext, problems: list) -> FundingPlan:
        plan = FundingPlan(rows=rows)
        today = timezone.localdate()
        last_year = today.year + 1
        categories = {c.name: c for c in FundCategory.objects.all()}
        sources = {s.name: s for s in FundSource.objects.all()}
        cat_by_id = {c.pk: c for c in categories.values()}
        src_by_id = {s.pk: s for s in sources.values()}
        active_categories = _listing([c.name for c in categories.values() if c.active], "经费类别")
        active_sources = _listing([s.name for s in sources.values() if s.active], "资金来源")
        orgs, org_ids = self._organizations({r.values["org_code"] for r in rows}, ctx)

        def problem(number: int, column: str, reason: str) -> None:
            problems.append((number, column, reason))

        entries: list[Entry] = []
        for row in rows:
            v = row.values
            number, kind, code, year, day = row.number, v["kind"], v["org_code"], v["year"], v["day"]
            ok = True
            if not FIRST_YEAR <= year <= last_year:
                problem(number, "年度", f"年度应为 {FIRST_YEAR}—{last_year} 之间的年份")
                ok = False
            elif reason := check_in_year(day, year, DATE_LABELS[kind]):
                problem(number, "日期", reason.rstrip("。"))
                ok = False
            org = orgs.get(code)
            if org is None:
                problem(number, "组织代码", f"组织 {code} 不存在（本文件的“组织”表和系统中都没有）或不在您的管理范围内")
                ok = False
            elif not (org.may_change if kind == SPEND else org.may_manage):
                who = "（下达、拨付由管理该组织的上级登记）" if kind != SPEND else ""
                problem(number, "组织代码", f"您的角色无权为{org.name}登记{kind}{who}")
                ok = False
            category = categories.get(v["category"])
            if category is None:
                problem(number, "经费类别", f"经费类别“{v['category']}”不存在，应为：{active_categories}")
                ok = False
            source = None
            if v["source"]:
                source = sources.get(v["source"])
                if source is None:
                    problem(number, "资金来源", f"资金来源“{v['source']}”不存在，应为：{active_sources}")
                    ok = False
            elif kind != SPEND:
                problem(number, "资金来源", f"{kind}须填写资金来源，应为：{active_sources}")
                ok = False
            if kind == SPEND:
                if not v["note"]:
                    problem(number, "摘要", "支出须在摘要中填写用途")
                    ok = False
                if day > today:
                    problem(number, "日期", f"支出日期 {day} 晚于今天")
                    ok = False
            if ok:
                entries.append(
                    Entry(
                        number,
                        kind,
                        code,
                        year,
                        category.pk,
                        source.pk if source else None,
                        v["amount"],
                        day,
                        v["note"],
                        (code, year, category.pk),
                    )  # fmt: skip
                )

        ledgers = {e.ledger for e in entries if e.org in org_ids}
        state = plan.state = _read_ledgers(ledgers, org_ids)
        creating = self._match(entries, state, plan)

        # A record already there stays whatever became of its category or source since; a new one needs them active.
        checked = []
        for e in creating:
            ok = True
            if not cat_by_id[e.category].active:
                problem(
                    e.number, "经费类别", f"经费类别“{cat_by_id[e.category].name}”已停用，应为：{active_categories}"
                )
                ok = False
            if e.source is not None and not src_by_id[e.source].active:
                problem(e.number, "资金来源", f"资金来源“{src_by_id[e.source].name}”已停用，应为：{active_sources}")
                ok = False
            if ok:
                checked.append(e)
        self._check_rules(checked, state, plan, cat_by_id, src_by_id, problem)
        return plan

    @staticmethod
    def _organizations(codes: set[str], ctx: ImportContext) -> tuple[dict[str, OrgRef], dict[str, int]]:
        """What the actor may do where: {code: OrgRef} of the organizations the actor can see (others read as
        unknown, the same answer as for a code that does not exist), and {code: id} of those in the database."""
        actor = ctx.actor
        manage, change, view = (scope_paths(actor, a) for a in (Action.MANAGE, Action.CHANGE, Action.VIEW))

        def inside(paths, path: str) -> bool:
            return paths is ALL or any(path.startswith(p) for p in paths)

        refs: dict[str, OrgRef] = {}
        ids: dict[str, int] = {}
        qs = Organization.objects.order_by().values_list("code", "id", "path", "name")
        for code, pk, path, name in filter_in(qs, "code", codes):
            ids[code] = pk
            if inside(view, path):
                refs[code] = OrgRef(code, name, inside(manage, path), inside(change, path))
        for code, row in ctx.shared.get(ORGS_PLANNED_ROWS, {}).items():
            if code in codes and code not in ids:
                # A new organization of the file lies under a parent the 组织 sheet found in the importer's MANAGE
                # scope, and every role that may MANAGE may CHANGE.
                refs[code] = OrgRef(code, row["name"], True, True)
        return refs, ids

    @staticmethod
    def _match(entries: list[Entry], state: dict, plan: FundingPlan) -> list[Entry]:
        """The entries not yet recorded. Occurrences count: a key twice in the file and once in the database is one
        new record."""
        allocated, spent = Counter(), Counter()
        parts: dict[tuple, list[int]] = defaultdict(list)
        for rows in state.values():
            for _, source, day, fen, note in rows.allocations:
                allocated[(rows.org, rows.year, rows.category, source, day, fen, note)] += 1
            for _, source, day, fen, note in rows.disbursements:
                parts[(rows.org, rows.year, rows.category, source, day, note)].append(fen)
            for source, day, fen, purpose in rows.expenditures:
                spent[(rows.org, rows.year, rows.category, source, day, fen, purpose)] += 1
        creating = []
        disbursing: dict[tuple, list[Entry]] = defaultdict(list)
        for e in entries:
            if e.kind == DISBURSE:
                disbursing[(e.org, e.year, e.category, e.source, e.day, e.note)].append(e)
                continue
            counter = allocated if e.kind == ALLOCATE else spent
            key = (e.org, e.year, e.category, e.source, e.day, e.fen, e.note)
            if counter[key] > 0:
                counter[key] -= 1
                plan.unchanged += 1
            else:
                creating.append(e)
        for key, group in disbursing.items():
            pool = parts.get(key)
            if not pool:
                creating.extend(group)
                continue
            found = _match_sums([e.fen for e in group], pool)
            plan.unchanged += sum(found)
            creating.extend(e for e, matched in zip(group, found, strict=True) if not matched)
        return creating

    @staticmethod
    def _check_rules(entries: list[Entry], state: dict, plan: FundingPlan, cat_by_id, src_by_id, problem) -> None:
        """下达, then 拨付, then 支出, each in date order, against the database's sums and the file's earlier rows."""
        pots: dict[tuple, Pot] = defaultdict(Pot)

        def pot_label(e: Entry) -> str:
            return f"{e.year}年“{cat_by_id[e.category].name}”（{src_by_id[e.source].name}）"

        ledger_disbursed: Counter = Counter()
        ledger_spent: Counter = Counter()
        for rows in state.values():
            ledger = (rows.org, rows.year, rows.category)
            arrived = Counter()
            for allocation_id, _, _, fen, _ in rows.disbursements:
                arrived[allocation_id] += fen
            for pk, source, day, fen, _ in rows.allocations:
                pot = pots[(*ledger, source)]
                pot.allocations.append([day, pk, pk, fen, arrived[pk]])
                pot.allocated += fen
                pot.disbursed += arrived[pk]
            ledger_disbursed[ledger] += sum(arrived.values())
            ledger_spent[ledger] += sum(r[2] for r in rows.expenditures)

        by_kind: dict[str, list[Entry]] = {ALLOCATE: [], DISBURSE: [], SPEND: []}
        for e in sorted(entries, key=lambda e: (e.day, e.number)):
            by_kind[e.kind].append(e)

        for e in by_kind[ALLOCATE]:
            pot = pots[(*e.ledger, e.source)]
            ref = ("new", len(plan.allocations))
            pot.allocations.append([e.day, NEW_ORDER + len(plan.allocations), ref, e.fen, 0])
            pot.allocated += e.fen
            plan.allocations.append((e, default_deadline(cat_by_id[e.category], e.day)))
        for pot in pots.values():
            pot.allocations.sort(key=lambda a: (a[0], a[1]))

        for e in by_kind[DISBURSE]:
            pot = pots.get((*e.ledger, e.source))
            if pot is None or not pot.allocated:
                problem(e.number, "金额（元）", f"{pot_label(e)}没有下达记录（系统和本文件中都没有），不能拨付")
                continue
            room = pot.allocated - pot.disbursed
            if e.fen > room:
                label = pot_label(e)
                problem(
                    e.number,
                    "金额（元）",
                    f"{label}下达 {_yuan(pot.allocated)} 元，已拨付 {_yuan(pot.disbursed)} 元，还可拨付 {_yuan(room)} "
                    f"元；本次 {_yuan(e.fen)} 元超出下达金额",
                )
                continue
            parts, late, rest, i = [], None, e.fen, pot.cursor
            while rest:
                allocation = pot.allocations[i]
                free = allocation[3] - allocation[4]
                if free > 0:
                    take = min(free, rest)
                    parts.append((allocation, take))
                    rest -= take
                    if late is None and allocation[0] > e.day:
                        late = allocation
                i += 1
            if late is not None:
                earlier = "（更早下达的资金不够这笔拨付）" if late is not pot.allocations[0] else ""
                problem(
                    e.number,
                    "日期",
                    f"拨付日期 {e.day} 早于对应的下达日期 {late[0]}：按下达先后，这笔拨付应拨入 {late[0]} 下达的 "
                    f"{_yuan(late[3])} 元{earlier}",
                )
                continue
            for allocation, take in parts:
                allocation[4] += take
            pot.disbursed += e.fen
            while (
                pot.cursor < len(pot.allocations) and pot.allocations[pot.cursor][3] <= pot.allocations[pot.cursor][4]
            ):
                pot.cursor += 1
            ledger_disbursed[e.ledger] += e.fen
            plan.disbursements.append((e, [(allocation[2], take) for allocation, take in parts]))

        for e in by_kind[SPEND]:
            disbursed, spent = ledger_disbursed[e.ledger], ledger_spent[e.ledger] + e.fen
            if spent > disbursed:
                problem(
                    e.number,
                    "金额（元）",
                    f"{e.year}年“{cat_by_id[e.category].name}”到位 {_yuan(disbursed)} 元，支出将达 {_yuan(spent)} 元，"
                    f"超出 {_yuan(spent - disbursed)} 元：专款专用，支出不能超过该类别已到位的资金",
                )
                continue
            ledger_spent[e.ledger] = spent
            plan.expenditures.append(e)

    def counts(self, plan: FundingPlan) -> Counts:
        return Counts(created=plan.created, updated=0, unchanged=plan.unchanged)

    # --- writing ----------------------------------------------------------------------------------------------------

    def apply(self, plan: FundingPlan, ctx: ImportContext) -> Counts:
        if not plan.created:
            return self.counts(plan)
        # Lock every ledger written, in one stable order, then read its sums again: what the plan was checked against
        # may have changed since (a page write between the check and now). If it has, check the file again, under the
        # locks; should it fail now, the whole import is rolled back and its problems reported like any others.
        for _ in range(5):
            ledgers = plan.written_ledgers()
            org_ids = _org_ids({code for code, _, _ in ledgers})
            lock_ledgers({(org_ids[code], year, category) for code, year, category in ledgers})
            fresh = _read_ledgers(ledgers, org_ids)
            if all(fresh.get(ledger) == plan.state.get(ledger) for ledger in ledgers):
                break
            again = ImportContext(actor=ctx.actor, shared=ctx.shared)
            plan = self.plan(plan.rows, again)
            if again.problems:
                note = "（检查后、写入前账目已被他人修改，请核对后重新导入）"
                ctx.problems.extend(Problem(p.sheet, p.row, p.column, p.reason + note) for p in again.problems)
                transaction.set_rollback(True)
                return Counts()
            if not plan.created:
                return self.counts(plan)
        else:  # pragma: no cover - the ledgers changing under held locks five times over
            raise RuntimeError("ledgers kept changing under their locks")
        self._write(plan, ctx)
        return self.counts(plan)

    @staticmethod
    def _write(plan: FundingPlan, ctx: ImportContext) -> None:
        now = timezone.now()
        actor_id = ctx.actor.pk if getattr(ctx.actor, "pk", None) else None
        audit = AuditBatch(ctx.actor)
        codes = {e.org for e, _ in plan.allocations} | {e.org for e, _ in plan.disbursements}
        codes |= {e.org for e in plan.expenditures}
        orgs = {
            code: (pk, path)
            for code, pk, path in filter_in(
                Organization.objects.order_by().values_list("code", "id", "path"), "code", codes
            )
        }
        category_names = dict(FundCategory.objects.values_list("id", "name"))
        source_names = dict(FundSource.objects.values_list("id", "name"))

        allocation_ids = reserve_ids(Allocation, len(plan.allocations))
        allocation_rows = []
        for pk, (e, deadline) in zip(allocation_ids, plan.allocations, strict=True):
            org_id, path = orgs[e.org]
            amount = _yuan_text(e.fen)
            allocation_rows.append(
                (pk, org_id, e.year, e.category, e.source, e.fen, e.day, deadline, "", e.note, actor_id, now, now)
            )
            after = ALLOCATION_AFTER(
                org_id, e.year, e.category, e.source, amount, e.day.isoformat(), deadline.isoformat(), "", e.note
            )
            audit.add(
                action="create",
                object_type=ALLOCATION_TYPE,
                object_id=pk,
                object_repr=f"{e.year}年 {category_names[e.category]} {amount} 元（{source_names[e.source]}）",
                org_path=path,
                after=after,
                note=f"Excel 导入，第 {e.number} 行",
            )
        bulk_insert(Allocation, ALLOCATION_INSERT_FIELDS, allocation_rows)

        disbursement_ids = iter(reserve_ids(Disbursement, sum(len(parts) for _, parts in plan.disbursements)))
        disbursement_rows = []
        for e, parts in plan.disbursements:
            org_id, path = orgs[e.org]
            written = []
            for ref, fen in parts:
                allocation_id = allocation_ids[ref[1]] if type(ref) is tuple else ref
                pk = next(disbursement_ids)
                written.append((pk, allocation_id, fen))
                disbursement_rows.append(
                    (
                        pk,
                        allocation_id,
                        org_id,
                        e.year,
                        e.category,
                        e.source,
                        fen,
                        e.day,
                        "",
                        e.note,
                        actor_id,
                        now,
                        now,
                    )
                )
            amount = _yuan_text(e.fen)
            after = DISBURSEMENT_AFTER(
                written[0][1], org_id, e.year, e.category, e.source, amount, e.day.isoformat(), "", e.note
            )
            note = f"Excel 导入，第 {e.number} 行"
            if len(written) > 1:
                split = "；".join(f"#{pk} 拨入下达 #{a} {_yuan_text(fen)} 元" for pk, a, fen in written)
                note += f"，按下达先后拆分为 {len(written)} 笔：{split}"
            audit.add(
                action="create",
                object_type=DISBURSEMENT_TYPE,
                object_id=written[0][0],
                object_repr=f"{e.day} 拨付 {amount} 元",
                org_path=path,
                after=after,
                note=note,
            )
        bulk_insert(Disbursement, DISBURSEMENT_INSERT_FIELDS, disbursement_rows)

        expenditure_ids = reserve_ids(Expenditure, len(plan.expenditures))
        expenditure_rows = []
        for pk, e in zip(expenditure_ids, plan.expenditures, strict=True):
            org_id, path = orgs[e.org]
            amount = _yuan_text(e.fen)
            expenditure_rows.append(
                (pk, org_id, e.year, e.category, e.source, e.fen, e.day, e.note, "", "", actor_id, now, now)
            )
            after = EXPENDITURE_AFTER(org_id, e.year, e.category, e.source, amount, e.day.isoformat(), e.note, "", "")
            audit.add(
                action="create",
                object_type=EXPENDITURE_TYPE,
                object_id=pk,
                object_repr=f"{e.day} 支出 {amount} 元：{e.note}",
                org_path=path,
                after=after,
                note=f"Excel 导入，第 {e.number} 行",
            )
        bulk_insert(Expenditure, EXPENDITURE_INSERT_FIELDS, expenditure_rows)
        audit.save()


# --- helpers --------------------------------------------------------------------------------------------------------

_json_text = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str (ensure_ascii)


# How each field of the ledgers' snapshots is written: ids and years are integers, the source may be null, amounts and
# ISO dates are text with nothing to escape; the rest is text escaped as json.dumps escapes it.
_INTEGER_FIELDS = frozenset({"organization", "year", "category", "allocation"})
_NULLABLE_FIELDS = frozenset({"source"})
_PLAIN_TEXT_FIELDS = frozenset({"amount", "allocated_on", "deadline", "paid_on", "spent_on"})


def snapshot_writer(fields: tuple[str, ...]):
    """A function of the values of `fields` (as core.audit.snapshot gives them: ids, text amounts, ISO dates) to the
    audit snapshot as json.dumps would write it, ready for AuditBatch. json.dumps of a dict per row took 0.7 s of a
    100k-row import; this template takes less than half."""
    parts, text, nullable = [], [], []
    for i, name in enumerate(fields):
        key = _json_text(name)
        if name in _INTEGER_FIELDS:
            parts.append(f"{key}: %d")
        elif name in _PLAIN_TEXT_FIELDS:
            parts.append(f'{key}: "%s"')
        else:
            parts.append(f"{key}: %s")
            (nullable if name in _NULLABLE_FIELDS else text).append(i)
    template = "{" + ", ".join(parts) + "}"

    def write(*values) -> Prepared:
        values = list(values)
        for i in text:
            values[i] = _json_text(values[i])
        for i in nullable:
            if values[i] is None:
                values[i] = "null"
        return Prepared(template % tuple(values))

    return write


ALLOCATION_AFTER = snapshot_writer(ALLOCATION_FIELDS)
DISBURSEMENT_AFTER = snapshot_writer(DISBURSEMENT_FIELDS)
EXPENDITURE_AFTER = snapshot_writer(EXPENDITURE_FIELDS)


@dataclass
class LedgerRows:
    """The database's records of one ledger (organization × year × category) that the checks read, amounts in fen:
    allocations (id, source, date, fen, note), disbursements (allocation, source, date, fen, note) and expenditures
    (source, date, fen, purpose), each in id order. Equal values: nothing the checks read has changed."""

    org: str
    year: int
    category: int
    allocations: list[tuple] = field(default_factory=list)
    disbursements: list[tuple] = field(default_factory=list)
    expenditures: list[tuple] = field(default_factory=list)


def _read_ledgers(ledgers: set[tuple[str, int, int]], org_ids: dict[str, int]) -> dict[tuple, LedgerRows]:
    """{ledger: LedgerRows} of the ledgers whose organization is in the database: three queries per 5,000
    organizations, whatever the number of rows."""
    code_of = {org_ids[code]: code for code, _, _ in ledgers if code in org_ids}
    if not code_of:
        return {}
    years = sorted({year for _, year, _ in ledgers})
    categories = sorted({category for _, _, category in ledgers})
    result: dict[tuple, LedgerRows] = {}

    def rows_of(org_id, year, category) -> LedgerRows | None:
        ledger = (code_of[org_id], year, category)
        if ledger not in ledgers:
            return None
        found = result.get(ledger)
        if found is None:
            found = result[ledger] = LedgerRows(*ledger)
        return found

    def fetch(model, *columns):
        qs = model.objects.filter(year__in=years, category_id__in=categories).order_by("id")
        return filter_in(qs.values_list("organization_id", "year", "category_id", *columns), "organization_id", code_of)

    for org_id, year, category, pk, source, day, amount, note in fetch(
        Allocation, "id", "source_id", "allocated_on", "amount", "note"
    ):
        if (rows := rows_of(org_id, year, category)) is not None:
            rows.allocations.append((pk, source, day, _fen(amount), note))
    for org_id, year, category, allocation, source, day, amount, note in fetch(
        Disbursement, "allocation_id", "source_id", "paid_on", "amount", "note"
    ):
        if (rows := rows_of(org_id, year, category)) is not None:
            rows.disbursements.append((allocation, source, day, _fen(amount), note))
    for org_id, year, category, source, day, amount, purpose in fetch(
        Expenditure, "source_id", "spent_on", "amount", "purpose"
    ):
        if (rows := rows_of(org_id, year, category)) is not None:
            rows.expenditures.append((source, day, _fen(amount), purpose))
    return result


def lock_ledgers(keys: set[tuple[int, int, int]]) -> list[int]:
    """services.ledger.lock_ledger for many ledgers (organization id, year, category id) at once: their allocation
    rows locked (SELECT … FOR UPDATE) in (organization, year, category, id) order, the order in which a loop of
    lock_ledger over the sorted keys would take them, in one query per 1,000 organizations instead of one per ledger.
    Rows of other ledgers of those organizations may be locked with them (a chunk filters organizations, years and
    categories separately); the order stays the same, so no deadlock with the services or another import. Returns
    the locked ids in lock order."""
    by_org: dict[int, set] = defaultdict(set)
    for org_id, year, category in keys:
        by_org[org_id].add((year, category))
    orgs = sorted(by_org)
    locked: list[int] = []
    for i in range(0, len(orgs), LOCK_CHUNK):
        chunk = orgs[i : i + LOCK_CHUNK]
        years = {year for o in chunk for year, _ in by_org[o]}
        categories = {category for o in chunk for _, category in by_org[o]}
        qs = Allocation.objects.select_for_update().filter(
            organization_id__in=chunk, year__in=sorted(years), category_id__in=sorted(categories)
        )
        locked += qs.order_by("organization_id", "year", "category_id", "id").values_list("id", flat=True)
    return locked


def _org_ids(codes: set[str]) -> dict[str, int]:
    return dict(filter_in(Organization.objects.order_by().values_list("code", "id"), "code", codes))


def _match_sums(amounts: list[int], pool: list[int]) -> list[bool]:
    """Which of a key's file rows are already recorded, given the amounts of the key's recorded parts: a row
    matches one part of its amount, or else (a row split across allocations) parts that add up to it. Each part
    serves one row."""
    left = Counter(pool)
    found = [False] * len(amounts)
    for i, amount in enumerate(amounts):
        if left[amount] > 0:
            left[amount] -= 1
            found[i] = True
    rest = sorted(left.elements(), reverse=True)
    for i, amount in enumerate(amounts):
        if found[i] or not rest:
            continue
        chosen = _subset(rest, amount)
        if chosen is not None:
            for j in sorted(chosen, reverse=True):
                del rest[j]
            found[i] = True
    return found


def _subset(values: list[int], target: int) -> list[int] | None:
    """Indices of `values` (sorted high to low) adding up to `target`, or None; a bounded depth-first search."""
    steps = 0
    suffix = [0] * (len(values) + 1)
    for i in range(len(values) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + values[i]
    chosen: list[int] = []

    def search(start: int, rest: int) -> bool:
        nonlocal steps
        if rest == 0:
            return True
        if suffix[start] < rest:
            return False
        for i in range(start, len(values)):
            steps += 1
            if steps > MATCH_STEPS:
                return False
            if values[i] <= rest and (i == start or values[i] != values[i - 1]):
                chosen.append(i)
                if search(i + 1, rest - values[i]):
                    return True
                chosen.pop()
        return False

    return chosen if search(0, target) else None


def _fen(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _yuan(fen: int) -> str:
    """“1,234.50”, as the services' messages write amounts."""
    return yuan(Decimal(fen).scaleb(-2))


def _yuan_text(fen: int) -> str:
    """“1234.50”: str() of the Decimal the services' audit snapshots store."""
    return str(Decimal(fen).scaleb(-2))


def _listing(names: list[str], label: str) -> str:
    return "、".join(names) if names else f"（系统中还没有启用的{label}，请先在经费设置中添加）"


# --- The funding export ---------------------------------------------------------------------------------------------

FUNDING_HEADERS = [
    "年度",
    "组织代码",
    "组织名称",
    "经费类别",
    "下达金额",
    "到位金额",
    "支出金额",
    "到位率(%)",
    "使用率(%)",
]
ZERO = Decimal("0.00")


def funding_rows(actor, *, year: int, queryset=None, root: Organization | None = None) -> list[list]:
    """One row per organization × category with any record in `year` inside the actor's scope: sums exact to the
    fen, 到位率 = 到位 ÷ 下达 and 使用率 = 支出 ÷ 到位 rounded half-up to two decimals (None where the divisor is 0).
    Sorted by 组织代码, then categories in their configured order (排序, then id), the order of every funding page.
    Three grouped queries, whatever the number of records. `queryset` (organizations) or `root` (a subtree) narrows."""
    figures: dict[tuple[int, int], list[Decimal]] = {}
    for index, model in enumerate((Allocation, Disbursement, Expenditure)):
        qs = model.objects.restrict(actor, Action.VIEW).filter(year=year)
        if root is not None:
            qs = qs.filter(subtree_range_q("organization__path", root.path))
        if queryset is not None:
            qs = qs.filter(organization__in=queryset.values("pk"))
        for row in qs.values("organization_id", "category_id").annotate(total=Sum("amount")).order_by():
            sums = figures.setdefault((row["organization_id"], row["category_id"]), [ZERO, ZERO, ZERO])
            sums[index] = row["total"] or ZERO
    orgs = {
        pk: (code, name)
        for pk, code, name in filter_in(
            Organization.objects.order_by().values_list("id", "code", "name"), "id", {o for o, _ in figures}
        )
    }
    categories = {c.pk: c for c in FundCategory.objects.all()}

    def order(key):
        category = categories[key[1]]
        return (orgs[key[0]][0], category.order, category.pk)

    rows = []
    for key in sorted(figures, key=order):
        allocated, disbursed, spent = figures[key]
        code, name = orgs[key[0]]
        rows.append(
            [year, code, name, categories[key[1]].name, allocated, disbursed, spent, rate(disbursed, allocated),
             rate(spent, disbursed)]
        )  # fmt: skip
    return rows


def funding_export(actor, *, year=None, unmasked=False, queryset=None, root=None) -> ExportTable:
    """The funding export (`export_xlsx funding --year YYYY`, and the funding pages' download)."""
    if year is None:
        raise ValueError("导出 funding 须指定年度，如 --year 2025")
    year = int(year)
    rows = funding_rows(actor, year=year, queryset=queryset, root=root)
    return ExportTable("funding", FUNDING_HEADERS, rows, f"funding-{year}.xlsx")
