"""The assessment's schemes over REST: /api/assessment-schemes/ (create, settings, copy, compute as a job, missing,
publish, reopen), /api/assessment-indicators/, /api/assessment-veto-items/, /api/assessment-jobs/{id}/. Every write
goes through assessments.services with its Chinese messages; a refused write changes nothing; a scheme of another
county answers 404; the list's query count does not grow with its rows; the schema documents every endpoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator

from assessments.models import Indicator, Result, Scheme, VetoItem
from assessments.services.schemes import indicator_add, scheme_create
from assessments.services.scoring import appraisal_set, score_set
from core.models import AuditEvent, Job
from tests.conftest import _org
from tests.members.api_helpers import assert_chinese_error

pytestmark = pytest.mark.django_db

SCHEMES = "/api/assessment-schemes/"
INDICATORS = "/api/assessment-indicators/"
VETO_ITEMS = "/api/assessment-veto-items/"
GROUP = "村（社区）党组织"
YEAR = 2025


def D(value: str) -> Decimal:
    return Decimal(value)


def village_scheme(county, *, year: int = YEAR, appraisal_weight: int = 20) -> Scheme:
    """The villages' scheme (the four villages of the county fixture): 组织建设 60 + 党员管理 40, appraisal 20%
    weighted 60/40 between the upper and lower evaluators."""
    scheme = scheme_create(
        actor=None, county=county.root, year=year, group=GROUP, appraisal_weight=appraisal_weight,
        upper_weight=60, lower_weight=40,
    )  # fmt: skip
    indicator_add(actor=None, scheme=scheme, name="组织建设", max_points="60")
    indicator_add(actor=None, scheme=scheme, name="党员管理", max_points="40")
    return scheme


def score_all(scheme, county, points: dict) -> None:
    """points: {org: (组织建设, 党员管理, upper good votes)}; full marks need no note."""
    a, b = scheme.indicators.order_by("order")
    for org, (pa, pb, good) in points.items():
        result = Result.objects.get(scheme=scheme, organization=org)
        score_set(actor=None, result=result, indicator=a, score=pa, note="" if pa == "60" else "扣分")
        score_set(actor=None, result=result, indicator=b, score=pb, note="" if pb == "40" else "扣分")
        appraisal_set(actor=None, result=result, side="upper", good=good, fair=10 - good)


def state() -> tuple:
    """Everything a scheme write could touch."""
    return (
        list(Scheme.objects.order_by("pk").values_list(
            "pk", "year", "group", "name", "status", "good_min", "fair_min", "pass_min", "good_cap",
            "appraisal_weight", "upper_weight", "lower_weight", "reopen_reason",
        )),
        list(Indicator.objects.order_by("pk").values_list("pk", "scheme_id", "name", "max_points", "method")),
        list(VetoItem.objects.order_by("pk").values_list("pk", "scheme_id", "name")),
        Result.objects.count(),
        Job.objects.count(),
        AuditEvent.objects.count(),
    )  # fmt: skip


def other_county():
    """A second county with its own scheme: nobody of the first county may see it."""
    root = _org(None, "D", "另一县委", "县委")
    _org(root, "D01", "另一镇党委", "党委", group="乡镇党委")
    return root, scheme_create(actor=None, county=root, year=YEAR, group="乡镇党委")


# ---- create and change -------------------------------------------------------------------------------------------


def test_the_county_department_creates_a_scheme(api_as, county, county_admin):
    response = api_as(county_admin).post(
        SCHEMES,
        {"year": YEAR, "group": GROUP, "name": "2025年度村级党组织考核", "good_cap": 30, "appraisal_weight": "20",
         "upper_weight": 60, "lower_weight": 40, "good_min": 92.5},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["year"], body["group"], body["status"], body["status_label"]) == (YEAR, GROUP, "draft", "待计算")
    assert (body["good_min"], body["fair_min"], body["pass_min"], body["good_cap"]) == ("92.50", "80.00", "60.00", 30)
    assert (body["appraisal_weight"], body["upper_weight"], body["lower_weight"]) == (20, 60, 40)
    assert (body["vote_good"], body["vote_fair"], body["vote_average"], body["vote_poor"]) == (
        "100.00", "80.00", "60.00", "0.00",
    )  # fmt: skip
    # One result row for each of the four villages; nothing scored yet, no indicators.
    assert (body["results_count"], body["missing_count"], body["indicators_count"]) == (4, 4, 0)
    assert body["max_points_total"] is None and body["indicators"] == [] and body["may_manage"] is True
    assert body["county"]["code"] == "C"
    scheme = Scheme.objects.get(pk=body["id"])
    assert sorted(scheme.results.values_list("organization__code", flat=True)) == [
        "C01001", "C01002", "C02001", "C02002",
    ]  # fmt: skip
    assert AuditEvent.objects.filter(object_type="assessments.scheme", object_id=str(scheme.pk), source="api").exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"good_min": "70"}, "good_min", "分数线应满足“好” > “较好” > “一般”。"),
        ({"good_min": "90.555"}, "good_min", "“好”最低分 90.555 超过两位小数。"),
        ({"appraisal_weight": 20, "upper_weight": 50, "lower_weight": 40}, "upper_weight",
         "上级评议占比与下级评议占比之和应为 100%（现为 90%）。"),
        ({"good_cap": 0}, "good_cap", "“好”等次比例上限（%）应在 1 到 100 之间。"),
        ({"year": 1999}, "year", f"年度应在 2000 到 {dt.date.today().year + 1} 之间。"),
        ({"year": "明年"}, "year", "年度应为整数。"),
        ({"group": "  "}, "group", "请填写考核类别。"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused_in_chinese_and_nothing_is_created(api_as, county, county_admin, body, field, message):
    before = state()
    response = api_as(county_admin).post(SCHEMES, {"year": YEAR, "group": GROUP, **body}, format="json")
    assert assert_chinese_error(response, field) == message
    assert state() == before


def test_a_second_scheme_for_the_same_group_and_year_is_refused(api_as, county, county_admin):
    village_scheme(county)
    before = state()
    response = api_as(county_admin).post(SCHEMES, {"year": YEAR, "group": GROUP}, format="json")
    assert assert_chinese_error(response, "group") == "2025年度“村（社区）党组织”已有考核方案。"
    assert state() == before


@pytest.mark.parametrize("who", ["township_admin", "sibling_admin", "secretary", "leader", "inspector"])
def test_only_the_county_department_writes_schemes(who, request, api_as, county):
    scheme = village_scheme(county)
    item = VetoItem.objects.create(scheme=scheme, name="发生严重违纪", order=1)
    indicator = scheme.indicators.first()
    client = api_as(request.getfixturevalue(who))
    # Everyone in the county reads the scheme …
    assert client.get(f"{SCHEMES}{scheme.pk}/").status_code == 200
    assert client.get(f"{SCHEMES}{scheme.pk}/").json()["may_manage"] is False
    assert client.get(INDICATORS, {"scheme": scheme.pk}).json()["count"] == 2
    before = state()
    responses = [
        client.post(SCHEMES, {"year": 2026, "group": GROUP}, format="json"),
        client.patch(f"{SCHEMES}{scheme.pk}/", {"good_min": "95"}, format="json"),
        client.post(f"{SCHEMES}{scheme.pk}/copy/", {}, format="json"),
        client.post(f"{SCHEMES}{scheme.pk}/compute/", {}, format="json"),
        client.post(f"{SCHEMES}{scheme.pk}/publish/", {}, format="json"),
        client.post(f"{SCHEMES}{scheme.pk}/reopen/", {"reason": "x"}, format="json"),
        client.post(INDICATORS, {"scheme": scheme.pk, "name": "新指标", "max_points": "10"}, format="json"),
        client.patch(f"{INDICATORS}{indicator.pk}/", {"max_points": "50"}, format="json"),
        client.delete(f"{INDICATORS}{indicator.pk}/"),
        client.post(VETO_ITEMS, {"scheme": scheme.pk, "name": "x"}, format="json"),
        client.delete(f"{VETO_ITEMS}{item.pk}/"),
    ]
    for response in responses:
        assert response.status_code == 403, (response.request["PATH_INFO"], response.content)
        assert response.json() == {"detail": "只有县委组织部可以设置考核方案。"}
    assert state() == before


def test_anonymous_gets_nothing(api_as, county):
    scheme = village_scheme(county)
    client = api_as(None)
    before = state()
    for path in (SCHEMES, f"{SCHEMES}{scheme.pk}/", f"{SCHEMES}{scheme.pk}/missing/", INDICATORS, VETO_ITEMS):
        assert client.get(path).status_code in (401, 403), path
    assert client.post(SCHEMES, {"year": 2026, "group": GROUP}, format="json").status_code in (401, 403)
    assert client.post(f"{SCHEMES}{scheme.pk}/compute/").status_code in (401, 403)
    assert state() == before


def test_a_scheme_of_another_county_is_not_found(api_as, county, county_admin):
    village_scheme(county)
    root, foreign = other_county()
    client = api_as(county_admin)
    assert [s["group"] for s in client.get(SCHEMES).json()["results"]] == [GROUP]
    missing = client.get(f"{SCHEMES}999999/")
    assert client.get(f"{SCHEMES}{foreign.pk}/").status_code == missing.status_code == 404
    before = state()
    assert client.patch(f"{SCHEMES}{foreign.pk}/", {"good_min": "95"}, format="json").status_code == 404
    for name in ("copy", "compute", "publish", "reopen"):
        assert client.post(f"{SCHEMES}{foreign.pk}/{name}/", {"reason": "x"}, format="json").status_code == 404
    assert client.get(f"{SCHEMES}{foreign.pk}/missing/").status_code == 404
    assert (
        client.post(INDICATORS, {"scheme": foreign.pk, "name": "x", "max_points": "10"}, format="json").status_code
        == 404
    )
    assert client.post(VETO_ITEMS, {"scheme": foreign.pk, "name": "x"}, format="json").status_code == 404
    assert (
        client.post(SCHEMES, {"county": root.pk, "year": 2026, "group": "乡镇党委"}, format="json").status_code == 404
    )
    assert state() == before


def test_settings_change_through_patch_and_put(api_as, county, county_admin):
    scheme = village_scheme(county)
    client = api_as(county_admin)
    response = client.patch(f"{SCHEMES}{scheme.pk}/", {"good_cap": 30, "vote_fair": "85"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["good_cap"], response.json()["vote_fair"]) == (30, "85.00")
    before = state()
    # PUT replaces every setting: a missing one is a field error.
    response = client.put(f"{SCHEMES}{scheme.pk}/", {"good_min": "95"}, format="json")
    assert response.status_code == 400 and "fair_min" in response.json() and "good_cap" in response.json()
    assert state() == before
    full = {"name": "新名称", "good_min": "95", "fair_min": "85", "pass_min": "65", "good_cap": None,
            "appraisal_weight": 0, "upper_weight": 50, "lower_weight": 50, "vote_good": "100", "vote_fair": "80",
            "vote_average": "60", "vote_poor": "0"}  # fmt: skip
    response = client.put(f"{SCHEMES}{scheme.pk}/", full, format="json")
    assert response.status_code == 200, response.content
    scheme.refresh_from_db()
    assert (scheme.name, scheme.good_min, scheme.pass_min, scheme.good_cap, scheme.appraisal_weight) == (
        "新名称", D("95.00"), D("65.00"), None, 0,
    )  # fmt: skip


def test_indicators_and_veto_items(api_as, county, county_admin):
    scheme = village_scheme(county)
    client = api_as(county_admin)
    listed = client.get(INDICATORS, {"scheme": scheme.pk}).json()["results"]
    assert [(i["name"], i["max_points"], i["method"], i["order"]) for i in listed] == [
        ("组织建设", "60.00", "manual", 10), ("党员管理", "40.00", "manual", 20),
    ]  # fmt: skip
    response = client.post(
        INDICATORS,
        {"scheme": scheme.pk, "name": "问题整改", "max_points": 10, "method": "computed", "source": "findings_open",
         "params": {"per_open": "1"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["source_label"], body["params"], body["order"]) == (
        "findings_open", "问题整改", {"per_open": "1.00", "per_overdue": "3"}, 30,
    )  # fmt: skip
    detail = client.get(f"{SCHEMES}{scheme.pk}/").json()
    assert (detail["indicators_count"], detail["max_points_total"]) == (3, "110.00")
    assert [i["name"] for i in detail["indicators"]] == ["组织建设", "党员管理", "问题整改"]
    before = state()
    response = client.post(INDICATORS, {"scheme": scheme.pk, "name": "组织建设", "max_points": "5"}, format="json")
    assert assert_chinese_error(response, "name") == "方案中已有指标“组织建设”。"
    response = client.post(INDICATORS, {"scheme": scheme.pk, "name": "新", "max_points": "5", "method": "computed",
                                        "source": "nope"}, format="json")  # fmt: skip
    assert assert_chinese_error(response, "source").startswith("请选择计算来源：三会一课达标率")
    response = client.patch(f"{INDICATORS}{body['id']}/", {"max_points": "0"}, format="json")
    assert assert_chinese_error(response, "max_points") == "分值 0 超出范围，应在 0.01 到 100.00 之间。"
    assert state() == before
    assert client.delete(f"{INDICATORS}{body['id']}/").status_code == 204
    assert client.get(f"{SCHEMES}{scheme.pk}/").json()["max_points_total"] == "100.00"
    # Veto items
    response = client.post(VETO_ITEMS, {"scheme": scheme.pk, "name": "发生严重违纪违法问题"}, format="json")
    assert response.status_code == 201 and response.json()["order"] == 1
    item = response.json()["id"]
    assert client.get(VETO_ITEMS, {"scheme": scheme.pk}).json()["results"][0]["name"] == "发生严重违纪违法问题"
    assert assert_chinese_error(client.post(VETO_ITEMS, {"scheme": scheme.pk, "name": " "}, format="json"),
                                "name") == "请填写否决事项。"  # fmt: skip
    assert client.delete(f"{VETO_ITEMS}{item}/").status_code == 204
    assert not VetoItem.objects.exists()


def test_copy_to_the_next_year(api_as, county, county_admin):
    scheme = village_scheme(county)
    VetoItem.objects.create(scheme=scheme, name="发生严重违纪", order=1)
    client = api_as(county_admin)
    response = client.post(f"{SCHEMES}{scheme.pk}/copy/", {}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["year"], body["group"], body["appraisal_weight"], body["upper_weight"]) == (2026, GROUP, 20, 60)
    assert [(i["name"], i["max_points"]) for i in body["indicators"]] == [("组织建设", "60.00"), ("党员管理", "40.00")]
    assert [v["name"] for v in body["veto_items"]] == ["发生严重违纪"] and body["results_count"] == 4
    before = state()
    response = client.post(f"{SCHEMES}{scheme.pk}/copy/", {"year": 2026}, format="json")
    assert assert_chinese_error(response, "year") == "2026年度“村（社区）党组织”已有考核方案。"
    response = client.post(f"{SCHEMES}{scheme.pk}/copy/", {"year": 1990}, format="json")
    assert assert_chinese_error(response, "year").startswith("年度应在 2000 到")
    assert state() == before


# ---- compute, missing, publish, reopen -----------------------------------------------------------------------------


def test_missing_scores_are_listed_and_publishing_is_refused(api_as, county, county_admin, township_admin):
    scheme = village_scheme(county)
    score_all(scheme, county, {county.village_a2: ("60", "40", 10), county.village_b1: ("50", "30", 5)})
    a, _ = scheme.indicators.order_by("order")
    result = Result.objects.get(scheme=scheme, organization=county.village_b2)
    score_set(actor=None, result=result, indicator=a, score="60")
    client = api_as(county_admin)
    rows = client.get(f"{SCHEMES}{scheme.pk}/missing/").json()
    assert [(r["organization"]["code"], r["organization"]["name"], r["reasons"]) for r in rows] == [
        ("C01001", "东街村党支部", ["未评分：组织建设、党员管理", "未录入述职评议票数"]),
        ("C02002", "南河村党支部", ["未评分：党员管理", "未录入述职评议票数"]),
    ]
    # A township administrator sees the organizations of its own subtree only.
    assert [r["organization"]["code"] for r in api_as(township_admin).get(f"{SCHEMES}{scheme.pk}/missing/").json()] == [
        "C01001"
    ]
    before = state()
    response = client.post(f"{SCHEMES}{scheme.pk}/publish/")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["还有组织的得分不完整，不能发布：东街村党支部、南河村党支部（共 2 个组织）。"]
    }
    assert state() == before


def test_compute_is_a_job_then_publish_and_reopen(api_as, county, county_admin, django_capture_on_commit_callbacks):
    scheme = village_scheme(county)
    score_all(
        scheme,
        county,
        {county.village_a1: ("55", "38", 8), county.village_a2: ("60", "40", 10),
         county.village_b1: ("50", "30", 5), county.village_b2: ("40", "20", 0)},
    )  # fmt: skip
    client = api_as(county_admin)
    # Not computed yet: publishing is refused with the reason.
    response = client.post(f"{SCHEMES}{scheme.pk}/publish/")
    assert response.json() == {
        "non_field_errors": ["2025年度村（社区）党组织考核的得分或设置在上次计算后有变化，请先重新计算，再发布。"]
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{SCHEMES}{scheme.pk}/compute/")
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["kind"], job["status"], job["params"]) == ("assessment_compute", "pending", {"year": YEAR,
                                                                                           "county": county.root.pk})  # fmt: skip
    assert job["status_url"] == f"/core/jobs/{job['id']}/" and job["url"] == f"/api/assessment-jobs/{job['id']}/"
    followed = client.get(job["url"]).json()
    assert (followed["status"], followed["status_label"], followed["progress"]) == ("succeeded", "已完成", 100)
    assert followed["message"].startswith("2025年度计算完成：1 个考核方案")
    assert client.get(f"{SCHEMES}{scheme.pk}/").json()["status"] == "computed"
    assert client.get(f"{SCHEMES}{scheme.pk}/missing/").json() == []
    # Published: locked, and recomputing is refused until reopened.
    response = client.post(f"{SCHEMES}{scheme.pk}/publish/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["published_by"]) == ("published", "县委组织部管理员")
    before = state()
    response = client.post(f"{SCHEMES}{scheme.pk}/compute/")
    assert response.json() == {
        "non_field_errors": ["2025年度村（社区）党组织考核已发布，结果已锁定；重新计算前请先撤回发布（需填写原因）。"]
    }
    response = client.patch(f"{SCHEMES}{scheme.pk}/", {"good_min": "95"}, format="json")
    assert response.json() == {
        "non_field_errors": ["2025年度村（社区）党组织考核已发布，结果已锁定；如需修改，请先撤回发布（需填写原因）。"]
    }
    assert assert_chinese_error(client.post(f"{SCHEMES}{scheme.pk}/reopen/", {"reason": " "}, format="json"),
                                "reason") == "撤回发布须填写原因。"  # fmt: skip
    assert state() == before
    response = client.post(f"{SCHEMES}{scheme.pk}/reopen/", {"reason": "东街村得分录入有误"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reopen_reason"]) == ("draft", "东街村得分录入有误")


def test_compute_is_refused_while_the_points_do_not_add_up(api_as, county, county_admin):
    scheme = village_scheme(county)
    indicator_add(actor=None, scheme=scheme, name="加分项", max_points="5")
    before = state()
    response = api_as(county_admin).post(f"{SCHEMES}{scheme.pk}/compute/")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["2025年度村（社区）党组织考核的指标分值合计 105.00 分，应为 100 分，请先调整考核方案。"]
    }
    assert state() == before


def test_jobs_of_others_are_not_found(api_as, county, county_admin, township_admin, django_capture_on_commit_callbacks):
    scheme = village_scheme(county)
    with django_capture_on_commit_callbacks(execute=True):
        job = api_as(county_admin).post(f"{SCHEMES}{scheme.pk}/compute/").json()
    assert api_as(township_admin).get(job["url"]).status_code == 404
    other = Job.objects.create(kind="import", org_path=county.root.path)
    assert api_as(county_admin).get(f"/api/assessment-jobs/{other.pk}/").status_code == 404


# ---- filters, query counts, schema -------------------------------------------------------------------------------


def test_list_filters(api_as, county, county_admin):
    village_scheme(county, year=2024)
    village_scheme(county, year=2025)
    # 社 sorts after 村 both by code point (SQLite) and by pinyin (PostgreSQL's zh-Hans-CN collation)
    scheme_create(actor=None, county=county.root, year=2025, group="社区党组织")
    client = api_as(county_admin)

    def listed(**params):
        return [(s["year"], s["group"]) for s in client.get(SCHEMES, params).json()["results"]]

    assert listed() == [(2025, GROUP), (2025, "社区党组织"), (2024, GROUP)]
    assert listed(year=2024) == [(2024, GROUP)]
    assert listed(group="社区党组织") == [(2025, "社区党组织")]
    assert listed(status="published") == []
    response = client.get(SCHEMES, {"year": "去年"})
    assert response.status_code == 400 and "year" in response.json()


def test_the_list_query_count_does_not_grow(api_as, county, county_admin, django_assert_max_num_queries):
    client = api_as(county_admin)
    village_scheme(county, year=2020)
    with django_assert_max_num_queries(6):
        assert client.get(SCHEMES).json()["count"] == 1
    for year in range(2021, 2026):
        village_scheme(county, year=year)
    with django_assert_max_num_queries(6):
        assert client.get(SCHEMES).json()["count"] == 6
    with django_assert_max_num_queries(6):
        assert client.get(INDICATORS).json()["count"] == 12


def test_the_schema_describes_the_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = set(schema["paths"])
    assert {
        "/api/assessment-schemes/", "/api/assessment-schemes/{id}/", "/api/assessment-schemes/{id}/copy/",
        "/api/assessment-schemes/{id}/compute/", "/api/assessment-schemes/{id}/publish/",
        "/api/assessment-schemes/{id}/reopen/", "/api/assessment-schemes/{id}/missing/",
        "/api/assessment-indicators/", "/api/assessment-indicators/{id}/", "/api/assessment-veto-items/",
        "/api/assessment-veto-items/{id}/", "/api/assessment-jobs/{id}/",
    } <= paths  # fmt: skip
    compute = schema["paths"]["/api/assessment-schemes/{id}/compute/"]["post"]
    assert set(compute["responses"]) == {"202"}
    names = {p["name"] for p in schema["paths"]["/api/assessment-schemes/"]["get"]["parameters"]}
    assert {"year", "group", "status"} <= names
    status = schema["components"]["schemas"]["Scheme"]["properties"]["status"]
    assert status["pattern"] == "^(draft|computed|published)$"
