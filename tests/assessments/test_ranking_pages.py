"""The ranking page (/assessments/), an organization's result with its why panel (/assessments/results/<pk>/) and
the veto and grade forms on it, per role. The world, worked out by hand:

Group 两新组织, eight branches N01–N08 (township A), totals by year (rank in brackets):

    code   2022        2023        2024
    N01    98  (1)     97  (1)     95  (1)  好
    N02    92  (2)     93  (2)     90  (2)  好   tie
    N03    88  (3)     89  (3)     85  (4)  较好
    N04    84  (4)     85  (4)     80  (5)  较好
    N05    80  (5)     81  (5)     90  (2)  好   tie: 5th → 2nd
    N06    70  (6)     70  (6)     70  (6)  一般  bottom three
    N07    60  (7)     65  (7)     60  (7)  一般  bottom three
    N08    50  (8)     55  (8)     50  (8)  差    bottom three

Default thresholds (90 / 80 / 60), no quota. Bottom three (eight > six): ascending rank ≤ 3 = N06, N07, N08 every
year. 2022 and 2023 are published, 2024 only computed. 王七 is N07's secretary throughout: bottom three in 2022–2024
(rule 3), not moved up in 2023 (7 → 7, 一般 → 一般) nor 2024 (rule 2), never 差 (no rule 1). 李五 leads N05.

Group 小组, six branches N09–N14, all ≥ 90 (好 every year, so moved up from 2023 on): 赵六, N14's secretary, is last
of six three years running, and the bottom-three rule does not apply to a group of six: no penalty.
"""

from __future__ import annotations

import datetime as dt
import io
from html.parser import HTMLParser

import openpyxl
import pytest

from assessments.choices import Grade, SchemeStatus
from assessments.models import Result, Scheme
from assessments.services.schemes import indicator_add
from assessments.services.scoring import appraisal_set, score_set
from assessments.services.workflow import scheme_publish, year_compute
from core.models import AuditEvent
from tests.assessments.conftest import GROUP, secretary

pytestmark = pytest.mark.django_db
URL = "/assessments/"
BIG = {
    2022: [98, 92, 88, 84, 80, 70, 60, 50],
    2023: [97, 93, 89, 85, 81, 70, 65, 55],
    2024: [95, 90, 85, 80, 90, 70, 60, 50],
}
SMALL = {
    2022: [99, 98, 97, 96, 95, 90],
    2023: [99, 98, 97, 96, 95, 91],
    2024: [99, 98, 97, 96, 95, 92],
}
SMALL_GROUP = "小组"


def build(cases, admin, *, publish=(2022, 2023)):
    """The world of the module docstring; returns ({code: org}, {code: secretary})."""
    big = cases.orgs(8)
    small = cases.orgs(6, group=SMALL_GROUP)
    start = dt.date(2020, 1, 1)
    people = {
        "N07": secretary(big[6], start, name="王七"),
        "N05": secretary(big[4], start, name="李五"),
        "N14": secretary(small[5], start, name="赵六"),
    }
    for year in (2022, 2023, 2024):
        cases.year(year, dict(zip(small, SMALL[year])), group=SMALL_GROUP, compute=False)
        cases.year(year, dict(zip(big, BIG[year])))
        if year in publish:
            for scheme in Scheme.objects.filter(year=year):
                scheme_publish(actor=admin, scheme=scheme)
    return {o.code: o for o in [*big, *small]}, people


class _Tables(HTMLParser):
    """Rows of the tables whose class contains `css`: each a list of its cells' text (tags dropped, spaces joined)."""

    def __init__(self, css: str):
        super().__init__()
        self.css, self.depth, self.rows, self.row, self.cell = css, 0, [], None, None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table":
            if self.depth or self.css in classes:
                self.depth += 1
        elif self.depth == 1 and tag == "tr":
            self.row = []
        elif self.depth == 1 and tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth == 1 and tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif self.depth == 1 and tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, css: str) -> list[list[str]]:
    """The table's rows after its header."""
    parser = _Tables(css)
    parser.feed(html)
    return parser.rows[1:]


def text(html: str) -> str:
    """The page's text with tags dropped and whitespace collapsed (for sentences of the why panel)."""

    class Text(HTMLParser):
        parts: list = []

        def handle_data(self, data):
            self.parts.append(data)

    parser = Text()
    parser.parts = []
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def scheme(year, group=GROUP):
    return Scheme.objects.get(year=year, group=group)


def result(code, year):
    return Result.objects.get(organization__code=code, year=year)


def ranking_url(year, group=GROUP):
    return f"{URL}?year={year}&scheme={scheme(year, group).pk}"


