"""REST API of 培训台账 (/api/training-records/): the permission matrix, adding a course through the service, filters
by member, year and subtree, Chinese 400s naming the field, and a list whose query count does not grow with rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from members.development import training_record_add
from members.models import TrainingRecord
from tests.members.api_helpers import D, assert_chinese_error, audited, ids, make_member, unchanged

pytestmark = pytest.mark.django_db

URL = "/api/training-records/"


START, END = D(2025, 3, 1), D(2025, 3, 3)


def _training(member, start=START, end=END, course="党史学习教育"):
    return training_record_add(actor=None, member=member, course=course, start_on=start, end_on=end, hours=Decimal(24))


@pytest.fixture
def member_a1(county):
    return make_member(county.village_a1, 1)


@pytest.fixture
def member_a2(county):
    return make_member(county.village_a2, 2)


@pytest.fixture
def member_b1(county):
    return make_member(county.village_b1, 3)


@pytest.fixture
def training_a1(member_a1):
    return _training(member_a1)


@pytest.fixture
def training_a2(member_a2):
    return _training(member_a2, D(2024, 5, 6), D(2024, 5, 8))


@pytest.fixture
def training_b1(member_b1):
    return _training(member_b1)


def _new(member, **extra) -> dict:
    return {
        "member_id": member.pk,
        "course": "发展对象培训班",
        "organizer": "县委党校",
        "start_on": "2025-06-02",
        "end_on": "2025-06-04",
        "hours": "24",
        **extra,
    }


def test_anonymous_is_refused(county, member_a1, training_a1, api_as):
    client = api_as(None)
    assert client.get(URL).status_code in (401, 403)
    assert client.get(f"{URL}{training_a1.pk}/").status_code in (401, 403)
    with unchanged(training_a1):
        assert client.post(URL, _new(member_a1), format="json").status_code in (401, 403)


def test_sibling_township_sees_and_changes_nothing_of_township_a(
    county, member_a1, training_a1, training_b1, sibling_admin, api_as
):
    client = api_as(sibling_admin)
    assert ids(client.get(URL)) == {training_b1.pk}
    assert ids(client.get(f"{URL}?member={member_a1.pk}")) == set()
    outside = client.get(f"{URL}{training_a1.pk}/")
    missing = client.get(f"{URL}999999/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    with unchanged(training_a1, member_a1):
        assert_chinese_error(client.post(URL, _new(member_a1), format="json"), "member_id")


def test_leader_reads_and_adds_nothing(county, member_a1, training_a1, training_b1, leader, api_as):
    client = api_as(leader)
    assert ids(client.get(URL)) == {training_a1.pk, training_b1.pk}
    with unchanged(training_a1):
        assert_chinese_error(client.post(URL, _new(member_a1), format="json"), "member_id")


def test_secretary_adds_courses_within_the_branch(
    county, member_a1, member_a2, training_a1, training_a2, secretary, api_as
):
    client = api_as(secretary)
    assert ids(client.get(URL)) == {training_a1.pk}
    assert client.get(f"{URL}{training_a2.pk}/").status_code == 404
    body = client.get(f"{URL}{training_a1.pk}/").json()
    assert body["member"] == {"id": member_a1.pk, "name": "党员1", "branch": body["member"]["branch"]}
    assert body["member"]["branch"]["code"] == "C01001" and body["certificate_mismatch"] is False

    response = client.post(URL, _new(member_a1, certificate_end_on="2025-06-05"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["certificate_mismatch"] is True  # kept as evidence, and flagged
    record = TrainingRecord.objects.get(pk=response.json()["id"])
    assert (record.member, record.course, record.hours) == (member_a1, "发展对象培训班", Decimal(24))
    assert audited(secretary, TrainingRecord, record.pk)

    with unchanged(training_a2, member_a2):
        assert_chinese_error(client.post(URL, _new(member_a2), format="json"), "member_id")


def test_county_admin_filters_by_member_year_and_subtree(
    county, member_a1, member_b1, training_a1, training_a2, training_b1, county_admin, api_as
):
    client = api_as(county_admin)
    assert ids(client.get(URL)) == {training_a1.pk, training_a2.pk, training_b1.pk}
    assert ids(client.get(f"{URL}?member={member_b1.pk}")) == {training_b1.pk}
    assert ids(client.get(f"{URL}?year=2024")) == {training_a2.pk}
    assert ids(client.get(f"{URL}?organization={county.township_a.pk}")) == {training_a1.pk, training_a2.pk}
    assert ids(client.get(f"{URL}?organization={county.village_a1.pk}&year=2025")) == {training_a1.pk}
    assert_chinese_error(client.get(f"{URL}?year=1900"), "year")
    assert_chinese_error(client.get(f"{URL}?member={2**70}"), "member")
    response = client.post(URL, _new(member_b1), format="json")
    assert response.status_code == 201, response.content
    assert audited(county_admin, TrainingRecord, response.json()["id"])


def test_bad_input_answers_400_naming_the_field(county, member_a1, secretary, api_as):
    client = api_as(secretary)
    with unchanged(member_a1):
        backwards = client.post(URL, _new(member_a1, end_on="2025-06-01"), format="json")
        assert assert_chinese_error(backwards, "end_on") == "结束日期不能早于开始日期。"
        future = client.post(URL, _new(member_a1, start_on="2099-01-01", end_on="2099-01-02"), format="json")
        assert "不能晚于今天" in assert_chinese_error(future, "start_on")
        assert assert_chinese_error(client.post(URL, _new(member_a1, hours="0"), format="json"), "hours") == (
            "学时应大于 0。"
        )
        assert_chinese_error(client.post(URL, _new(member_a1, course=""), format="json"), "course")


def test_list_query_count_does_not_grow_with_rows(
    county, training_a1, county_admin, api_as, django_assert_max_num_queries
):
    client = api_as(county_admin)
    client.get(URL)  # warm-up: the account's grants
    with django_assert_max_num_queries(2) as small:  # count, page (member, person, branch)
        assert client.get(f"{URL}?limit=100").status_code == 200
    for n in range(20):
        _training(make_member(county.village_b1 if n % 2 else county.village_a2, 100 + n), course=f"课程{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"{URL}?limit=100")
    assert response.json()["count"] == 21
