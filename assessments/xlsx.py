"""The 考核得分 sheet (imported totals) and the rankings / penalties exports (layouts in formats.md).

考核得分: one organization's total for one year a row, in the group (考核类别) the organization is assessed in. The
row goes to the scheme of the organization's county, year and group, or to a default scheme (default thresholds, no
quota, no indicators) created for it where there is none. Rows are matched by (组织代码, 年度): the same total and
veto again is unchanged, another total or veto updates the result. Every check is made before anything is written,
against the database and the file's own 组织 sheet together (an organization created or regrouped by the same file
counts as it will be); the writes go through imported_total_set, audited like the scoring page's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.bulk import filter_in
from core.scope import ALL
from core.xlsx import cells
from core.xlsx.sheets import Column, Counts, ImportContext, Row, SheetImporter
from core.xlsx.writer import ExportTable
from organizations.choices import OrgKind
from organizations.models import Organization

from .choices import CONSEQUENCES, FIRST_YEAR, Grade, SchemeStatus, rule_label
from .models import Result, Scheme
from .selectors import penalty_list, result_list
from .services.schemes import LOCKED, default_scheme, parse_points, sync_results
from .services.scoring import imported_totals_set

ORGS_PLANNED_ROWS = "organizations.planned_rows"  # {code: parsed row} of the file's 组织 sheet (organizations.xlsx)
SHEET = "考核得分"
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
HUNDRED = Decimal(100)


# --- cells ----------------------------------------------------------------------------------------------------------


def _year_cell(value) -> int:
    text = cells.as_text(value)
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        raise cells.CellError(f"“{text}”不是年份，应为四位数字，如 2025")
    return int(text)


def _points_cell(value) -> Decimal:
    """The total, as parse_points reads points everywhere (0–100, at most two decimals); a number cell is read
    through its text, so -1 reads “-1” and 100.001 “100.001”."""
    try:
        return parse_points(cells.as_text(value), "得分", high=HUNDRED)
    except ValidationError as exc:
        raise cells.CellError(exc.messages[0].rstrip("。")) from None


def _veto_cell(value) -> bool:
    return bool(cells.boolean(value))


SCORE_COLUMNS = (
    Column("年度", "year", _year_cell, required=True, note="四位年份，如 2025"),
    Column(
        "考核类别",
        "group",
        cells.text(50),
        required=True,
        note="须与该组织的考核类别一致（组织信息或本文件“组织”表中的考核类别），如 村（社区）党组织",
    ),
    Column(
        "组织代码",
        "org_code",
        cells.code(32),
        required=True,
        note="组织须在系统中（或本文件的“组织”表中）且在您的管理范围内；同一组织每年一行",
    ),
    Column("组织名称", "org_name", cells.text(100), required=True, note="须与组织代码对应的组织名称一致，用于核对代码"),
    Column(
        "得分",
        "total",
        _points_cell,
        required=True,
        note="总分，0–100，最多两位小数；该年度该类别还没有考核方案时，按默认方案（好 ≥ 90、较好 ≥ 80、一般 ≥ 60）",
    ),
    Column("一票否决", "vetoed", _veto_cell, note="是 / 否，空白为否；是 则等次为差"),
)


# --- the plan -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    number: int
    code: str
    year: int
    group: str
    total: Decimal
    vetoed: bool
    status: str  # CREATED / UPDATED / UNCHANGED


@dataclass
class ScorePlan:
    entries: list[Entry] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)


@dataclass(frozen=True)
class OrgInfo:
    code: str
    pk: int | None  # None: created by this file's 组织 sheet
    path: str
    name: str
    group: str
    kind: str
    parent_code: str


class Counties:
    """The county of an organization by its path (assessments.selectors.county_of for many at once): the nearest
    县委 at or above it, else its tree's root. Two queries, whatever the number of organizations."""

    def __init__(self):
        qs = Organization.objects.order_by()
        self.by_path = {
            path: (pk, code)
            for pk, path, code in qs.filter(kind=OrgKind.COUNTY_COMMITTEE).values_list("id", "path", "code")
        }
        self.roots = {path: (pk, code) for pk, path, code in qs.filter(depth=1).values_list("id", "path", "code")}

    def of_path(self, path: str) -> tuple[int, str] | None:
        step = Organization.steplen
        for end in range(len(path), 0, -step):
            found = self.by_path.get(path[:end])
            if found is not None:
                return found
        return self.roots.get(path[:step])


