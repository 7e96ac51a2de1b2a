"""The 组织 sheet (docs/formats): rows in any order, parents in the file or the database, moves, every problem."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from core.models import AuditEvent
from core.xlsx.exporter import export_write
from core.xlsx.importer import workbook_import
from organizations.models import Organization
from tests.helpers import (
    assert_tree_consistent,
    counts,
    db_state,
    nothing_changed,
    org_row,
    org_workbook,
    problem_texts,
)

pytestmark = pytest.mark.django_db


def row_of(org: Organization, parent_code: str | None = "__same__") -> list:
    """The 组织 row of an existing organization, optionally under another parent."""
    parent = org.parent.code if org.parent_id else None
    return [
        org.code,
        org.name,
        parent if parent_code == "__same__" else parent_code,
        org.kind,
        org.domain or None,
        org.assessment_group or None,
        "是" if org.has_committee else "否",
        "是" if org.has_party_groups else "否",
        org.founded_on,
        org.last_election_on,
        org.term_years,
    ]


def _import(rows, actor=None, dry_run=False):
    return workbook_import(source=org_workbook(rows), actor=actor, dry_run=dry_run)


def _refused(rows, actor=None):
    with nothing_changed():
        report = _import(rows, actor=actor)
    assert not report.ok
    assert report.counts == {}
    return problem_texts(report)


FULL_TREE = [
    # deliberately children first: the order of rows is free
    org_row("X01001", "东村党支部", "X01", "党支部", "农村", "村（社区）党组织", "是", "是", founded="1980-03-01"),
    org_row("X01", "东镇党委", "X", "党委", None, "乡镇党委", founded=dt.date(1950, 1, 1), election="2021-06-01"),
    org_row("X", "新县县委", None, "县委", None, None, founded="1949-10-01"),
    org_row("X01002", "西村党支部", "X01", "党支部", "社区", None, None, None, term=3),
    org_row("X90", "县教育局机关党支部", "X", "党支部", "机关", "县直部门党组织", "否", "否", election="2023-01-15"),
]


def test_new_tree_rows_in_any_order(db):
    report = _import(FULL_TREE)
    assert report.ok, problem_texts(report)
    assert report.counts["组织"].as_dict() == {"created": 5, "updated": 0, "unchanged": 0}
    orgs = {o.code: o for o in Organization.objects.all()}
    assert set(orgs) == {"X", "X01", "X01001", "X01002", "X90"}
    assert orgs["X"].parent_id is None and orgs["X"].depth == 1
    assert orgs["X01"].parent_id == orgs["X"].pk
    assert orgs["X01001"].parent_id == orgs["X01"].pk
    assert orgs["X01001"].path.startswith(orgs["X01"].path) and orgs["X01001"].depth == 3
    assert orgs["X90"].parent_id == orgs["X"].pk
    assert orgs["X"].numchild == 2 and orgs["X01"].numchild == 2
    assert_tree_consistent()

    village = orgs["X01001"]
    assert village.name == "东村党支部"
    assert village.kind == "党支部" and village.domain == "农村"
    assert village.assessment_group == "村（社区）党组织"
    assert village.has_committee is True and village.has_party_groups is True
    assert village.founded_on == dt.date(1980, 3, 1)
    assert orgs["X01"].founded_on == dt.date(1950, 1, 1)  # an Excel date cell
    assert orgs["X01"].last_election_on == dt.date(2021, 6, 1)
    assert orgs["X01"].domain == "" and orgs["X01"].assessment_group == "乡镇党委"
    assert orgs["X01002"].term_years == 3 and orgs["X01002"].has_committee is False
    assert orgs["X90"].term_years is None


def test_parent_in_the_database(county):
    report = _import([org_row("C01003", "南街村党支部", "C01")])
    assert report.ok, problem_texts(report)
    new = Organization.objects.get(code="C01003")
    county.refresh()
    assert new.parent_id == county.township_a.pk
    assert new.path.startswith(county.township_a.path) and new.depth == 3
    assert county.township_a.numchild == 3
    assert_tree_consistent()


def test_new_children_after_existing_children_get_fresh_paths(county):
    # Two imports under the same parent: the second one continues after the paths the first used.
    assert _import([org_row("C01003", "三村党支部", "C01"), org_row("C01004", "四村党支部", "C01")]).ok
    assert _import([org_row("C01005", "五村党支部", "C01"), org_row("C0100501", "五村一组", "C01005")]).ok
    paths = list(Organization.objects.filter(parent__code="C01").values_list("path", flat=True))
    assert len(paths) == len(set(paths)) == 5
    assert_tree_consistent()


def test_unknown_parent(county):
    texts = _refused([org_row("N01", "新村党支部", "NOPE")])
    assert texts == ["工作表 组织 第 2 行 上级组织代码: 上级组织 NOPE 不存在（文件和系统中都没有）或不在您的管理范围内"]


def test_duplicate_code_in_file(county):
    texts = _refused(
        [org_row("N01", "新村党支部", "C01"), org_row("N02", "二村", "C01"), org_row("N01", "重复", "C02")]
    )
    assert texts == ["工作表 组织 第 4 行 组织代码: 与第 2 行重复"]


def test_self_parent(county):
    texts = _refused([org_row("N01", "新村党支部", "N01")])
    assert texts == ["工作表 组织 第 2 行 上级组织代码: 不能是组织自己"]


def test_existing_org_as_its_own_parent(county):
    texts = _refused([row_of(county.village_a1, "C01001")])
    assert texts == ["工作表 组织 第 2 行 上级组织代码: 不能是组织自己"]


def test_cycle_in_file(county):
    texts = _refused(
        [
            org_row("N01", "一", "N03"),
            org_row("N02", "二", "N01"),
            org_row("N03", "三", "N02"),
            org_row("N04", "四", "C01"),
        ]
    )
    assert len(texts) == 1
    assert texts[0].startswith("工作表 组织 第 2 行 上级组织代码: 上级关系形成循环")
    for code in ("N01", "N02", "N03"):
        assert code in texts[0]


def test_cycle_between_existing_orgs_in_file(county):
    texts = _refused([row_of(county.township_a, "C01001"), row_of(county.village_a1, "C01")])
    assert len(texts) == 1
    assert "上级关系形成循环" in texts[0]


def test_move_existing_org_with_its_subtree(county):
    before = {o.code: o.path for o in Organization.objects.all()}
    report = _import([row_of(county.township_a, "C02")])
    assert report.ok, problem_texts(report)
    assert report.counts["组织"].as_dict() == {"created": 0, "updated": 1, "unchanged": 0}
    county.refresh()
    a, b = county.township_a, county.township_b
    assert a.parent_id == b.pk
    assert a.depth == 3 and a.path.startswith(b.path)
    for village in (county.village_a1, county.village_a2):
        assert village.parent_id == a.pk
        assert village.depth == 4
        assert village.path.startswith(a.path)
        assert village.path != before[village.code]
    assert county.root.numchild == 2 and b.numchild == 3
    # organizations that did not move keep their paths
    assert county.village_b1.path == before["C02001"] and county.dept.path == before["C90"]
    assert_tree_consistent()
    event = AuditEvent.objects.get(action="move")
    assert event.object_id == str(a.pk)
    assert event.before["parent"] == county.root.pk and event.after["parent"] == b.pk
    assert event.before["path"] == before["C01"] and event.after["path"] == a.path


def test_move_and_change_in_one_row(county):
    row = row_of(county.village_a1, "C02")
    row[1] = "东街社区党支部"
    report = _import([row])
    assert report.ok, problem_texts(report)
    assert report.counts["组织"].updated == 1
    org = Organization.objects.get(code="C01001")
    assert org.name == "东街社区党支部" and org.parent.code == "C02"
    assert_tree_consistent()


def test_move_under_own_descendant_refused(county):
    texts = _refused([row_of(county.township_a, "C01001")])
    assert texts == ["工作表 组织 第 2 行 上级组织代码: 不能把组织移到它自己的下级组织 C01001 之下"]


def test_move_under_a_new_org_placed_under_own_descendant_refused(county):
    texts = _refused([row_of(county.township_a, "N01"), org_row("N01", "新村", "C01002")])
    assert len(texts) == 1
    assert texts[0].startswith("工作表 组织 第 2 行 上级组织代码: 不能把组织移到它自己的下级组织")


def test_existing_child_cannot_become_a_root(county):
    texts = _refused([row_of(county.village_a1, None)])
    assert texts == ["工作表 组织 第 2 行 上级组织代码: 已有上级的组织不能改为顶级组织，请填写上级组织代码"]


@pytest.mark.parametrize(
    ("column", "index", "value", "reason"),
    [
        ("组织类型", 3, "支部", "“支部”不是有效值，应为：县委 / 党委 / 党工委 / 党组 / 党总支 / 党支部"),
        (
            "所属领域",
            4,
            "乡村",
            "“乡村”不是有效值，应为：农村 / 社区 / 机关 / 事业单位 / 国有企业 / 非公企业 / 社会组织",
        ),
        ("设支部委员会", 6, "对", "“对”不是有效值，应为 是 或 否"),
        ("设党小组", 7, "Y", "“Y”不是有效值，应为 是 或 否"),
        ("成立日期", 8, "2024-02-30", "日期“2024-02-30”不存在"),
        ("成立日期", 8, "去年", "“去年”不是日期，应为 Excel 日期或 YYYY-MM-DD 格式的文本"),
        ("上次换届日期", 9, "2023/13/01", "日期“2023/13/01”不存在"),
        ("任期年数", 10, 0, "0 超出范围，应在 1 到 10 之间"),
        ("任期年数", 10, 11, "11 超出范围，应在 1 到 10 之间"),
        ("任期年数", 10, "三年", "“三年”不是整数"),
        ("组织代码", 0, "东街01", "代码“东街01”只能包含字母、数字、点、下划线和连字符"),
        ("组织名称", 1, None, "必填，不能为空"),
        ("组织类型", 3, None, "必填，不能为空"),
    ],
)
def test_bad_values_report_sheet_row_column(county, column, index, value, reason):
    bad = org_row("N02", "二村党支部", "C01")
    bad[index] = value
    texts = _refused([org_row("N01", "一村党支部", "C01"), bad])
    assert texts == [f"工作表 组织 第 3 行 {column}: {reason}"]


def test_error_text_prefix_is_exact(county):
    bad = org_row("N02", "二村党支部", "C01", kind="支部")
    texts = _refused([org_row("N01", "一村党支部", "C01"), bad])
    assert texts[0].startswith("工作表 组织 第 3 行 组织类型: ")


def test_future_dates_refused(county):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    texts = _refused(
        [
            org_row("N01", "一村", "C01", founded=tomorrow.isoformat()),
            org_row("N02", "二村", "C01", election=tomorrow),
            org_row("N03", "三村", "C01", founded="2020-01-01", election="2019-12-31"),
        ]
    )
    assert texts == [
        "工作表 组织 第 2 行 成立日期: 不能晚于今天",
        "工作表 组织 第 3 行 上次换届日期: 不能晚于今天",
        "工作表 组织 第 4 行 上次换届日期: 不能早于成立日期",
    ]


def test_today_is_not_the_future(county):
    today = timezone.localdate()
    report = _import([org_row("N01", "一村", "C01", founded=today, election=today.isoformat())])
    assert report.ok, problem_texts(report)


def test_every_problem_is_reported(county):
    rows = [
        org_row("N01", "一村", "C01", kind="村支部"),  # row 2: bad kind
        org_row("N02", "二村", "NOPE"),  # row 3: unknown parent
        org_row("N03", "三村", "C01", committee="有", term=20),  # row 4: two problems in one row
        org_row("N04", "四村", "C01"),  # row 5: fine
        org_row("N03", "三村", "C01"),  # row 6: fine (row 4 was dropped, so this is the first N03)
        [None, "无代码村", "C01", "党支部", "农村", None, None, None, None, None, None],  # row 7: no code
        org_row("N04", "四村重复", "C01"),  # row 8: duplicate of row 5
    ]
    texts = _refused(rows)
    # cell problems first (row by row), then the checks across rows
    assert texts == [
        "工作表 组织 第 2 行 组织类型: “村支部”不是有效值，应为：县委 / 党委 / 党工委 / 党组 / 党总支 / 党支部",
        "工作表 组织 第 4 行 设支部委员会: “有”不是有效值，应为 是 或 否",
        "工作表 组织 第 4 行 任期年数: 20 超出范围，应在 1 到 10 之间",
        "工作表 组织 第 7 行 组织代码: 必填，不能为空",
        "工作表 组织 第 8 行 组织代码: 与第 5 行重复",
        "工作表 组织 第 3 行 上级组织代码: 上级组织 NOPE 不存在（文件和系统中都没有）或不在您的管理范围内",
    ]


def test_township_admin_cannot_import_under_a_parent_outside_scope(county, township_admin):
    texts = _refused([org_row("C02003", "石门新村", "C02")], actor=township_admin)
    assert texts == ["工作表 组织 第 2 行 上级组织代码: 上级组织 C02 不存在（文件和系统中都没有）或不在您的管理范围内"]


def test_township_admin_cannot_import_a_new_root(county, township_admin):
    texts = _refused([org_row("Y", "另一个县委", None, kind="县委")], actor=township_admin)
    assert texts == ["工作表 组织 第 2 行 上级组织代码: 必填：只有系统管理员可以导入顶级组织"]


def test_township_admin_cannot_touch_sibling_orgs(county, township_admin):
    changed = row_of(county.village_b1)
    changed[1] = "改名"
    texts = _refused([changed], actor=township_admin)
    assert texts == ["工作表 组织 第 2 行 组织代码: 组织代码 C02001 已被使用，且不在您的管理范围内"]


def test_township_admin_cannot_move_own_org_into_sibling_subtree(county, township_admin):
    texts = _refused([row_of(county.village_a1, "C02")], actor=township_admin)
    assert len(texts) == 1 and "上级组织 C02" in texts[0]


def test_township_admin_imports_inside_own_subtree(county, township_admin):
    report = _import([org_row("C01003", "南街村党支部", "C01"), org_row("C0100301", "一组", "C01003")], township_admin)
    assert report.ok, problem_texts(report)
    assert Organization.objects.get(code="C0100301").parent.code == "C01003"
    events = AuditEvent.objects.filter(actor=township_admin, object_type="organizations.organization")
    assert sorted(events.values_list("action", "object_repr")) == [("create", "一组"), ("create", "南街村党支部")]
    assert all(e.org_path.startswith(county.township_a.path) for e in events)


def test_secretary_and_leader_cannot_import_organizations(county, secretary, leader):
    for actor in (secretary, leader):
        texts = _refused([org_row("C01003", "南街村党支部", "C01")], actor=actor)
        assert len(texts) == 1 and "不在您的管理范围内" in texts[0]


def test_reimporting_the_same_file_changes_nothing(db):
    data = org_workbook(FULL_TREE)
    first = workbook_import(source=data, actor=None)
    assert first.ok, problem_texts(first)
    state = db_state()
    events = AuditEvent.objects.count()
    second = workbook_import(source=data, actor=None)
    assert second.ok, problem_texts(second)
    assert second.counts["组织"].as_dict() == {"created": 0, "updated": 0, "unchanged": 5}
    assert db_state() == state
    assert AuditEvent.objects.count() == events


def test_update_of_fields_is_audited_with_only_the_changes(county, county_admin):
    row = row_of(county.village_a2)
    row[1] = "西街村第一党支部"
    row[10] = 4
    report = _import([row, row_of(county.village_a1)], actor=county_admin)
    assert report.ok, problem_texts(report)
    assert report.counts["组织"].as_dict() == {"created": 0, "updated": 1, "unchanged": 1}
    org = Organization.objects.get(code="C01002")
    assert org.name == "西街村第一党支部" and org.term_years == 4
    event = AuditEvent.objects.get(action="update")
    assert event.before == {"name": "西街村党支部", "term_years": None}
    assert event.after == {"name": "西街村第一党支部", "term_years": 4}
    assert event.actor_id == county_admin.pk


def test_dry_run_writes_nothing_but_reports_counts(county):
    rows = [org_row("N01", "一村", "C01"), org_row("N02", "二村", "N01"), row_of(county.village_b1, "C01")]
    rows.append(row_of(county.dept))
    with nothing_changed():
        report = _import(rows, dry_run=True)
    assert report.ok and report.dry_run
    assert report.counts["组织"].as_dict() == {"created": 2, "updated": 1, "unchanged": 1}
    assert report.summary_lines() == ["组织: 将新增 2 行，将更新 1 行，未变 1 行"]


def test_dry_run_with_errors_reports_them(county):
    with nothing_changed():
        report = _import([org_row("N01", "一村", "NOPE")], dry_run=True)
    assert not report.ok
    assert "上级组织 NOPE" in problem_texts(report)[0]


def test_export_imports_back_unchanged(county, county_admin):
    buf = io.BytesIO()
    assert export_write(kind="organizations", actor=county_admin, fp=buf) == 8
    state = db_state()
    report = workbook_import(source=buf.getvalue(), actor=county_admin)
    assert report.ok, problem_texts(report)
    assert report.counts["组织"].as_dict() == {"created": 0, "updated": 0, "unchanged": 8}
    assert db_state() == state


def test_township_admin_export_imports_back_unchanged(county, township_admin):
    """A township admin's own export holds their top organization, whose parent lies outside their scope."""
    buf = io.BytesIO()
    assert export_write(kind="organizations", actor=township_admin, fp=buf) == 3
    state = counts()
    tree = db_state()["tree"]
    report = workbook_import(source=buf.getvalue(), actor=township_admin)
    assert report.ok, problem_texts(report)
    assert counts() == state
    assert db_state()["tree"] == tree
