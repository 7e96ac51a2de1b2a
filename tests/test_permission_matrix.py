"""Every page and endpoint of the foundation × {anonymous, sibling township admin, branch secretary, leader,
county admin}: reads of foreign objects answer 404 (like missing ones), writes by read-only or out-of-scope users
are refused, and the database shows nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from core.models import AuditEvent
from organizations.models import Organization, Post
from organizations.services import post_appoint
from tests.factories import id_number_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def post_a1(county):
    return post_appoint(
        actor=None,
        organization=county.village_a1,
        name="张建国",
        id_number=id_number_for(7001, male=True),
        title="书记",
        start_on=dt.date(2021, 6, 1),
    )


def _client(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def _state():
    return (
        list(Organization.objects.order_by("pk").values_list("pk", "name", "path", "parent_id")),
        list(Post.objects.order_by("pk").values_list("pk", "title", "start_on", "end_on")),
        AuditEvent.objects.exclude(action__in=["export"]).count(),
        User.objects.count(),
    )


def _pages(county, post, county_admin):
    """(url, is_a_write_form_page) for every foundation page that shows an object of township A's subtree."""
    a1 = county.village_a1
    return [
        reverse("organizations:detail", args=[a1.pk]),
        reverse("organizations:edit", args=[a1.pk]),
        reverse("organizations:move", args=[a1.pk]),
        reverse("organizations:create", args=[a1.pk]),
        reverse("organizations:post_create", args=[a1.pk]),
        reverse("organizations:post_edit", args=[post.pk]),
        reverse("organizations:tree") + f"?org={a1.pk}",
        reverse("organizations:tree_children") + f"?parent={county.township_a.pk}",
    ]


@pytest.mark.parametrize("who", ["anonymous", "sibling_admin", "county_admin", "township_admin", "secretary", "leader"])
def test_pages_of_township_a(who, request, county, post_a1, county_admin):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = _client(user)
    for url in _pages(county, post_a1, county_admin):
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        elif who == "sibling_admin":
            # tree fragments filter silently; object pages answer 404 exactly like a missing id
            if "tree" in url or url.startswith("/orgs/?"):
                assert response.status_code in (200, 404), url
                assert "东街村党支部" not in response.content.decode(), url
            else:
                assert response.status_code == 404, url
        elif who in ("county_admin", "township_admin"):
            assert response.status_code == 200, url
        else:  # secretary and leader: may read the detail, never the write forms
            if any(part in url for part in ("/edit/", "/move/", "/new/")) or (
                who == "secretary" and "children" in url  # the township above the branch is outside its scope
            ):
                assert response.status_code == 404, url
            else:
                assert response.status_code == 200, url


def test_missing_and_foreign_objects_answer_alike(county, sibling_admin):
    client = _client(sibling_admin)
    foreign = client.get(reverse("organizations:detail", args=[county.village_a1.pk]))
    missing = client.get(reverse("organizations:detail", args=[999999]))
    assert foreign.status_code == missing.status_code == 404
    assert "东街村" not in foreign.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "sibling_admin", "secretary", "leader"])
def test_page_writes_refused_and_nothing_changes(who, request, county, post_a1):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = _client(user)
    a1 = county.village_a1
    before = _state()
    posts = [
        (reverse("organizations:edit", args=[a1.pk]), {"code": a1.code, "name": "改名", "kind": "党支部"}),
        (reverse("organizations:move", args=[a1.pk]), {"parent_code": county.township_b.code}),
        (reverse("organizations:create", args=[a1.pk]), {"code": "NEW1", "name": "新支部", "kind": "党支部"}),
        (reverse("organizations:post_delete", args=[post_a1.pk]), {}),
        (reverse("organizations:post_edit", args=[post_a1.pk]), {"title": "书记", "start_on": "2020-01-01"}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        else:
            assert response.status_code in (403, 404), (url, response.status_code)
    assert _state() == before


@pytest.mark.parametrize("who", ["sibling_admin", "secretary", "leader", "inspector"])
def test_admin_pages_refused_to_non_managers(who, request, county, township_admin):
    client = _client(request.getfixturevalue(who))
    urls = [reverse("accounts:detail", args=[township_admin.pk]), reverse("core:audit") + "?org=C01"]
    for url in urls:
        response = client.get(url)
        if who == "sibling_admin" and "audit" in url:
            # a township admin may read the audit log of their own subtree, never township A's
            assert response.status_code == 200
            assert "城关镇" not in response.content.decode()
        else:
            assert response.status_code in (403, 404), url


def test_import_page_refused_to_read_only_roles(county, leader, secretary):
    for user in (leader, secretary):
        assert _client(user).get(reverse("core:import")).status_code == 403


# ---- the API ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["sibling_admin", "secretary", "leader"])
def test_api_reads_of_foreign_objects_are_404(who, request, county, post_a1, api_as):
    client = api_as(request.getfixturevalue(who))
    if who == "sibling_admin":
        assert client.get(f"/api/organizations/{county.village_a1.pk}/").status_code == 404
        assert client.get(f"/api/posts/{post_a1.pk}/").status_code == 404
        codes = {o["code"] for o in client.get("/api/organizations/?limit=200").json()["results"]}
        assert codes == {"C02", "C02001", "C02002"}
    else:
        assert client.get(f"/api/organizations/{county.village_a1.pk}/").status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "sibling_admin", "secretary", "leader"])
def test_api_writes_refused_and_nothing_changes(who, request, county, post_a1, api_as):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = api_as(user)
    a1 = county.village_a1
    before = _state()
    responses = [
        client.patch(f"/api/organizations/{a1.pk}/", {"name": "改名"}, format="json"),
        client.post(f"/api/organizations/{a1.pk}/move/", {"parent_id": county.township_b.pk}, format="json"),
        client.post(
            "/api/organizations/", {"code": "N1", "name": "新", "kind": "党支部", "parent_id": a1.pk}, format="json"
        ),
        client.delete(f"/api/posts/{post_a1.pk}/"),
        client.patch(f"/api/posts/{post_a1.pk}/", {"end_on": "2025-01-01"}, format="json"),
    ]
    for r in responses:
        expected = (401, 403) if who == "anonymous" else (400, 403, 404)
        assert r.status_code in expected, (r.status_code, r.content)
    assert _state() == before
