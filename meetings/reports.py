"""动态登记月报 (the monthly registration report) and 逐月通报 (the monthly bulletin): services and selectors.

- A month is the first day of a calendar month; meetings belong to it by `held_on`, their Asia/Shanghai date (a
  meeting at 00:10 on 1 April is April's, though it is still 31 March in UTC).
- The report has one row per branch (党支部, 党总支) and month: the meetings of each of the seven kinds (zeros
  included), their total, how many were back-filled (补录), the people expected and present over them (人次), and
  the branch's compliance cells *due* that month — those whose period ends with the month: the month itself, the
  quarter when the month ends one, the year in December — with how many of them are 达标. Cells come from
  meetings.compliance (the standards, exemptions and founding dates apply as there).
- Building a month replaces that month's rows of the branches built (running it twice = running it once) and writes
  one summary audit event about the job that ran it. The Celery beat job builds the previous month on the 1st.
- The bulletin ranks the children of an organization (the townships and working committees of a county) that hold
  branches: a child's rate is 达标 ÷ due over all its branches' cells due that month — not an average of branch
  rates —, competition ranking (1, 2, 2, 4), children with nothing due unranked at the end. Publishing freezes the
  ranking into MonthlyBulletin.rows; publishing the month again replaces it (audited as 重新发布). A month not
  published yet is shown as a live preview.
- Percentages are Decimal, rounded half up to two places (7 of 8 → 87.50); None (shown as —) where nothing is due.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from core.audit import audit_log, build_event
from core.bulk import Prepared, bulk_insert
from core.exceptions import NotInScope
from core.figures import percent
from core.models import Job
from core.queue import job_enqueue
from core.scope import ALL, Action, in_scope, scope_paths, subtree_range_q
from organizations.models import Organization

from .choices import MEETING_HOLDING_KINDS, MeetingKind
from .compliance import branch_rows, group_key_length, holding_branches, requirements, status_counts, year_counts
from .models import Meeting, MonthlyBulletin, MonthlyReport
from .periods import periods_ending_in

REPORT_JOB_KIND = "meetings_report"
KINDS = tuple(MeetingKind.values)  # the seven kinds in the order of the 会议 sheet


# --- months and percentages ----------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(today: dt.date) -> dt.date:
    """The month before the one `today` lies in (what the job on the 1st builds)."""
    return month_start(month_start(today) - dt.timedelta(days=1))


def parse_month(value) -> dt.date | None:
    """`YYYY-MM` (or `YYYY-MM-DD`, whose month is taken) → the month's first day; None for anything else."""
    text = str(value or "").strip()
    try:
        if len(text) == 7:
            return dt.date(int(text[:4]), int(text[5:7]), 1) if text[4] == "-" else None
        return month_start(dt.date.fromisoformat(text)) if len(text) == 10 else None
    except ValueError:
        return None


