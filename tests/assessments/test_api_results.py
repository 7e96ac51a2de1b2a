"""The assessment's results, rankings, penalties and rule parameters over REST: /api/assessment-results/ (with
scores, appraisal, veto and grade changes), /api/assessment-rankings/, /api/assessment-penalties/,
/api/assessment-rules/. Who reads what (read-only accounts: published only; a township: its own subtree), who may
act (an inspector over their assignment, the county department for vetoes, grade changes and parameters), refused
writes that change nothing, the ID number only masked, query counts that do not grow with the rows, the schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.services import account_create
from assessments.models import AppraisalTally, IndicatorScore, Penalty, Result, RuleSettings
from assessments.services.scoring import imported_total_set
from assessments.services.workflow import scheme_publish, year_compute
from core.models import AuditEvent
from tests.assessments.conftest import secretary
from tests.assessments.test_api_schemes import GROUP, village_scheme
from tests.conftest import PASSWORD
from tests.members.api_helpers import assert_chinese_error

pytestmark = pytest.mark.django_db

RESULTS = "/api/assessment-results/"
RANKINGS = "/api/assessment-rankings/"
PENALTIES = "/api/assessment-penalties/"
RULES = "/api/assessment-rules/"
YEAR = 2025


def result_of(scheme, org) -> Result:
    return Result.objects.get(scheme=scheme, organization=org)


def villages(county) -> tuple:
    return county.village_a1, county.village_a2, county.village_b1, county.village_b2


def assess(county, year: int, totals: dict, *, publish: bool = True):
    """The villages' scheme of `year` with imported totals {org: total}, computed (and published)."""
    scheme = village_scheme(county, year=year)
    for org, total in totals.items():
        imported_total_set(actor=None, result=result_of(scheme, org), total=Decimal(total))
    year_compute(year=year, county=county.root)
    if publish:
        scheme_publish(actor=None, scheme=scheme)
    scheme.refresh_from_db()
    return scheme


@pytest.fixture
def secretaries(county):
    """The four villages' secretaries since 2020 (so each result and penalty has a responsible person)."""
    return {org.code: secretary(org, dt.date(2020, 1, 1)) for org in villages(county)}


@pytest.fixture
def published(county, secretaries):
    """2025 published, default thresholds (好 ≥ 90, 较好 ≥ 80, 一般 ≥ 60) and no 好 quota: 东街 90 and 西街 90 tie
    at rank 1 (both 好), 北山 75 is third (一般), 南河 50 fourth (差 → rule 1 for its secretary); four villages are
    too few for a bottom three."""
    return assess(
        county,
        YEAR,
        {county.village_a1: "90", county.village_a2: "90", county.village_b1: "75", county.village_b2: "50"},
    )


def state() -> tuple:
    """Everything a result write could touch."""
    return (
        list(Result.objects.order_by("pk").values_list(
            "pk", "total", "imported_total", "indicator_total", "appraisal_score", "vetoed", "veto_reason",
            "grade_override", "override_reason", "grade",
        )),
        list(IndicatorScore.objects.order_by("pk").values_list("pk", "score", "note")),
        list(AppraisalTally.objects.order_by("pk").values_list("pk", "side", "good", "fair", "average", "poor")),
        list(RuleSettings.objects.order_by("pk").values_list(
            "pk", "failed_on", "not_moved_up_years", "bottom_years", "bottom_n", "min_group_size",
        )),
        AuditEvent.objects.count(),
    )  # fmt: skip


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["organization"]["code"] for row in response.json()["results"]]


# ---- reading --------------------------------------------------------------------------------------------------


def test_anonymous_gets_nothing(api_as, county, published):
    client = api_as(None)
    for url in (RESULTS, f"{RANKINGS}?year={YEAR}&group={GROUP}", PENALTIES, RULES):
        assert client.get(url).status_code in (401, 403), url


