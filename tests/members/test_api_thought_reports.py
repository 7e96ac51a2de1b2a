"""REST API of 思想汇报 (/api/thought-reports/): the permission matrix, adding one through the service, filters,
Chinese 400s naming the field, and a list whose query count does not grow with rows."""

from __future__ import annotations

import pytest

from members.development import candidate_record_steps, thought_report_add
from members.models import ThoughtReport
from tests.members.api_helpers import D, assert_chinese_error, audited, ids, make_candidate, unchanged

pytestmark = pytest.mark.django_db

URL = "/api/thought-reports/"


SUBMITTED = D(2024, 3, 1)


def _report(candidate, on=SUBMITTED, text="学习党章的体会。"):
    return thought_report_add(actor=None, candidate=candidate, submitted_on=on, text=text, title="思想汇报")


@pytest.fixture
def cand_a1(county):
    return make_candidate(county.village_a1, 1)


@pytest.fixture
def cand_a2(county):
    return make_candidate(county.village_a2, 2)


@pytest.fixture
def cand_b1(county):
    return make_candidate(county.village_b1, 3)


@pytest.fixture
def report_a1(cand_a1):
    return _report(cand_a1)


@pytest.fixture
def report_a2(cand_a2):
    return _report(cand_a2)


@pytest.fixture
def report_b1(cand_b1):
    return _report(cand_b1, on=D(2025, 5, 4))


def _new(candidate, **extra) -> dict:
    return {"candidate_id": candidate.pk, "submitted_on": "2024-06-30", "title": "第二季度", "text": "体会。", **extra}


def test_anonymous_is_refused(county, cand_a1, report_a1, api_as):
    client = api_as(None)
    assert client.get(URL).status_code in (401, 403)
    assert client.get(f"{URL}{report_a1.pk}/").status_code in (401, 403)
    with unchanged(report_a1):
        assert client.post(URL, _new(cand_a1), format="json").status_code in (401, 403)


def test_sibling_township_sees_and_changes_nothing_of_township_a(
    county, cand_a1, report_a1, report_b1, sibling_admin, api_as
):
    client = api_as(sibling_admin)
    assert ids(client.get(URL)) == {report_b1.pk}
    outside = client.get(f"{URL}{report_a1.pk}/")
    missing = client.get(f"{URL}999999/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    with unchanged(report_a1, cand_a1):
        assert_chinese_error(client.post(URL, _new(cand_a1), format="json"), "candidate_id")


def test_leader_reads_and_adds_nothing(county, cand_a1, report_a1, report_b1, leader, api_as):
    client = api_as(leader)
    assert ids(client.get(URL)) == {report_a1.pk, report_b1.pk}
    with unchanged(report_a1):
        assert_chinese_error(client.post(URL, _new(cand_a1), format="json"), "candidate_id")


def test_secretary_adds_reports_within_the_branch(county, cand_a1, cand_a2, report_a1, report_a2, secretary, api_as):
    client = api_as(secretary)
    assert ids(client.get(URL)) == {report_a1.pk}
    assert client.get(f"{URL}{report_a2.pk}/").status_code == 404
    body = client.get(f"{URL}{report_a1.pk}/").json()
    assert body["person"]["name"] == cand_a1.person.name and body["branch"]["code"] == "C01001"
    assert body["text"] == "学习党章的体会。"

    candidate_record_steps(actor=None, candidate=cand_a1, talked_on=D(2024, 1, 20), activist_on=D(2024, 3, 1))
    problems = client.get(f"/api/candidates/{cand_a1.pk}/").json()["problems"]
    assert any("2024年第2季度" in p for p in problems)  # cultivation needs a report every quarter

    response = client.post(URL, _new(cand_a1, title="  第二季度  "), format="json")
    assert response.status_code == 201, response.content
    report = ThoughtReport.objects.get(pk=response.json()["id"])
    assert (report.person, report.branch, report.title) == (cand_a1.person, county.village_a1, "第二季度")
    assert audited(secretary, ThoughtReport, report.pk)
    # the report counts for the candidate's time-limit checks
    assert not any("2024年第2季度" in p for p in client.get(f"/api/candidates/{cand_a1.pk}/").json()["problems"])

    with unchanged(report_a2, cand_a2):
        assert_chinese_error(client.post(URL, _new(cand_a2), format="json"), "candidate_id")


def test_county_admin_filters(county, cand_a1, report_a1, report_a2, report_b1, county_admin, api_as):
    client = api_as(county_admin)
    assert ids(client.get(URL)) == {report_a1.pk, report_a2.pk, report_b1.pk}
    assert ids(client.get(f"{URL}?organization={county.township_a.pk}")) == {report_a1.pk, report_a2.pk}
    assert ids(client.get(f"{URL}?candidate={cand_a1.pk}")) == {report_a1.pk}
    assert ids(client.get(f"{URL}?year=2025")) == {report_b1.pk}
    assert_chinese_error(client.get(f"{URL}?candidate=0"), "candidate")
    response = client.post(URL, _new(cand_a1), format="json")
    assert response.status_code == 201, response.content
    assert audited(county_admin, ThoughtReport, response.json()["id"])


def test_bad_input_answers_400_naming_the_field(county, cand_a1, secretary, api_as):
    client = api_as(secretary)
    with unchanged(cand_a1):
        early = client.post(URL, _new(cand_a1, submitted_on="2023-12-31"), format="json")
        assert "不能早于递交入党申请的日期" in assert_chinese_error(early, "submitted_on")
        future = client.post(URL, _new(cand_a1, submitted_on="2099-01-01"), format="json")
        assert "不能晚于今天" in assert_chinese_error(future, "submitted_on")
        assert_chinese_error(client.post(URL, _new(cand_a1, text="   "), format="json"), "text")
        assert_chinese_error(client.post(URL, _new(cand_a1, candidate_id=999999), format="json"), "candidate_id")


def test_list_query_count_does_not_grow_with_rows(
    county, report_a1, county_admin, api_as, django_assert_max_num_queries
):
    client = api_as(county_admin)
    client.get(URL)  # warm-up: the account's grants
    with django_assert_max_num_queries(2) as small:  # count, page (person, branch)
        assert client.get(f"{URL}?limit=100").status_code == 200
    for n in range(20):
        _report(make_candidate(county.village_b1 if n % 2 else county.village_a2, 100 + n), text=f"体会{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"{URL}?limit=100")
    assert response.json()["count"] == 21