class ScoreSheet(SheetImporter):
    """考核得分: one organization's total and veto for one year a row (module docstring)."""

    name = SHEET
    columns = SCORE_COLUMNS

    def plan(self, rows: list[Row], ctx: ImportContext) -> ScorePlan:
        problems: list[tuple[int, str, str]] = []
        plan = self._plan(rows, ctx, problems)
        order = {c.header: i for i, c in enumerate(self.columns)}
        for number, column, reason in sorted(problems, key=lambda p: (p[0], order[p[1]])):
            ctx.problem(self.name, number, column, reason)
        return plan

    def _plan(self, rows: list[Row], ctx: ImportContext, problems: list) -> ScorePlan:
        plan = ScorePlan()
        last_year = timezone.localdate().year + 1
        file_orgs = ctx.shared.get(ORGS_PLANNED_ROWS, {})
        orgs = self._organizations({r.values["org_code"] for r in rows}, file_orgs)
        counties = Counties()
        paths = ctx.manage_paths

        def county_of(code: str) -> tuple[int, str] | tuple[None, str] | None:
            """(id, code) of the county the organization will be in; id None for a county this file creates."""
            seen = set()
            while code not in seen:
                seen.add(code)
                info = orgs.get(code)
                if info is None:
                    return None
                if code in file_orgs:  # the file says where it goes (a move, or a new organization)
                    if info.kind == OrgKind.COUNTY_COMMITTEE or not info.parent_code:
                        return (info.pk, code)
                    code = info.parent_code
                    continue
                return counties.of_path(info.path)
            return None  # a cycle: the 组织 sheet reports it

        years = {r.values["year"] for r in rows}
        db_ids = {o.pk for o in orgs.values() if o.pk is not None}
        existing: dict[tuple[int, int], tuple] = {}
        for org_id, year, scheme_id, imported, vetoed in filter_in(
            Result.objects.filter(year__in=sorted(years))
            .order_by()
            .values_list("organization_id", "year", "scheme_id", "imported_total", "vetoed"),
            "organization_id",
            db_ids,
        ):
            existing[(org_id, year)] = (scheme_id, imported, vetoed)
        county_ids = {pk for pk, _ in counties.by_path.values()} | {pk for pk, _ in counties.roots.values()}
        schemes = {
            s.pk: s
            for s in Scheme.objects.filter(year__in=sorted(years), county_id__in=sorted(county_ids)).select_related(
                "county"
            )
        }
        other_ids = {scheme_id for scheme_id, _, _ in existing.values()} - set(schemes)
        schemes.update({s.pk: s for s in Scheme.objects.filter(pk__in=sorted(other_ids)).select_related("county")})
        scheme_of = {(s.county_id, s.year, s.group): s for s in schemes.values()}

        def problem(number: int, column: str, reason: str) -> None:
            problems.append((number, column, reason))

        first_row: dict[tuple[str, int], int] = {}
        for row in rows:
            v = row.values
            number, year, group, code = row.number, v["year"], v["group"], v["org_code"]
            if not FIRST_YEAR <= year <= last_year:
                problem(number, "年度", f"年度应为 {FIRST_YEAR}—{last_year} 之间的年份")
                continue
            org = orgs.get(code)
            if org is None:
                problem(number, "组织代码", f"组织 {code} 不存在（本文件的“组织”表和系统中都没有）")
                continue
            if org.pk is not None and not (paths is ALL or any(org.path.startswith(p) for p in paths)):
                problem(number, "组织代码", f"组织 {code} 不在您的管理范围内")
                continue
            seen = first_row.setdefault((code, year), number)
            if seen != number:
                problem(number, "组织代码", f"组织 {code} 的 {year} 年度得分已在第 {seen} 行，同一组织每年只能有一行")
                continue
            ok = True
            if v["org_name"] != org.name:
                problem(number, "组织名称", f"“{v['org_name']}”与组织 {code} 的名称“{org.name}”不一致，请核对组织代码")
                ok = False
            if group != org.group:
                if org.group:
                    reason = f"组织 {code}（{org.name}）的考核类别是“{org.group}”，不是“{group}”"
                else:
                    reason = f"组织 {code}（{org.name}）没有设置考核类别，不参加考核；请先在组织信息中设置考核类别"
                problem(number, "考核类别", reason)
                continue
            county = county_of(code)
            scheme = scheme_of.get((county[0], year, group)) if county and county[0] is not None else None
            found = existing.get((org.pk, year)) if org.pk is not None else None
            status = CREATED
            if found is not None:
                scheme_id, imported, vetoed = found
                if scheme is None or scheme_id != scheme.pk:
                    other = schemes[scheme_id]
                    where = "" if other.county_id == (county[0] if county else None) else f"{other.county.name}的"
                    problem(
                        number,
                        "考核类别",
                        f"组织 {code} 已在{where} {other.year} 年度“{other.group}”类别中考核，"
                        "同一年度不能在两个考核类别中考核",
                    )
                    continue
                if imported == v["total"] and vetoed == v["vetoed"]:
                    status = UNCHANGED
                elif imported is not None:
                    status = UPDATED
            if scheme is not None and scheme.status == SchemeStatus.PUBLISHED and status != UNCHANGED:
                problem(number, "考核类别", LOCKED.format(scheme=scheme).rstrip("。"))
                continue
            if ok:
                plan.entries.append(Entry(number, code, year, group, v["total"], v["vetoed"], status))
        return plan

    @staticmethod
    def _organizations(codes: set[str], file_orgs: dict) -> dict[str, OrgInfo]:
        """{code: OrgInfo} of the codes, and of the parents up through the file's 组织 sheet to the database: an
        organization of the file as the file will leave it (name, group, parent), others as the database has them."""
        wanted = set(codes)
        parents = {row.get("parent_code") for row in file_orgs.values()} - {None, ""}
        wanted |= parents
        out: dict[str, OrgInfo] = {}
        qs = Organization.objects.order_by().values_list("code", "id", "path", "name", "assessment_group", "kind")
        for code, pk, path, name, group, kind in filter_in(qs, "code", wanted):
            out[code] = OrgInfo(code, pk, path, name, group or "", kind, "")
        for code, row in file_orgs.items():
            was = out.get(code)
            out[code] = OrgInfo(
                code,
                was.pk if was else None,
                was.path if was else "",
                row["name"],
                row.get("assessment_group") or "",
                row["kind"],
                row.get("parent_code") or "",
            )
        return out

    def counts(self, plan: ScorePlan) -> Counts:
        return Counts(created=plan.count(CREATED), updated=plan.count(UPDATED), unchanged=plan.count(UNCHANGED))

    # --- writing ----------------------------------------------------------------------------------------------------

    def apply(self, plan: ScorePlan, ctx: ImportContext) -> Counts:
        writes = [e for e in plan.entries if e.status != UNCHANGED]
        if not writes:
            return self.counts(plan)
        orgs = {
            code: (pk, path)
            for code, pk, path in filter_in(
                Organization.objects.order_by().values_list("code", "id", "path"), "code", {e.code for e in writes}
            )
        }
        counties = Counties()  # again: the file's 组织 sheet may have made counties or moved organizations
        county_objects = {
            c.pk: c
            for c in Organization.objects.filter(pk__in=sorted({counties.of_path(p)[0] for _, p in orgs.values()}))
        }
        schemes: dict[tuple[int, int, str], Scheme] = {}

        def scheme_for(county_id: int, year: int, group: str) -> Scheme:
            key = (county_id, year, group)
            if key not in schemes:
                found = Scheme.objects.select_related("county").filter(county_id=county_id, year=year, group=group)
                scheme = found.first() or default_scheme(county=county_objects[county_id], year=year, group=group)
                scheme.county = county_objects[county_id]
                schemes[key] = scheme
            return schemes[key]

        targets = []
        for e in writes:
            org_id, path = orgs[e.code]
            targets.append((e, org_id, scheme_for(counties.of_path(path)[0], e.year, e.group)))
        results = self._results({(org_id, e.year) for e, org_id, _ in targets})
        missing = {scheme.pk: scheme for e, org_id, scheme in targets if (org_id, e.year) not in results}
        if missing:
            for scheme in missing.values():
                sync_results(scheme)
            results = self._results({(org_id, e.year) for e, org_id, _ in targets})
        now = timezone.now()
        changes, first_of_scheme = [], {}
        for e, org_id, scheme in targets:
            result = results.get((org_id, e.year))
            if result is None:  # an organization the group's sync did not bring in
                result = Result.objects.create(scheme=scheme, organization_id=org_id, year=e.year, updated_at=now)
            if result.scheme_id != scheme.pk:  # assessed elsewhere meanwhile (after the checks)
                other = Scheme.objects.get(pk=result.scheme_id)
                reason = (
                    f"组织 {e.code} 已在 {other.year} 年度“{other.group}”类别中考核，同一年度不能在两个考核类别中考核"
                )
                return self._refused(ctx, e, "考核类别", reason)
            changes.append((result.pk, e.total, e.vetoed))
            first_of_scheme.setdefault(scheme.pk, e)
        try:
            imported_totals_set(actor=ctx.actor, changes=changes)
        except ValidationError as exc:  # a scheme published meanwhile: the first of its rows says so
            published = Scheme.objects.filter(pk__in=list(first_of_scheme), status=SchemeStatus.PUBLISHED).first()
            e = first_of_scheme[published.pk] if published else next(iter(first_of_scheme.values()))
            return self._refused(ctx, e, "考核类别", exc.messages[0].rstrip("。"))
        return self.counts(plan)

    @staticmethod
    def _results(keys: set[tuple[int, int]]) -> dict[tuple[int, int], Result]:
        years = sorted({year for _, year in keys})
        qs = Result.objects.filter(year__in=years).order_by()
        return {
            (r.organization_id, r.year): r
            for r in filter_in(qs, "organization_id", {org_id for org_id, _ in keys})
            if (r.organization_id, r.year) in keys
        }

    def _refused(self, ctx: ImportContext, e: Entry, column: str, reason: str) -> Counts:
        """A check that held when planning failed while writing: the whole import is rolled back and says why."""
        ctx.problem(self.name, e.number, column, reason + "（检查后、写入前数据已被他人修改，请核对后重新导入）")
        transaction.set_rollback(True)
        return Counts()


