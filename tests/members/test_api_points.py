"""REST API of 积分管理: point records (/api/point-records/) with the permission matrix of any member record, and the
county's configuration (/api/point-items/, /api/star-rules/) that everyone signed in reads and only the county
organization department writes. Chinese 400s naming the field; list query counts that do not grow with rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from members.config_services import star_rule_create
from members.development import point_record_add
from members.models import PointItem, PointRecord, StarRule
from tests.members.api_helpers import D, assert_chinese_error, audited, ids, make_item, make_member, unchanged

pytestmark = pytest.mark.django_db

URL = "/api/point-records/"
ITEMS = "/api/point-items/"
STARS = "/api/star-rules/"
REFUSED = "只有县委组织部管理员可以设置积分项目和星级标准。"


@pytest.fixture
def item(db):
    return make_item("参加主题党日", "2")


@pytest.fixture
def member_a1(county):
    return make_member(county.village_a1, 1)


@pytest.fixture
def member_a2(county):
    return make_member(county.village_a2, 2)


@pytest.fixture
def member_b1(county):
    return make_member(county.village_b1, 3)


RECORDED = D(2025, 4, 1)


def _points(member, item, on=RECORDED):
    return point_record_add(actor=None, member=member, item=item, year=on.year, recorded_on=on)


@pytest.fixture
def points_a1(member_a1, item):
    return _points(member_a1, item)


@pytest.fixture
def points_a2(member_a2, item):
    return _points(member_a2, item, D(2024, 7, 1))


@pytest.fixture
def points_b1(member_b1, item):
    return _points(member_b1, item)


def _new(member, item, **extra) -> dict:
    return {"member_id": member.pk, "item_id": item.pk, "year": 2025, "recorded_on": "2025-07-01", **extra}


# --- point records --------------------------------------------------------------------------------------------------


def test_anonymous_is_refused(county, member_a1, item, points_a1, api_as):
    client = api_as(None)
    for url in (URL, f"{URL}{points_a1.pk}/", ITEMS, f"{ITEMS}{item.pk}/", STARS):
        assert client.get(url).status_code in (401, 403), url
    with unchanged(points_a1, item):
        assert client.post(URL, _new(member_a1, item), format="json").status_code in (401, 403)
        assert client.post(ITEMS, {"name": "新项目", "points": "1"}, format="json").status_code in (401, 403)
        assert client.post(f"{ITEMS}{item.pk}/deactivate/").status_code in (401, 403)
        assert client.post(STARS, {"min_points": "99", "stars": 6, "label": "六星"}, format="json").status_code in (
            401,
            403,
        )


def test_sibling_township_sees_and_changes_nothing_of_township_a(
    county, member_a1, item, points_a1, points_b1, sibling_admin, api_as
):
    client = api_as(sibling_admin)
    assert ids(client.get(URL)) == {points_b1.pk}
    outside = client.get(f"{URL}{points_a1.pk}/")
    missing = client.get(f"{URL}999999/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    with unchanged(points_a1, member_a1):
        assert_chinese_error(client.post(URL, _new(member_a1, item), format="json"), "member_id")


def test_leader_reads_and_records_nothing(county, member_a1, item, points_a1, points_b1, leader, api_as):
    client = api_as(leader)
    assert ids(client.get(URL)) == {points_a1.pk, points_b1.pk}
    with unchanged(points_a1):
        assert_chinese_error(client.post(URL, _new(member_a1, item), format="json"), "member_id")


def test_secretary_records_points_within_the_branch(
    county, member_a1, member_a2, item, points_a1, points_a2, secretary, api_as
):
    client = api_as(secretary)
    assert ids(client.get(URL)) == {points_a1.pk}
    assert client.get(f"{URL}{points_a2.pk}/").status_code == 404
    response = client.post(URL, _new(member_a1, item, note="  七一主题党日 "), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["points"] == "2.0" and body["item"] == {"id": item.pk, "name": "参加主题党日"}
    record = PointRecord.objects.get(pk=body["id"])
    assert (record.member, record.year, record.points, record.note) == (member_a1, 2025, Decimal(2), "七一主题党日")
    assert audited(secretary, PointRecord, record.pk)
    with unchanged(points_a2, member_a2):
        assert_chinese_error(client.post(URL, _new(member_a2, item), format="json"), "member_id")


def test_county_admin_filters_records(county, member_a1, member_b1, item, points_a1, points_a2, points_b1,
                                      county_admin, api_as):  # fmt: skip
    client = api_as(county_admin)
    other = make_item("无故缺席组织生活", "-5")
    minus = _points(member_a1, other, D(2025, 5, 1))
    assert ids(client.get(URL)) == {points_a1.pk, points_a2.pk, points_b1.pk, minus.pk}
    assert ids(client.get(f"{URL}?member={member_a1.pk}")) == {points_a1.pk, minus.pk}
    assert ids(client.get(f"{URL}?year=2024")) == {points_a2.pk}
    assert ids(client.get(f"{URL}?item={other.pk}")) == {minus.pk}
    assert ids(client.get(f"{URL}?organization={county.township_b.pk}")) == {points_b1.pk}
    response = client.post(URL, _new(member_b1, item), format="json")
    assert response.status_code == 201, response.content
    assert audited(county_admin, PointRecord, response.json()["id"])


def test_bad_record_answers_400_naming_the_field(county, member_a1, item, secretary, api_as):
    client = api_as(secretary)
    retired = make_item("旧项目", "1", active=False)
    with unchanged(member_a1, item):
        off = client.post(URL, _new(member_a1, retired), format="json")
        assert assert_chinese_error(off, "item_id") == "积分项目“旧项目”已停用。"
        wrong_year = client.post(URL, _new(member_a1, item, recorded_on="2024-12-31"), format="json")
        assert assert_chinese_error(wrong_year, "recorded_on") == "记录日期应在 2025 年内。"
        before_joining = client.post(URL, _new(member_a1, item, year=2009, recorded_on="2009-06-01"), format="json")
        assert "不能早于入党日期" in assert_chinese_error(before_joining, "recorded_on")
        assert_chinese_error(client.post(URL, _new(member_a1, item, year=1999), format="json"), "year")


def test_records_query_count_does_not_grow_with_rows(
    county, item, points_a1, county_admin, api_as, django_assert_max_num_queries
):
    client = api_as(county_admin)
    client.get(URL)  # warm-up: the account's grants
    with django_assert_max_num_queries(2) as small:  # count, page (member, person, branch, item)
        assert client.get(f"{URL}?limit=100").status_code == 200
    for n in range(20):
        _points(make_member(county.village_b1 if n % 2 else county.village_a2, 100 + n), item)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"{URL}?limit=100")
    assert response.json()["count"] == 21


# --- the county's configuration -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["secretary", "sibling_admin", "leader", "county_admin"])
def test_everyone_signed_in_reads_the_configuration(who, request, item, api_as):
    client = api_as(request.getfixturevalue(who))
    retired = make_item("旧项目", "1", active=False)
    assert ids(client.get(ITEMS)) == {item.pk, retired.pk}
    assert ids(client.get(f"{ITEMS}?is_active=true")) == {item.pk}
    assert client.get(f"{ITEMS}{item.pk}/").json() == {"id": item.pk, "name": "参加主题党日", "points": "2.0",
                                                       "is_active": True}  # fmt: skip
    rules = client.get(STARS).json()["results"]
    assert [(r["min_points"], r["stars"]) for r in rules][:2] == [("0.0", 0), ("60.0", 1)]


@pytest.mark.parametrize("who", ["secretary", "sibling_admin", "township_admin", "leader"])
def test_only_the_county_writes_the_configuration(who, request, item, api_as):
    client = api_as(request.getfixturevalue(who))
    rule = StarRule.objects.get(stars=1)
    with unchanged(item, rule):
        for response in (
            client.post(ITEMS, {"name": "新项目", "points": "1"}, format="json"),
            client.patch(f"{ITEMS}{item.pk}/", {"points": "3"}, format="json"),
            client.post(f"{ITEMS}{item.pk}/deactivate/"),
            client.post(STARS, {"min_points": "99", "stars": 6, "label": "六星"}, format="json"),
            client.patch(f"{STARS}{rule.pk}/", {"label": "一星级"}, format="json"),
        ):
            assert response.status_code == 403, response.content
            assert response.json() == {"detail": REFUSED}


def test_county_admin_writes_the_configuration_through_the_services(item, county_admin, api_as):
    client = api_as(county_admin)
    response = client.post(ITEMS, {"name": "  志愿服务  ", "points": "1.5"}, format="json")
    assert response.status_code == 201, response.content
    created = PointItem.objects.get(pk=response.json()["id"])
    assert (created.name, created.points, created.is_active) == ("志愿服务", Decimal("1.5"), True)
    assert audited(county_admin, PointItem, created.pk)

    response = client.patch(f"{ITEMS}{item.pk}/", {"points": "3"}, format="json")
    assert response.status_code == 200 and response.json()["points"] == "3.0"
    assert audited(county_admin, PointItem, item.pk, "update")
    response = client.post(f"{ITEMS}{item.pk}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False

    response = client.post(STARS, {"min_points": "99", "stars": 6, "label": "六星"}, format="json")
    assert response.status_code == 201, response.content
    assert audited(county_admin, StarRule, response.json()["id"])
    rule = StarRule.objects.get(stars=1)
    response = client.patch(f"{STARS}{rule.pk}/", {"label": "一星级"}, format="json")
    assert response.status_code == 200 and response.json()["label"] == "一星级"


def test_bad_configuration_answers_400_naming_the_field(item, county_admin, api_as):
    client = api_as(county_admin)
    rule = StarRule.objects.get(stars=1)
    with unchanged(item, rule):
        same = client.post(ITEMS, {"name": "参加主题党日", "points": "1"}, format="json")
        assert assert_chinese_error(same, "name") == "已有名为“参加主题党日”的积分项目。"
        assert "不能为 0" in assert_chinese_error(client.post(ITEMS, {"name": "零分", "points": "0"}, format="json"),
                                               "points")  # fmt: skip
        assert_chinese_error(client.patch(f"{ITEMS}{item.pk}/", {"points": "很多"}, format="json"), "points")
        clash = client.post(STARS, {"min_points": "50", "stars": 6, "label": "六星"}, format="json")
        assert "星级越高，最低分应越高" in assert_chinese_error(clash, "min_points")
        assert_chinese_error(client.patch(f"{STARS}{rule.pk}/", {"label": " "}, format="json"), "label")
    retired = make_item("旧项目", "1", active=False)
    assert "已停用" in assert_chinese_error(client.post(f"{ITEMS}{retired.pk}/deactivate/"), "is_active")


def test_configuration_query_counts_do_not_grow_with_rows(item, county_admin, api_as, django_assert_max_num_queries):
    client = api_as(county_admin)
    for url in (ITEMS, STARS):
        client.get(url)  # warm-up: the account's grants
    with django_assert_max_num_queries(2) as items_small:  # count, page
        assert client.get(f"{ITEMS}?limit=100").status_code == 200
    with django_assert_max_num_queries(2) as stars_small:
        assert client.get(f"{STARS}?limit=100").status_code == 200
    for n in range(20):
        make_item(f"项目{n}", str(n + 1))
        star_rule_create(actor=None, min_points=Decimal(100 + n), stars=10 + n, label=f"{10 + n}星")
    with django_assert_max_num_queries(len(items_small.captured_queries)):
        assert client.get(f"{ITEMS}?limit=100").json()["count"] == 21
    with django_assert_max_num_queries(len(stars_small.captured_queries)):
        assert client.get(f"{STARS}?limit=100").json()["count"] == 26
