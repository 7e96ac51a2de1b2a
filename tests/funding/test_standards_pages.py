"""The standards page (/funding/standards/), the configuration page (/funding/config/) with its forms, and their REST
endpoints, per role: anonymous, the sibling township's administrator (404 for township A's subtree), township A's
administrator and the branch secretary (read), the county administrator (writes). A refused write changes nothing.

Last year (the page's default year), 农村 党支部 must receive at least 50,000.00 of 运转经费: 东街村 received
50,000.00, 西街村 49,999.99 (0.01 short), 北山村 nothing; 南河村 is 社区. This year no rural income is recorded, so
the income-multiple standard cannot be evaluated.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from funding.models import FundCategory, FundSource, FundStandard, RuralIncome
from funding.services.config import rural_income_set, standard_create
from funding.services.ledger import allocation_create, disbursement_create
from organizations.services import organization_create
from tests.conftest import as_user
from tests.helpers import nothing_changed

pytestmark = pytest.mark.django_db
LAST = timezone.localdate().year - 1
THIS = LAST + 1
URL = "/funding/standards/"


def _state():
    return (
        sorted(FundCategory.objects.values_list("id", "name", "disburse_within_days", "active")),
        sorted(FundSource.objects.values_list("id", "name", "active")),
        sorted(FundStandard.objects.values_list("id", "name", "amount", "multiple", "active", "year_to")),
        sorted(RuralIncome.objects.values_list("year", "amount")),
        AuditEvent.objects.count(),
    )


def _receive(org, funds, amount, year=LAST):
    allocation = allocation_create(
        actor=None, organization=org, year=year, category=funds.operating, source=funds.county, amount=amount,
        allocated_on=dt.date(year, 1, 10), deadline=dt.date(year, 12, 31),
    )  # fmt: skip
    disbursement_create(actor=None, allocation=allocation, amount=amount, paid_on=dt.date(year, 2, 1))


@pytest.fixture
def world(county, funds):
    operating = standard_create(
        actor=None, name="村级组织运转经费标准", category=funds.operating, basis="fixed", amount="50000",
        domain="农村", kind="党支部", year_from=LAST, note="县委办〔2025〕3号",
    )  # fmt: skip
    pay = standard_create(
        actor=None, name="村党组织书记报酬标准", category=funds.pay, basis="income_multiple", multiple="2.5",
        kind="党支部", year_from=THIS,
    )  # fmt: skip
    rural_income_set(actor=None, year=LAST, amount="20133.00", note="统计公报")
    _receive(county.village_a1, funds, "50000.00")
    _receive(county.village_a2, funds, "49999.99")
    return operating, pay


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def workbook(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


# --- pages -----------------------------------------------------------------------------------------------------


def test_urls():
    assert reverse("funding:standard_violations") == URL
    assert reverse("funding:config") == "/funding/config/"


def test_anonymous_is_sent_to_login(client, world):
    operating, _ = world
    for url in (URL, "/funding/config/", "/funding/standards/new/", f"/funding/standards/{operating.pk}/edit/",
                "/funding/config/categories/new/", "/funding/config/incomes/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_the_county_sees_every_organization_below(client, world, county_admin):
    page = html(as_user(client, county_admin).get(URL))
    assert f"{LAST}年适用的保障标准" in page and "村级组织运转经费标准" in page and "县委办〔2025〕3号" in page
    assert "西街村党支部" in page and "北山村党支部" in page and "0.01" in page and "50,000.00" in page
    assert "东街村党支部" not in page.split("低于标准的组织")[1]  # it meets the standard
    assert "新增标准" in page and reverse("funding:standard_update", args=[world[0].pk]) in page
    rows = workbook(client.get(URL + "?export=xlsx"))
    assert rows[0] == [
        "年度", "保障标准", "经费类别", "组织代码", "党组织", "所属乡镇", "党员人数", "最低金额（元）", "实际到位（元）",
        "差额（元）", "结果",
    ]  # fmt: skip
    assert rows[1:] == [
        [LAST, "村级组织运转经费标准", "村级组织运转经费", "C01002", "西街村党支部", "城关镇党委", 0, 50000, 49999.99, 0.01, "未达标"],
        [LAST, "村级组织运转经费标准", "村级组织运转经费", "C02001", "北山村党支部", "石门镇党委", 0, 50000, 0, 50000, "未达标"],
    ]  # fmt: skip
    rows = workbook(client.get(URL + "?export=xlsx&view=all"))
    assert [r[3] for r in rows[1:]] == ["C01001", "C01002", "C02001"] and rows[1][10] == "达标"


def test_a_township_sees_its_own_and_gets_404_for_the_sibling(client, world, county, township_admin, sibling_admin):
    page = html(as_user(client, township_admin).get(URL))
    assert "西街村党支部" in page and "北山村党支部" not in page
    assert "新增标准" not in page and "/edit/" not in page
    assert client.get(f"{URL}?org={county.township_b.pk}").status_code == 404
    assert client.get(f"{URL}?org={county.root.pk}").status_code == 404
    assert client.get(f"{URL}?org={county.township_b.pk}&export=xlsx").status_code == 404
    client.logout()
    sibling = as_user(client, sibling_admin)
    assert sibling.get(f"{URL}?org={county.village_a2.pk}").status_code == 404
    assert "北山村党支部" in html(sibling.get(URL))


def test_the_secretary_sees_the_branch(client, world, secretary):
    page = html(as_user(client, secretary).get(URL + "?view=all"))
    assert "东街村党支部" in page and "西街村党支部" not in page and "达标" in page


def test_filters_and_a_missing_income(client, world, county_admin, county):
    operating, pay = world
    client = as_user(client, county_admin)
    page = html(client.get(f"{URL}?standard={operating.pk}&org={county.township_a.pk}&year={LAST}"))
    assert "西街村党支部" in page and "北山村党支部" not in page
    assert client.get(f"{URL}?standard=999999").status_code == 404
    assert client.get(f"{URL}?org=abc").status_code == 404
    page = html(client.get(f"{URL}?year={THIS}"))
    assert f"尚未录入{THIS}年农村居民人均可支配收入" in page and "无法评估" in page and "“村党组织书记报酬标准”" in page
    assert f"/funding/config/incomes/?year={THIS}" in page


def test_the_page_does_not_grow_with_the_tree(client, world, county, county_admin):
    client = as_user(client, county_admin)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            html(client.get(URL + "?view=all"))
        return len(ctx.captured_queries)

    before = queries()
    for i in range(6):
        organization_create(
            actor=None, parent=county.township_b, code=f"C020{i + 10}", name=f"新村{i}党支部", kind="党支部",
            domain="农村", founded_on=dt.date(1980, 1, 1),
        )  # fmt: skip
    assert queries() == before


# --- the configuration page and its forms ----------------------------------------------------------------------


def test_everyone_reads_the_configuration(client, world, funds, leader, township_admin):
    page = html(as_user(client, leader).get("/funding/config/"))
    assert "村级组织运转经费" in page and "县财政" in page and "20,133.00" in page and "村党组织书记报酬标准" in page
    assert "新增" not in page and "/edit/" not in page and "只读" in page
    client.logout()
    page = html(as_user(client, township_admin).get("/funding/config/"))
    assert "补齐默认类别" not in page


def test_township_administrators_may_not_configure(client, world, funds, township_admin, secretary):
    operating, _ = world
    writes = [
        ("/funding/config/categories/new/", {"name": "新类别", "disburse_within_days": "30"}),
        (f"/funding/config/categories/{funds.operating.pk}/edit/", {"name": "改名", "disburse_within_days": "9"}),
        ("/funding/config/sources/new/", {"name": "社会捐助"}),
        (f"/funding/config/sources/{funds.county.pk}/edit/", {"name": "改名"}),
        ("/funding/config/incomes/", {"year": str(THIS), "amount": "21000"}),
        ("/funding/config/defaults/", {}),
        ("/funding/standards/new/", {"name": "新标准", "category": funds.pay.pk, "basis": "fixed", "amount": "1", "year_from": THIS}),
        (f"/funding/standards/{operating.pk}/edit/", {"name": "改", "category": funds.operating.pk, "basis": "fixed", "amount": "1", "year_from": LAST}),
    ]  # fmt: skip
    for user in (township_admin, secretary):
        c = as_user(client, user)
        for url, data in writes:
            if not url.endswith("/defaults/"):
                assert c.get(url).status_code == 403, url
            before = _state()
            with nothing_changed():
                assert c.post(url, data).status_code == 403, url
            assert _state() == before, url
        c.logout()


def test_the_county_administrator_configures(client, world, funds, county_admin):
    operating, _ = world
    c = as_user(client, county_admin)
    page = html(c.get("/funding/config/"))
    assert "补齐默认类别和来源" in page and reverse("funding:category_update", args=[funds.operating.pk]) in page
    response = c.post(
        "/funding/config/categories/new/", {"name": "党员教育培训经费", "disburse_within_days": "60", "order": ""}
    )
    assert response.status_code == 302 and response["Location"] == "/funding/config/"
    assert FundCategory.objects.get(name="党员教育培训经费").disburse_within_days == 60
    before = _state()
    response = c.post("/funding/config/categories/new/", {"name": "村干部报酬", "disburse_within_days": "0"})
    assert response.status_code == 400
    assert "已有名为“村干部报酬”的经费类别。" in response.content.decode()
    assert _state() == before
    response = c.post(
        f"/funding/config/categories/{funds.pay.pk}/edit/",
        {"name": "村干部报酬", "disburse_within_days": "45", "order": "2"},
    )  # unchecked 启用: retired
    assert response.status_code == 302
    funds.pay.refresh_from_db()
    assert (funds.pay.disburse_within_days, funds.pay.active) == (45, False)
    assert c.post("/funding/config/sources/new/", {"name": "社会捐助", "order": "9"}).status_code == 302
    assert c.post("/funding/config/incomes/", {"year": str(THIS), "amount": "21,000.50"}).status_code == 302
    assert RuralIncome.objects.get(year=THIS).amount == Decimal("21000.50")
    assert 'value="21000.50"' in html(c.get(f"/funding/config/incomes/?year={THIS}"))
    assert c.post("/funding/config/defaults/").status_code == 302
    assert FundSource.objects.filter(name="党费").exists()


def test_standard_forms(client, world, funds, county_admin):
    operating, _ = world
    c = as_user(client, county_admin)
    assert 'value="50000.00"' in html(c.get(f"/funding/standards/{operating.pk}/edit/"))
    data = {
        "name": "社区党组织服务群众经费", "category": funds.operating.pk, "basis": "income_multiple", "multiple": "",
        "amount": "", "domain": "社区", "kind": "", "members_min": "", "members_max": "", "year_from": str(LAST),
        "year_to": "", "note": "",
    }  # fmt: skip
    before = _state()
    response = c.post("/funding/standards/new/", data)
    assert response.status_code == 400 and "按收入倍数计算的标准须填写倍数。" in response.content.decode()
    assert _state() == before
    data["multiple"] = "1.5"
    data["amount"] = "999"  # the other basis's value is dropped by the form
    assert c.post("/funding/standards/new/", data).status_code == 302
    created = FundStandard.objects.get(name="社区党组织服务群众经费")
    assert (created.basis, created.multiple, created.amount, created.domain) == (
        "income_multiple",
        Decimal("1.50"),
        None,
        "社区",
    )
    edit = {**data, "name": operating.name, "basis": "fixed", "amount": "60000", "multiple": "", "domain": "农村",
            "kind": "党支部", "members_min": "10", "members_max": "5", "active": "on"}  # fmt: skip
    response = c.post(f"/funding/standards/{operating.pk}/edit/", edit)
    assert response.status_code == 400 and "党员人数上限 5 小于下限 10" in response.content.decode()
    edit["members_max"] = "50"
    assert c.post(f"/funding/standards/{operating.pk}/edit/", edit).status_code == 302
    operating.refresh_from_db()
    assert (operating.amount, operating.members_min, operating.members_max, operating.active) == (
        Decimal("60000.00"), 10, 50, True
    )  # fmt: skip
    assert c.get("/funding/standards/999999/edit/").status_code == 404


# --- REST ------------------------------------------------------------------------------------------------------


def test_api_reads_for_everyone_signed_in(api_as, world, funds, secretary, county):
    client = api_as(secretary)
    names = [s["name"] for s in client.get("/api/fund-standards/").json()["results"]]
    assert names == ["村级组织运转经费标准", "村党组织书记报酬标准"]
    assert [s["name"] for s in client.get(f"/api/fund-standards/?year={LAST}").json()["results"]] == [
        "村级组织运转经费标准"
    ]
    standard = client.get(f"/api/fund-standards/{world[0].pk}/").json()
    assert (standard["amount"], standard["multiple"], standard["category"]["name"]) == (
        "50000.00",
        None,
        "村级组织运转经费",
    )
    assert client.get("/api/rural-incomes/").json()["results"][0]["amount"] == "20133.00"
    assert len(client.get("/api/fund-categories/").json()["results"]) == 2
    assert [s["name"] for s in client.get("/api/fund-sources/").json()["results"]] == ["县财政", "乡镇"]
    assert api_as(None).get("/api/fund-standards/").status_code in (401, 403)


def test_api_below(api_as, world, county, township_admin, sibling_admin):
    client = api_as(township_admin)
    rows = client.get(f"/api/fund-standards/below/?organization={county.township_a.pk}&year={LAST}").json()
    assert [(r["organization"]["name"], r["minimum"], r["received"], r["shortfall"], r["verdict"]) for r in rows] == [
        ("西街村党支部", "50000.00", "49999.99", "0.01", "未达标")
    ]
    rows = client.get(f"/api/fund-standards/below/?organization={county.township_a.pk}&year={THIS}&all=true").json()
    assert {r["verdict"] for r in rows if r["standard"]["name"] == "村党组织书记报酬标准"} == {"无法评估"}
    assert all(r["minimum"] is None for r in rows if r["standard"]["name"] == "村党组织书记报酬标准")
    response = api_as(sibling_admin).get(f"/api/fund-standards/below/?organization={county.township_a.pk}&year={LAST}")
    assert response.status_code == 404
    assert client.get("/api/fund-standards/below/?year=2025").status_code == 400


def test_api_writes_are_the_county_administrators(api_as, world, funds, county_admin, township_admin):
    operating, _ = world
    refused = [
        ("post", "/api/fund-standards/", {"name": "新", "category_id": funds.pay.pk, "basis": "fixed", "amount": "1", "year_from": THIS}),
        ("patch", f"/api/fund-standards/{operating.pk}/", {"amount": "1"}),
        ("post", "/api/fund-categories/", {"name": "新类别", "disburse_within_days": 30}),
        ("patch", f"/api/fund-categories/{funds.pay.pk}/", {"active": False}),
        ("post", "/api/fund-sources/", {"name": "社会捐助"}),
        ("post", "/api/rural-incomes/", {"year": THIS, "amount": "1"}),
    ]  # fmt: skip
    client = api_as(township_admin)
    for method, url, data in refused:
        before = _state()
        with nothing_changed():
            response = getattr(client, method)(url, data, format="json")
        assert response.status_code == 403, url
        assert "只有县委组织部管理员" in response.json()["detail"]
        assert _state() == before
    admin = api_as(county_admin)
    response = admin.post(
        "/api/fund-standards/",
        {
            "name": "村书记报酬",
            "category_id": funds.pay.pk,
            "basis": "income_multiple",
            "multiple": "2.50",
            "year_from": LAST,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["multiple"], response.json()["amount"]) == ("2.50", None)
    before = _state()
    response = admin.patch(f"/api/fund-standards/{operating.pk}/", {"multiple": "2"}, format="json")
    assert response.status_code == 400 and response.json() == {"multiple": ["固定金额的标准不填倍数。"]}
    assert _state() == before
    assert (
        admin.patch(f"/api/fund-standards/{operating.pk}/", {"year_to": THIS}, format="json").json()["year_to"] == THIS
    )
    assert admin.post("/api/rural-incomes/", {"year": THIS, "amount": "21000"}, format="json").status_code == 201
    response = admin.post("/api/rural-incomes/", {"year": THIS, "amount": "21500.5"}, format="json")
    assert response.status_code == 200 and response.json()["amount"] == "21500.50"
    income = RuralIncome.objects.get(year=THIS)
    assert admin.patch(f"/api/rural-incomes/{income.pk}/", {"note": "公报"}, format="json").json()["note"] == "公报"
    response = admin.post("/api/fund-categories/", {"name": "村干部报酬", "disburse_within_days": 30}, format="json")
    assert response.status_code == 400 and response.json() == {"name": ["已有名为“村干部报酬”的经费类别。"]}
    response = admin.post("/api/fund-sources/", {"name": "党费", "active": False}, format="json")
    assert response.status_code == 201 and response.json()["active"] is False
