"""The 考核得分 sheet (docs: formats.md): one organization's total and 一票否决 for one year a row, into the scheme of its
county, year and group or a default scheme made for it; checked against the database and the file's own 组织 sheet,
every problem reported by sheet, row and column with nothing written; the same file again changes nothing.

The county fixture's groups: 乡镇党委 (C01 城关镇党委, C02 石门镇党委), 村（社区）党组织 (the four villages C01001,
C01002, C02001, C02002), 县直部门党组织 (C90 县财政局机关党支部).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import Result, Scheme
from assessments.services.schemes import indicator_add, scheme_create
from assessments.services.scoring import imported_total_set
from assessments.services.workflow import scheme_publish, year_compute
from assessments.xlsx import ScoreSheet
from core.models import AuditEvent
from core.xlsx.importer import workbook_import
from core.xlsx.registry import sheet_importers
from organizations.models import Organization
from tests.commands.cli import run_cli
from tests.helpers import ORG_HEADERS, org_row, problem_texts, workbook

pytestmark = pytest.mark.django_db

# The public layout, spelled out (formats.md), not taken from the code.
HEADERS = ["年度", "考核类别", "组织代码", "组织名称", "得分", "一票否决"]
TOWN, VILLAGE, DEPT = "乡镇党委", "村（社区）党组织", "县直部门党组织"
N = None
D = Decimal


def scores_workbook(rows, extra=None) -> bytes:
    return workbook({**(extra or {}), "考核得分": [HEADERS, *rows]})


def import_rows(rows, actor=None, extra=None, dry_run=False):
    return workbook_import(source=scores_workbook(rows, extra), actor=actor, dry_run=dry_run)


def ok(report):
    assert report.ok, problem_texts(report)
    return report


def state() -> dict:
    """Every scheme and result by value, the organizations, and the audit count: what a refused import must leave."""
    return {
        "schemes": sorted(
            Scheme.objects.values_list("id", "county_id", "year", "group", "name", "status", "is_default")
        ),
        "results": sorted(
            Result.objects.values_list(
                "id", "scheme_id", "organization_id", "year", "imported_total", "total", "vetoed", "veto_reason",
                "updated_at",
            )
        ),
        "organizations": sorted(Organization.objects.values_list("code", "name", "assessment_group", "path")),
        "audit": AuditEvent.objects.count(),
    }  # fmt: skip


def scored() -> dict:
    """{(code, year): (group, imported total, total, vetoed)} of every result."""
    return {
        (code, year): (group, imported, total, vetoed)
        for code, year, group, imported, total, vetoed in Result.objects.values_list(
            "organization__code", "year", "scheme__group", "imported_total", "total", "vetoed"
        )
    }


GOOD = [
    [2025, TOWN, "C01", "城关镇党委", 92.5, "否"],
    [2025, TOWN, "C02", "石门镇党委", "88", N],  # a text cell; 一票否决 blank = 否
    [2025, VILLAGE, "C01001", "东街村党支部", 75.25, "是"],
    [2025, DEPT, "C90", "县财政局机关党支部", 100, N],
]


def test_the_sheet_is_registered_after_funding():
    names = [imp.name for imp in sheet_importers()]
    assert names == ["组织", "职务", "党员", "会议", "经费", "考核得分"]
    assert [c.header for c in ScoreSheet.columns] == HEADERS


def test_totals_go_to_default_schemes_made_for_them(county):
    report = ok(import_rows(GOOD))
    assert report.summary_lines() == ["考核得分: 已新增 4 行，已更新 0 行，未变 0 行"]
    schemes = {
        s.group: s for s in Scheme.objects.filter(year=2025).select_related("county")
    }  # one per group, of the county
    assert sorted(schemes) == sorted([TOWN, VILLAGE, DEPT])
    for group, s in schemes.items():
        assert (s.county_id, s.is_default, s.name, s.status) == (county.root.pk, True, f"2025年度{group}考核", "draft")
        assert (s.good_min, s.fair_min, s.pass_min, s.good_cap) == (D("90.00"), D("80.00"), D("60.00"), None)
        assert not s.indicators.exists()
    # The group's other organizations join the scheme without a total (they must be scored before publishing).
    assert scored() == {
        ("C01", 2025): (TOWN, D("92.50"), D("92.50"), False),
        ("C02", 2025): (TOWN, D("88.00"), D("88.00"), False),
        ("C01001", 2025): (VILLAGE, D("75.25"), D("75.25"), True),
        ("C01002", 2025): (VILLAGE, N, N, False),
        ("C02001", 2025): (VILLAGE, N, N, False),
        ("C02002", 2025): (VILLAGE, N, N, False),
        ("C90", 2025): (DEPT, D("100.00"), D("100.00"), False),
    }
    vetoed = Result.objects.get(organization__code="C01001", year=2025)
    assert vetoed.veto_reason == "考核得分表标注一票否决"
    # Audited: the default schemes (by the system) and each total.
    assert AuditEvent.objects.filter(object_type="assessments.scheme", action="create").count() == 3
    updates = AuditEvent.objects.filter(object_type="assessments.result", action="update")
    assert updates.count() == 4
    event = updates.get(object_id=str(vetoed.pk))
    assert (event.before, event.after) == (
        {"imported_total": None, "vetoed": False},
        {"imported_total": "75.25", "vetoed": True},
    )


def test_the_same_file_again_changes_nothing_and_a_changed_one_updates(county):
    ok(import_rows(GOOD))
    before = state()
    again = ok(import_rows(GOOD))
    assert again.summary_lines() == ["考核得分: 已新增 0 行，已更新 0 行，未变 4 行"]
    assert state() == before

    changed = [GOOD[0], [2025, TOWN, "C02", "石门镇党委", 90, N], [2025, VILLAGE, "C01001", "东街村党支部", 75.25, N]]
    changed += [[2025, VILLAGE, "C01002", "西街村党支部", "66.6", N]]  # joined the scheme without a total: new
    report = ok(import_rows(changed))
    assert report.summary_lines() == ["考核得分: 已新增 1 行，已更新 2 行，未变 1 行"]
    now = scored()
    assert now[("C02", 2025)] == (TOWN, D("90.00"), D("90.00"), False)
    assert now[("C01001", 2025)] == (VILLAGE, D("75.25"), D("75.25"), False)
    assert now[("C01002", 2025)] == (VILLAGE, D("66.60"), D("66.60"), False)
    lifted = Result.objects.get(organization__code="C01001", year=2025)
    assert (lifted.veto_reason, lifted.veto_item_id) == ("", None)


def test_dry_run_counts_and_writes_nothing(county):
    before = state()
    report = ok(import_rows(GOOD, dry_run=True))
    assert report.summary_lines() == ["考核得分: 将新增 4 行，将更新 0 行，未变 0 行"]
    assert state() == before


def test_a_scheme_with_indicators_takes_the_imported_total(county):
    scheme = scheme_create(actor=None, county=county.root, year=2025, group=TOWN)
    indicator_add(actor=None, scheme=scheme, name="党建工作", max_points="100")
    report = ok(import_rows([[2025, TOWN, "C01", "城关镇党委", 80, N]]))
    assert report.summary_lines() == ["考核得分: 已新增 1 行，已更新 0 行，未变 0 行"]
    result = Result.objects.get(organization__code="C01", year=2025)
    assert (result.scheme_id, result.imported_total, result.indicator_total, result.total) == (
        scheme.pk,
        D("80.00"),
        None,
        D("80.00"),
    )
    assert Scheme.objects.filter(year=2025).count() == 1  # no default scheme beside it


def test_organizations_of_the_same_file_count_as_the_file_leaves_them(county):
    """A new organization and a regrouped one, both in the file's 组织 sheet: scored in their new group."""
    orgs = [
        ORG_HEADERS,
        org_row("C01003", "新村党支部", "C01", group=VILLAGE, founded="2001-07-01"),
        org_row("C90", "县财政局机关党支部", "C", domain="机关", group="两新组织", founded=dt.date(1980, 1, 1)),
    ]
    rows = [[2025, VILLAGE, "C01003", "新村党支部", 81, N], [2025, "两新组织", "C90", "县财政局机关党支部", 70, N]]
    report = ok(import_rows(rows, extra={"组织": orgs}))
    assert report.summary_lines() == [
        "组织: 已新增 1 行，已更新 1 行，未变 0 行",
        "考核得分: 已新增 2 行，已更新 0 行，未变 0 行",
    ]
    now = scored()
    assert now[("C01003", 2025)] == (VILLAGE, D("81.00"), D("81.00"), False)
    assert now[("C90", 2025)] == ("两新组织", D("70.00"), D("70.00"), False)
    assert Scheme.objects.get(year=2025, group="两新组织").county_id == county.root.pk

    # The old group is refused, saying what the group will be.
    before = state()
    wrong = [[2025, DEPT, "C90", "县财政局机关党支部", 70, N]]
    orgs[2][5] = "两新组织"
    report = import_rows(wrong, extra={"组织": orgs})
    assert problem_texts(report) == [
        "工作表 考核得分 第 2 行 考核类别: 组织 C90（县财政局机关党支部）的考核类别是“两新组织”，不是“县直部门党组织”"
    ]
    assert state() == before


