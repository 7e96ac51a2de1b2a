"""The ranking table's rows, rendered in Python.

A county's ranking shows a whole group on one page — the villages are ~1,000 rows — and Django's template engine
spent ~0.3 ms a row on this row's thirty lookups and its `{% url %}` (300 ms for the villages, three times the
page's budget). The same markup built here with html.escape costs a few microseconds a row. The rest of the page
stays in templates/assessments/rankings/ranking.html; the markup below is what a row there used to be.
"""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from .rankings import BLANK, Row

_PK = "00000"  # a placeholder pk, replaced in the reversed URL (one reverse for all the rows)


def _e(value) -> str:
    return escape(str(value), quote=True)


def _row(row: Row, detail: str, bottom_label: str) -> str:
    r = row.result
    css = ("ranking-bottom" if r.bottom else "") + ("" if row.ranked else " text-muted")
    rank = f'<span class="ranking-rank-no">{r.rank}</span>' if row.ranked else BLANK
    a = row.arrow
    arrow = (
        f'<span class="rank-arrow rank-{a["css"]}" title="{_e(a["title"])}">{a["symbol"]}{a["text"]}</span>'
        f'<span class="visually-hidden">（{_e(a["title"])}）</span>'
        if a["symbol"]
        else ""
    )
    grade = (
        f'<span class="grade-badge grade-{row.grade["css"]}">{row.grade["label"]}</span>'
        if row.ranked
        else '<span class="small">未评分</span>'
    )
    if r.bottom:
        bottom = f'<span class="ranking-bottom-mark" title="倒数第 {r.rank_asc} 名">{bottom_label}</span>'
    else:
        bottom = '<span class="text-muted">—</span>' if row.ranked else ""
    secretary = _e(r.secretary_name) if r.secretary_name else BLANK
    marks = "".join(
        f'<span class="ranking-mark ranking-mark-{m["css"]}" title="{_e(m["title"])}">{m["label"]}</span>'
        for m in row.marks
    )
    return (
        f'<tr class="{css}">'
        f'<td class="text-end ranking-rank" data-label="排名">{rank}</td>'
        f'<td class="ranking-arrow-cell" data-label="较上年">{arrow}</td>'
        f'<td class="ranking-org" data-label="组织"><a href="{detail.replace(_PK, str(r.pk))}">{_e(r.org_name)}</a> '
        f'<span class="small text-muted text-nowrap">{_e(r.org_code)}</span></td>'
        f'<td class="text-end ranking-total" data-label="得分">{row.total}</td>'
        f'<td data-label="等次">{grade}</td>'
        f'<td class="{"" if r.bottom else "ranking-no-bottom"}" data-label="{bottom_label}">{bottom}</td>'
        f'<td data-label="晋位升级"><span class="moved-{row.moved_up}">{row.moved_up}</span></td>'
        f'<td data-label="责任书记">{secretary}</td>'
        f'<td class="ranking-marks" data-label="说明">{marks}</td>'
        "</tr>"
    )


def rows_html(rows: list[Row], bottom_label: str) -> SafeString:
    """The <tr>s of the ranking table, of selectors.ranking's rows (the texts escaped here; labels and CSS names are
    the code's own)."""
    detail = reverse("assessments:result_detail", args=[_PK])
    label = _e(bottom_label)
    # every value from the database is escaped in _row
    return mark_safe("\n".join(_row(row, detail, label) for row in rows))
