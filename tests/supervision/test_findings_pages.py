"""The findings pages: the board (every number equals the rows of the list it opens), the list with its filters and
export, a finding's page (evidence, timeline, only the steps the user may take now), the steps posted from it, the
forms, the evidence files and the organization's 问题 section; scope on every page (404 outside, nothing changed)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditEvent
from members.models import ThoughtReport, TrainingRecord
from supervision.models import Finding, FindingEvidence
from supervision.services.findings import Fault, finding_advance, findings_raise
from tests.members.api_helpers import make_member
from tests.supervision.findings_helpers import D, make, set_dates, today, unchanged, upload, walk

pytestmark = pytest.mark.django_db

BOARD = reverse("supervision:finding_board")
LIST = reverse("supervision:finding_list")
CREATE = reverse("supervision:finding_create")
START, REPORT, SIGN_OFF, SEND_BACK, NOTE = "开始整改", "报告整改完成", "销号", "退回重改", "补充说明"
COLUMNS = ["open", "in_progress", "rectified", "closed", "overdue", "repeated", "total"]


def detail(f) -> str:
    return reverse("supervision:finding_detail", args=[f.pk])


def advance(f) -> str:
    return reverse("supervision:finding_advance", args=[f.pk])


@pytest.fixture
def client_as(client):
    def make_client(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return make_client


@pytest.fixture
def world(county):
    """This year's findings of township A and B plus one of last year (see the counts in test_board_*)."""
    day = today()
    this, last = day.year, day.year - 1
    if day == D(this, 1, 1):
        pytest.skip("an overdue finding of this year needs a day before today in this year")
    a1, a2 = county.village_a1, county.village_a2
    member = make_member(a1, 1)
    report = ThoughtReport.objects.create(person=member.person, branch=a1, submitted_on=D(this, 1, 1), text="汇报")
    training = TrainingRecord.objects.create(
        member=member, course="党员冬训", start_on=D(this, 1, 1), end_on=D(this, 1, 1), hours=8
    )
    w = {"member": member, "report": report, "training": training}
    w["f0"] = walk(make(a1, source="巡察", found_on=D(last, 5, 1)), START, REPORT, SIGN_OFF)
    w["f1"] = make(a1, source="督查", found_on=D(this, 1, 1), description="组织生活会<script>alert(1)</script>走过场")
    w["f2"] = set_dates(
        walk(make(a1, category="台账资料", source="暗访"), START),
        found_on=D(this, 1, 1),
        deadline=day - dt.timedelta(1),
    )
    w["f3"] = walk(make(a1, category="班子建设", source="督查"), START, REPORT)
    w["f4"] = set_dates(make(a2, source="述职点评"), found_on=D(this, 1, 1), deadline=day - dt.timedelta(1))
    w["f5"] = make(county.township_a, category="换届选举", source="督查")
    evidence = {
        "summary": "同一次组织生活会上两名党员的发言材料相似度 93%",
        "rows": [["会议", "组织生活会"], ["相似度", "93%"]],
        "pair": {
            "left": {"title": "党员甲的发言", "text": "认真学习<b>党章</b>，查摆问题三条"},
            "right": {"title": "党员乙的发言", "text": "认真学习<b>党章</b>，查摆问题四条"},
            "similarity": 0.93,
        },
        "refs": [
            {"type": "meeting", "id": 12, "label": "组织生活会"},
            {"type": "member", "id": member.pk, "label": "党员甲"},
            {"type": "organization", "id": county.village_b1.pk, "label": "北山村党支部"},
            {"type": "thoughtreport", "id": report.pk, "label": "思想汇报"},
            {"type": "training", "id": training.pk, "label": "培训记录"},
            {"type": "dispatch", "id": 5, "label": "驻村干部张三"},
        ],
    }
    [pk] = findings_raise(
        [Fault(county.village_b1.pk, "duplicate_speech", "duplicate_speech:1:2", "发言材料雷同", evidence)]
    )
    w["f6"] = Finding.objects.get(pk=pk)
    return w