def test_each_role_reads_its_own_subtree_and_read_only_roles_only_published(
    api_as, county, county_admin, sibling_admin, secretary, leader, published
):
    draft = assess(county, 2024, {county.village_a1: "80"}, publish=False)
    assert draft.status == "computed"
    everyone = ["C01001", "C01002", "C02001", "C02002"]
    assert codes(api_as(county_admin).get(RESULTS, {"year": 2024})) == everyone  # the department sees drafts
    assert codes(api_as(leader).get(RESULTS, {"year": 2024})) == []
    assert codes(api_as(leader).get(RESULTS, {"year": YEAR})) == ["C01001", "C01002", "C02001", "C02002"]
    assert codes(api_as(sibling_admin).get(RESULTS, {"year": YEAR})) == ["C02001", "C02002"]
    assert codes(api_as(secretary).get(RESULTS)) == ["C01001"]
    # another township's result, or a draft for a read-only account, is a 404 like a missing id
    a1_draft = result_of(draft, county.village_a1)
    assert api_as(sibling_admin).get(f"{RESULTS}{result_of(published, county.village_a1).pk}/").status_code == 404
    assert api_as(leader).get(f"{RESULTS}{a1_draft.pk}/").status_code == 404
    assert api_as(county_admin).get(f"{RESULTS}{a1_draft.pk}/").status_code == 200


def test_the_ranking_shares_ranks_on_ties_and_needs_year_and_group(api_as, county, leader, published):
    client = api_as(leader)
    rows = client.get(RANKINGS, {"year": YEAR, "group": GROUP}).json()["results"]
    assert [(r["organization"]["code"], r["rank"], r["total"], r["grade_label"]) for r in rows] == [
        ("C01001", 1, "90.00", "好"),
        ("C01002", 1, "90.00", "好"),
        ("C02001", 3, "75.00", "一般"),
        ("C02002", 4, "50.00", "差"),
    ]
    assert rows[3]["failed"] is True and rows[0]["moved_up"] is None  # no 2024 result: unknown
    assert rows[0]["secretary"]["name"] == "东街村党支部书记"
    response = client.get(RANKINGS, {"group": GROUP})
    assert_chinese_error(response, "year")
    assert response.json()["year"] == ["请选择年度（year）。"]


def test_filters_of_the_results(api_as, county, county_admin, published):
    client = api_as(county_admin)
    assert codes(client.get(RESULTS, {"grade": 4})) == ["C02002"]
    assert codes(client.get(RESULTS, {"org": "C02"})) == ["C02001", "C02002"]
    assert codes(client.get(RESULTS, {"moved_up": "unknown"})) == ["C01001", "C01002", "C02001", "C02002"]
    assert codes(client.get(RESULTS, {"org": "不存在"})) == []
    assert_chinese_error(client.get(RESULTS, {"grade": "优秀"}), "grade")


def test_list_and_ranking_queries_do_not_grow_with_the_rows(
    api_as, county, county_admin, secretaries, django_assert_max_num_queries
):
    assess(county, 2023, dict.fromkeys(villages(county), "80"))
    client = api_as(county_admin)
    with django_assert_max_num_queries(8) as small:
        assert client.get(RESULTS).json()["count"] == 4
    for year in (2024, 2025):
        assess(county, year, dict(zip(villages(county), ("95", "85", "70", "55"))))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(RESULTS).json()["count"] == 12
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(RANKINGS, {"year": 2025, "group": GROUP}).json()["results"]) == 4
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(PENALTIES)


# ---- scores, appraisal, veto, grade change ------------------------------------------------------------------------


