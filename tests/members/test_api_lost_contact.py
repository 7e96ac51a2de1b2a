"""REST API of 失联党员排查 (/api/lost-contact-cases/): the permission matrix, `decide` (confirm or dismiss) and
`resolve` through the services, filters, Chinese 400s naming the field, and a list whose query count does not grow
with rows. The cases are opened by the monthly scan (members.contact.lost_contact_find)."""

from __future__ import annotations

import pytest

from members.choices import LostContactStatus, MemberStatus
from members.contact import lost_contact_find
from members.models import LostContactCase, Member
from tests.members.api_helpers import D, assert_chinese_error, audited, ids, make_member, unchanged

pytestmark = pytest.mark.django_db

URL = "/api/lost-contact-cases/"
FOUND = D(2025, 9, 2)
CONFIRM = {"decision": "confirm", "on": "2025-09-05", "note": "电话无法接通"}
RESOLVE = {"on": "2025-10-01", "note": "已联系上"}


@pytest.fixture
def cases(county):
    """One 待确认 case for a member of each of 东街村 (a1), 西街村 (a2) and 北山村 (b1)."""
    members = [make_member(county.village_a1, 1), make_member(county.village_a2, 2), make_member(county.village_b1, 3)]
    assert lost_contact_find(today=FOUND) == 3
    return [LostContactCase.objects.get(member=m) for m in members]


def test_anonymous_is_refused(cases, api_as):
    client = api_as(None)
    case = cases[0]
    assert client.get(URL).status_code in (401, 403)
    assert client.get(f"{URL}{case.pk}/").status_code in (401, 403)
    with unchanged(case, case.member):
        assert client.post(f"{URL}{case.pk}/decide/", CONFIRM, format="json").status_code in (401, 403)
        assert client.post(f"{URL}{case.pk}/resolve/", RESOLVE, format="json").status_code in (401, 403)


@pytest.mark.parametrize("who", ["sibling_admin", "leader"])
def test_sibling_township_and_leader_change_nothing(who, request, cases, api_as):
    client = api_as(request.getfixturevalue(who))
    case_a1, case_a2, case_b1 = cases
    if who == "sibling_admin":
        assert ids(client.get(URL)) == {case_b1.pk}
        outside = client.get(f"{URL}{case_a1.pk}/")
        missing = client.get(f"{URL}999999/")
        assert outside.status_code == missing.status_code == 404
        assert outside.json() == missing.json()
    else:
        assert ids(client.get(URL)) == {c.pk for c in cases}
    with unchanged(case_a1, case_a1.member):
        assert client.post(f"{URL}{case_a1.pk}/decide/", CONFIRM, format="json").status_code == 404
        assert client.post(f"{URL}{case_a1.pk}/resolve/", RESOLVE, format="json").status_code == 404


def test_secretary_confirms_and_resolves_within_the_branch(cases, secretary, api_as):
    client = api_as(secretary)
    case_a1, case_a2, _ = cases
    assert ids(client.get(URL)) == {case_a1.pk}
    assert client.get(f"{URL}{case_a2.pk}/").status_code == 404
    body = client.get(f"{URL}{case_a1.pk}/").json()
    assert body["status"] == LostContactStatus.CANDIDATE and body["member"]["name"] == "党员1"
    assert body["member"]["id_number_masked"].count("*") == 10 and body["last_contact_on"] == "2010-07-01"

    response = client.post(f"{URL}{case_a1.pk}/decide/", CONFIRM, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["decided_on"], body["note"]) == ("已确认失联", "2025-09-05", "电话无法接通")
    assert body["member"]["status"] == MemberStatus.LOST_CONTACT
    assert Member.objects.get(pk=case_a1.member_id).status == MemberStatus.LOST_CONTACT
    assert audited(secretary, LostContactCase, case_a1.pk, "update")

    response = client.post(f"{URL}{case_a1.pk}/resolve/", RESOLVE, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["resolved_on"]) == ("已恢复联系", "2025-10-01")
    assert Member.objects.get(pk=case_a1.member_id).status == MemberStatus.NORMAL

    with unchanged(case_a2, case_a2.member):
        assert client.post(f"{URL}{case_a2.pk}/decide/", CONFIRM, format="json").status_code == 404


def test_county_admin_dismisses_and_filters(county, cases, county_admin, api_as):
    client = api_as(county_admin)
    case_a1, case_a2, case_b1 = cases
    assert ids(client.get(URL)) == {c.pk for c in cases}
    response = client.post(f"{URL}{case_b1.pk}/decide/", {"decision": "dismiss", "on": "2025-09-03"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == LostContactStatus.DISMISSED
    assert Member.objects.get(pk=case_b1.member_id).status == MemberStatus.NORMAL  # dismissing changes no status
    assert audited(county_admin, LostContactCase, case_b1.pk, "update")
    assert ids(client.get(f"{URL}?status=待确认")) == {case_a1.pk, case_a2.pk}
    assert ids(client.get(f"{URL}?organization={county.township_a.pk}")) == {case_a1.pk, case_a2.pk}
    assert ids(client.get(f"{URL}?organization={county.township_b.pk}&status=已排除")) == {case_b1.pk}
    assert [row["id"] for row in client.get(URL).json()["results"]][-1] == case_b1.pk  # open cases first
    assert_chinese_error(client.get(f"{URL}?status=丢失"), "status")


def test_bad_input_answers_400_naming_the_field(cases, secretary, api_as):
    client = api_as(secretary)
    case = cases[0]
    decide, resolve = f"{URL}{case.pk}/decide/", f"{URL}{case.pk}/resolve/"
    with unchanged(case, case.member):
        early = client.post(decide, {**CONFIRM, "on": "2025-09-01"}, format="json")
        assert assert_chinese_error(early, "on") == "日期不能早于发现日期 2025-09-02。"
        future = client.post(decide, {**CONFIRM, "on": "2099-01-01"}, format="json")
        assert assert_chinese_error(future, "on") == "日期不能晚于今天。"
        assert_chinese_error(client.post(decide, {**CONFIRM, "decision": "maybe"}, format="json"), "decision")
        not_confirmed = client.post(resolve, RESOLVE, format="json")
        assert assert_chinese_error(not_confirmed, "status") == "只有已确认失联的排查可以办结。"
    client.post(decide, CONFIRM, format="json")
    case.refresh_from_db()
    with unchanged(case, case.member):
        assert "不能再次确认或排除" in assert_chinese_error(client.post(decide, CONFIRM, format="json"), "status")
        before = client.post(resolve, {**RESOLVE, "on": "2025-09-04"}, format="json")
        assert assert_chinese_error(before, "on") == "日期不能早于确认日期 2025-09-05。"


def test_list_query_count_does_not_grow_with_rows(county, cases, county_admin, api_as, django_assert_max_num_queries):
    client = api_as(county_admin)
    client.get(URL)  # warm-up: the account's grants
    with django_assert_max_num_queries(2) as small:  # count, page (member, person, branch)
        assert client.get(f"{URL}?limit=100").status_code == 200
    for n in range(20):
        make_member(county.village_b1 if n % 2 else county.village_a2, 100 + n)
    assert lost_contact_find(today=FOUND) == 20
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"{URL}?limit=100")
    assert response.json()["count"] == 23
