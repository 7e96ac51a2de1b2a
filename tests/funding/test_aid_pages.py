"""党内关爱帮扶 pages (/funding/aid/) and /api/fund-aid/ per role: the totals per year and township, the list and its
filters and Excel, the form (members of the user's branches), removing a record; a sibling township gets 404 and
changes nothing.

Aid recorded: 东街村 张华 500.00 (last year, 县财政) and 300.00 (this year, 乡镇); 西街村 李梅 1,000.00 (this year,
县财政); 北山村 赵强 200.00 (this year, 县财政).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEvent
from funding.models import Aid
from funding.services.aid import aid_create
from members.services import member_create
from tests.conftest import as_user
from tests.factories import id_number_for
from tests.helpers import nothing_changed

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
THIS, LAST = TODAY.year, TODAY.year - 1
URL = "/funding/aid/"


def _state():
    return sorted(
        Aid.objects.values_list("id", "member_id", "branch_id", "amount", "given_on")
    ), AuditEvent.objects.count()


def _member(name, branch, n):
    return member_create(
        actor=None, name=name, id_number=id_number_for(n), branch=branch, category="正式党员",
        joined_on=dt.date(2010, 7, 1),
    )  # fmt: skip


@pytest.fixture
def world(county, funds):
    zhang = _member("张华", county.village_a1, 901)
    li = _member("李梅", county.village_a2, 902)
    zhao = _member("赵强", county.village_b1, 903)
    day = dt.date(THIS, 1, 1)

    def give(m, amount, on, source, reason="生活困难"):
        return aid_create(actor=None, member=m, amount=amount, given_on=on, reason=reason, source=source)

    aids = [
        give(zhang, "500", dt.date(LAST, 6, 1), funds.county, "大病救助"),
        give(zhang, "300", day, funds.township),
        give(li, "1000", day, funds.county),
        give(zhao, "200", day, funds.county),
    ]
    return {"zhang": zhang, "li": li, "zhao": zhao, "aids": aids}


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_anonymous_is_sent_to_login(client, world):
    for url in (URL, "/funding/aid/new/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_county_sees_totals_per_year_and_township(client, world, county_admin):
    page = html(as_user(client, county_admin).get(URL))
    assert "张华" in page and "李梅" in page and "赵强" in page and "大病救助" in page
    # This year: 城关镇 2 people 1,300.00, 石门镇 1 person 200.00; last year 城关镇 500.00; in all 2,000.00.
    totals = page.split("按年度、乡镇")[1].split("</table>")[0]
    assert totals.count("城关镇党委") == 2 and "1,300.00" in totals and "200.00" in totals and "500.00" in totals
    assert "2,000.00" in page.split("按年度")[1]
    assert "登记帮扶" in page


def test_filters_and_export(client, world, county, county_admin, funds):
    c = as_user(client, county_admin)
    page = html(c.get(f"{URL}?year={THIS}&source={funds.county.pk}"))
    listing = page.split("<th>帮扶事由</th>")[1]
    assert "李梅" in listing and "赵强" in listing and "张华" not in listing
    page = html(c.get(f"{URL}?org={county.village_a1.pk}"))
    assert "李梅" not in page.split("<th>帮扶事由</th>")[1] and "张华" in page
    response = c.get(f"{URL}?org={county.township_a.pk}&export=xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    assert rows[0] == [
        "发放日期",
        "年度",
        "帮扶对象",
        "所在支部",
        "所属乡镇",
        "金额（元）",
        "资金来源",
        "帮扶事由",
        "登记人",
    ]
    assert [r[1:8] for r in rows[1:]] == [
        [THIS, "李梅", "西街村党支部", "城关镇党委", 1000, "县财政", "生活困难"],
        [THIS, "张华", "东街村党支部", "城关镇党委", 300, "乡镇", "生活困难"],
        [LAST, "张华", "东街村党支部", "城关镇党委", 500, "县财政", "大病救助"],
    ]


def test_the_sibling_township_gets_404_and_sees_only_its_own(client, world, county, sibling_admin):
    c = as_user(client, sibling_admin)
    page = html(c.get(URL))
    assert "赵强" in page and "张华" not in page and "李梅" not in page
    assert c.get(f"{URL}?org={county.village_a1.pk}").status_code == 404
    assert c.get(f"{URL}?org={county.village_a1.pk}&export=xlsx").status_code == 404
    aid = world["aids"][0]
    before = _state()
    with nothing_changed():
        assert c.post(f"/funding/aid/{aid.pk}/delete/").status_code == 404
    assert _state() == before
    # A member of township A is not among those the sibling may choose: the form refuses and nothing is written.
    before = _state()
    response = c.post(
        "/funding/aid/new/",
        {"member": world["zhang"].pk, "given_on": TODAY.isoformat(), "amount": "100", "reason": "慰问", "source": world["aids"][0].source_id},
    )  # fmt: skip
    assert response.status_code == 400
    assert _state() == before


def test_readers_may_not_record(client, world, leader):
    c = as_user(client, leader)
    page = html(c.get(URL))
    assert "登记帮扶" not in page and "删除" not in page and "赵强" in page
    assert c.get("/funding/aid/new/").status_code == 403
    before = _state()
    assert c.post("/funding/aid/new/", {}).status_code == 403
    aid = world["aids"][0]
    assert c.post(f"/funding/aid/{aid.pk}/delete/").status_code == 404  # in view, not in the leader's CHANGE scope
    assert _state() == before


def test_the_form_offers_the_users_members_and_records_aid(client, world, county, township_admin, funds):
    c = as_user(client, township_admin)
    page = html(c.get("/funding/aid/new/"))
    assert "张华（东街村党支部）" in page and "李梅（西街村党支部）" in page and "赵强" not in page
    page = html(c.get(f"/funding/aid/new/?branch={county.village_a2.pk}"))
    assert "李梅（西街村党支部）" in page and "张华" not in page
    page = html(c.get("/funding/aid/new/?q=张"))
    assert "张华（东街村党支部）" in page and "李梅" not in page
    data = {
        "member": world["li"].pk,
        "given_on": TODAY.isoformat(),
        "amount": "0",
        "reason": "慰问",
        "source": funds.county.pk,
    }
    before = _state()
    response = c.post(f"/funding/aid/new/?branch={county.village_a2.pk}", data)
    assert response.status_code == 400 and "金额不能为 0。" in response.content.decode()
    assert _state() == before
    data["amount"] = "666.60"
    response = c.post("/funding/aid/new/", data)
    assert response.status_code == 302 and response["Location"] == URL
    aid = Aid.objects.get(amount=Decimal("666.60"))
    assert (aid.branch, aid.year, aid.created_by) == (county.village_a2, THIS, township_admin)
    assert c.post(f"/funding/aid/{aid.pk}/delete/").status_code == 302
    assert not Aid.objects.filter(pk=aid.pk).exists()


def test_the_list_does_not_grow_with_the_rows(client, world, county_admin, funds):
    c = as_user(client, county_admin)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            html(c.get(URL))
        return len(ctx.captured_queries)

    before = queries()
    for i in range(5):
        aid_create(
            actor=None, member=world["li"], amount="10", given_on=dt.date(THIS, 1, 2), reason=f"慰问{i}",
            source=funds.county,
        )  # fmt: skip
    assert queries() == before


# --- REST ------------------------------------------------------------------------------------------------------


def test_api_scope_and_filters(api_as, world, county, township_admin, sibling_admin, funds):
    client = api_as(township_admin)
    rows = client.get("/api/fund-aid/").json()["results"]
    assert [(r["member"]["name"], r["amount"], r["branch"]["code"]) for r in rows] == [
        ("李梅", "1000.00", "C01002"), ("张华", "300.00", "C01001"), ("张华", "500.00", "C01001")
    ]  # fmt: skip
    assert len(client.get(f"/api/fund-aid/?year={LAST}").json()["results"]) == 1
    assert len(client.get(f"/api/fund-aid/?source={funds.township.pk}").json()["results"]) == 1
    assert len(client.get(f"/api/fund-aid/?organization={county.village_a2.pk}").json()["results"]) == 1
    assert client.get(f"/api/fund-aid/?organization={county.village_b1.pk}").json()["results"] == []
    aid = world["aids"][0]
    assert api_as(sibling_admin).get(f"/api/fund-aid/{aid.pk}/").status_code == 404


def test_api_writes(api_as, world, county, township_admin, sibling_admin, leader, funds):
    data = {"member_id": world["zhang"].pk, "amount": "88.80", "given_on": TODAY.isoformat(), "reason": "节日慰问",
            "source_id": funds.county.pk}  # fmt: skip
    for user in (sibling_admin, leader):
        before = _state()
        with nothing_changed():
            assert api_as(user).post("/api/fund-aid/", data, format="json").status_code == 400
        assert _state() == before
    aid = world["aids"][0]
    before = _state()
    with nothing_changed():
        assert api_as(sibling_admin).delete(f"/api/fund-aid/{aid.pk}/").status_code == 404
        assert api_as(leader).delete(f"/api/fund-aid/{aid.pk}/").status_code == 404
    assert _state() == before
    client = api_as(township_admin)
    response = client.post("/api/fund-aid/", {**data, "given_on": "2099-01-01"}, format="json")
    assert response.status_code == 400 and response.json() == {"given_on": ["发放日期 2099-01-01 晚于今天。"]}
    response = client.post("/api/fund-aid/", data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["branch"]["name"], body["year"], body["created_by"]) == (
        "88.80", "东街村党支部", THIS, "township_admin"
    )  # fmt: skip
    assert client.delete(f"/api/fund-aid/{body['id']}/").status_code == 204
    assert not Aid.objects.filter(pk=body["id"]).exists()
