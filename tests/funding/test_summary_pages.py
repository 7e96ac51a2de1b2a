"""经费汇总 (/funding/): the figures on the page equal numbers worked by hand (a divisor 0 shows —), a line per lower
organization with its drill-down and ledger links, the tables by category and by source, the chart's data, the
Excel export, scope (a sibling township's summary is 404), the 经费 card of an organization's page, and a query
count that does not grow with the number of organizations."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funding.services.ledger import allocation_create, disbursement_create, expenditure_create
from organizations.services import organization_create

from .conftest import D

pytestmark = pytest.mark.django_db

SUMMARY = reverse("funding:summary")
YEAR = 2025


class _Tables(HTMLParser):
    """The text of every cell of the tables carrying a class, row by row (thead, tbody and tfoot alike)."""

    def __init__(self, css_class: str):
        super().__init__()
        self.css_class, self.depth, self.rows, self.cell = css_class, 0, [], None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and (self.depth or self.css_class in classes):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(response, css_class: str) -> list[list[str]]:
    parser = _Tables(css_class)
    parser.feed(response.content.decode())
    return parser.rows


def no_inline_scripts(html: str) -> bool:
    """Every script is a file of ours or JSON data (the CSP forbids inline scripts)."""
    return all("src=" in attrs or 'type="application/json"' in attrs for attrs in re.findall(r"<script([^>]*)>", html))


def workbook_rows(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in wb.active.iter_rows(values_only=True)]


@pytest.fixture
def client_as(client):
    def make(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return make


def build_ledgers(county, funds) -> None:
    """东街村: 300.00 allocated, 200.00 arrived, 50.00 spent; 城关镇 itself: 100.00 of 村干部报酬 allocated, nothing
    arrived; 北山村 (the other township): 1,000.00 allocated and arrived. 西街村 and the county department: nothing."""
    a = allocation_create(
        actor=None, organization=county.village_a1, year=YEAR, category=funds.operating, source=funds.county,
        amount="300.00", allocated_on=D(YEAR, 3, 1), document_no="县组发〔2025〕3号",
    )  # fmt: skip
    disbursement_create(actor=None, allocation=a, amount="200.00", paid_on=D(YEAR, 3, 10), voucher="PZ-001")
    expenditure_create(
        actor=None, organization=county.village_a1, year=YEAR, category=funds.operating, amount="50.00",
        spent_on=D(YEAR, 4, 1), purpose="购买办公用品", voucher="FP-01",
    )  # fmt: skip
    allocation_create(
        actor=None, organization=county.township_a, year=YEAR, category=funds.pay, source=funds.township,
        amount="100.00", allocated_on=D(YEAR, 5, 1),
    )  # fmt: skip
    b = allocation_create(
        actor=None, organization=county.village_b1, year=YEAR, category=funds.operating, source=funds.county,
        amount="1000.00", allocated_on=D(YEAR, 2, 1),
    )  # fmt: skip
    disbursement_create(actor=None, allocation=b, amount="1000.00", paid_on=D(YEAR, 2, 20))


@pytest.fixture
def ledgers(county, funds):
    build_ledgers(county, funds)
    return county


def test_anonymous_is_sent_to_login(client, ledgers):
    response = client.get(SUMMARY)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_township_summary_equals_the_hand_worked_figures(client_as, ledgers, township_admin):
    county = ledgers
    response = client_as(township_admin).get(SUMMARY, {"year": YEAR})
    assert response.status_code == 200
    assert response.context["org"] == county.township_a  # the admin's scope root by default
    rows = table_rows(response, "funding-unit-table")
    assert rows[0] == ["组织", "下达", "到位", "支出", "尚欠", "到位率", "使用率", "台账"]
    assert rows[1][:7] == ["城关镇党委 本级", "100.00", "0.00", "0.00", "100.00", "0.00%", "—"]
    assert rows[2][:7] == ["东街村党支部", "300.00", "200.00", "50.00", "100.00", "66.67%", "25.00%"]
    assert rows[3][:7] == ["西街村党支部", "0.00", "0.00", "0.00", "0.00", "—", "—"]
    assert rows[4][:7] == ["合计", "400.00", "200.00", "50.00", "200.00", "50.00%", "25.00%"]
    cards = [(c["label"], c["text"]) for c in response.context["cards"]]
    assert cards == [("下达", "400.00"), ("到位", "200.00"), ("支出", "50.00"), ("尚欠", "200.00"),
                     ("到位率", "50.00%"), ("使用率", "25.00%")]  # fmt: skip
    # Villages have no lower organizations: no drill-down, but each opens its ledger.
    html = response.content.decode()
    assert f'href="{reverse("funding:ledger", args=[county.village_a1.pk])}?year={YEAR}"' in html
    assert f"?organization={county.village_a1.pk}&amp;year={YEAR}" not in html
    by_category = table_rows(response, "funding-category-table")
    assert by_category[1][:7] == ["村级组织运转经费", "300.00", "200.00", "50.00", "100.00", "66.67%", "25.00%"]
    assert by_category[2][:7] == ["村干部报酬", "100.00", "0.00", "0.00", "100.00", "0.00%", "—"]
    by_source = table_rows(response, "funding-source-table")
    assert by_source[1][:7] == ["县财政", "300.00", "200.00", "0.00", "100.00", "66.67%", "0.00%"]
    assert by_source[2][:7] == ["乡镇", "100.00", "0.00", "0.00", "100.00", "0.00%", "—"]
    assert by_source[3][:7] == ["未指定来源", "0.00", "0.00", "50.00", "0.00", "—", "—"]  # spending without a source
    assert response.context["chart_data"] == {
        "units": [
            {"name": "城关镇党委", "rate": "0.00"},
            {"name": "东街村党支部", "rate": "66.67"},
            {"name": "西街村党支部", "rate": None},
        ],
        "categories": [{"name": "村级组织运转经费", "rate": "66.67"}, {"name": "村干部报酬", "rate": "0.00"}],
    }
    assert 'id="funding-summary-data"' in html
    assert no_inline_scripts(html)
    assert "vendor/echarts/echarts.min.js" in html and "js/funding-summary.js" in html


def test_the_county_drills_down_into_a_township(client_as, ledgers, county_admin):
    county = ledgers
    c = client_as(county_admin)
    response = c.get(SUMMARY, {"year": YEAR})
    rows = table_rows(response, "funding-unit-table")
    assert [r[:7] for r in rows[1:]] == [
        ["城关镇党委", "400.00", "200.00", "50.00", "200.00", "50.00%", "25.00%"],
        ["石门镇党委", "1,000.00", "1,000.00", "0.00", "0.00", "100.00%", "0.00%"],
        ["县财政局机关党支部", "0.00", "0.00", "0.00", "0.00", "—", "—"],
        ["合计", "1,400.00", "1,200.00", "50.00", "200.00", "85.71%", "4.17%"],
    ]
    drill = f"{SUMMARY}?organization={county.township_a.pk}&amp;year={YEAR}"
    assert drill in response.content.decode()
    response = c.get(SUMMARY, {"organization": county.township_a.pk, "year": YEAR})
    assert [a.name for a in response.context["crumbs"]] == ["测试县委"]
    assert table_rows(response, "funding-unit-table")[2][0] == "东街村党支部"


def test_another_year_and_an_empty_county(client_as, ledgers, county_admin):
    response = client_as(county_admin).get(SUMMARY, {"year": YEAR - 1})
    rows = table_rows(response, "funding-unit-table")
    assert rows[-1][:7] == ["合计", "0.00", "0.00", "0.00", "0.00", "—", "—"]
    assert YEAR in response.context["years"]
    # A year that is no year falls back to this year.
    response = client_as(county_admin).get(SUMMARY, {"year": "abc"})
    assert response.status_code == 200 and response.context["year"] != "abc"


@pytest.mark.parametrize("role", ["county_admin", "township_admin", "secretary", "leader", "inspector"])
def test_every_role_sees_its_own_scope(request, client_as, ledgers, role):
    user = request.getfixturevalue(role)
    response = client_as(user).get(SUMMARY, {"year": YEAR})
    assert response.status_code == 200
    expected = {"secretary": ledgers.village_a1, "township_admin": ledgers.township_a}.get(role, ledgers.root)
    assert response.context["org"] == expected
    if role == "secretary":  # a branch alone: its own line only
        rows = table_rows(response, "funding-unit-table")
        assert rows[1][:7] == ["东街村党支部 本级", "300.00", "200.00", "50.00", "100.00", "66.67%", "25.00%"]


def test_a_sibling_township_is_not_found(client_as, ledgers, sibling_admin, secretary):
    county = ledgers
    assert client_as(sibling_admin).get(SUMMARY, {"organization": county.township_a.pk}).status_code == 404
    assert client_as(secretary).get(SUMMARY, {"organization": county.village_a2.pk}).status_code == 404
    assert client_as(secretary).get(SUMMARY, {"organization": "x"}).status_code == 404
    response = client_as(sibling_admin).get(SUMMARY, {"year": YEAR})
    assert [r[0] for r in table_rows(response, "funding-unit-table")[1:]] == ["北山村党支部", "南河村党支部", "合计"]


def test_the_export_has_the_three_tables(client_as, ledgers, township_admin):
    response = client_as(township_admin).get(SUMMARY, {"year": YEAR, "export": "xlsx"})
    rows = workbook_rows(response)
    assert rows[0] == ["汇总方式", "组织代码", "名称", "下达（元）", "到位（元）", "支出（元）", "尚欠（元）", "到位率（%）", "使用率（%）"]  # fmt: skip
    assert rows[1] == ["按下级组织", "C01", "城关镇党委", 100, 0, 0, 100, 0, None]
    assert rows[2] == ["按下级组织", "C01001", "东街村党支部", 300, 200, 50, 100, 66.67, 25]
    assert rows[3] == ["按下级组织", "C01002", "西街村党支部", 0, 0, 0, 0, None, None]
    assert rows[4][:3] == ["按经费类别", None, "村级组织运转经费"]
    assert [r[0] for r in rows[4:]] == ["按经费类别"] * 2 + ["按资金来源"] * 3 + ["合计"]
    assert rows[-1] == ["合计", "C01", "城关镇党委", 400, 200, 50, 200, 50, 25]
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    # The funding export's layout (funding/xlsx.py) of the same subtree and year.
    rows = workbook_rows(client_as(township_admin).get(SUMMARY, {"year": YEAR, "export": "funding"}))
    assert rows[0][:5] == ["年度", "组织代码", "组织名称", "经费类别", "下达金额"]
    assert [r[1:4] for r in rows[1:]] == [
        ["C01", "城关镇党委", "村干部报酬"],
        ["C01001", "东街村党支部", "村级组织运转经费"],
    ]


def test_the_organization_page_has_a_funding_card(client_as, ledgers, funds, township_admin):
    county = ledgers
    this_year = timezone.localdate().year
    if this_year != YEAR:  # the card shows this year: record this year's figures too
        a = allocation_create(
            actor=None, organization=county.village_a1, year=this_year, category=funds.operating,
            source=funds.county, amount="300.00", allocated_on=D(this_year, 1, 2),
        )  # fmt: skip
        disbursement_create(actor=None, allocation=a, amount="200.00", paid_on=D(this_year, 1, 3))
    response = client_as(township_admin).get(reverse("organizations:detail", args=[county.township_a.pk]))
    assert response.status_code == 200
    assert [(c["label"], c["text"]) for c in response.context["funding"]["cells"]] == [
        ("下达", "300.00"), ("到位", "200.00"), ("支出", "0.00"), ("到位率", "66.67%"),
    ]  # fmt: skip
    html = response.content.decode()
    assert f"{reverse('funding:ledger', args=[county.township_a.pk])}?year={this_year}" in html
    assert f"{SUMMARY}?organization={county.township_a.pk}&amp;year={this_year}" in html


def test_queries_do_not_grow_with_the_organizations(client_as, ledgers, funds, county_admin):
    county = ledgers
    c = client_as(county_admin)
    c.get(SUMMARY, {"year": YEAR})
    with CaptureQueriesContext(connection) as few:
        c.get(SUMMARY, {"year": YEAR})
    for n in range(3):
        town = organization_create(
            actor=None,
            parent=county.root,
            code=f"C0{n + 3}",
            name=f"新镇{n}党委",
            kind="党委",
            founded_on=D(1980, 1, 1),
        )
        for v in range(4):
            village = organization_create(
                actor=None, parent=town, code=f"C0{n + 3}00{v}", name=f"新村{n}{v}党支部", kind="党支部",
                domain="农村", founded_on=D(1980, 1, 1),
            )  # fmt: skip
            a = allocation_create(
                actor=None, organization=village, year=YEAR, category=funds.operating, source=funds.county,
                amount="10.00", allocated_on=D(YEAR, 3, 1),
            )  # fmt: skip
            disbursement_create(actor=None, allocation=a, amount="5.00", paid_on=D(YEAR, 3, 2))
    with CaptureQueriesContext(connection) as more:
        response = c.get(SUMMARY, {"year": YEAR})
    assert len(response.context["summary"].units) == 6
    assert len(more.captured_queries) == len(few.captured_queries)