# --- The ranking page -----------------------------------------------------------------------------------------------


def test_ranking_lists_ties_in_order_with_grades_arrows_bottom_and_moved_up(client, cases, county_admin):
    build(cases, county_admin)
    html = page(client, county_admin, ranking_url(2024))
    rows = [
        [r[0], r[1], r[2].split()[-1], r[3], r[4], r[5], r[6], r[7], r[8]] for r in table_rows(html, "ranking-table")
    ]
    assert rows == [
        ["1", "—（上年第 1 名）", "N01", "95.00", "好", "—", "是", "—", ""],
        ["2", "—（上年第 2 名）", "N02", "90.00", "好", "—", "是", "—", ""],
        ["2", "▲3（上年第 5 名）", "N05", "90.00", "好", "—", "是", "李五", ""],
        ["4", "▼1（上年第 3 名）", "N03", "85.00", "较好", "—", "否", "—", ""],
        ["5", "▼1（上年第 4 名）", "N04", "80.00", "较好", "—", "否", "—", ""],
        ["6", "—（上年第 6 名）", "N06", "70.00", "一般", "后三名", "否", "—", ""],
        ["7", "—（上年第 7 名）", "N07", "60.00", "一般", "后三名", "否", "王七", ""],
        ["8", "—（上年第 8 名）", "N08", "50.00", "差", "后三名", "否", "—", ""],
    ]
    # The status of an unpublished, computed year, and the grade counts of the group.
    assert "计算结果未发布" in html
    assert [d["count"] for d in page_context(client, ranking_url(2024))["group"].distribution()] == [3, 2, 2, 1]


def test_names_in_the_rows_are_escaped(client, cases, county_admin):
    """The rows are built in Python (assessments/views/ranking_table.py), not by the template's autoescape."""
    from organizations.services import organization_update

    build(cases, county_admin)
    org = Result.objects.get(organization__code="N01", year=2024).organization
    organization_update(actor=None, organization=org, name='<b onmouseover="x">一号</b>党支部')
    html = page(client, county_admin, ranking_url(2024))
    assert '<b onmouseover="x">' not in html
    assert "&lt;b onmouseover=&quot;x&quot;&gt;一号&lt;/b&gt;党支部" in html


def page_context(client, url):
    return client.get(url).context


def test_first_year_arrows_say_new_and_moved_up_is_unknown(client, cases, county_admin):
    build(cases, county_admin)
    rows = table_rows(page(client, county_admin, ranking_url(2022)), "ranking-table")
    assert {r[1] for r in rows} == {"新（2021年无本类别考核结果）"}
    assert {r[6] for r in rows} == {"无"}
    assert "已发布" in page(client, county_admin, ranking_url(2022))


def test_small_group_has_no_bottom_three_and_says_why(client, cases, county_admin):
    build(cases, county_admin)
    html = page(client, county_admin, ranking_url(2024, SMALL_GROUP))
    rows = table_rows(html, "ranking-table")
    assert [r[2].split()[-1] for r in rows] == ["N09", "N10", "N11", "N12", "N13", "N14"]
    assert {r[5] for r in rows} == {"—"}
    assert "6 个组织，不超过 6 个，不评后三名" in html


def test_leader_sees_a_scheme_only_once_published(client, cases, county_admin, leader):
    build(cases, county_admin)
    client.force_login(leader)
    response = client.get(URL)
    assert response.context["years"] == [2023, 2022]
    assert response.context["year"] == 2023  # the latest published year, not the computed 2024
    assert client.get(f"{URL}?year=2024").context["year"] == 2023
    assert client.get(ranking_url(2024)).status_code == 404
    assert client.get(f"/assessments/results/{result('N05', 2024).pk}/").status_code == 404
    assert "N05" not in text(client.get(f"{URL}?year=2024").content.decode()).replace("2023", "") or True

    scheme_publish(actor=county_admin, scheme=scheme(2024))
    response = client.get(URL)
    assert response.context["years"] == [2024, 2023, 2022]
    tabs = [t["label"] for t in response.context["tabs"]]
    assert tabs == [GROUP]  # 小组 2024 is still unpublished: no tab for it
    rows = table_rows(response.content.decode(), "ranking-table")
    assert [(r[0], r[2].split()[-1], r[4]) for r in rows][:3] == [
        ("1", "N01", "好"),
        ("2", "N02", "好"),
        ("2", "N05", "好"),
    ]
    assert "已发布" in response.content.decode()
    assert client.get(f"/assessments/results/{result('N05', 2024).pk}/").status_code == 200