def test_an_inspector_scores_in_the_assignment_and_the_total_follows(api_as, county, inspector, secretaries):
    scheme = village_scheme(county)
    a, b = scheme.indicators.order_by("order")
    result = result_of(scheme, county.village_a1)
    client = api_as(inspector)
    url = f"{RESULTS}{result.pk}/scores/"
    assert client.post(url, {"indicator": a.pk, "score": "55", "note": "台账不全"}, format="json").status_code == 200
    body = client.post(url, {"indicator": b.pk, "score": "40"}, format="json").json()
    # 55 + 40 = 95 of the indicators; the appraisal weighs 20%, and without votes the total stays empty
    assert (body["indicator_total"], body["appraisal_score"], body["total"]) == ("95.00", None, None)
    assert [(s["indicator"], s["score"], s["note"]) for s in body["scores"]] == [
        (a.pk, "55.00", "台账不全"),
        (b.pk, "40.00", ""),
    ]
    votes = {"side": "upper", "good": 8, "fair": 2}
    body = client.post(f"{RESULTS}{result.pk}/appraisal/", votes, format="json").json()
    # upper side only: (8 × 100 + 2 × 80) / 10 = 96; total 95 × 80% + 96 × 20% = 76 + 19.2
    assert (body["appraisal_score"], body["total"]) == ("96.00", "95.20")
    assert AuditEvent.objects.filter(object_type="assessments.indicatorscore", actor=inspector).count() == 2
    response = client.delete(f"{url}?indicator={b.pk}")
    assert response.status_code == 200 and response.json()["indicator_total"] is None


def test_refused_score_writes_change_nothing(api_as, county, inspector, leader, secretary, secretaries):
    scheme = village_scheme(county)
    a, _ = scheme.indicators.order_by("order")
    result = result_of(scheme, county.village_a1)
    url = f"{RESULTS}{result.pk}/scores/"
    other = village_scheme(county, year=2024).indicators.first()
    outside = account_create(
        actor=None, username="kaohe_b", password=PASSWORD, organization=county.township_b, role="inspector"
    )
    before = state()
    # a deduction needs its note; points above the indicator's maximum
    response = api_as(inspector).post(url, {"indicator": a.pk, "score": "50"}, format="json")
    assert_chinese_error(response, "note")
    response = api_as(inspector).post(url, {"indicator": a.pk, "score": "61", "note": "多"}, format="json")
    assert_chinese_error(response, "score")
    # an inspector outside the assignment does not even find the result
    assert api_as(outside).post(url, {"indicator": a.pk, "score": "60"}, format="json").status_code == 404
    # the leader does not read a draft; another scheme's indicator is refused by name
    assert api_as(leader).post(url, {"indicator": a.pk, "score": "60"}, format="json").status_code == 404
    assert_chinese_error(
        api_as(inspector).post(url, {"indicator": other.pk, "score": "60"}, format="json"), "indicator"
    )
    assert state() == before


