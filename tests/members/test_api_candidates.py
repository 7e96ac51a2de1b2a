"""REST API of 发展党员 (/api/candidates/): the permission matrix (anonymous, sibling township, leader, branch
secretary, county admin), registration and steps through the services, the time-limit problems on each row, Chinese
400s naming the field, and a list whose query count does not grow with rows."""

from __future__ import annotations

import pytest

from members.choices import DevelopmentStage
from members.development import thought_report_add
from members.models import Candidate
from tests.factories import id_number_for
from tests.members.api_helpers import D, assert_chinese_error, audited, ids, make_candidate, unchanged

pytestmark = pytest.mark.django_db

URL = "/api/candidates/"
STEPS = {"talked_on": "2024-01-20", "activist_on": "2024-03-01"}
NO_TALK = "递交入党申请后一个月内未谈话（应于 2024-02-05 前）"


@pytest.fixture
def cand_a1(county):
    return make_candidate(county.village_a1, 1)


@pytest.fixture
def cand_a2(county):
    return make_candidate(county.village_a2, 2)


@pytest.fixture
def cand_b1(county):
    return make_candidate(county.village_b1, 3)


def _register(branch, n: int = 10, **extra) -> dict:
    return {
        "name": f"新申请人{n}",
        "id_number": id_number_for(950 + n),
        "branch_id": branch.pk,
        "applied_on": "2025-03-01",
        **extra,
    }


def test_anonymous_is_refused(county, cand_a1, api_as):
    client = api_as(None)
    assert client.get(URL).status_code in (401, 403)
    assert client.get(f"{URL}{cand_a1.pk}/").status_code in (401, 403)
    with unchanged(cand_a1):
        assert client.post(URL, _register(county.village_a1), format="json").status_code in (401, 403)
        assert client.post(f"{URL}{cand_a1.pk}/steps/", STEPS, format="json").status_code in (401, 403)