def test_an_organization_not_assessed_says_so(county):
    report = import_rows([[2025, TOWN, "C", "测试县委", 90, N]])
    assert problem_texts(report) == [
        "工作表 考核得分 第 2 行 考核类别: 组织 C（测试县委）没有设置考核类别，不参加考核；请先在组织信息中设置考核类别"
    ]


@pytest.fixture
def history(county):
    """2024 村（社区）党组织 published (90, 80, 70, 60); 2023 村（社区）党组织 a draft with a result for each village;
    北山村 (C02001) moved to 两新组织 since."""
    s24 = scheme_create(actor=None, county=county.root, year=2024, group=VILLAGE)
    villages = [county.village_a1, county.village_a2, county.village_b1, county.village_b2]
    for org, total in zip(villages, [90, 80, 70, 60], strict=True):
        result = Result.objects.get(scheme=s24, organization=org)
        imported_total_set(actor=None, result=result, total=D(total))
    year_compute(year=2024)
    scheme_publish(actor=None, scheme=s24)
    scheme_create(actor=None, county=county.root, year=2023, group=VILLAGE)
    Organization.objects.filter(code="C02001").update(assessment_group="两新组织")
    return county


def bad_rows():
    return [
        [2025, VILLAGE, "C01001", "东街村党支部", 100.001, N],  # 2
        [2025, VILLAGE, "C01002", "西街村党支部", -1, N],  # 3
        [2025, VILLAGE, "C02002", "南河村党支部", "abc", N],  # 4
        [2025, VILLAGE, "C02002", "南河村党支部", N, N],  # 5: blank
        [2025, VILLAGE, "C09999", "某村党支部", 80, N],  # 6: unknown code
        [2025, TOWN, "C90", "县财政局机关党支部", 80, N],  # 7: C90 is 县直部门党组织
        [2025, TOWN, "C01", "城关镇党委", 90, "否"],  # 8: good
        [2025, TOWN, "C01", "城关镇党委", 91, "是"],  # 9: C01 again in 2025
        [2025, TOWN, "C02", "东街村党支部", 80, N],  # 10: the name of another organization
        [2023, "两新组织", "C02001", "北山村党支部", 80, N],  # 11: already in 2023's 村（社区）党组织
        [2024, VILLAGE, "C01001", "东街村党支部", 95, N],  # 12: 2024 is published (it has 90)
        [2024, VILLAGE, "C01002", "西街村党支部", 80, N],  # 13: published, but the same 80: unchanged, fine
        [2023, VILLAGE, "C01001", "东街村党支部", 85, "是"],  # 14: good
        [1999, VILLAGE, "C01001", "东街村党支部", 85, N],  # 15
        [2025, VILLAGE, "C01001", "东街村党支部", 80, "可能"],  # 16
    ]