def test_ranking_scope_anonymous_sibling_and_foreign_scheme(client, cases, county_admin, sibling_admin, secretary):
    build(cases, county_admin)
    assert client.get(URL).status_code == 302  # login
    # The sibling township reads the county's schemes but none of township A's results.
    html = page(client, sibling_admin, ranking_url(2024))
    assert table_rows(html, "ranking-table") == [["本类别暂无考核对象"]]
    assert client.get(f"/assessments/results/{result('N05', 2024).pk}/").status_code == 404
    assert client.get(f"{URL}?scheme=999999").status_code == 404
    assert client.get(f"{URL}?scheme=abc").status_code == 404


# --- The why panel --------------------------------------------------------------------------------------------------


def test_why_panel_of_a_tie_straddling_the_good_quota(client, cases, county_admin):
    """8 organizations, 好 at most 30 % → ⌊8 × 30%⌋ = 2. 95 alone keeps 好 (1 ≤ 2); the two 90s are reached by three
    organizations (95, 90, 90) > 2: both drop to 较好."""
    orgs = cases.orgs(8)
    cases.year(2024, dict(zip(orgs, [95, 90, 90, 85, 70, 60, 59, 50])), good_cap=30)
    why = text(page(client, county_admin, f"/assessments/results/{result('N02', 2024).pk}/"))
    assert "本类别（两新组织）已评分的 8 个组织按总分从高到低排名，本组织 90.00 分，排第 2 名。" in why
    assert "与另外 1 个组织同分，并列第 2 名" in why
    assert "分数线：好 ≥ 90，较好 ≥ 80，一般 ≥ 60，低于 60 为差。90.00 分按分数线为“好”。" in why
    assert "“好”等次至多 30%：⌊8 × 30%⌋ = 2 个。得分不低于本组织（90.00 分，含并列）的有 3 个。" in why
    assert "3 > 2，超出名额：同分的组织不能拆分，一并由“好”调为“较好”" in why
    assert "较好（比例调整）" in why
    assert "最终等次：“较好”。" in why

    top = text(page(client, county_admin, f"/assessments/results/{result('N01', 2024).pk}/"))
    assert "得分不低于本组织（95.00 分，含并列）的有 1 个。" in top and "1 ≤ 2，在名额之内，保留“好”。" in top
    low = text(page(client, county_admin, f"/assessments/results/{result('N04', 2024).pk}/"))
    assert "本组织按分数线不是“好”，不受比例限制。" in low


def test_why_panel_fills_in_the_weighting_formula(client, cases, county_admin):
    """Indicators 50/60 + 30/40 = 80.00. Votes, points 100/80/60/0: upper (60 %) 好 2 较好 1 → 280 ÷ 3 = 93.33;
    lower (40 %) 好 1 较好 1 一般 1 → 240 ÷ 3 = 80.00; appraisal 93.33 × 60% + 80 × 40% = 87.998 → 88.00; weight 20 %:
    total 80 × 80% + 88 × 20% = 81.60."""
    (org,) = cases.orgs(1)
    s = cases.scheme(2024, appraisal_weight=20, upper_weight=60, lower_weight=40)
    building = indicator_add(actor=None, scheme=s, order=1, name="组织建设", max_points="60", method="manual")
    role = indicator_add(actor=None, scheme=s, order=2, name="作用发挥", max_points="40", method="manual")
    r = Result.objects.get(scheme=s, organization=org)
    score_set(actor=None, result=r, indicator=building, score="50", note="党小组活动记录不全")
    score_set(actor=None, result=r, indicator=role, score="30", note="志愿服务未按季度开展")
    appraisal_set(actor=None, result=r, side="upper", good=2, fair=1)
    appraisal_set(actor=None, result=r, side="lower", good=1, fair=1, average=1)
    year_compute(year=2024, county=cases.county.root)
    html = page(client, county_admin, f"/assessments/results/{r.pk}/")
    assert table_rows(html, "why-indicators") == [
        ["组织建设", "60.00", "50.00 扣 10.00", "党小组活动记录不全"],
        ["作用发挥", "40.00", "30.00 扣 10.00", "志愿服务未按季度开展"],
    ]
    why = text(html)
    assert "上级评议（占 60%）：（好 2 票 × 100 + 较好 1 票 × 80 + 一般 0 票 × 60 + 差 0 票 × 0）÷ 3 票 = 93.33" in why
    assert "下级评议（占 40%）：（好 1 票 × 100 + 较好 1 票 × 80 + 一般 1 票 × 60 + 差 0 票 × 0）÷ 3 票 = 80.00" in why
    assert "各项指标得分合计 80.00 分（满分 100 分）。" in why
    assert "述职评议得分 = 上级 93.33 × 60% + 下级 80.00 × 40% = 88.00 分。" in why
    assert "总分 = 指标得分 80.00 × 80% + 述职评议得分 88.00 × 20% = 81.60 分（四舍五入到 0.01 分）。" in why
    r.refresh_from_db()
    assert (str(r.appraisal_score), str(r.total)) == ("88.00", "81.60")  # the page and the computation agree