# --- exports --------------------------------------------------------------------------------------------------------

RANKING_HEADERS = ["年度", "考核类别", "组织代码", "组织名称", "得分", "排名", "等次", "后三名", "晋位升级", "责任书记"]
PENALTY_HEADERS = ["年度", "姓名", "身份证号", "规则", "后果", "依据"]
GRADE_LABELS = {g.value: g.label for g in Grade}
MOVED_UP = {True: "是", False: "否", None: "无"}


def _year(kind: str, year) -> int:
    if year is None or str(year).strip() == "":
        raise ValueError(f"导出 {kind} 须指定年度，如 --year 2025")
    try:
        return int(year)
    except (TypeError, ValueError):
        raise ValueError(f"年度“{year}”不正确，应为四位年份，如 2025") from None


def ranking_rows(actor, *, year: int, queryset=None) -> list[list]:
    """The rankings export's rows: the results of `year` the actor may read (leaders: published only), sorted by
    考核类别, then 排名 (unranked last, with blank 排名 and 等次), then 组织代码."""
    qs = result_list(actor=actor).filter(year=year)
    if queryset is not None:
        qs = qs.filter(pk__in=queryset.values("pk"))
    values = qs.order_by().values_list(
        "year", "scheme__group", "organization__code", "organization__name", "total", "rank", "grade", "bottom",
        "moved_up", "secretary__name",
    )  # fmt: skip
    rows = []
    for y, group, code, name, total, rank, grade, bottom, moved_up, secretary in values:
        ranked = rank is not None
        rows.append(
            [
                y,
                group,
                code,
                name,
                total,
                rank,
                GRADE_LABELS.get(grade) if ranked else None,
                "是" if bottom and ranked else "否",
                MOVED_UP[moved_up if ranked else None],
                secretary or None,
            ]
        )
    rows.sort(key=lambda r: (r[1], r[5] is None, r[5] or 0, r[2]))
    return rows


