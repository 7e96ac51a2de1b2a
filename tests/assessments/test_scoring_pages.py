"""The scoring sheet: who sees which rows and inputs, a cell saved by htmx answering its own cell and the row's new
totals (hand-worked), the 扣分说明 and range refusals (the Chinese message beside the cell, what was typed kept,
nothing saved), the duty-report appraisal votes weighted into the total, evidence files served through the scope,
the filters, and a published scheme that refuses every edit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.choices import SchemeStatus
from assessments.models import AppraisalTally, IndicatorScore, Result, ScoreEvidence
from assessments.services.schemes import indicator_add, scheme_create, scheme_update
from assessments.services.scoring import score_set
from assessments.services.workflow import scheme_publish, year_compute
from core.models import AuditEvent
from tests.conftest import client_for, text

pytestmark = pytest.mark.django_db

VILLAGES = "村（社区）党组织"
HX = {"HX-Request": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def sheet(county):
    """2026, the four villages, 组织建设 (60, manual) and 作用发挥 (40, manual)."""
    scheme = scheme_create(actor=None, county=county.root, year=2026, group=VILLAGES)
    first = indicator_add(actor=None, scheme=scheme, name="组织建设", max_points="60")
    second = indicator_add(actor=None, scheme=scheme, name="作用发挥", max_points="40")
    results = {r.organization.code: r for r in scheme.results.select_related("organization")}
    return scheme, first, second, results


def sheet_url(scheme, query=""):
    return reverse("assessments:scoring", args=[scheme.pk]) + query


def save_url(scheme):
    return reverse("assessments:score_save", args=[scheme.pk])


def post_score(c, scheme, result, indicator, score, note="", **extra):
    data = {"result": result.pk, "indicator": indicator.pk, "score": score, "note": note, **extra}
    return c.post(save_url(scheme), data, headers=HX)


def scores_state():
    return (
        list(IndicatorScore.objects.order_by("pk").values_list("pk", "result_id", "indicator_id", "score", "note")),
        list(AppraisalTally.objects.order_by("pk").values_list("pk", "good", "fair", "average", "poor")),
        list(Result.objects.order_by("pk").values_list("pk", "indicator_total", "appraisal_score", "total")),
        ScoreEvidence.objects.count(),
        AuditEvent.objects.count(),
    )


def cell_of(page: str, result, indicator) -> str:
    start = page.index(f'id="cell-{result.pk}-{indicator.pk}"')
    return page[start : page.index("</td>", start)]


def total_of(page: str, result) -> str:
    start = page.index(f'id="total-{result.pk}"')
    return page[start : page.index("</td>", start)]


# ---- who sees what -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["county_admin", "inspector"])
def test_staff_and_inspectors_get_an_input_per_manual_cell(who, request, county, sheet):
    scheme, first, second, results = sheet
    page = text(client_for(request.getfixturevalue(who)).get(sheet_url(scheme)))
    assert "满分 60.00" in page and "满分 40.00" in page
    for result in results.values():
        for indicator in (first, second):
            assert 'name="score"' in cell_of(page, result, indicator)
    assert '您负责评分的组织 4 个：总分齐全 <strong class="text-body">0</strong> 个' in page


def test_a_township_admin_scores_its_own_villages_only(county, sheet, sibling_admin):
    scheme, first, _, results = sheet
    c = client_for(sibling_admin)  # 石门镇: 北山村 C02001, 南河村 C02002
    page = text(c.get(sheet_url(scheme)))
    assert "北山村党支部" in page and "南河村党支部" in page
    assert "东街村党支部" not in page and "西街村党支部" not in page
    before = scores_state()
    assert post_score(c, scheme, results["C01001"], first, "60").status_code == 404
    assert scores_state() == before


def test_a_leader_reads_published_scores_only_and_cannot_write(county, leader, sheet):
    scheme, first, second, results = sheet
    c = client_for(leader)
    page = text(c.get(sheet_url(scheme)))
    assert "只读" in page and "方案发布后可查看得分。" in page and "东街村党支部" not in page
    before = scores_state()
    assert post_score(c, scheme, results["C01001"], first, "60").status_code == 404
    data = {"result": results["C01001"].pk, "side": "upper", "good": "3"}
    assert c.post(reverse("assessments:appraisal_save", args=[scheme.pk]), data, headers=HX).status_code == 404
    assert scores_state() == before
    for result in results.values():
        score_set(actor=None, result=result, indicator=first, score="60")
        score_set(actor=None, result=result, indicator=second, score="36", note="党员作用发挥不明显")
    year_compute(year=2026, county=county.root)
    scheme_publish(actor=None, scheme=scheme)
    page = text(c.get(sheet_url(scheme)))
    assert "东街村党支部" in page and 'name="score"' not in page and "<form class=" not in page
    assert "党员作用发挥不明显" in cell_of(page, results["C01001"], second)
    assert '<strong class="sheet-num">96.00</strong>' in total_of(page, results["C01001"])


# ---- saving cells ------------------------------------------------------------------------------------------------


def test_scoring_a_cell_answers_the_cell_and_the_rows_new_total(county, inspector, sheet):
    scheme, first, second, results = sheet
    a1 = results["C01001"]
    c = client_for(inspector)
    response = post_score(c, scheme, a1, first, "55", "三会一课记录不全")
    assert response.status_code == 200
    part = text(response)
    assert part.startswith(f'\n<td id="cell-{a1.pk}-{first.pk}"') or f'<td id="cell-{a1.pk}-{first.pk}"' in part[:300]
    assert 'value="55"' in part and "已保存" in part
    # one indicator still empty: no total yet
    assert f'<td id="total-{a1.pk}" class="text-end sheet-total" data-saved="" hx-swap-oob="true">' in part
    assert "未完成" in total_of(part, a1)
    part = text(post_score(c, scheme, a1, second, "38", "作用发挥不够"))
    # 55 + 38 = 93.00, re-read from the database after refresh_totals
    assert 'data-saved="9300" hx-swap-oob="true"' in part and "93.00" in total_of(part, a1)
    a1.refresh_from_db()
    assert (a1.indicator_total, a1.total) == (Decimal("93.00"), Decimal("93.00"))
    row = IndicatorScore.objects.get(result=a1, indicator=first)
    assert (row.score, row.note, row.entered_by) == (Decimal("55.00"), "三会一课记录不全", inspector)
    # the page shows it back
    page = text(c.get(sheet_url(scheme)))
    assert 'value="55"' in cell_of(page, a1, first) and 'value="三会一课记录不全"' in cell_of(page, a1, first)
    assert "93.00" in total_of(page, a1)
    # full points need no note; clearing a cell removes the score and the total
    part = text(post_score(c, scheme, a1, second, "40"))
    assert "95.00" in total_of(part, a1)
    part = text(post_score(c, scheme, a1, second, ""))
    assert not IndicatorScore.objects.filter(result=a1, indicator=second).exists()
    assert "未完成" in total_of(part, a1)


def test_a_deduction_without_a_note_is_refused_beside_the_cell(county, inspector, sheet):
    scheme, first, _, results = sheet
    c = client_for(inspector)
    before = scores_state()
    part = text(post_score(c, scheme, results["C01001"], first, "55"))
    assert '<div class="score-error" role="alert">“组织建设”扣了 5.00 分，请填写扣分说明。</div>' in part
    assert 'value="55"' in part and "has-error" in part and "已保存" not in part
    assert 'class="score-note"' in part  # the note field is open
    assert scores_state() == before


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("61", "“组织建设”得分 61 超出范围，应在 0 到 60.00 之间。"),
        ("-1", "“组织建设”得分 -1 超出范围，应在 0 到 60.00 之间。"),
        ("55.555", "“组织建设”得分 55.555 超过两位小数。"),
        ("五十", "“组织建设”得分“五十”不是数字。"),
    ],
)
def test_points_outside_the_indicator_are_refused(typed, message, county, inspector, sheet):
    scheme, first, _, results = sheet
    before = scores_state()
    part = text(post_score(client_for(inspector), scheme, results["C01001"], first, typed, "说明"))
    assert message in part and f'value="{typed}"' in part and 'value="说明"' in part
    assert scores_state() == before


def test_appraisal_votes_are_weighted_into_the_total(county, county_admin, sheet):
    scheme, first, second, results = sheet
    scheme_update(actor=None, scheme=scheme, appraisal_weight="30", upper_weight="60", lower_weight="40")
    a1 = results["C01001"]
    c = client_for(county_admin)
    page = text(c.get(sheet_url(scheme)))
    assert "上级评议" in page and "占 60%" in page and "占 70%" in page and f'id="votes-{a1.pk}-upper"' in page
    post_score(c, scheme, a1, first, "55", "记录不全")
    part = text(post_score(c, scheme, a1, second, "38", "作用一般"))
    assert "未完成" in total_of(part, a1)  # 93 of indicators, no votes yet
    appraisal = reverse("assessments:appraisal_save", args=[scheme.pk])
    # upper: (7×100 + 2×80 + 1×60) ÷ 10 = 92.00
    part = text(
        c.post(appraisal, {"result": a1.pk, "side": "upper", "good": "7", "fair": "2", "average": "1"}, headers=HX)
    )
    assert f'id="votes-{a1.pk}-upper"' in part and 'value="7"' in part
    # only one side has votes: the appraisal is that side's 92.00; total = 93 × 70% + 92 × 30% = 92.70
    assert "92.00" in part and "92.70" in total_of(part, a1)
    # lower: (4×100 + 4×80 + 2×60 + 1×0) ÷ 11 = 840 ÷ 11 = 76.3636… → 76.36
    data = {"result": a1.pk, "side": "lower", "good": "4", "fair": "4", "average": "2", "poor": "1"}
    part = text(c.post(appraisal, data, headers=HX))
    # appraisal = 92.00 × 60% + 76.36 × 40% = 55.20 + 30.544 = 85.744 → 85.74
    # total = 93.00 × 70% + 85.74 × 30% = 65.10 + 25.722 = 90.822 → 90.82
    a1.refresh_from_db()
    assert (a1.indicator_total, a1.appraisal_score, a1.total) == (
        Decimal("93.00"), Decimal("85.74"), Decimal("90.82"),
    )  # fmt: skip
    assert f'<td id="appr-{a1.pk}" class="text-end sheet-num sheet-sub" hx-swap-oob="true">85.74</td>' in part
    assert "90.82" in total_of(part, a1)
    before = scores_state()
    part = text(c.post(appraisal, {"result": a1.pk, "side": "lower", "good": "-3"}, headers=HX))
    assert "“好”票数应在 0 到 100000 之间。" in part and 'value="-3"' in part
    assert scores_state() == before


def test_a_published_scheme_refuses_score_edits(county, county_admin, sheet):
    scheme, first, second, results = sheet
    for result in results.values():
        score_set(actor=None, result=result, indicator=first, score="60")
        score_set(actor=None, result=result, indicator=second, score="40")
    year_compute(year=2026, county=county.root)
    scheme_publish(actor=None, scheme=scheme)
    c = client_for(county_admin)
    page = text(c.get(sheet_url(scheme)))
    assert "本方案已发布，得分已锁定，不能修改。" in page and 'name="score"' not in page
    before = scores_state()
    part = text(post_score(c, scheme, results["C01001"], first, "50", "改分"))
    assert "已发布，结果已锁定；如需修改，请先撤回发布（需填写原因）。" in part
    appraisal = reverse("assessments:appraisal_save", args=[scheme.pk])
    part = text(c.post(appraisal, {"result": results["C01001"].pk, "side": "upper", "good": "1"}, headers=HX))
    assert "已发布，结果已锁定" in part
    assert scores_state() == before
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.PUBLISHED


def test_computed_indicators_are_read_only_with_their_basis(county, county_admin, sheet):
    scheme, first, second, results = sheet
    computed = indicator_add(
        actor=None, scheme=scheme, name="问题整改", max_points="10", method="computed", source="findings_open"
    )
    IndicatorScore.objects.create(
        result=results["C01001"],
        indicator=computed,
        score=Decimal("8"),
        basis="当年问题 1 个，未整改 1 个，其中逾期 0 个，扣 2 分",
    )
    c = client_for(county_admin)
    page = text(c.get(sheet_url(scheme)))
    cell = cell_of(page, results["C01001"], computed)
    assert "8.00" in cell and "当年问题 1 个，未整改 1 个，其中逾期 0 个，扣 2 分" in cell and "<input" not in cell
    assert "待计算" in cell_of(page, results["C01002"], computed)
    before = scores_state()
    part = text(post_score(c, scheme, results["C01001"], computed, "10"))
    assert "“问题整改”由系统计算，不能手工评分。" in part
    assert scores_state() == before


def test_filters_township_and_incomplete(county, county_admin, sheet):
    scheme, first, second, results = sheet
    for code in ("C01001", "C02001"):
        score_set(actor=None, result=results[code], indicator=first, score="60")
        score_set(actor=None, result=results[code], indicator=second, score="40")
    c = client_for(county_admin)
    page = text(c.get(sheet_url(scheme)))
    assert f'<option value="{county.township_a.pk}">城关镇党委</option>' in page
    names = ("东街村党支部", "西街村党支部", "北山村党支部", "南河村党支部")
    shown = lambda p: [n for n in names if f'<div class="sheet-org-name">{n}</div>' in p]  # noqa: E731
    assert shown(page) == list(names)
    assert shown(text(c.get(sheet_url(scheme, f"?township={county.township_a.pk}")))) == [
        "东街村党支部",
        "西街村党支部",
    ]
    assert shown(text(c.get(sheet_url(scheme, "?incomplete=1")))) == ["西街村党支部", "南河村党支部"]
    both = text(c.get(sheet_url(scheme, f"?township={county.township_b.pk}&incomplete=1")))
    assert shown(both) == ["南河村党支部"]


# ---- evidence --------------------------------------------------------------------------------------------------


def test_evidence_upload_list_and_scoped_download(county, inspector, sibling_admin, leader, sheet):
    scheme, first, _, results = sheet
    a1 = results["C01001"]
    c = client_for(inspector)
    post_score(c, scheme, a1, first, "55", "记录不全")
    panel_url = reverse("assessments:score_evidence", args=[scheme.pk]) + f"?result={a1.pk}&indicator={first.pk}"
    panel = text(c.get(panel_url, headers=HX))
    assert "暂无佐证材料。" in panel and 'name="files"' in panel and 'value="55"' in panel
    upload = SimpleUploadedFile("检查记录.png", PNG, content_type="image/png")
    data = {
        "result": a1.pk,
        "indicator": first.pk,
        "score": "55",
        "note": "记录不全",
        "panel": "evidence",
        "files": upload,
    }
    part = text(c.post(save_url(scheme), data, headers=HX))
    evidence = ScoreEvidence.objects.get()
    assert evidence.name == "检查记录.png" and evidence.score.result == a1
    assert part.index('id="evidence-panel"') < part.index(f'id="cell-{a1.pk}-{first.pk}"')  # the panel, then the cell
    assert "检查记录.png" in part and reverse("assessments:score_file", args=[evidence.pk]) in part
    assert '<i class="bi bi-paperclip"></i>1</button>' in part  # the cell counts it
    # a file that is no image or PDF is refused and nothing is stored
    bad = SimpleUploadedFile("记录.png", b"not an image", content_type="image/png")
    part = text(c.post(save_url(scheme), {**data, "files": bad}, headers=HX))
    assert "“记录.png”不是 JPG、PNG 图片或 PDF 文件（按文件内容判断）。" in part and ScoreEvidence.objects.count() == 1
    file_url = reverse("assessments:score_file", args=[evidence.pk])
    served = c.get(file_url + "?download=1")
    assert served.status_code == 200 and b"".join(served.streaming_content) == PNG
    assert served["Content-Disposition"].startswith("attachment;")
    assert client_for(sibling_admin).get(file_url).status_code == 404  # 东街村 is not theirs
    assert client_for(leader).get(file_url).status_code == 404  # unpublished
    assert client_for(sibling_admin).get(panel_url).status_code == 404


def test_the_sheets_queries_do_not_grow_with_its_rows(county, county_admin, sheet):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    scheme, first, second, results = sheet
    scheme_update(actor=None, scheme=scheme, appraisal_weight="30")
    for result in results.values():
        score_set(actor=None, result=result, indicator=first, score="50", note="扣分")
    c = client_for(county_admin)
    c.get(sheet_url(scheme))  # sessions and the like, once
    with CaptureQueriesContext(connection) as one_township:
        page = text(c.get(sheet_url(scheme, f"?township={county.township_a.pk}")))
    assert page.count('<tr id="row-') == 2
    with CaptureQueriesContext(connection) as everything:
        page = text(c.get(sheet_url(scheme)))
    assert page.count('<tr id="row-') == 4
    assert len(everything) == len(one_township)