def month_text(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def month_label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def _check_month(month: dt.date, *, today: dt.date) -> None:
    if not isinstance(month, dt.date) or month.day != 1:
        raise ValidationError({"month": "月份应为某月的第一天。"})
    if month > month_start(today):
        raise ValidationError({"month": f"{month_label(month)}尚未到来，不能生成。"})


# --- the parts of a report row -------------------------------------------------------------------------------------


@dataclass
class MonthTotals:
    counts: dict
    meetings: int = 0
    backfilled: int = 0
    expected: int = 0
    present: int = 0


def month_totals(branches: QuerySet[Organization], month: dt.date) -> dict[int, MonthTotals]:
    """{branch id: the month's meetings by kind, back-filled, people expected and present}: one grouped query."""
    end = periods_ending_in(month.year, month.month)["month"].end
    qs = (
        Meeting.objects.filter(held_on__gte=month, held_on__lte=end, branch__in=branches.values("id"))
        .values_list("branch_id", "kind")
        .annotate(
            n=Count("id"),
            b=Count("id", filter=Q(backfilled=True)),
            e=Sum("expected_count"),
            p=Sum("present_count"),
        )
        .order_by()
    )
    result: dict[int, MonthTotals] = {}
    for branch_id, kind, n, backfilled, expected, present in qs:
        totals = result.get(branch_id)
        if totals is None:
            totals = result[branch_id] = MonthTotals(counts=dict.fromkeys(KINDS, 0))
        totals.counts[kind] = totals.counts.get(kind, 0) + n
        totals.meetings += n
        totals.backfilled += backfilled
        totals.expected += expected or 0
        totals.present += present or 0
    return result


def due_by_branch(
    branches: QuerySet[Organization], month: dt.date, *, today: dt.date, rows=None
) -> dict[int, tuple[int, int]]:
    """{branch id: (cells due in the month, of which 达标)} — the compliance cells whose period ends with the month.

    The standards' periods are narrowed to the ones ending in `month` before meetings.compliance counts the cells,
    so only the due cells are looked at; branches with nothing due are absent."""
    ending = periods_ending_in(month.year, month.month)
    reqs = []
    for req in requirements(month.year):
        period = ending.get(req.period_type)
        if period is not None:
            reqs.append(req._replace(periods=(period,)))
    if not reqs:
        return {}
    rows = branch_rows(branches) if rows is None else rows
    months = year_counts(branches, month.year, branch_ids=[r.id for r in rows]).months
    return {
        branch_id: (met + missed + running, met)
        for branch_id, met, missed, running in status_counts(rows, reqs, months, today)
        if met + missed + running
    }


# --- building the report -------------------------------------------------------------------------------------------


@dataclass
class ReportBuild:
    """What one build wrote (kept as the job's result)."""

    month: str
    branches: int
    replaced: int
    meetings: int
    backfilled: int
    due: int
    met: int

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def message(self) -> str:
        verb = "重新生成" if self.replaced else "已生成"
        return (
            f"{verb}{month_label(dt.date.fromisoformat(self.month + '-01'))}动态登记月报：{self.branches} 个支部，"
            f"会议 {self.meetings} 次（补录 {self.backfilled} 次），本月到期要求 {self.due} 项、达标 {self.met} 项"
        )


def may_build_reports(actor) -> bool:
    """The system and administrators (MANAGE somewhere: county and township admins) build reports for their
    subtree."""
    paths = scope_paths(actor, Action.MANAGE) if actor is not None else ALL
    return paths is ALL or bool(paths)


def _common_path(paths: list[str]) -> str:
    """The deepest organization above all `paths` (the audit event's place in the tree); '' for several roots."""
    if not paths:
        return ""
    prefix = os.path.commonprefix([min(paths), max(paths)])
    step = Organization.steplen
    return prefix[: len(prefix) // step * step]


REPORT_FIELDS = [
    "branch", "month", "counts", "meetings_total", "backfilled_total", "expected_total", "present_total",
    "due_total", "met_total", "built_at",
]  # fmt: skip


@transaction.atomic
def monthly_report_build(
    *, month: dt.date, actor=None, today: dt.date | None = None, job: Job | None = None
) -> ReportBuild:
    """Build the 动态登记月报 of `month` for every branch (actor None) or for the branches the actor manages.

    Set-based: one grouped query for the month's meetings, meetings.compliance for the cells due; the month's old
    rows of those branches are deleted and the new ones inserted together, so a rebuild leaves no duplicates. One
    summary audit event names the job (or the month, when no job row ran it)."""
    today = today or timezone.localdate()
    _check_month(month, today=today)
    if not may_build_reports(actor):
        raise PermissionDenied("只有管理员可以生成动态登记月报。")
    branches = holding_branches(actor=None)
    if actor is not None:
        branches = branches.restrict(actor, Action.MANAGE)
    rows = branch_rows(branches)
    totals = month_totals(branches, month)
    due = due_by_branch(branches, month, today=today, rows=rows)
    replaced, _ = MonthlyReport.objects.filter(month=month, branch__in=branches.values("id")).delete()
    now = timezone.now()
    empty = json.dumps(dict.fromkeys(KINDS, 0))
    result = ReportBuild(month_text(month), len(rows), replaced, 0, 0, 0, 0)

    def report_rows():
        for row in rows:
            t = totals.get(row.id)
            due_total, met_total = due.get(row.id, (0, 0))
            result.due += due_total
            result.met += met_total
            if t is None:
                yield (row.id, month, Prepared(empty), 0, 0, 0, 0, due_total, met_total, now)
                continue
            result.meetings += t.meetings
            result.backfilled += t.backfilled
            counts = Prepared(json.dumps(t.counts))
            yield (row.id, month, counts, t.meetings, t.backfilled, t.expected, t.present, due_total, met_total, now)

    bulk_insert(MonthlyReport, REPORT_FIELDS, report_rows())
    label = f"{month_label(month)}动态登记月报"
    target = ("core.job", str(job.pk), label) if job is not None else ("core.job", f"月报 {month_text(month)}", label)
    build_event(
        actor=actor,
        action="update" if replaced else "create",
        target=target,
        org_path=_common_path([r.path for r in rows]),
        after={
            "月份": result.month,
            "支部数": result.branches,
            "替换旧记录": result.replaced,
            "会议次数": result.meetings,
            "补录次数": result.backfilled,
            "到期要求": result.due,
            "到期达标": result.met,
        },
        note=result.message,
    ).save()
    return result


@transaction.atomic
def monthly_report_submit(*, actor, month: dt.date) -> Job:
    """Queue the build of `month` for the actor's subtree as a job (run after the commit); the page shows it."""
    from .tasks import monthly_report_run

    _check_month(month, today=timezone.localdate())
    paths = scope_paths(actor, Action.MANAGE)
    if not (paths is ALL or paths):
        raise PermissionDenied("只有管理员可以生成动态登记月报。")
    job = Job.objects.create(
        kind=REPORT_JOB_KIND,
        created_by=actor if getattr(actor, "pk", None) else None,
        org_path=paths[0] if paths and paths is not ALL else "",
        params={"month": month_text(month)},
        message="排队中",
    )
    job_enqueue(job, monthly_report_run, month=month_text(month), job_id=job.pk)
    return job


# --- reading the report --------------------------------------------------------------------------------------------


def monthly_report_list(*, actor, month: dt.date, organization: Organization | None = None) -> QuerySet[MonthlyReport]:
    """The month's rows of the branches the actor sees (within `organization`'s subtree when given), by code."""
    qs = MonthlyReport.objects.restrict(actor, Action.VIEW).filter(month=month)
    if organization is not None:
        qs = qs.filter(subtree_range_q("branch__path", organization.path))
    return qs.select_related("branch").order_by("branch__code")


@dataclass
class ReportTotals:
    branches: int = 0
    counts: dict | None = None
    meetings: int = 0
    backfilled: int = 0
    expected: int = 0
    present: int = 0
    due: int = 0
    met: int = 0

    @property
    def kind_counts(self) -> list[int]:
        return [(self.counts or {}).get(k, 0) for k in KINDS]

    @property
    def attendance_rate(self) -> Decimal | None:
        return percent(self.present, self.expected)

    @property
    def compliance_rate(self) -> Decimal | None:
        return percent(self.met, self.due)


def monthly_report_totals(reports: QuerySet[MonthlyReport]) -> ReportTotals:
    """The totals row over all of `reports` (not just one page): one query."""
    totals = ReportTotals(counts=dict.fromkeys(KINDS, 0))
    fields = ("counts", "meetings_total", "backfilled_total", "expected_total", "present_total", "due_total")
    for counts, meetings, backfilled, expected, present, due, met in reports.order_by().values_list(
        *fields, "met_total"
    ):
        totals.branches += 1
        for kind, n in (counts or {}).items():
            totals.counts[kind] = totals.counts.get(kind, 0) + n
        totals.meetings += meetings
        totals.backfilled += backfilled
        totals.expected += expected
        totals.present += present
        totals.due += due
        totals.met += met
    return totals


def report_row_values(report: MonthlyReport) -> dict:
    """What a page or a workbook shows of one row: kinds in sheet order, rates as percentages."""
    return {
        "kind_counts": [report.counts.get(k, 0) for k in KINDS],
        "attendance_rate": percent(report.present_total, report.expected_total),
        "compliance_rate": percent(report.met_total, report.due_total),
    }


# --- the bulletin --------------------------------------------------------------------------------------------------


def may_read_bulletin(actor, organization: Organization) -> bool:
    """Who reads the bulletin of `organization` (a county): whoever may view the county itself (the county's
    administrators, leaders and inspectors, the system), and the staff granted at one of its direct children (a
    township administrator of that county) — the bulletin is addressed to the townships, each sees where it stands
    among the others. Branch secretaries and staff of other counties do not (404)."""
    paths = scope_paths(actor, Action.VIEW)
    if paths is ALL:
        return True
    child_length = len(organization.path) + Organization.steplen
    return any(
        organization.path.startswith(p) or (len(p) == child_length and p.startswith(organization.path)) for p in paths
    )


def may_publish_bulletin(actor, organization: Organization) -> bool:
    """Only those who manage the county itself (MANAGE at it or above: the county administrators, the system)."""
    return in_scope(actor, Action.MANAGE, organization.path)


def bulletin_organization_get_for(actor, pk) -> Organization:
    """The organization whose children a bulletin ranks, if the actor may read it; NotInScope (404) otherwise —
    also for branches, which have no townships to rank."""
    org = Organization.objects.filter(pk=pk).exclude(kind__in=MEETING_HOLDING_KINDS).first()
    if org is None or not may_read_bulletin(actor, org):
        raise NotInScope()
    return org


def bulletin_rows(*, organization: Organization, month: dt.date, today: dt.date | None = None) -> list[dict]:
    """The ranking as it stands: one row per child of `organization` holding branches, ranked by 达标 ÷ due over
    all its branches' cells due in `month` (exact fractions, so 2/4 ties 1/2); nothing due → unranked, last.

    Computed for the whole county whoever asks (a township's staff see the other townships' figures, never their
    branches)."""
    from .compliance import rank_by_rate

    today = today or timezone.localdate()
    branches = holding_branches(actor=None, organization=organization)
    rows = branch_rows(branches)
    due = due_by_branch(branches, month, today=today, rows=rows)
    prefix = group_key_length(organization)
    groups: dict[str, dict] = {}
    for row in rows:
        if len(row.path) < prefix:
            continue  # the organization itself, when it is a branch-holding kind (not offered)
        group = groups.setdefault(row.path[:prefix], {"branches": 0, "due": 0, "met": 0})
        due_total, met_total = due.get(row.id, (0, 0))
        group["branches"] += 1
        group["due"] += due_total
        group["met"] += met_total
    orgs = {o.path: o for o in Organization.objects.filter(path__in=list(groups))}
    items = []
    for path, group in groups.items():
        org = orgs[path]
        items.append({"organization": org.pk, "code": org.code, "name": org.name, **group})
    items.sort(key=lambda i: i["code"])
    ranked = rank_by_rate(items, rate=lambda i: Fraction(i["met"], i["due"]) if i["due"] else None)
    result = []
    for rank, item in ranked:
        rate = percent(item["met"], item["due"])
        result.append({"rank": rank, **item, "rate": None if rate is None else str(rate)})
    return result


def bulletin_get(*, organization: Organization, month: dt.date) -> MonthlyBulletin | None:
    return MonthlyBulletin.objects.filter(organization=organization, month=month).select_related("published_by").first()


def _ranking_text(rows: list[dict]) -> str:
    return "；".join(
        f"{r['rank'] or '—'} {r['name']} {r['met']}/{r['due']} {r['rate'] + '%' if r['rate'] else '—'}" for r in rows
    )


@transaction.atomic
def bulletin_publish(*, actor, organization: Organization, month: dt.date, note: str = "") -> MonthlyBulletin:
    """Freeze the ranking of `month` into the county's bulletin. Publishing a month again replaces the ranking and
    the note (audited as 重新发布). Only those who manage the county publish, and only months that are over."""
    if not may_read_bulletin(actor, organization):
        raise NotInScope()
    if not may_publish_bulletin(actor, organization):
        raise PermissionDenied("只有县委组织部管理员可以发布逐月通报。")
    today = timezone.localdate()
    _check_month(month, today=today)
    if month == month_start(today):
        raise ValidationError({"month": f"{month_label(month)}尚未结束，只能预览，不能发布。"})
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": "通报说明不能超过 2000 字。"})
    rows = bulletin_rows(organization=organization, month=month, today=today)
    bulletin = MonthlyBulletin.objects.select_for_update().filter(organization=organization, month=month).first()
    published_by = actor if getattr(actor, "pk", None) else None
    after = {"month": month_text(month), "rows": _ranking_text(rows), "note": note}
    if bulletin is None:
        bulletin = MonthlyBulletin.objects.create(
            organization=organization, month=month, rows=rows, note=note, published_by=published_by
        )
        audit_log(actor=actor, action="create", obj=bulletin, org_path=organization.path, after=after, note="发布")
        return bulletin
    before = {"month": month_text(month), "rows": _ranking_text(bulletin.rows), "note": bulletin.note}
    bulletin.rows, bulletin.note = rows, note
    bulletin.published_by, bulletin.published_at = published_by, timezone.now()
    bulletin.save(update_fields=["rows", "note", "published_by", "published_at"])
    audit_log(
        actor=actor,
        action="update",
        obj=bulletin,
        org_path=organization.path,
        before=before,
        after=after,
        note="重新发布",
    )
    return bulletin