def rankings_export(actor, *, year=None, unmasked=False, queryset=None) -> ExportTable:
    """`export_xlsx rankings --year YYYY`, and the ranking page's download (`queryset`: its filtered results)."""
    year = _year("rankings", year)
    return ExportTable(
        "rankings", RANKING_HEADERS, ranking_rows(actor, year=year, queryset=queryset), f"rankings-{year}.xlsx"
    )


def evidence_text(evidence: list[dict]) -> str:
    """“2023年 非公企业08党支部（两新组织）第8名/共8个 差 55.00分；2024年 …”, oldest year first."""
    parts = []
    for e in sorted(evidence, key=lambda e: (e["year"], e.get("code") or "")):
        grade = GRADE_LABELS.get(e.get("grade"), "")
        total = f" {e['total']}分" if e.get("total") is not None else ""
        place = f"第{e['rank']}名/共{e['group_size']}个" if e.get("rank") is not None else "未排名"
        parts.append(f"{e['year']}年 {e['name']}（{e['group']}）{place} {grade}{total}".replace("  ", " ").strip())
    return "；".join(parts)


def penalty_rows(actor, *, year: int, queryset=None) -> list[list]:
    """The penalties export's rows: the penalties of assessment year `year` the actor may read, sorted by 姓名, then
    the person (two people of one name stay apart), then 规则 1, 2, 3. 身份证号 always masked (formats.md)."""
    qs = penalty_list(actor=actor).filter(year=year)
    if queryset is not None:
        qs = qs.filter(pk__in=queryset.values("pk"))
    values = qs.order_by().values_list(
        "year", "person__name", "person__id_number_masked", "person_id", "rule", "years", "evidence"
    )
    ordered = sorted(values, key=lambda v: (v[1], v[2], v[3], v[4]))
    return [
        [y, name, masked, rule_label(rule, years), CONSEQUENCES[rule], evidence_text(evidence or [])]
        for y, name, masked, _, rule, years, evidence in ordered
    ]


def penalties_export(actor, *, year=None, unmasked=False, queryset=None) -> ExportTable:
    """`export_xlsx penalties --year YYYY`, and the penalties page's download. The layout has 身份证号 masked (the
    consequences go to personnel departments, who match people by name and post); an unmasked export of this kind
    is refused by export_write (core.xlsx.registry.UNMASKABLE_KINDS)."""
    year = _year("penalties", year)
    return ExportTable(
        "penalties", PENALTY_HEADERS, penalty_rows(actor, year=year, queryset=queryset), f"penalties-{year}.xlsx"
    )