# --- Anonymous and scope -------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, world):
    f = world["f1"]
    for url in (BOARD, LIST, CREATE, detail(f), reverse("supervision:finding_update", args=[f.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    with unchanged(f):
        assert client.post(advance(f), {"step": START, "note": "x"}).status_code == 302


def test_the_sibling_township_gets_404_everywhere_and_nothing_changes(client_as, county, world, sibling_admin):
    client = client_as(sibling_admin)
    f = walk(world["f1"], START, REPORT)
    finding_advance(actor=None, finding=f, step=NOTE, note="照片", files=[upload()])
    evidence = FindingEvidence.objects.get(finding=f)
    for url in (
        detail(f),
        reverse("supervision:finding_update", args=[f.pk]),
        reverse("supervision:finding_file", args=[evidence.pk]),
        f"{BOARD}?organization={county.township_a.pk}",
    ):
        assert client.get(url).status_code == 404, url
    with unchanged(f):
        for step in (SIGN_OFF, SEND_BACK, NOTE):
            assert client.post(advance(f), {"step": step, "note": "越权"}).status_code == 404
        assert client.post(reverse("supervision:finding_update", args=[f.pk]), {"description": "x"}).status_code == 404
    # The list simply does not hold them; an organization outside the scope matches nothing.
    response = client.get(LIST)
    assert {r.pk for r in response.context["object_list"]} == {world["f6"].pk}
    assert client.get(LIST, {"organization": county.township_a.pk}).context["paginator"].count == 0


# --- Board ---------------------------------------------------------------------------------------------------------


def _numbers(cells) -> list[int]:
    return [c["value"] for c in cells]


def test_board_of_the_county_by_hand(client_as, county, world, county_admin):
    response = client_as(county_admin).get(BOARD)
    assert response.status_code == 200
    ctx = response.context
    assert (ctx["org"], ctx["year"]) == (county.root, today().year)
    rows = {r["row"].organization.name: _numbers(r["cells"]) for r in ctx["rows"]}
    #                            待整改 整改中 已整改 已销号 逾期 重复 合计
    assert rows == {
        "城关镇党委": [3, 1, 1, 0, 2, 1, 5],
        "石门镇党委": [1, 0, 0, 0, 0, 0, 1],
        "县财政局机关党支部": [0, 0, 0, 0, 0, 0, 0],
    }
    assert _numbers(ctx["totals"]) == [4, 1, 1, 0, 2, 1, 6]
    sources = {s["source"]: _numbers(s["cells"]) for s in ctx["sources"]}
    assert sources == {
        "督查": [2, 0, 1, 0, 0, 1, 3],
        "暗访": [0, 1, 0, 0, 1, 0, 1],
        "述职点评": [1, 0, 0, 0, 1, 0, 1],
        "巡察": [0, 0, 0, 0, 0, 0, 0],
        "系统检查": [1, 0, 0, 0, 0, 0, 1],
    }
    body = response.content.decode()
    assert "城关镇党委" in body and "全部年度" in body and "按问题来源" in body


def test_board_of_every_year_and_the_drill_down(client_as, county, world, county_admin):
    client = client_as(county_admin)
    ctx = client.get(BOARD, {"year": "all"}).context
    assert ctx["year"] is None
    assert _numbers(ctx["rows"][0]["cells"]) == [3, 1, 1, 1, 2, 1, 6]  # 城关镇 with last year's signed-off one
    assert _numbers(ctx["totals"]) == [4, 1, 1, 1, 2, 1, 7]
    assert ctx["rows"][0]["drill"] == f"{BOARD}?organization={county.township_a.pk}&year=all"
    assert ctx["rows"][2]["drill"] is None  # the department has no children

    ctx = client.get(BOARD, {"organization": county.township_a.pk}).context
    rows = [(r["row"].organization.name, r["row"].own, _numbers(r["cells"])) for r in ctx["rows"]]
    assert rows == [
        ("城关镇党委", True, [1, 0, 0, 0, 0, 0, 1]),  # the township's own findings on a line of their own
        ("东街村党支部", False, [1, 1, 1, 0, 1, 1, 3]),
        ("西街村党支部", False, [1, 0, 0, 0, 1, 0, 1]),
    ]
    assert _numbers(ctx["totals"]) == [3, 1, 1, 0, 2, 1, 5]
    assert [a.name for a in ctx["crumbs"]] == ["测试县委"]

    ctx = client.get(BOARD, {"year": str(today().year - 1)}).context
    assert _numbers(ctx["totals"]) == [0, 0, 0, 1, 0, 0, 1]


def test_every_number_on_the_board_equals_the_rows_of_the_list_it_opens(client_as, county, world, county_admin):
    client = client_as(county_admin)
    checked = 0
    for params in ({}, {"year": "all"}, {"organization": county.township_a.pk}, {"organization": county.village_a1.pk}):
        ctx = client.get(BOARD, params).context
        cells = [c for r in ctx["rows"] for c in r["cells"]] + ctx["totals"]
        cells += [c for s in ctx["sources"] for c in s["cells"]]
        for cell in cells:
            listed = client.get(cell["url"]).context["paginator"].count
            assert listed == cell["value"], (params, cell)
            checked += 1
    assert checked >= 4 * (7 + 5 * 7)


def test_each_user_starts_on_their_own_scope(client_as, county, world, township_admin, secretary, leader):
    ctx = client_as(township_admin).get(BOARD).context
    assert ctx["org"] == county.township_a
    assert _numbers(ctx["totals"]) == [3, 1, 1, 0, 2, 1, 5]
    assert ctx["can_create"] is True  # a township admin may register findings
    ctx = client_as(secretary).get(BOARD).context
    assert ctx["org"] == county.village_a1
    assert [(r["row"].own, _numbers(r["cells"])) for r in ctx["rows"]] == [(True, [1, 1, 1, 0, 1, 1, 3])]
    assert ctx["can_create"] is False
    ctx = client_as(leader).get(BOARD).context
    assert ctx["org"] == county.root and ctx["can_create"] is False
    assert client_as(township_admin).get(BOARD, {"organization": county.root.pk}).status_code == 404


# --- List ----------------------------------------------------------------------------------------------------------


def _listed(client, **params) -> set[int]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {f.pk for f in response.context["object_list"]}


def test_list_filters(client_as, county, world, county_admin):
    client = client_as(county_admin)
    w = {k: v.pk for k, v in world.items() if k.startswith("f")}
    this = today().year
    assert _listed(client) == set(w.values())
    assert _listed(client, organization=county.village_a1.pk) == {w["f0"], w["f1"], w["f2"], w["f3"]}
    assert _listed(client, organization=county.township_a.pk, own_only="1") == {w["f5"]}
    assert _listed(client, year=this - 1) == {w["f0"]}
    assert _listed(client, source="暗访") == {w["f2"]}
    assert _listed(client, category="台账资料") == {w["f2"]}
    assert _listed(client, severity="一般") == set(w.values())
    assert _listed(client, status="已整改") == {w["f3"]}
    assert _listed(client, overdue="1") == {w["f2"], w["f4"]}
    assert _listed(client, overdue="0") == set(w.values()) - {w["f2"], w["f4"]}
    assert _listed(client, repeated="1") == {w["f1"]}
    assert _listed(client, repeated="0") == set(w.values()) - {w["f1"]}
    assert _listed(client, check_kind="duplicate_speech") == {w["f6"]}
    assert _listed(client, year="abc") == set()  # a filter the form refuses matches nothing
    assert _listed(client, organization=999999) == set()


def test_list_columns_and_badges(client_as, world, county_admin):
    body = client_as(county_admin).get(LIST).content.decode()
    assert "逾期" in body and "重复发生" in body and "东街村党支部" in body
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert body.count('class="badge text-bg-danger">逾期</span>') == 2


def test_list_query_count_does_not_grow_with_rows(
    client_as, county, world, county_admin, django_assert_max_num_queries
):
    client = client_as(county_admin)
    with django_assert_max_num_queries(14):
        client.get(LIST)
    for n in range(10):
        make(county.village_b2, category="其他", description=f"更多问题{n}")
    with django_assert_max_num_queries(14):
        client.get(LIST)


def test_export_holds_the_filtered_rows_with_every_column(client_as, county, world, county_admin):
    response = client_as(county_admin).get(LIST, {"organization": county.village_a1.pk, "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:9] == (
        "组织代码",
        "责任组织",
        "发现日期",
        "年度",
        "问题来源",
        "检查项目",
        "问题类别",
        "严重程度",
        "问题描述",
    )
    assert len(rows) == 1 + 4
    by_category = {r[6]: r for r in rows[1:] if r[3] == today().year}
    assert by_category["组织生活"][8] == "组织生活会<script>alert(1)</script>走过场"  # the full description
    assert by_category["组织生活"][13] == "是"  # repeated
    assert by_category["台账资料"][11] == "是"  # overdue
    assert by_category["台账资料"][12] == "整改中"


# --- Detail --------------------------------------------------------------------------------------------------------


def test_detail_of_a_system_finding_shows_its_evidence(client_as, county, world, county_admin):
    f = world["f6"]
    response = client_as(county_admin).get(detail(f))
    body = response.content.decode()
    assert "同一次组织生活会上两名党员的发言材料相似度 93%" in body
    assert "相似度 93%" in body and "发言材料雷同" in body
    # The pair side by side: escaped, with the differing character marked on each side.
    assert "&lt;b&gt;党章&lt;/b&gt;" in body and "<b>党章</b>" not in body
    assert '<del class="diff-del">三</del>' in body and '<ins class="diff-ins">四</ins>' in body
    links = {r["label"]: r["url"] for r in response.context["evidence"]["refs"]}
    member = world["member"]
    assert links == {
        "组织生活会": reverse("meetings:detail", args=[12]),
        "党员甲": reverse("members:detail", args=[member.pk]),
        "北山村党支部": reverse("organizations:detail", args=[county.village_b1.pk]),
        "思想汇报": reverse("members:detail", args=[member.pk]),
        "培训记录": reverse("members:detail", args=[member.pk]),
        "驻村干部张三": links["驻村干部张三"],
    }
    assert f'href="{reverse("meetings:detail", args=[12])}"' in body
    assert "驻村干部张三" in body


def test_a_thought_report_outside_the_scope_is_not_linked(client_as, county, world, sibling_admin):
    ctx = client_as(sibling_admin).get(detail(world["f6"])).context
    links = {r["label"]: r["url"] for r in ctx["evidence"]["refs"]}
    assert links["思想汇报"] is None and links["培训记录"] is None  # 东街村's records: not the sibling's to open


def test_detail_shows_the_fields_and_the_timeline(client_as, world, county_admin):
    f = world["f3"]
    body = client_as(county_admin).get(detail(f)).content.decode()
    for text in ("班子建设", "督查", "已整改", "东街村党支部", "整改记录", "登记", "开始整改说明", "报告整改完成说明"):
        assert text in body, text
    body = client_as(county_admin).get(detail(world["f1"])).content.decode()
    assert "&lt;script&gt;" in body and "<script>alert(1)</script>" not in body
    assert "上年同类问题" in body and detail(world["f0"]) in body


@pytest.mark.parametrize(
    ("who", "finding", "steps"),
    [
        ("secretary", "f1", [START, NOTE]),
        ("secretary", "f2", [REPORT, NOTE]),
        ("secretary", "f3", [NOTE]),
        ("township_admin", "f3", [SIGN_OFF, SEND_BACK, NOTE]),
        ("township_admin", "f5", [START, NOTE]),
        ("county_admin", "f0", []),
        ("leader", "f1", []),
        ("inspector", "f3", []),
    ],
)
def test_detail_offers_only_the_steps_the_user_may_take_now(request, client_as, world, who, finding, steps):
    response = client_as(request.getfixturevalue(who)).get(detail(world[finding]))
    assert [s["step"] for s in response.context["step_forms"]] == steps
    body = response.content.decode()
    for step in (START, REPORT, SIGN_OFF, SEND_BACK):
        assert (f'data-step="{step}"' in body) == (step in steps)


def test_township_a_finding_offers_sign_off_to_the_county_only(client_as, world, township_admin, county_admin):
    f = walk(world["f5"], START, REPORT)
    assert [s["step"] for s in client_as(township_admin).get(detail(f)).context["step_forms"]] == [NOTE]
    steps = [s["step"] for s in client_as(county_admin).get(detail(f)).context["step_forms"]]
    assert steps == [SIGN_OFF, SEND_BACK, NOTE]


# --- Steps posted from the page ------------------------------------------------------------------------------------


def test_the_secretary_starts_and_reports_with_files(client_as, world, secretary):
    client = client_as(secretary)
    f = world["f1"]
    response = client.post(advance(f), {"step": START, "note": "召开支委会"})
    assert response.status_code == 302 and response["Location"] == detail(f)
    f.refresh_from_db()
    assert f.status == "整改中"
    response = client.post(advance(f), {"step": REPORT, "note": "已补开", "files": [upload(), upload(name="记录.jpg")]})
    assert response.status_code == 302
    f.refresh_from_db()
    assert f.status == "已整改"
    files = list(FindingEvidence.objects.filter(finding=f).order_by("id"))
    assert [x.name for x in files] == ["整改照片.jpg", "记录.jpg"] and files[0].event.step == REPORT
    body = client.get(detail(f)).content.decode()
    assert reverse("supervision:finding_file", args=[files[0].pk]) in body
    served = client.get(reverse("supervision:finding_file", args=[files[0].pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"


def test_refused_steps_change_nothing(client_as, world, secretary, township_admin, leader):
    f1, f3 = world["f1"], world["f3"]
    client = client_as(secretary)
    with unchanged(f1):  # 待整改 → 报告整改完成 skips a step
        response = client.post(advance(f1), {"step": REPORT, "note": "直接完成"})
    assert response.status_code == 400
    assert "问题当前为“待整改”，不能“报告整改完成”（不能跳过环节）；下一步应为：开始整改。" in response.content.decode()
    with unchanged(f1):
        response = client.post(advance(f1), {"step": SIGN_OFF})
    assert response.status_code == 400
    assert "问题当前为“待整改”，不能“销号”（不能跳过环节）" in response.content.decode()
    with unchanged(f3):  # the responsible branch signs off its own
        assert client.post(advance(f3), {"step": SIGN_OFF}).status_code == 403
    with unchanged(f1):
        response = client.post(advance(f1), {"step": START, "note": ""})
    assert response.status_code == 400 and "请填写整改措施。" in response.content.decode()
    with unchanged(f3):
        response = client_as(township_admin).post(advance(f3), {"step": SEND_BACK, "note": ""})
    assert response.status_code == 400 and "请填写退回原因。" in response.content.decode()
    with unchanged(f1):
        assert client_as(leader).post(advance(f1), {"step": START, "note": "看看"}).status_code == 403
    with unchanged(f1):
        assert client_as(secretary).get(advance(f1)).status_code == 405


def test_the_township_signs_off_and_sends_back(client_as, world, township_admin):
    client = client_as(township_admin)
    f3 = world["f3"]
    assert client.post(advance(f3), {"step": SEND_BACK, "note": "照片不清"}).status_code == 302
    f3.refresh_from_db()
    assert (f3.status, f3.rectified_on) == ("整改中", None)
    walk(f3, REPORT)
    assert client.post(advance(f3), {"step": SIGN_OFF, "note": ""}).status_code == 302
    f3.refresh_from_db()
    assert (f3.status, f3.closed_on) == ("已销号", today())


# --- Forms ---------------------------------------------------------------------------------------------------------


def _form(org, **extra) -> dict:
    return {
        "organization": org.pk,
        "source": "督查",
        "category": "台账资料",
        "severity": "较重",
        "description": "三会一课记录不全",
        "responsible": "",
        "found_on": today().isoformat(),
        "deadline": (today() + dt.timedelta(days=15)).isoformat(),
        **extra,
    }


def test_the_inspector_registers_a_finding(client_as, county, inspector):
    client = client_as(inspector)
    response = client.get(CREATE)
    assert response.status_code == 200
    sources = [v for v, _ in response.context["form"].fields["source"].choices]
    assert sources == ["督查", "暗访", "述职点评", "巡察"]
    response = client.post(CREATE, {**_form(county.village_a1), "files": [upload()]})
    f = Finding.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(f)
    assert (f.created_by, f.category, f.severity, f.status, f.organization) == (
        inspector, "台账资料", "较重", "待整改", county.village_a1,
    )  # fmt: skip
    assert FindingEvidence.objects.get().event.step == "登记"
    assert AuditEvent.objects.filter(object_type="supervision.finding", action="create", source="web").count() == 1


def test_the_create_form_refuses_bad_input_and_changes_nothing(client_as, county, inspector):
    client = client_as(inspector)
    yesterday = today() - dt.timedelta(days=1)
    cases = [
        (_form(county.village_a1, source="系统检查"), "选择一个有效的选项"),
        (_form(county.village_a1, deadline=yesterday.isoformat(), found_on=(yesterday - dt.timedelta(3)).isoformat()),
         f"整改时限 {yesterday} 已经过去，请填写今天或以后的日期。"),
        (_form(county.village_a1, found_on=(today() + dt.timedelta(1)).isoformat()), "晚于今天，不能登记。"),
        (_form(county.village_a1, description=""), "该字段是必填项。"),
    ]  # fmt: skip
    for data, message in cases:
        with unchanged():
            response = client.post(CREATE, data)
        assert response.status_code == 400 and message in response.content.decode(), message


def test_only_inspect_roles_may_register(client_as, county, secretary, leader, township_admin, sibling_admin):
    for user in (secretary, leader):
        assert client_as(user).get(CREATE).status_code == 403
        with unchanged():
            assert client_as(user).post(CREATE, _form(county.village_a1)).status_code == 403
    # The township admin registers in the own township only; another's organization is no choice.
    choices = [o.pk for o in client_as(township_admin).get(CREATE).context["form"].fields["organization"].queryset]
    assert county.village_a1.pk in choices and county.village_b1.pk not in choices
    with unchanged():
        response = client_as(sibling_admin).post(CREATE, _form(county.village_a1))
    assert response.status_code == 400


def test_the_edit_form(client_as, county, world, inspector, secretary):
    f = world["f1"]
    url = reverse("supervision:finding_update", args=[f.pk])
    client = client_as(inspector)
    assert client.get(url).status_code == 200
    data = {
        "category": "组织生活",
        "severity": "严重",
        "description": "更正后的描述",
        "responsible": "王五",
        "deadline": f.deadline.isoformat(),
    }
    assert client.post(url, data).status_code == 302
    f.refresh_from_db()
    assert (f.severity, f.description, f.responsible) == ("严重", "更正后的描述", "王五")
    with unchanged(f):
        response = client.post(url, {**data, "deadline": (today() - dt.timedelta(1)).isoformat()})
    assert response.status_code == 400 and "已经过去" in response.content.decode()
    with unchanged(f):
        assert client_as(secretary).post(url, data).status_code == 403
    closed = world["f0"]
    response = client_as(inspector).get(reverse("supervision:finding_update", args=[closed.pk]))
    assert response.status_code == 302 and response["Location"] == detail(closed)


def test_a_system_findings_category_cannot_be_edited(client_as, world, county_admin):
    f = world["f6"]
    url = reverse("supervision:finding_update", args=[f.pk])
    data = {"category": "其他", "severity": "较重", "description": f.description, "deadline": f.deadline.isoformat()}
    assert client_as(county_admin).post(url, data).status_code == 302
    f.refresh_from_db()
    assert (f.category, f.severity) == ("形式主义", "较重")  # the disabled field keeps the check's category


# --- The organization's 问题 section --------------------------------------------------------------------------------


def test_the_organizations_page_lists_its_findings_open_first(client_as, county, world, county_admin, sibling_admin):
    response = client_as(county_admin).get(reverse("organizations:detail", args=[county.village_a1.pk]))
    findings = response.context["findings"]
    assert [f.pk for f in findings.rows] == [world[k].pk for k in ("f2", "f1", "f3", "f0")]
    assert (findings.total, findings.open, findings.overdue) == (4, 2, 1)
    body = response.content.decode()
    assert f"{LIST}?organization={county.village_a1.pk}" in body and 'id="findings"' in body
    ctx = client_as(sibling_admin).get(reverse("organizations:detail", args=[county.township_b.pk])).context
    assert [f.pk for f in ctx["findings"].rows] == [world["f6"].pk]