def test_every_bad_row_is_reported_and_nothing_changes(history):
    before = state()
    report = import_rows(bad_rows())
    last = timezone.localdate().year + 1
    assert problem_texts(report) == [
        # the cells first, as they are read
        "工作表 考核得分 第 2 行 得分: 得分 100.001 超过两位小数",
        "工作表 考核得分 第 3 行 得分: 得分 -1 超出范围，应在 0 到 100 之间",
        "工作表 考核得分 第 4 行 得分: 得分“abc”不是数字",
        "工作表 考核得分 第 5 行 得分: 必填，不能为空",
        "工作表 考核得分 第 16 行 一票否决: “可能”不是有效值，应为 是 或 否",
        # then the checks against the file and the database
        "工作表 考核得分 第 6 行 组织代码: 组织 C09999 不存在（本文件的“组织”表和系统中都没有）",
        "工作表 考核得分 第 7 行 考核类别: 组织 C90（县财政局机关党支部）的考核类别是“县直部门党组织”，不是“乡镇党委”",
        "工作表 考核得分 第 9 行 组织代码: 组织 C01 的 2025 年度得分已在第 8 行，同一组织每年只能有一行",
        "工作表 考核得分 第 10 行 组织名称: “东街村党支部”与组织 C02 的名称“石门镇党委”不一致，请核对组织代码",
        "工作表 考核得分 第 11 行 考核类别: 组织 C02001 已在 2023 年度“村（社区）党组织”类别中考核，"
        "同一年度不能在两个考核类别中考核",
        "工作表 考核得分 第 12 行 考核类别: 2024年度村（社区）党组织考核已发布，结果已锁定；"
        "如需修改，请先撤回发布（需填写原因）",
        f"工作表 考核得分 第 15 行 年度: 年度应为 2000—{last} 之间的年份",
    ]
    assert state() == before


