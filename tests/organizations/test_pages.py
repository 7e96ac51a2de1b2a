"""List pages keep a query count that does not grow with the rows they show; form errors are shown once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.xlsx.importer import workbook_import
from organizations.models import Organization, Post
from tests.factories import PersonFactory, PostFactory, id_number_for
from tests.helpers import ORG_HEADERS, POST_HEADERS, org_row, workbook

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(start: int, n: int) -> None:
    """n more villages under township A, each with a secretary (codes and people from `start` on)."""
    codes = [f"C01{start + i}" for i in range(n)]
    orgs = [org_row(code, f"新村{code}党支部", "C01") for code in codes]
    posts = [
        [code, f"书记{code}", id_number_for(9000 + start + i), "书记", "2024-01-01", None]
        for i, code in enumerate(codes)
    ]
    report = workbook_import(
        source=workbook({"组织": [ORG_HEADERS, *orgs], "职务": [POST_HEADERS, *posts]}), actor=None
    )
    assert report.ok, report.problems


@pytest.mark.parametrize(
    "url_name, query",
    [("organizations:tree", ""), ("organizations:tree", "?org={a}"), ("organizations:post_list", "")],
)
def test_list_page_queries_do_not_grow_with_rows(client, county, county_admin, url_name, query):
    client.force_login(county_admin)
    url = reverse(url_name) + query.format(a=county.township_a.pk)
    _grow(500, 3)
    small = _queries(client, url)
    _grow(600, 40)
    large = _queries(client, url)
    assert large == small, (small, large)


def test_post_and_organization_form_errors_are_shown_once(client, county, county_admin):
    """Each refusal reads once on the returned form: under its field, or above the form when it names none."""
    client.force_login(county_admin)
    org = county.village_a1
    member = PostFactory(
        organization=org, person=PersonFactory(name="张三"), title="委员", start_on=dt.date(2021, 1, 1)
    )
    PostFactory(organization=org, person=PersonFactory(name="李四"), title="书记", start_on=dt.date(2021, 1, 1))
    earlier = PostFactory(
        organization=org, person=member.person, title="委员", start_on=dt.date(2019, 1, 1), end_on=dt.date(2020, 1, 1)
    )
    new_post = reverse("organizations:post_create", args=[org.pk])
    cases = [
        (
            new_post,
            {"name": "王五", "id_number": id_number_for(77), "title": "书记", "start_on": "2022-01-01"},
            "书记任期重叠",
        ),
        (
            new_post,
            {"name": "张三", "id_number": member.person.id_number, "title": "委员", "start_on": "2021-01-01"},
            "该人员在此组织同一日期已有相同职务。",
        ),
        (
            reverse("organizations:post_edit", args=[earlier.pk]),
            {"title": "委员", "start_on": "2021-01-01", "end_on": ""},
            "该人员在此组织同一日期已有相同职务。",
        ),
        (
            reverse("organizations:post_edit", args=[earlier.pk]),
            {"title": "委员", "start_on": "2021-01-01", "end_on": "2020-01-01"},
            "离任日期不能早于任职日期。",
        ),
        (
            reverse("organizations:edit", args=[org.pk]),
            {"code": "C01002", "name": "东街村党支部", "kind": "党支部"},
            "该组织代码已被使用",
        ),
        (reverse("organizations:move", args=[county.township_a.pk]), {"parent": "C01001"}, "不能把组织移到"),
    ]
    posts = sorted(Post.objects.values_list("id", "title", "start_on", "end_on"))
    orgs = sorted(Organization.objects.values_list("id", "code", "path"))
    for url, data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 200, (url, message)
        assert response.content.decode().count(message) == 1, (url, message)
    assert sorted(Post.objects.values_list("id", "title", "start_on", "end_on")) == posts
    assert sorted(Organization.objects.values_list("id", "code", "path")) == orgs