def test_sibling_township_sees_and_changes_nothing_of_township_a(county, cand_a1, cand_b1, sibling_admin, api_as):
    client = api_as(sibling_admin)
    assert ids(client.get(URL)) == {cand_b1.pk}
    assert ids(client.get(f"{URL}?organization={county.village_a1.pk}")) == set()
    outside = client.get(f"{URL}{cand_a1.pk}/")
    missing = client.get(f"{URL}999999/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    with unchanged(cand_a1):
        response = client.post(URL, _register(county.village_a1), format="json")
        assert_chinese_error(response, "branch_id")
        assert client.post(f"{URL}{cand_a1.pk}/steps/", STEPS, format="json").status_code == 404


def test_leader_reads_everything_and_writes_nothing(county, cand_a1, cand_b1, leader, api_as):
    client = api_as(leader)
    assert ids(client.get(URL)) == {cand_a1.pk, cand_b1.pk}
    assert client.get(f"{URL}{cand_a1.pk}/").status_code == 200
    with unchanged(cand_a1):
        assert client.post(URL, _register(county.village_a1), format="json").status_code == 400
        assert client.post(f"{URL}{cand_a1.pk}/steps/", STEPS, format="json").status_code == 404


def test_secretary_registers_and_records_steps_within_the_branch(county, cand_a1, cand_a2, secretary, api_as):
    client = api_as(secretary)
    assert ids(client.get(URL)) == {cand_a1.pk}  # the neighbouring branch of the same township is not theirs
    assert client.get(f"{URL}{cand_a2.pk}/").status_code == 404
    detail = client.get(f"{URL}{cand_a1.pk}/").json()
    assert detail["stage"] == DevelopmentStage.APPLICANT
    assert detail["problems"] == [NO_TALK]  # the board's time-limit checks, on the row
    assert detail["id_number_masked"].count("*") == 10 and "id_number" not in detail

    response = client.post(URL, _register(county.village_a1), format="json")
    assert response.status_code == 201, response.content
    created = Candidate.objects.get(pk=response.json()["id"])
    assert (created.branch, created.stage, created.person.name) == (county.village_a1, "入党申请人", "新申请人10")
    assert id_number_for(960) not in response.content.decode()  # the full number never comes back
    assert audited(secretary, Candidate, created.pk)

    response = client.post(f"{URL}{cand_a1.pk}/steps/", STEPS, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == DevelopmentStage.ACTIVIST
    assert NO_TALK not in response.json()["problems"]
    cand_a1.refresh_from_db()
    assert (cand_a1.talked_on, cand_a1.activist_on) == (D(2024, 1, 20), D(2024, 3, 1))
    assert audited(secretary, Candidate, cand_a1.pk, "update")

    with unchanged(cand_a2):
        assert_chinese_error(client.post(URL, _register(county.village_a2, 11), format="json"), "branch_id")
        assert client.post(f"{URL}{cand_a2.pk}/steps/", STEPS, format="json").status_code == 404


def test_county_admin_filters_by_subtree_and_stage(county, cand_a1, cand_a2, cand_b1, county_admin, api_as):
    client = api_as(county_admin)
    assert ids(client.get(URL)) == {cand_a1.pk, cand_a2.pk, cand_b1.pk}
    assert ids(client.get(f"{URL}?organization={county.township_a.pk}")) == {cand_a1.pk, cand_a2.pk}
    response = client.post(f"{URL}{cand_b1.pk}/steps/", STEPS, format="json")
    assert response.status_code == 200, response.content
    assert ids(client.get(f"{URL}?stage=入党积极分子")) == {cand_b1.pk}
    assert ids(client.get(f"{URL}?stage=入党申请人&organization={county.township_b.pk}")) == set()
    response = client.post(URL, _register(county.dept), format="json")
    assert response.status_code == 201, response.content
    assert audited(county_admin, Candidate, response.json()["id"])


def test_bad_registration_answers_400_naming_the_field(county, cand_a1, secretary, api_as):
    client = api_as(secretary)
    with unchanged(cand_a1):
        bad_check = _register(county.village_a1, id_number="410702198506121235")  # check digit should be 4
        assert "校验" in assert_chinese_error(client.post(URL, bad_check, format="json"), "id_number")
        future = _register(county.village_a1, applied_on="2099-01-01")
        assert "不能晚于今天" in assert_chinese_error(client.post(URL, future, format="json"), "applied_on")
        again = _register(county.village_a1, name=cand_a1.person.name, id_number=id_number_for(901))
        assert "已在发展党员名单中" in assert_chinese_error(client.post(URL, again, format="json"), "id_number")
        assert_chinese_error(client.post(URL, {"branch_id": county.village_a1.pk}, format="json"), "name")


def test_bad_steps_answer_400_naming_the_field(county, cand_a1, secretary, api_as):
    client = api_as(secretary)
    client.post(f"{URL}{cand_a1.pk}/steps/", STEPS, format="json")
    cand_a1.refresh_from_db()
    steps_url = f"{URL}{cand_a1.pk}/steps/"
    with unchanged(cand_a1):
        early = client.post(steps_url, {"target_on": "2024-02-01"}, format="json")
        assert assert_chinese_error(early, "target_on") == "列为发展对象日期不能早于确定积极分子日期"
        assert_chinese_error(client.post(steps_url, {"extension_months": 3}, format="json"), "extension_months")
        assert_chinese_error(client.post(steps_url, {"talked_on": "昨天"}, format="json"), "talked_on")
        assert_chinese_error(client.post(steps_url, {}, format="json"), "non_field_errors")


def test_list_query_count_does_not_grow_with_rows(county, cand_a1, county_admin, api_as, django_assert_max_num_queries):
    client = api_as(county_admin)
    client.get(URL)  # warm-up: the account's grants
    with django_assert_max_num_queries(3) as small:  # count, page (person, branch), thought reports
        assert client.get(f"{URL}?limit=100").status_code == 200
    for n in range(20):
        c = make_candidate(county.village_b1 if n % 2 else county.village_a2, 100 + n, applied_on=D(2024, 1, 2))
        thought_report_add(actor=None, candidate=c, submitted_on=D(2024, 2, 1), text=f"思想汇报{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"{URL}?limit=100")
    assert response.json()["count"] == 21
    with django_assert_max_num_queries(len(small.captured_queries) + 1):  # + the organization of the filter
        assert client.get(f"{URL}?limit=100&organization={county.township_b.pk}").json()["count"] == 10
