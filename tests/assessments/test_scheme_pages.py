"""The scheme pages: the list (counts, copy of last year's, Excel export), a new scheme, the editor (settings,
indicators with the running sum, veto items) and the workflow (计算 as a job, 发布 refused while scores are missing,
撤回发布 with a reason); read-only for inspectors and leaders, 404 outside the county, and refused writes change
nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.choices import SchemeStatus
from assessments.models import Indicator, IndicatorScore, Result, Scheme, VetoItem
from assessments.services.schemes import indicator_add, scheme_create, veto_item_add
from assessments.services.scoring import score_set
from assessments.services.workflow import COMPUTE_JOB_KIND, year_compute
from core.models import AuditEvent, Job
from organizations.services import organization_create
from tests.conftest import client_for, text

pytestmark = pytest.mark.django_db

VILLAGES = "村（社区）党组织"
LIST = reverse("assessments:scheme_list")
CREATE = reverse("assessments:scheme_create")


def url(name, scheme, *args):
    return reverse(f"assessments:{name}", args=[scheme.pk, *args])


@pytest.fixture
def scheme(county):
    """2026, the four villages of the county, two manual indicators 60 + 40 and one veto item."""
    s = scheme_create(actor=None, county=county.root, year=2026, group=VILLAGES)
    indicator_add(actor=None, scheme=s, name="组织建设", max_points="60", description="班子健全，制度落实")
    indicator_add(actor=None, scheme=s, name="作用发挥", max_points="40")
    veto_item_add(actor=None, scheme=s, name="发生严重违纪违法问题")
    return s


def score_all(scheme, points=("60", "40"), skip=()):
    indicators = list(scheme.indicators.order_by("order"))
    for result in scheme.results.select_related("organization"):
        if result.organization.code in skip:
            continue
        for indicator, value in zip(indicators, points, strict=True):
            note = "" if Decimal(value) == indicator.max_points else "有扣分"
            score_set(actor=None, result=result, indicator=indicator, score=value, note=note)


def state(scheme) -> tuple:
    """Everything a refused write must leave alone."""
    s = Scheme.objects.get(pk=scheme.pk)
    return (
        [(f, getattr(s, f)) for f in ("name", "status", "good_min", "appraisal_weight", "published_at")],
        list(Indicator.objects.filter(scheme=scheme).values_list("pk", "name", "max_points", "order")),
        list(VetoItem.objects.filter(scheme=scheme).values_list("pk", "name")),
        list(IndicatorScore.objects.filter(result__scheme=scheme).values_list("pk", "score", "note")),
        Scheme.objects.count(),
        Job.objects.count(),
        AuditEvent.objects.count(),
    )


# ---- the list ----------------------------------------------------------------------------------------------------


def test_list_shows_status_counts_and_the_managers_buttons(county, county_admin, inspector, leader, scheme):
    score_all(scheme, skip={"C02002"})  # three of the four villages have every score, so a total
    response = client_for(county_admin).get(LIST)
    assert response.status_code == 200
    page = text(response)
    assert "2026年度" in page and "2026年度村（社区）党组织考核" in page and "待计算" in page
    row = page[page.index("2026年度村（社区）党组织考核") :]
    row = row[: row.index("</tr>")]
    # 2 indicators, 4 organizations, 3 with a total, 1 missing
    for cell in (
        '<td class="text-end" data-label="指标">2 项</td>',
        '<td class="text-end" data-label="考核组织">4</td>',
        '<td class="text-end" data-label="已有总分">3</td>',
        '<td class="text-end" data-label="未完成"><span class="text-danger fw-semibold">1</span></td>',
    ):
        assert cell in row, cell
    assert "新建方案" in page and "复制为2027年度" in page
    for reader in (inspector, leader):
        page = text(client_for(reader).get(LIST))
        assert "2026年度村（社区）党组织考核" in page
        assert "新建方案" not in page and "复制为" not in page


def test_list_export_is_the_list(county, county_admin, scheme):
    score_all(scheme, skip={"C02002"})
    response = client_for(county_admin).get(LIST + "?export=xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:11] == (
        "县", "年度", "考核类别", "方案名称", "状态", "指标数", "分值合计", "述职评议权重（%）", "考核组织数", "已有总分",
        "未完成",
    )  # fmt: skip
    assert rows[1][:11] == ("测试县委", 2026, VILLAGES, "2026年度村（社区）党组织考核", "待计算", 2, 100, 0, 4, 3, 1)
    assert len(rows) == 2


def test_a_sibling_township_reads_its_own_county_only(county, sibling_admin, scheme):
    other = organization_create(actor=None, parent=None, code="D", name="邻县县委", kind="县委")
    foreign = scheme_create(actor=None, county=other, year=2026, group=VILLAGES)
    c = client_for(sibling_admin)
    page = text(c.get(LIST))
    assert reverse("assessments:scheme_detail", args=[scheme.pk]) in page
    assert reverse("assessments:scheme_detail", args=[foreign.pk]) not in page
    assert c.get(url("scheme_detail", scheme)).status_code == 200
    before = state(foreign)
    assert c.get(url("scheme_detail", foreign)).status_code == 404
    assert c.get(url("scoring", foreign)).status_code == 404
    assert c.post(url("scheme_update", foreign), {"settings-name": "改名"}).status_code == 404
    assert c.post(url("scheme_copy", foreign)).status_code == 404
    assert state(foreign) == before
    # inside its county it reads, but a township admin does not manage the county's scheme
    page = text(c.get(url("scheme_detail", scheme)))
    assert url("scheme_update", scheme) not in page and url("indicator_add", scheme) not in page
    before = state(scheme)
    assert c.post(url("indicator_add", scheme), {"new-name": "新指标", "new-max_points": "10"}).status_code == 403
    assert state(scheme) == before


# ---- creating and copying --------------------------------------------------------------------------------------


def test_create_a_scheme(county, county_admin):
    c = client_for(county_admin)
    page = text(c.get(CREATE))
    assert '<option value="村（社区）党组织">' in page and '<option value="乡镇党委">' in page
    response = c.post(CREATE, {"county": county.root.pk, "year": "2026", "group": "乡镇党委", "name": ""})
    scheme = Scheme.objects.get(year=2026, group="乡镇党委")
    assert response.status_code == 302 and response["Location"] == url("scheme_detail", scheme)
    assert str(scheme) == "2026年度乡镇党委考核" and scheme.county == county.root
    assert set(scheme.results.values_list("organization__code", flat=True)) == {"C01", "C02"}
    # the same year and group again: the service's message on the group field, nothing created
    response = c.post(CREATE, {"county": county.root.pk, "year": "2026", "group": "乡镇党委"})
    assert response.status_code == 400
    page = text(response)
    assert "2026年度“乡镇党委”已有考核方案。" in page and 'name="group"' in page
    assert page.index("已有考核方案") > page.index('name="group"')  # under its field
    assert Scheme.objects.count() == 1


@pytest.mark.parametrize("who", ["inspector", "leader", "township_admin"])
def test_create_refused_to_those_who_do_not_manage_the_county(who, request, county):
    c = client_for(request.getfixturevalue(who))
    assert c.get(CREATE).status_code == 403
    response = c.post(CREATE, {"county": county.root.pk, "year": "2026", "group": VILLAGES})
    assert response.status_code == 403
    assert not Scheme.objects.exists()


def test_copy_last_years_scheme_in_one_click(county, county_admin):
    last = scheme_create(
        actor=None, county=county.root, year=2025, group=VILLAGES, name="2025年度村级党组织考核", good_cap="30"
    )
    indicator_add(actor=None, scheme=last, name="组织建设", max_points="60", description="班子健全")
    indicator_add(actor=None, scheme=last, name="问题整改", max_points="40", method="computed", source="findings_open")
    veto_item_add(actor=None, scheme=last, name="发生严重违纪违法问题")
    c = client_for(county_admin)
    assert "复制为2026年度" in text(c.get(LIST))
    response = c.post(url("scheme_copy", last))
    new = Scheme.objects.get(year=2026, group=VILLAGES)
    assert response.status_code == 302 and response["Location"] == url("scheme_detail", new)
    assert new.name == "2026年度村级党组织考核" and new.good_cap == 30
    assert list(new.indicators.values_list("name", "max_points", "method", "source", "description")) == [
        ("组织建设", Decimal("60.00"), "manual", "", "班子健全"),
        ("问题整改", Decimal("40.00"), "computed", "findings_open", ""),
    ]
    assert list(new.veto_items.values_list("name", flat=True)) == ["发生严重违纪违法问题"]
    assert new.results.count() == 4
    page = text(c.get(LIST))
    assert "复制为2026年度" not in page and "复制为2027年度" in page
    # copying 2025 once more is refused with the service's message, nothing created
    response = c.post(url("scheme_copy", last), follow=True)
    assert "2026年度“村（社区）党组织”已有考核方案。" in text(response)
    assert Scheme.objects.count() == 2


# ---- the editor ------------------------------------------------------------------------------------------------


def test_editor_adds_indicators_and_keeps_the_running_sum(county, county_admin):
    scheme = scheme_create(actor=None, county=county.root, year=2026, group=VILLAGES)
    c = client_for(county_admin)
    page = text(c.get(url("scheme_detail", scheme)))
    assert "还没有考核指标" in page and url("indicator_add", scheme) in page
    response = c.post(
        url("indicator_add", scheme),
        {"new-name": "组织建设", "new-max_points": "60", "new-method": "manual", "new-description": "班子健全"},
    )
    assert response.status_code == 302
    page = text(c.get(url("scheme_detail", scheme)))
    assert "分值合计 <strong>60.00</strong> / 100 分" in page
    assert "指标分值合计 60.00 分，应为 100 分；调整前不能计算。" in page
    assert "的指标分值合计 60.00 分，应为 100 分，请先调整考核方案。" in page  # the compute panel says why
    c.post(
        url("indicator_add", scheme),
        {
            "new-name": "问题整改",
            "new-max_points": "40",
            "new-method": "computed",
            "new-source": "findings_open",
            "new-param_per_open": "1.5",
        },
    )
    computed = Indicator.objects.get(scheme=scheme, name="问题整改")
    assert computed.source == "findings_open" and computed.params == {"per_open": "1.50", "per_overdue": "3"}
    page = text(c.get(url("scheme_detail", scheme)))
    assert "分值合计 <strong>100.00</strong> / 100 分" in page and "应为 100 分" not in page
    assert "问题整改" in page and "每个未整改问题扣分 1.50，逾期问题再扣分 3" in page


def test_indicator_errors_show_on_their_fields_and_change_nothing(county, county_admin, scheme):
    c = client_for(county_admin)
    before = state(scheme)
    response = c.post(url("indicator_add", scheme), {"new-name": "党建品牌", "new-max_points": "120"})
    assert response.status_code == 400
    assert "分值 120 超出范围，应在 0.01 到 100.00 之间。" in text(response)
    response = c.post(url("indicator_add", scheme), {"new-name": "组织建设", "new-max_points": "10"})
    assert response.status_code == 400 and "方案中已有指标“组织建设”。" in text(response)
    response = c.post(
        url("indicator_add", scheme), {"new-name": "系统指标", "new-max_points": "10", "new-method": "computed"}
    )
    assert response.status_code == 400 and "请选择计算来源：" in text(response)
    assert state(scheme) == before


def test_indicator_update_and_delete(county, county_admin, scheme):
    c = client_for(county_admin)
    first, second = scheme.indicators.order_by("order")
    prefix = f"ind{first.pk}"
    response = c.post(
        url("indicator_update", scheme, first.pk),
        {
            f"{prefix}-order": "10",
            f"{prefix}-name": "基层组织建设",
            f"{prefix}-max_points": "55",
            f"{prefix}-method": "manual",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.name == "基层组织建设" and first.max_points == Decimal("55.00") and first.description == ""
    assert "分值合计 <strong>95.00</strong> / 100 分" in text(c.get(url("scheme_detail", scheme)))
    # an error re-opens that indicator's row with the message
    response = c.post(
        url("indicator_update", scheme, first.pk),
        {
            f"{prefix}-order": "10",
            f"{prefix}-name": "作用发挥",
            f"{prefix}-max_points": "55",
            f"{prefix}-method": "manual",
        },
    )
    assert response.status_code == 400
    page = text(response)
    assert (
        "方案中已有指标“作用发挥”。" in page
        and f'class="collapse indicator-edit show" id="edit-ind-{first.pk}"' in page
    )
    assert c.post(url("indicator_delete", scheme, second.pk)).status_code == 302
    assert list(scheme.indicators.values_list("name", flat=True)) == ["基层组织建设"]


def test_settings_and_veto_items(county, county_admin, scheme):
    c = client_for(county_admin)
    data = {
        "settings-name": "村级党组织考核",
        "settings-good_min": "90",
        "settings-fair_min": "80",
        "settings-pass_min": "60",
        "settings-good_cap": "30",
        "settings-appraisal_weight": "30",
        "settings-upper_weight": "60",
        "settings-lower_weight": "30",
        "settings-vote_good": "100",
        "settings-vote_fair": "80",
        "settings-vote_average": "60",
        "settings-vote_poor": "0",
    }
    before = state(scheme)
    response = c.post(url("scheme_update", scheme), data)
    assert response.status_code == 400
    page = text(response)
    assert "上级评议占比与下级评议占比之和应为 100%（现为 90%）。" in page
    assert page.index("现为 90%") > page.index('name="settings-upper_weight"')
    assert state(scheme) == before
    data["settings-lower_weight"] = "40"
    assert c.post(url("scheme_update", scheme), data).status_code == 302
    scheme.refresh_from_db()
    assert (scheme.name, scheme.good_cap, scheme.appraisal_weight, scheme.upper_weight, scheme.lower_weight) == (
        "村级党组织考核", 30, 30, 60, 40,
    )  # fmt: skip
    response = c.post(url("veto_item_add", scheme), {"veto-name": ""})
    assert response.status_code == 400 and "请填写否决事项。" in text(response)
    c.post(url("veto_item_add", scheme), {"veto-name": "意识形态领域出现重大问题"})
    assert list(scheme.veto_items.values_list("name", flat=True)) == [
        "发生严重违纪违法问题",
        "意识形态领域出现重大问题",
    ]
    item = scheme.veto_items.get(name="发生严重违纪违法问题")
    assert c.post(url("veto_item_delete", scheme, item.pk)).status_code == 302
    assert list(scheme.veto_items.values_list("name", flat=True)) == ["意识形态领域出现重大问题"]


@pytest.mark.parametrize("who", ["inspector", "leader"])
def test_readers_see_the_scheme_without_controls_and_their_writes_change_nothing(who, request, county, scheme):
    c = client_for(request.getfixturevalue(who))
    response = c.get(url("scheme_detail", scheme))
    assert response.status_code == 200
    page = text(response)
    assert "组织建设" in page and "发生严重违纪违法问题" in page and "好 ≥ 90.00" in page
    assert "<form" not in page.split("<main")[1].replace('action="/accounts/logout/"', "")
    assert "由县委组织部负责" in page
    first = scheme.indicators.order_by("order").first()
    item = scheme.veto_items.get()
    before = state(scheme)
    posts = [
        (url("scheme_update", scheme), {"settings-name": "改名", "settings-good_min": "85"}),
        (url("indicator_add", scheme), {"new-name": "新指标", "new-max_points": "10"}),
        (url("indicator_update", scheme, first.pk), {f"ind{first.pk}-name": "改名", f"ind{first.pk}-max_points": "5"}),
        (url("indicator_delete", scheme, first.pk), {}),
        (url("veto_item_add", scheme), {"veto-name": "新事项"}),
        (url("veto_item_delete", scheme, item.pk), {}),
        (url("scheme_compute", scheme), {}),
        (url("scheme_publish", scheme), {}),
        (url("scheme_reopen", scheme), {"reopen-reason": "原因"}),
        (url("scheme_copy", scheme), {}),
    ]
    for target, data in posts:
        assert c.post(target, data).status_code == 403, target
    assert state(scheme) == before


# ---- the workflow ----------------------------------------------------------------------------------------------


def test_publish_is_refused_while_a_score_is_missing_and_the_page_lists_who(county, county_admin, scheme):
    score_all(scheme, skip={"C02002"})
    year_compute(year=2026, county=county.root)
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.COMPUTED
    c = client_for(county_admin)
    page = text(c.get(url("scheme_detail", scheme)))
    assert "还有 1 个组织的得分不完整，不能发布：" in page
    assert (
        '<span class="fw-semibold">南河村党支部</span> <span class="text-muted">未评分：组织建设、作用发挥</span>'
        in page
    )
    assert 'disabled data-confirm="发布' in page  # the button waits
    before = state(scheme)
    response = c.post(url("scheme_publish", scheme), follow=True)
    assert "还有组织的得分不完整，不能发布：南河村党支部（共 1 个组织）。" in text(response)
    assert state(scheme)[:4] == before[:4]


def test_compute_as_a_job_then_publish_then_reopen_with_a_reason(
    county, county_admin, leader, scheme, django_capture_on_commit_callbacks
):
    score_all(scheme, points=("55", "38"))
    c = client_for(county_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(url("scheme_compute", scheme))
    assert response.status_code == 302 and response["Location"] == url("scheme_detail", scheme) + "#workflow"
    job = Job.objects.get(kind=COMPUTE_JOB_KIND)
    assert job.status == Job.Status.SUCCEEDED and job.params == {"year": 2026, "county": county.root.pk}
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.COMPUTED
    assert set(Result.objects.filter(scheme=scheme).values_list("total", "rank")) == {(Decimal("93.00"), 1)}
    page = text(c.get(url("scheme_detail", scheme)))
    assert 'id="compute-job"' in page and "2026年度计算完成" in page and 'hx-trigger="every 1s"' not in page
    # the job's panel, polled by htmx: the page reloads once the job is over
    panel = c.get(url("scheme_job", scheme, job.pk), headers={"HX-Request": "true"})
    assert panel.status_code == 200 and panel["HX-Refresh"] == "true"
    assert client_for(leader).get(url("scheme_job", scheme, job.pk)).status_code == 404

    assert c.post(url("scheme_publish", scheme)).status_code == 302
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.PUBLISHED and scheme.published_by == county_admin
    page = text(c.get(url("scheme_detail", scheme)))
    assert "结果已锁定" in page
    for locked in ("scheme_update", "indicator_add", "veto_item_add", "scheme_compute", "scheme_publish"):
        assert url(locked, scheme) not in page, locked
    assert url("scheme_reopen", scheme) in page
    # a locked scheme refuses its editor's posts with the service's message
    response = c.post(url("indicator_add", scheme), {"new-name": "新指标", "new-max_points": "10"}, follow=True)
    assert "已发布，结果已锁定；如需修改，请先撤回发布（需填写原因）。" in text(response)
    assert scheme.indicators.count() == 2

    before = state(scheme)
    response = c.post(url("scheme_reopen", scheme), {"reopen-reason": "  "})
    assert response.status_code == 400 and "撤回发布须填写原因。" in text(response)
    assert state(scheme) == before
    response = c.post(url("scheme_reopen", scheme), {"reopen-reason": "南河村得分录入有误"})
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.DRAFT and scheme.reopen_reason == "南河村得分录入有误"
    assert AuditEvent.objects.filter(action="reopen", note="撤回发布：南河村得分录入有误").count() == 1
    page = text(c.get(url("scheme_detail", scheme)))
    assert "曾撤回发布，原因：南河村得分录入有误" in page and url("scheme_update", scheme) in page


def test_compute_refused_shows_why_and_queues_nothing(county, county_admin, scheme):
    Indicator.objects.filter(scheme=scheme, name="作用发挥").update(max_points=Decimal("30"))  # 60 + 30 = 90
    c = client_for(county_admin)
    response = c.post(url("scheme_compute", scheme), follow=True)
    assert "的指标分值合计 90.00 分，应为 100 分，请先调整考核方案。" in text(response)
    assert not Job.objects.exists()


def test_pages_render_for_each_role(county, county_admin, inspector, leader, scheme):
    for user in (county_admin, inspector, leader):
        c = client_for(user)
        for target in (LIST, url("scheme_detail", scheme), url("scoring", scheme)):
            assert c.get(target).status_code == 200, (user, target)


def test_the_lists_queries_do_not_grow_with_its_rows(county, county_admin, scheme):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(county_admin)
    c.get(LIST)
    with CaptureQueriesContext(connection) as one:
        c.get(LIST)
    for year, group in ((2025, VILLAGES), (2026, "乡镇党委"), (2026, "县直部门党组织")):
        s = scheme_create(actor=None, county=county.root, year=year, group=group)
        indicator_add(actor=None, scheme=s, name="组织建设", max_points="100")
    with CaptureQueriesContext(connection) as four:
        page = text(c.get(LIST))
    assert page.count("scheme-name") == 4
    assert len(four) == len(one)