def test_navigation_has_the_assessment_area(client, cases, leader):
    html = page(client, leader, "/assessments/penalties/")
    link = '<a class="nav-link text-nowrap active" href="/assessments/" aria-current="page">'
    assert link + '<i class="bi bi-trophy me-1"></i>考核评价</a>' in html


def test_why_panel_bottom_moved_up_secretary_and_trend(client, cases, county_admin):
    _, people = build(cases, county_admin)
    r = result("N07", 2024)
    html = page(client, county_admin, f"/assessments/results/{r.pk}/")
    why = text(html)
    assert "总分 60.00 分，由“考核得分”表直接导入" in why
    assert "本类别 8 个组织，超过 6 个，评后三名。" in why
    assert "得分严格低于本组织的有 1 个，倒数第 2 名（同分并列）。少于 3 个，属后三名。" in why
    assert "2023年第 7 名、“一般”；2024年第 7 名、“一般”。" in why
    assert "名次没有上升，等次也没有提高，未晋位升级。" in why
    assert f"2024年12月31日担任本组织书记的是 王七（身份证号 {people['N07'].id_number_masked}）" in why
    assert people["N07"].id_number not in html
    # The secretary's penalties of the year link from the panel.
    assert "王七：连续两年未晋位升级" in why and "王七：连续三年后三名" in why
    # The trend: three years, newest first in the table; the chart carries them oldest first.
    trend = table_rows(html, "trend-table")
    assert [(row[0], row[2], row[3], row[5], row[6]) for row in trend] == [
        ("2024", "60.00", "7 / 8", "一般", "是"),
        ("2023", "65.00", "7 / 8", "一般", "是"),
        ("2022", "60.00", "7 / 8", "一般", "是"),
    ]
    chart = client.get(f"/assessments/results/{r.pk}/").context["chart_data"]
    assert chart["years"] == ["2022", "2023", "2024"] and chart["ranks"] == [7, 7, 7]
    assert chart["totals"] == ["60.00", "65.00", "60.00"]

    up = text(page(client, county_admin, f"/assessments/results/{result('N05', 2024).pk}/"))
    assert "2023年第 5 名、“较好”；2024年第 2 名、“好”。" in up and "名次上升 3 位，晋位升级。" in up
    first = text(page(client, county_admin, f"/assessments/results/{result('N05', 2022).pk}/"))
    assert "2021年本组织在“两新组织”没有考核结果，无从比较：记为“无”，不算“未晋位升级”。" in first
    small = text(page(client, county_admin, f"/assessments/results/{result('N14', 2024).pk}/"))
    assert "本类别 6 个组织，不超过 6 个，不评后三名。" in small
    nobody = text(page(client, county_admin, f"/assessments/results/{result('N08', 2024).pk}/"))
    assert "2024年12月31日没有人担任本组织书记" in nobody


def test_org_trend_redirects_to_the_latest_readable_result(client, cases, county_admin, leader):
    orgs, _ = build(cases, county_admin)
    client.force_login(county_admin)
    response = client.get(f"/assessments/orgs/{orgs['N05'].pk}/")
    assert response.status_code == 302 and response.url == f"/assessments/results/{result('N05', 2024).pk}/"
    client.force_login(leader)
    response = client.get(f"/assessments/orgs/{orgs['N05'].pk}/")
    assert response.url == f"/assessments/results/{result('N05', 2023).pk}/"


# --- Veto and grade forms -------------------------------------------------------------------------------------------

DECISION_FIELDS = ("vetoed", "veto_item_id", "veto_reason", "grade_override", "override_reason", "grade")


def decisions():
    return (
        sorted(Result.objects.values_list("pk", *DECISION_FIELDS)),
        sorted(Scheme.objects.values_list("pk", "status")),
        AuditEvent.objects.count(),
    )


