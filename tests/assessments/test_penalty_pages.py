"""The penalties page (/assessments/penalties/), one penalty (/assessments/penalties/<pk>/) and the rule parameters
page (/assessments/rules/), per role, on the world of test_ranking_pages (its docstring works it out): in 2024 王七
(N07, bottom three of eight in 2022, 2023 and 2024, not moved up in 2023 and 2024) is caught by rules 2 and 3; 赵六,
last of a group of six three years running, by nothing. N08, last of eight, has no secretary."""

from __future__ import annotations

import io

import openpyxl
import pytest

from assessments.choices import Rule, SchemeStatus
from assessments.models import Penalty, RuleSettings, Scheme
from assessments.services.workflow import scheme_publish
from core.models import AuditEvent
from tests.assessments.test_ranking_pages import build, page, table_rows, text

pytestmark = pytest.mark.django_db
URL = "/assessments/penalties/"
RULES = "/assessments/rules/"


def test_penalties_list_rule_three_with_its_evidence_and_nothing_for_a_group_of_six(client, cases, county_admin):
    _, people = build(cases, county_admin)
    wang = people["N07"]
    html = page(client, county_admin, f"{URL}?year=2024")
    rows = table_rows(html, "penalty-table")
    assert [r[:5] for r in rows] == [
        ["王七", wang.id_number_masked, "连续两年未晋位升级", "不得评先评优", "非公企业07党支部"],
        ["王七", wang.id_number_masked, "连续三年后三名", "调整岗位或降职", "非公企业07党支部"],
    ]
    assert wang.id_number not in html and "赵六" not in html
    assert not Penalty.objects.filter(person=people["N14"]).exists()
    # Rule 3's why: the three evidence years, newest first.
    assert rows[1][5] == (
        "3 年的结果 "
        "2024年 非公企业07党支部 · 两新组织 · 第 7 / 8 名 · 一般 · 60.00 分 · 晋位升级 否 · 后三名 是 "
        "2023年 非公企业07党支部 · 两新组织 · 第 7 / 8 名 · 一般 · 65.00 分 · 晋位升级 否 · 后三名 是 "
        "2022年 非公企业07党支部 · 两新组织 · 第 7 / 8 名 · 一般 · 60.00 分 · 晋位升级 无 · 后三名 是"
    )
    # The county's parameters are on top (the defaults: no row saved), and the banner says 2024 is not published.
    page_text = text(html)
    assert "测试县委“三个一律”参数 （默认）" in page_text
    assert "规则三：连续三年后三名 （连续 3 年后三名）→ 次年一律调整岗位或降职" in page_text
    assert "考核类别组织数不超过 6 个的不评后三名" in page_text
    assert "2024年度还有 2 个考核方案未发布" in page_text
    # Filter by rule.
    rows = table_rows(page(client, county_admin, f"{URL}?year=2024&rule=3"), "penalty-table")
    assert [r[2] for r in rows] == ["连续三年后三名"]
    rows = table_rows(page(client, county_admin, f"{URL}?year=2024&rule=1"), "penalty-table")
    assert rows == [["2024年度没有该规则的处理记录"]]


def test_penalty_detail_explains_the_rule(client, cases, county_admin):
    _, people = build(cases, county_admin)
    penalty = Penalty.objects.get(person=people["N07"], year=2024, rule=Rule.BOTTOM)
    html = page(client, county_admin, f"{URL}{penalty.pk}/")
    why = text(html)
    assert "2022—2024年连续三年，所任书记的组织均为后三名（组织数超过 6 个的考核类别才评）。" in why
    assert "2025年一律调整岗位或降职" in why
    rows = table_rows(html, "evidence-table")
    assert [(r[0], r[3], r[4], r[5], r[6], r[8]) for r in rows] == [
        ("2024", "7 / 8", "一般", "60.00", "第 7 名 · 一般", "是"),
        ("2023", "7 / 8", "一般", "65.00", "第 7 名 · 一般", "是"),
        ("2022", "7 / 8", "一般", "60.00", "无结果", "是"),
    ]
    assert "2024年度 · 连续两年未晋位升级" in why  # his other penalty of the year