def test_a_published_scheme_is_locked_and_read_only_roles_get_403(api_as, county, county_admin, secretary, published):
    result = result_of(published, county.village_a1)
    a = published.indicators.order_by("order").first()
    before = state()
    response = api_as(secretary).post(
        f"{RESULTS}{result.pk}/scores/", {"indicator": a.pk, "score": "60"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "您不是该组织的考核人员，不能为其评分。"
    response = api_as(county_admin).post(
        f"{RESULTS}{result.pk}/scores/", {"indicator": a.pk, "score": "60"}, format="json"
    )
    assert response.status_code in (400, 409) and "已发布" in response.content.decode()
    assert state() == before


def test_veto_and_grade_change_are_the_county_departments(api_as, county, county_admin, township_admin, secretaries):
    scheme = assess(county, YEAR, {county.village_a1: "95", county.village_a2: "80"}, publish=False)
    result = result_of(scheme, county.village_a1)
    before = state()
    for url, body in (
        (f"{RESULTS}{result.pk}/veto/", {"vetoed": True, "reason": "发生重大违纪"}),
        (f"{RESULTS}{result.pk}/override/", {"grade": 2, "reason": "群众反映"}),
    ):
        response = api_as(township_admin).post(url, body, format="json")
        assert response.status_code == 403 and response.json()["detail"] == "只有县委组织部可以设置考核方案。"
    assert state() == before
    assert_chinese_error(
        api_as(county_admin).post(f"{RESULTS}{result.pk}/override/", {"grade": 2}, format="json"), "reason"
    )
    client = api_as(county_admin)
    body = client.post(f"{RESULTS}{result.pk}/veto/", {"vetoed": True, "reason": "发生重大违纪"}, format="json").json()
    assert body["vetoed"] is True and body["veto_reason"] == "发生重大违纪"
    scheme.refresh_from_db()
    assert scheme.status == "draft"  # back to 待计算: applied at the next computation
    year_compute(year=YEAR, county=county.root)
    assert result_of(scheme, county.village_a1).grade == 4


# ---- penalties and the rules' parameters --------------------------------------------------------------------------


def test_penalties_with_their_evidence_and_the_id_number_masked(
    api_as, county, county_admin, sibling_admin, township_admin, published, secretaries
):
    person = secretaries["C02002"]
    assert Penalty.objects.filter(person=person, year=YEAR, rule=1).exists()
    body = api_as(county_admin).get(PENALTIES).json()
    [row] = [r for r in body["results"] if r["person"]["id"] == person.pk]
    assert row["rule_label"] == "不合格" and row["consequence"] == "一律年度内不得提拔重用"
    assert row["applies_in"] == 2026 and row["organization"]["code"] == "C02002"
    assert [(e["year"], e["code"], e["grade"], e["total"]) for e in row["evidence"]] == [(2025, "C02002", 4, "50.00")]
    assert row["why"] == "南河村党支部书记作为南河村党支部的责任书记，2025年不合格，2026年一律年度内不得提拔重用。"
    assert "*" in row["person"]["id_number_masked"]
    raw = api_as(county_admin).get(f"{PENALTIES}{row['id']}/").content.decode()
    assert "id_number_encrypted" not in raw and person.id_number_masked in raw
    # 南河 is in 石门镇: its township reads the penalty, 城关镇 does not find it
    assert [r["id"] for r in api_as(sibling_admin).get(PENALTIES).json()["results"]] == [row["id"]]
    assert api_as(township_admin).get(f"{PENALTIES}{row['id']}/").status_code == 404


def test_a_leader_sees_penalties_only_of_published_years(api_as, county, leader, secretaries):
    scheme = assess(county, YEAR, dict(zip(villages(county), ("95", "85", "70", "50"))), publish=False)
    assert Penalty.objects.filter(year=YEAR).exists()
    assert api_as(leader).get(PENALTIES).json()["count"] == 0
    scheme_publish(actor=None, scheme=scheme)
    assert api_as(leader).get(PENALTIES).json()["count"] == Penalty.objects.filter(year=YEAR).count()


def test_the_rules_parameters_are_read_by_all_and_changed_by_the_department(api_as, county, county_admin, leader):
    body = api_as(leader).get(RULES).json()
    assert (body["saved"], body["may_manage"], body["not_moved_up_years"], body["bottom_n"]) == (False, False, 2, 3)
    assert [r["label"] for r in body["rules"]] == ["不合格", "连续两年未晋位升级", "连续三年后三名"]
    before = state()
    response = api_as(leader).patch(RULES, {"bottom_years": 2}, format="json")
    assert response.status_code == 403
    assert_chinese_error(api_as(county_admin).patch(RULES, {"bottom_years": 9}, format="json"), "bottom_years")
    assert state() == before
    body = api_as(county_admin).patch(RULES, {"bottom_years": 2}, format="json").json()
    assert (body["saved"], body["bottom_years"], body["rules"][2]["label"]) == (True, 2, "连续两年后三名")
    assert AuditEvent.objects.filter(object_type="assessments.rulesettings", actor=county_admin).exists()


def test_the_schema_describes_the_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert {
        "/api/assessment-results/", "/api/assessment-results/{id}/", "/api/assessment-results/{id}/scores/",
        "/api/assessment-results/{id}/appraisal/", "/api/assessment-results/{id}/veto/",
        "/api/assessment-results/{id}/override/", "/api/assessment-rankings/", "/api/assessment-penalties/",
        "/api/assessment-penalties/{id}/", "/api/assessment-rules/",
    } <= set(schema["paths"])  # fmt: skip
    ranking = {p["name"]: p for p in schema["paths"]["/api/assessment-rankings/"]["get"]["parameters"]}
    assert ranking["year"]["required"] and ranking["group"]["required"]
    evidence = schema["components"]["schemas"]["Penalty"]["properties"]["evidence"]
    assert evidence["items"]["$ref"].endswith("EvidenceRow")
