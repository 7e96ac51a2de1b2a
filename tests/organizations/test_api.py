"""The REST API of organizations and posts: a permission matrix, 404 for out-of-scope, nothing changed on refusal."""

from __future__ import annotations

import pytest

from core.models import AuditEvent
from organizations.models import Organization, Post
from tests.factories import OrganizationFactory, PostFactory
from tests.helpers import nothing_changed

pytestmark = pytest.mark.django_db

ZHANG = "110105194912310011"


def test_anonymous_is_refused(county, api_client):
    assert api_client.get("/api/organizations/").status_code in (401, 403)
    with nothing_changed():
        response = api_client.patch(f"/api/organizations/{county.village_a1.pk}/", {"name": "x"}, format="json")
    assert response.status_code in (401, 403)


def test_list_shows_the_scope_only(county, township_admin, secretary, leader, api_as):
    def codes(user):
        response = api_as(user).get("/api/organizations/?limit=100")
        assert response.status_code == 200
        return {row["code"] for row in response.json()["results"]}

    assert codes(township_admin) == {"C01", "C01001", "C01002"}
    assert codes(secretary) == {"C01001"}
    assert len(codes(leader)) == 8


def test_list_query_count_does_not_grow_with_rows(county, county_admin, api_as, django_assert_max_num_queries):
    client = api_as(county_admin)
    client.get("/api/organizations/")  # warm-up: content types, sessions
    with django_assert_max_num_queries(6) as small:
        assert client.get("/api/organizations/?limit=100").status_code == 200
    for _ in range(20):
        OrganizationFactory(parent=county.township_b)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/organizations/?limit=100")
    assert response.json()["count"] == 28


@pytest.mark.parametrize("who", ["sibling_admin", "secretary", "leader"])
def test_out_of_scope_or_read_only_writes_answer_404(county, request, api_as, who):
    client = api_as(request.getfixturevalue(who))
    org = county.village_a1 if who != "sibling_admin" else county.village_a2
    with nothing_changed():
        response = client.patch(f"/api/organizations/{org.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 404


def test_sibling_detail_is_not_found_like_a_missing_one(county, sibling_admin, api_as):
    client = api_as(sibling_admin)
    outside = client.get(f"/api/organizations/{county.village_a1.pk}/")
    missing = client.get("/api/organizations/999999/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


def test_create_under_a_parent_in_scope(county, township_admin, api_as):
    response = api_as(township_admin).post(
        "/api/organizations/",
        {
            "code": "C01003",
            "name": "南街村党支部",
            "kind": "党支部",
            "domain": "农村",
            "parent_id": county.township_a.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    org = Organization.objects.get(code="C01003")
    assert org.parent_id == county.township_a.pk
    event = AuditEvent.objects.get(action="create", actor=township_admin)
    assert event.source == "api"


def test_create_under_a_parent_outside_scope_refused(county, township_admin, api_as):
    with nothing_changed():
        response = api_as(township_admin).post(
            "/api/organizations/",
            {"code": "C02003", "name": "石门新村", "kind": "党支部", "parent_id": county.township_b.pk},
            format="json",
        )
    assert response.status_code == 400
    assert "parent_id" in response.json()


def test_bad_values_answer_400_in_chinese(county, county_admin, api_as):
    with nothing_changed():
        response = api_as(county_admin).patch(
            f"/api/organizations/{county.dept.pk}/", {"term_years": 11}, format="json"
        )
    assert response.status_code == 400
    assert "10" in str(response.json())


def test_move_into_the_sibling_subtree_refused(county, township_admin, api_as):
    with nothing_changed():
        response = api_as(township_admin).post(
            f"/api/organizations/{county.village_a1.pk}/move/", {"parent_id": county.township_b.pk}, format="json"
        )
    assert response.status_code == 400


def test_move_inside_own_subtree(county, township_admin, api_as):
    response = api_as(township_admin).post(
        f"/api/organizations/{county.village_a2.pk}/move/", {"parent_id": county.village_a1.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["parent"]["code"] == "C01001"


def test_post_create_with_a_new_person(county, township_admin, api_as):
    response = api_as(township_admin).post(
        "/api/posts/",
        {
            "organization_id": county.village_a1.pk,
            "person_name": "张三",
            "person_id_number": ZHANG,
            "title": "书记",
            "start_on": "2021-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person"]["id_number"] == "1101**********0011"  # masked in the answer
    assert ZHANG not in response.content.decode()
    assert Post.objects.get().person.name == "张三"


def test_post_create_overlapping_secretary_refused(county, township_admin, api_as):
    PostFactory(organization=county.village_a1)
    with nothing_changed():
        response = api_as(township_admin).post(
            "/api/posts/",
            {
                "organization_id": county.village_a1.pk,
                "person_name": "张三",
                "person_id_number": ZHANG,
                "title": "书记",
                "start_on": "2022-01-01",
            },
            format="json",
        )
    assert response.status_code == 400
    assert "书记任期重叠" in str(response.json())


def test_post_create_by_leader_refused(county, leader, api_as):
    with nothing_changed():
        response = api_as(leader).post(
            "/api/posts/",
            {
                "organization_id": county.village_a1.pk,
                "person_name": "张三",
                "person_id_number": ZHANG,
                "title": "书记",
                "start_on": "2021-01-01",
            },
            format="json",
        )
    assert response.status_code in (400, 403, 404)