def test_leader_sees_a_years_penalties_once_all_published(client, cases, county_admin, leader):
    _, people = build(cases, county_admin)
    client.force_login(leader)
    response = client.get(f"{URL}?year=2024")
    assert response.context["year"] == 2023  # 2024 has no published scheme: not offered
    penalty = Penalty.objects.get(person=people["N07"], year=2024, rule=Rule.BOTTOM)
    assert client.get(f"{URL}{penalty.pk}/").status_code == 404
    scheme_publish(actor=county_admin, scheme=Scheme.objects.get(year=2024, group="两新组织"))
    html = client.get(f"{URL}?year=2024").content.decode()
    assert "2024年度考核结果尚未全部发布，“三个一律”名单在全部发布后显示。" in text(html)
    assert table_rows(html, "penalty-table") == [["2024年度没有处理记录"]]
    scheme_publish(actor=county_admin, scheme=Scheme.objects.get(year=2024, group="小组"))
    rows = table_rows(page(client, leader, f"{URL}?year=2024"), "penalty-table")
    assert [r[2] for r in rows] == ["连续两年未晋位升级", "连续三年后三名"]
    assert client.get(f"{URL}{penalty.pk}/").status_code == 200


def test_penalties_scope_sibling_anonymous(client, cases, county_admin, sibling_admin):
    _, people = build(cases, county_admin)
    penalty = Penalty.objects.get(person=people["N07"], year=2024, rule=Rule.BOTTOM)
    assert client.get(URL).status_code == 302
    rows = table_rows(page(client, sibling_admin, f"{URL}?year=2024"), "penalty-table")
    assert rows == [["2024年度没有处理记录"]]
    assert client.get(f"{URL}{penalty.pk}/").status_code == 404
    assert client.get(f"{URL}abc/").status_code == 404


def test_penalties_export_gives_the_rows_shown(client, cases, county_admin):
    _, people = build(cases, county_admin)
    client.force_login(county_admin)
    response = client.get(f"{URL}?year=2024&rule=3&export=xlsx")
    assert response.status_code == 200
    rows = [list(r) for r in openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values]
    assert rows == [
        ["年度", "姓名", "身份证号", "规则", "后果", "依据"],
        [
            2024, "王七", people["N07"].id_number_masked, "连续三年后三名", "调整岗位或降职",
            "2022年 非公企业07党支部（两新组织）第7名/共8个 一般 60.00分；"
            "2023年 非公企业07党支部（两新组织）第7名/共8个 一般 65.00分；"
            "2024年 非公企业07党支部（两新组织）第7名/共8个 一般 60.00分",
        ],
    ]  # fmt: skip


# --- Rule parameters ------------------------------------------------------------------------------------------------


def settings_state():
    return sorted(RuleSettings.objects.values_list()), sorted(Scheme.objects.values_list("pk", "status"))


def test_county_admin_changes_the_parameters_for_the_next_computation(client, cases, county_admin):
    build(cases, county_admin)
    html = page(client, county_admin, RULES)
    assert 'name="bottom_n"' in html and "在下次计算考核结果时生效" in html
    before = settings_state()
    audits = AuditEvent.objects.count()
    form = {"failed_on": "on", "not_moved_up_on": "on", "bottom_on": "on", "not_moved_up_years": "2",
            "bottom_years": "9", "bottom_n": "3", "min_group_size": "6"}  # fmt: skip
    response = client.post(RULES, form)
    assert response.status_code == 400 and "后三名连续年数" in response.content.decode()
    assert settings_state() == before and AuditEvent.objects.count() == audits
    response = client.post(RULES, {**form, "bottom_years": "2", "min_group_size": "5"})
    assert response.status_code == 302
    row = RuleSettings.objects.get(county=cases.county.root)
    assert (row.bottom_years, row.min_group_size, row.not_moved_up_on) == (2, 5, True)
    # The computed 2024 goes back to 待计算; published years stay as they are.
    assert set(Scheme.objects.filter(year=2024).values_list("status", flat=True)) == {SchemeStatus.DRAFT}
    assert set(Scheme.objects.filter(year=2023).values_list("status", flat=True)) == {SchemeStatus.PUBLISHED}
    assert "规则三：连续两年后三名" in text(page(client, county_admin, URL))


def test_others_read_the_parameters_and_may_not_change_them(client, cases, county_admin, leader, township_admin):
    build(cases, county_admin)
    before = settings_state()
    for user in (leader, township_admin):
        html = page(client, user, RULES)
        assert 'name="bottom_n"' not in html and "由县委组织部设置，您可以查看" in html
        assert "规则一：不合格" in text(html)
        assert client.post(RULES, {"bottom_n": "1", "bottom_years": "1"}).status_code == 403
    assert settings_state() == before
