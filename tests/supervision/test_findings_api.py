"""REST API of findings: /api/findings/ (list with filters, retrieve, create, partial update) and
POST /api/findings/{id}/advance/. Every write goes through supervision.services.findings (audit row, source "api");
outside the caller's scope answers 404 and changes nothing; a role that may not act gets 403 with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from drf_spectacular.generators import SchemaGenerator

from core.models import AuditEvent
from supervision.models import Finding, FindingEvidence
from supervision.services.findings import Fault, findings_raise
from tests.members.api_helpers import assert_chinese_error
from tests.supervision.findings_helpers import PDF, D, make, set_dates, today, unchanged, upload, walk

pytestmark = pytest.mark.django_db

URL = "/api/findings/"
START, REPORT, SIGN_OFF, SEND_BACK, NOTE = "开始整改", "报告整改完成", "销号", "退回重改", "补充说明"


def _adv(f) -> str:
    return f"{URL}{f.pk}/advance/"


@pytest.fixture
def findings(county):
    day = today()
    a = make(county.village_a1, found_on=D(day.year - 1, 6, 1))
    b = make(county.village_a1, found_on=D(day.year, 1, 1))  # repeated
    c = make(county.village_b1, category="台账资料", source="暗访")
    if day != D(day.year, 1, 1):
        set_dates(c, found_on=D(day.year, 1, 1), deadline=day - dt.timedelta(days=1))
    return {"a": a, "b": b, "c": c}


def _new(org, **extra) -> dict:
    return {
        "organization_id": org.pk,
        "source": "督查",
        "category": "台账资料",
        "severity": "较重",
        "description": "党员花名册未更新",
        "deadline": (today() + dt.timedelta(days=20)).isoformat(),
        **extra,
    }


def test_anonymous_gets_nothing(api_as, findings):
    client = api_as(None)
    f = findings["b"]
    assert client.get(URL).status_code in (401, 403)
    assert client.get(f"{URL}{f.pk}/").status_code in (401, 403)
    with unchanged(f):
        assert client.post(_adv(f), {"step": START, "note": "x"}, format="json").status_code in (401, 403)


def test_list_is_scoped_and_filtered(api_as, county, findings, county_admin, township_admin, sibling_admin):
    ids = lambda r: {row["id"] for row in r.json()["results"]}  # noqa: E731
    a, b, c = findings["a"].pk, findings["b"].pk, findings["c"].pk
    assert ids(api_as(county_admin).get(URL)) == {a, b, c}
    assert ids(api_as(township_admin).get(URL)) == {a, b}
    assert ids(api_as(sibling_admin).get(URL)) == {c}
    client = api_as(county_admin)
    assert ids(client.get(URL, {"organization": county.township_a.pk})) == {a, b}
    assert ids(client.get(URL, {"year": today().year - 1})) == {a}
    assert ids(client.get(URL, {"repeated": "true"})) == {b}
    assert ids(client.get(URL, {"source": "暗访"})) == {c}
    assert ids(client.get(URL, {"status": "待整改", "category": "组织生活"})) == {a, b}
    if today() != D(today().year, 1, 1):
        assert ids(client.get(URL, {"overdue": "true"})) == {c}
        assert ids(client.get(URL, {"overdue": "false"})) == {a, b}
    assert ids(api_as(sibling_admin).get(URL, {"organization": county.township_a.pk})) == set()
    row = next(r for r in client.get(URL).json()["results"] if r["id"] == b)
    assert row["organization"]["name"] == "东街村党支部"
    assert (row["status"], row["repeated"], row["previous"], row["overdue"]) == ("待整改", True, a, False)


def test_retrieve_carries_evidence_events_and_next_steps(api_as, county, findings, secretary, township_admin):
    f = walk(findings["b"], START)
    body = api_as(secretary).get(f"{URL}{f.pk}/").json()
    assert [e["step"] for e in body["events"]] == ["登记", START]
    assert body["events"][1]["from_status"] == "待整改"
    assert body["next_steps"] == [REPORT, NOTE]
    assert api_as(township_admin).get(f"{URL}{f.pk}/").json()["next_steps"] == [REPORT, NOTE]
    [pk] = findings_raise(
        [Fault(county.village_a1.pk, "backfilled", "backfilled:9", "会议补录", {"summary": "召开 40 天后登记"})]
    )
    body = api_as(secretary).get(f"{URL}{pk}/").json()
    assert (body["source"], body["check_kind"], body["category"]) == ("系统检查", "backfilled", "组织生活")
    assert body["evidence"] == {"summary": "召开 40 天后登记"}


def test_out_of_scope_is_404_and_nothing_changes(api_as, county, findings, sibling_admin):
    client = api_as(sibling_admin)
    f = walk(findings["b"], START, REPORT)
    missing = client.get(f"{URL}999999/")
    assert client.get(f"{URL}{f.pk}/").status_code == missing.status_code == 404
    with unchanged(f):
        for step in (SIGN_OFF, SEND_BACK, NOTE):
            assert client.post(_adv(f), {"step": step, "note": "越权"}, format="json").status_code == 404
        assert client.patch(f"{URL}{f.pk}/", {"description": "越权"}, format="json").status_code == 404
        assert client.post(URL, _new(county.village_a1), format="json").status_code == 404
        assert client.post(URL, _new(county.village_a1, organization_id=999999), format="json").status_code == 404


def test_create_through_the_service(api_as, county, findings, inspector):
    response = api_as(inspector).post(URL, _new(county.village_a2), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    f = Finding.objects.get(pk=body["id"])
    assert (f.organization, f.source, f.category, f.severity, f.created_by) == (
        county.village_a2, "督查", "台账资料", "较重", inspector,
    )  # fmt: skip
    assert body["found_on"] == today().isoformat() and body["next_steps"] == []
    assert AuditEvent.objects.filter(object_type="supervision.finding", object_id=str(f.pk), source="api").exists()


def test_create_with_files_over_multipart(api_as, county, inspector):
    data = {**_new(county.village_a1), "file": [upload(), upload(PDF, "通报.pdf", "application/pdf")]}
    response = api_as(inspector).post(URL, data, format="multipart")
    assert response.status_code == 201, response.content
    assert sorted(FindingEvidence.objects.values_list("name", flat=True)) == ["整改照片.jpg", "通报.pdf"]
    files = response.json()["events"][0]["files"]
    assert [x["name"] for x in files] == ["整改照片.jpg", "通报.pdf"] and files[0]["url"].startswith("/supervision/")


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"source": "系统检查"}, "source", "“系统检查”的问题由夜间检查自动登记，不能手工登记。"),
        ({"source": "随便"}, "source", "“随便”无效，问题来源应为：督查、暗访、述职点评、巡察、系统检查。"),
        ({"deadline": "2000-01-01", "found_on": "1999-12-01"}, "deadline", "整改时限 2000-01-01 已经过去，请填写今天或以后的日期。"),
        ({"description": "  "}, "description", None),
    ],
)  # fmt: skip
def test_create_refusals_change_nothing(api_as, county, inspector, extra, field, message):
    with unchanged():
        response = api_as(inspector).post(URL, _new(county.village_a1, **extra), format="json")
    text = assert_chinese_error(response, field)
    if message:
        assert text == message


def test_read_only_roles_are_refused_with_the_reason(api_as, county, findings, leader, secretary):
    f = findings["b"]
    with unchanged(f):
        response = api_as(leader).post(URL, _new(county.village_a1), format="json")
        assert response.status_code == 403
        assert response.json()["detail"] == "您的角色不能登记问题（须为组织部、乡镇管理员或该组织的考核组成员）。"
        response = api_as(leader).post(_adv(f), {"step": START, "note": "看看"}, format="json")
        assert (response.status_code, response.json()["detail"]) == (
            403,
            "只有东街村党支部及其上级的工作人员可以开始整改。",
        )
        assert api_as(secretary).patch(f"{URL}{f.pk}/", {"description": "改"}, format="json").status_code == 403


def test_the_workflow_over_the_api(api_as, county, findings, secretary, township_admin):
    f = findings["b"]
    response = api_as(secretary).post(_adv(f), {"step": START, "note": "研究整改"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "整改中"
    response = api_as(secretary).post(
        _adv(f), {"step": REPORT, "note": "已补开", "file": [upload()]}, format="multipart"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "已整改" and body["rectified_on"] == today().isoformat()
    assert [x["name"] for x in body["events"][-1]["files"]] == ["整改照片.jpg"]
    with unchanged(f):
        response = api_as(secretary).post(_adv(f), {"step": SIGN_OFF}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "问题须由东街村党支部的上级组织审核销号，责任组织不能为自己的问题销号。"
    with unchanged(f):
        message = assert_chinese_error(
            api_as(township_admin).post(_adv(f), {"step": SEND_BACK, "note": ""}, format="json"), "note"
        )
    assert message == "请填写退回原因。"
    response = api_as(township_admin).post(_adv(f), {"step": SIGN_OFF, "note": "到位"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "已销号"
    assert AuditEvent.objects.filter(object_id=str(f.pk), action="advance", source="api").count() == 3


@pytest.mark.parametrize(
    ("path", "step", "status", "next_step"),
    [((), REPORT, "待整改", "开始整改"), ((), SIGN_OFF, "待整改", "开始整改"), ((START,), SIGN_OFF, "整改中", "报告整改完成")],
)  # fmt: skip
def test_skipped_steps_are_refused(api_as, findings, county_admin, path, step, status, next_step):
    f = walk(findings["b"], *path)
    with unchanged(f):
        response = api_as(county_admin).post(_adv(f), {"step": step, "note": "跳"}, format="json")
    assert assert_chinese_error(response, "step") == (
        f"问题当前为“{status}”，不能“{step}”（不能跳过环节）；下一步应为：{next_step}。"
    )


def test_a_signed_off_finding_takes_nothing_more(api_as, findings, county_admin):
    f = walk(findings["b"], START, REPORT, SIGN_OFF)
    for step in (START, REPORT, SIGN_OFF, SEND_BACK, NOTE):
        with unchanged(f):
            response = api_as(county_admin).post(_adv(f), {"step": step, "note": "再来"}, format="json")
        assert_chinese_error(response, "step")
    with unchanged(f):
        response = api_as(county_admin).patch(f"{URL}{f.pk}/", {"description": "改"}, format="json")
    assert assert_chinese_error(response, "status") == "问题已销号，不能再修改。"


def test_invalid_step_and_partial_update(api_as, findings, inspector):
    f = findings["b"]
    with unchanged(f):
        response = api_as(inspector).post(_adv(f), {"step": "乱来"}, format="json")
    assert_chinese_error(response, "step")
    response = api_as(inspector).patch(f"{URL}{f.pk}/", {"severity": "严重", "responsible": "赵六"}, format="json")
    assert response.status_code == 200, response.content
    f.refresh_from_db()
    assert (f.severity, f.responsible, f.description) == ("严重", "赵六", "东街村党支部组织生活存在问题")


def test_the_list_query_count_does_not_grow(api_as, county, findings, county_admin, django_assert_max_num_queries):
    client = api_as(county_admin)
    with django_assert_max_num_queries(8):
        client.get(URL)
    for n in range(10):
        make(county.village_a2, category="其他", description=f"问题{n}")
    with django_assert_max_num_queries(8):
        assert len(client.get(URL).json()["results"]) == 13


def test_the_schema_describes_the_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert {"/api/findings/", "/api/findings/{id}/", "/api/findings/{id}/advance/"} <= set(schema["paths"])
    advance = schema["paths"]["/api/findings/{id}/advance/"]["post"]
    assert {"application/json", "multipart/form-data"} <= set(advance["requestBody"]["content"])
    names = {p["name"] for p in schema["paths"]["/api/findings/"]["get"]["parameters"]}
    assert {"organization", "own_only", "year", "source", "category", "severity", "status", "overdue", "repeated",
            "check_kind"} <= names  # fmt: skip
