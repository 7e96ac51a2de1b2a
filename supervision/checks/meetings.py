"""Meetings that do not add up: one person at two meetings in two places at once (同一时间两地参会), meetings entered
long after they were held (会议补录), and the required meetings a branch did not hold in a period that is over
(规定会议缺失)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterator

from django.utils import timezone

from meetings import compliance, rules
from meetings.choices import KIND_ORDER, AttendanceStatus, ComplianceStatus, PeriodType
from meetings.models import Attendance, Meeting
from members.models import Member

from ..choices import CheckKind
from ..services.findings import Fault
from .common import evidence, local_text, lookback_start, meeting_hours, meeting_label

SPACES = re.compile(r"\s+")
# Up to this many candidate meetings their attendance is read by id, in chunks; more, and the whole 出席 table is
# read once (cheaper than tens of IN queries).
BY_ID_MAX = 20000
CHUNK = 900
QUARTERS = "一二三四"


def normalized_place(place: str) -> str:
    """A place as compared: without any spaces (“村部 会议室” and “村部会议室” are one place)."""
    return SPACES.sub("", place or "")


def _hours_text(delta: dt.timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} 分钟"
    return f"{hours} 小时{f' {minutes} 分钟' if minutes else ''}"


# --- The same person at two meetings in two places ---------------------------------------------------------------


def _candidates(window: dt.timedelta) -> tuple[dict[int, tuple], set[int]]:
    """The meetings with a place ({id: (held_at, place, branch id)}) and those held less than `window` from another
    one at a different place (the only ones whose attendance can overlap)."""
    rows = Meeting.objects.exclude(place="").values_list("id", "held_at", "place", "branch_id").order_by()
    meetings = {}
    for pk, held_at, place, branch_id in rows:
        place = normalized_place(place)
        if place:
            meetings[pk] = (held_at, place, branch_id)
    # Two pointers over the meetings in time order, with the places of those less than `window` either side
    # counted: a meeting is a candidate when that window holds a meeting at another place.
    ordered = sorted(meetings.items(), key=lambda item: (item[1][0], item[0]))
    times = [held_at for _, (held_at, _, _) in ordered]
    places = [place for _, (_, place, _) in ordered]
    in_window: Counter[str] = Counter()
    lo = hi = 0  # the window is ordered[lo:hi]
    marked: set[int] = set()
    for pk, (held_at, place, _) in ordered:
        while hi < len(ordered) and times[hi] - held_at < window:
            in_window[places[hi]] += 1
            hi += 1
        while held_at - times[lo] >= window:
            in_window[places[lo]] -= 1
            lo += 1
        if hi - lo > in_window[place]:
            marked.add(pk)
    return meetings, marked


def _present(meeting_ids: set[int]) -> Iterator[tuple[int, int]]:
    """(member, meeting) of everyone recorded 出席 at one of `meeting_ids`."""
    present = Attendance.objects.filter(status=AttendanceStatus.PRESENT).order_by()
    if len(meeting_ids) > BY_ID_MAX:
        for member_id, meeting_id in present.values_list("member_id", "meeting_id").iterator(chunk_size=20000):
            if meeting_id in meeting_ids:
                yield member_id, meeting_id
        return
    ids = sorted(meeting_ids)
    for i in range(0, len(ids), CHUNK):
        yield from present.filter(meeting_id__in=ids[i : i + CHUNK]).values_list("member_id", "meeting_id")


def meeting_overlap(today: dt.date) -> Iterator[Fault]:
    """Members recorded 出席 at two meetings less than SUPERVISION_MEETING_HOURS apart at different places (both
    places given). One finding per pair of meetings, naming everyone at both, at the earlier meeting's branch: one
    rectification for the branch, however many names the two lists share."""
    window = dt.timedelta(hours=meeting_hours())
    meetings, marked = _candidates(window)
    if not marked:
        return
    attended: dict[int, list[int]] = defaultdict(list)
    for member_id, meeting_id in _present(marked):
        attended[member_id].append(meeting_id)
    found: dict[tuple[int, int], list[int]] = defaultdict(list)  # (first meeting, second meeting): members
    for member_id, ids in attended.items():
        if len(ids) < 2:
            continue
        ids.sort(key=lambda pk: (meetings[pk][0], pk))
        for i, first in enumerate(ids):
            first_at, first_place, _ = meetings[first]
            for second in ids[i + 1 :]:
                second_at, second_place, _ = meetings[second]
                if second_at - first_at >= window:
                    break
                if second_place != first_place:
                    found[first, second].append(member_id)
    if not found:
        return
    involved = {pk for pair in found for pk in pair}
    details = {m.pk: m for m in Meeting.objects.filter(pk__in=involved).select_related("branch").order_by()}
    people = {
        m.pk: m.person.name
        for m in Member.objects.filter(pk__in={pk for ids in found.values() for pk in ids})
        .select_related("person")
        .order_by()
    }

    def said(m):
        return f"{local_text(m.held_at)}在{m.place}召开的{m.branch.name}{m.kind}"

    for a, b in sorted(found, key=lambda pair: (details[pair[0]].held_at, pair)):
        first, second = details[a], details[b]
        members = sorted(found[a, b], key=lambda pk: (people[pk], pk))
        names = [people[pk] for pk in members]
        who = f"党员{'、'.join(names)}" if len(names) <= 3 else f"党员{'、'.join(names[:3])}等 {len(names)} 人"
        gap = _hours_text(second.held_at - first.held_at)
        yield Fault(
            organization_id=first.branch_id,
            check_kind=CheckKind.MEETING_OVERLAP,
            key=f"{CheckKind.MEETING_OVERLAP}:{a}:{b}",
            description=(
                f"{who}被登记出席{said(first)}，又被登记出席{said(second)}，两次会议相隔仅 {gap}、地点不同，"
                f"不可能同时参加，至少一份出席记录不实。"
            ),
            evidence=evidence(
                f"{len(names)} 名党员在相隔 {gap} 的两次会议上都登记为出席，两地分别是{first.place}和{second.place}",
                [
                    ("党员", "、".join(names)),
                    ("会议一", f"{first.branch.name} {first.kind}，{local_text(first.held_at)}，{first.place}"),
                    ("会议二", f"{second.branch.name} {second.kind}，{local_text(second.held_at)}，{second.place}"),
                    ("相隔", gap),
                ],
                refs=[
                    ("meeting", a, f"{first.branch.name} {meeting_label(first.held_on, first.kind)}"),
                    ("meeting", b, f"{second.branch.name} {meeting_label(second.held_on, second.kind)}"),
                    *(("member", pk, people[pk]) for pk in members),
                ],
            ),
        )


# --- Back-filled meetings --------------------------------------------------------------------------------------------


def backfilled(today: dt.date) -> Iterator[Fault]:
    """Meetings entered more than MEETING_BACKFILL_AFTER_DAYS after they were held (Meeting.backfilled), held within
    the lookback window: one finding per branch and month held, listing each meeting."""
    rows = (
        Meeting.objects.filter(backfilled=True, held_on__gte=lookback_start(today), held_on__lte=today)
        .select_related("branch")
        .order_by("branch_id", "held_at", "id")
    )
    by_month: dict[tuple[int, str], list[Meeting]] = defaultdict(list)
    for m in rows:
        by_month[(m.branch_id, f"{m.held_on:%Y-%m}")].append(m)
    for (branch_id, month), meetings in sorted(by_month.items(), key=lambda item: (item[0][1], item[0][0])):
        branch = meetings[0].branch
        lines = []
        for m in meetings:
            entered = timezone.localtime(m.created_at).date()
            late = (entered - m.held_on).days
            lines.append((m, entered, late))
        year, mon = month.split("-")
        listing = "、".join(
            f"{meeting_label(m.held_on, m.kind)}（{entered.isoformat()}登记，晚 {late} 天）"
            for m, entered, late in lines
        )
        yield Fault(
            organization_id=branch_id,
            check_kind=CheckKind.BACKFILLED,
            key=f"{CheckKind.BACKFILLED}:{branch_id}:{month}",
            description=(
                f"{branch.name}{year}年{int(mon)}月召开的 {len(lines)} 次会议在召开超过 {rules.BACKFILL_AFTER_DAYS} 天后才登记"
                f"（补录）：{listing}。会议记录未及时登记，存在事后补记的可能。"
            ),
            evidence=evidence(
                f"{branch.name}{year}年{int(mon)}月有 {len(lines)} 次会议补录，最晚的晚 {max(x[2] for x in lines)} 天登记",
                [
                    (
                        meeting_label(m.held_on, m.kind),
                        f"召开 {m.held_on.isoformat()}，登记 {entered.isoformat()}，晚 {late} 天",
                    )
                    for m, entered, late in lines
                ],
                refs=[("meeting", m.pk, f"{branch.name} {meeting_label(m.held_on, m.kind)}") for m, _, _ in lines]
                + [("organization", branch_id, branch.name)],
            ),
        )


# --- Required meetings missing -----------------------------------------------------------------------------------


def period_text(period) -> str:
    """“2026年3月”, “2026年第一季度”, “2025年度”."""
    if period.type == PeriodType.MONTH:
        return f"{period.start.year}年{period.start.month}月"
    if period.type == PeriodType.QUARTER:
        return f"{period.start.year}年第{QUARTERS[(period.start.month - 1) // 3]}季度"
    return f"{period.start.year}年度"


def meeting_missing(today: dt.date) -> Iterator[Fault]:
    """Periods over (within the lookback window) in which a branch held fewer meetings of a required kind than the
    standard asks (meetings.compliance: 未达标). One finding per branch and period, listing the kinds missed."""
    since = lookback_start(today)
    missed: dict[tuple[int, str], list] = defaultdict(list)
    for year in range(since.year, today.year + 1):
        for cell in compliance.compliance_cells(actor=None, year=year, today=today):
            if cell.status == ComplianceStatus.MISSED and cell.period.end >= since:
                missed[(cell.branch.id, cell.period.label)].append(cell)
    order = {PeriodType.MONTH: 0, PeriodType.QUARTER: 1, PeriodType.YEAR: 2}
    for (branch_id, label), cells in sorted(
        missed.items(),
        key=lambda item: (item[1][0].period.end, item[1][0].branch.code, order.get(item[1][0].period.type, 3)),
    ):
        cells.sort(key=lambda c: KIND_ORDER.get(c.kind, 99))
        branch, period = cells[0].branch, cells[0].period
        when = period_text(period)
        listing = "；".join(f"{c.kind}应召开 {c.required} 次，实际 {c.actual} 次" for c in cells)
        yield Fault(
            organization_id=branch_id,
            check_kind=CheckKind.MEETING_MISSING,
            key=f"{CheckKind.MEETING_MISSING}:{branch_id}:{label}",
            description=f"{branch.name}{when}（{period.start.isoformat()}至{period.end.isoformat()}）未按规定召开会议：{listing}。",
            evidence=evidence(
                f"{branch.name}{when}有 {len(cells)} 类规定会议未达标",
                [("周期", f"{when}（{period.start.isoformat()}至{period.end.isoformat()}）")]
                + [(c.kind, f"应召开 {c.required} 次，实际 {c.actual} 次") for c in cells],
                refs=[("organization", branch_id, branch.name)],
            ),
        )