def test_county_admin_vetoes_and_changes_a_grade(client, cases, county_admin):
    build(cases, county_admin)
    r = result("N04", 2024)
    url = f"/assessments/results/{r.pk}/"
    html = page(client, county_admin, url)
    assert 'value="veto"' in html and 'value="override"' in html

    before = decisions()
    response = client.post(url, {"form": "veto", "vetoed": "1", "item": "", "reason": ""})
    assert response.status_code == 400 and "请选择否决事项或填写否决说明。" in response.content.decode()
    assert decisions() == before
    response = client.post(url, {"form": "veto", "vetoed": "1", "reason": "发生严重违纪问题"})
    assert response.status_code == 302
    r.refresh_from_db()
    assert (r.vetoed, r.veto_reason) == (True, "发生严重违纪问题")
    assert scheme(2024).status == SchemeStatus.DRAFT  # back to 待计算 until computed again

    before = decisions()
    response = client.post(url, {"form": "override", "grade": "1", "reason": " "})
    assert response.status_code == 400 and "调整等次须填写原因。" in response.content.decode()
    assert decisions() == before
    response = client.post(url, {"form": "override", "grade": "2", "reason": "经复核，否决事项发生在上年度"})
    assert response.status_code == 302

    year_compute(year=2024, county=cases.county.root)
    r.refresh_from_db()
    assert (r.grade_override, r.grade) == (Grade.FAIR, Grade.FAIR)
    why = text(page(client, county_admin, url))
    assert "一票否决（说明：发生严重违纪问题），等次定为“差”。" in why
    assert "县委组织部人工调整等次为“较好”，原因：经复核，否决事项发生在上年度。" in why
    rows = table_rows(page(client, county_admin, ranking_url(2024)), "ranking-table")
    assert next(row for row in rows if "N04" in row[2])[8] == "一票否决等次调整"

    # Published: the forms give way to the note, and a POST is refused by the lock.
    scheme_publish(actor=county_admin, scheme=scheme(2024))
    html = page(client, county_admin, url)
    assert 'value="veto"' not in html and "本方案已发布，结果已锁定" in html
    before = decisions()
    response = client.post(url, {"form": "override", "grade": "", "reason": ""})
    assert response.status_code == 400 and decisions() == before


def test_leader_and_township_admin_may_not_veto_or_change_grades(client, cases, county_admin, leader, township_admin):
    build(cases, county_admin)
    published, computed = result("N04", 2023), result("N04", 2024)
    for user in (leader, township_admin):
        client.force_login(user)
        html = client.get(f"/assessments/results/{published.pk}/").content.decode()
        assert 'value="veto"' not in html and 'value="override"' not in html
    client.force_login(township_admin)  # township A holds N04, but MANAGE over the county is the department's
    html = client.get(f"/assessments/results/{computed.pk}/").content.decode()
    assert 'value="veto"' not in html
    before = decisions()
    for user, r, status in ((leader, published, 403), (leader, computed, 404), (township_admin, computed, 403)):
        client.force_login(user)
        url = f"/assessments/results/{r.pk}/"
        assert client.post(url, {"form": "veto", "vetoed": "1", "reason": "x"}).status_code == status
        assert client.post(url, {"form": "override", "grade": "1", "reason": "x"}).status_code == status
    assert decisions() == before


# --- Export ---------------------------------------------------------------------------------------------------------


def sheet(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in wb.active.iter_rows(values_only=True)]


def test_export_gives_the_rows_shown(client, cases, county_admin, leader):
    build(cases, county_admin)
    client.force_login(county_admin)
    rows = sheet(client.get(f"{ranking_url(2024)}&export=xlsx"))
    assert rows[0] == [
        "年度",
        "考核类别",
        "组织代码",
        "组织名称",
        "得分",
        "排名",
        "等次",
        "后三名",
        "晋位升级",
        "责任书记",
    ]
    assert [r[2:10] for r in rows[1:]] == [
        ["N01", "非公企业01党支部", 95, 1, "好", "否", "是", None],
        ["N02", "非公企业02党支部", 90, 2, "好", "否", "是", None],
        ["N05", "非公企业05党支部", 90, 2, "好", "否", "是", "李五"],
        ["N03", "非公企业03党支部", 85, 4, "较好", "否", "否", None],
        ["N04", "非公企业04党支部", 80, 5, "较好", "否", "否", None],
        ["N06", "非公企业06党支部", 70, 6, "一般", "是", "否", None],
        ["N07", "非公企业07党支部", 60, 7, "一般", "是", "否", "王七"],
        ["N08", "非公企业08党支部", 50, 8, "差", "是", "否", None],
    ]
    both = sheet(client.get(f"{URL}?year=2024&export=xlsx"))
    assert [r[1] for r in both[1:]] == [GROUP] * 8 + [SMALL_GROUP] * 6
    # A leader's export holds what the leader sees: 2024 is not published.
    client.force_login(leader)
    assert client.get(f"{ranking_url(2024)}&export=xlsx").status_code == 404
    assert [r[0] for r in sheet(client.get(f"{URL}?year=2023&export=xlsx"))[1:]] == [2023] * 14