def test_the_command_prints_every_problem_and_exits_1(history, tmp_path, monkeypatch):
    path = tmp_path / "得分.xlsx"
    path.write_bytes(scores_workbook(bad_rows()))
    before = state()
    code, out, err = run_cli(monkeypatch, "import_xlsx", str(path))
    lines = err.strip().splitlines()
    assert (code, out, len(lines)) == (1, "", 13)
    assert lines[0] == "工作表 考核得分 第 2 行 得分: 得分 100.001 超过两位小数"
    assert lines[-1] == "CommandError: 导入失败：共 12 个问题，未写入任何数据。"
    assert state() == before

    good = tmp_path / "好.xlsx"
    good.write_bytes(scores_workbook([bad_rows()[6], bad_rows()[11], bad_rows()[12]]))
    code, out, err = run_cli(monkeypatch, "import_xlsx", str(good))
    assert (code, err) == (0, "")
    assert out.splitlines() == ["考核得分: 已新增 2 行，已更新 0 行，未变 1 行", "导入完成。"]
    assert scored()[("C01001", 2023)] == (VILLAGE, D("85.00"), D("85.00"), True)
    assert scored()[("C01", 2025)] == (TOWN, D("90.00"), D("90.00"), False)
    assert set(AuditEvent.objects.filter(object_type="assessments.result").values_list("source", flat=True)) >= {
        "command"
    }


def test_a_township_admin_scores_only_inside_the_township(county, township_admin):
    before = state()
    rows = [[2025, VILLAGE, "C01001", "东街村党支部", 80, N], [2025, VILLAGE, "C02001", "北山村党支部", 80, N]]
    report = import_rows(rows, actor=township_admin)
    assert problem_texts(report) == ["工作表 考核得分 第 3 行 组织代码: 组织 C02001 不在您的管理范围内"]
    assert state() == before
    report = ok(import_rows(rows[:1], actor=township_admin))
    assert report.summary_lines() == ["考核得分: 已新增 1 行，已更新 0 行，未变 0 行"]
    assert scored()[("C01001", 2025)] == (VILLAGE, D("80.00"), D("80.00"), False)
    event = AuditEvent.objects.get(object_type="assessments.result", action="update")
    assert event.actor_id == township_admin.pk


def test_a_published_year_reimported_unchanged_is_fine(history):
    rows = [[2024, VILLAGE, c, n, t, N] for c, n, t in (("C01001", "东街村党支部", 90), ("C01002", "西街村党支部", 80))]
    before = state()
    report = ok(import_rows(rows))
    assert report.summary_lines() == ["考核得分: 已新增 0 行，已更新 0 行，未变 2 行"]
    assert state() == before
    report = import_rows([[2024, VILLAGE, "C01001", "东街村党支部", 90, "是"]])  # a veto is a change
    assert problem_texts(report) == [
        "工作表 考核得分 第 2 行 考核类别: 2024年度村（社区）党组织考核已发布，结果已锁定；"
        "如需修改，请先撤回发布（需填写原因）"
    ]
    assert state() == before


def test_a_failure_while_writing_rolls_the_whole_import_back(county, monkeypatch):
    """The scheme is published by someone else after the checks, just before the write: the import's transaction
    takes back everything, the default scheme it made too, and names the scheme's first row."""
    import assessments.xlsx as sheet

    real = sheet.imported_totals_set

    def published_meanwhile(**kwargs):
        Scheme.objects.filter(year=2025, group=TOWN).update(status="published")
        return real(**kwargs)

    monkeypatch.setattr(sheet, "imported_totals_set", published_meanwhile)
    before = state()
    report = import_rows(GOOD[:2])
    assert problem_texts(report) == [
        "工作表 考核得分 第 2 行 考核类别: 2025年度乡镇党委考核已发布，结果已锁定；如需修改，请先撤回发布（需填写原因）"
        "（检查后、写入前数据已被他人修改，请核对后重新导入）"
    ]
    assert not report.ok and report.counts["考核得分"].as_dict() == {"created": 0, "updated": 0, "unchanged": 0}
    assert state() == before


def test_the_downloadable_template(tmp_path):
    import openpyxl

    from core.xlsx.writer import write_template

    path = tmp_path / "考核得分.xlsx"
    with open(path, "wb") as fp:
        write_template(ScoreSheet(), fp)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["考核得分", "填写说明"]
    assert [c.value for c in wb["考核得分"][1]] == HEADERS
    notes = {row[0]: row[1] for row in wb["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert notes == dict.fromkeys(HEADERS, "必填") | {"一票否决": "选填"}
