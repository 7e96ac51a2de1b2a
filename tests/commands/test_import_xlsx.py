"""`manage.py import_xlsx FILE [--dry-run]` (docs: formats.md, "Commands"): everything checked first; on any error
every problem is printed as `工作表 <sheet> 第 <row> 行 <column>: <reason>`, nothing is written and the exit code is 1;
otherwise the counts are printed. Re-importing the same file changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from members.models import Person
from organizations.models import Organization, Post
from tests.commands.cli import run_cli
from tests.helpers import ORG_HEADERS, POST_HEADERS, assert_tree_consistent, nothing_changed, org_row, workbook

pytestmark = pytest.mark.django_db

ZHANG = "110105194912310011"  # 男, born 1949-12-31 (check digit worked out in tests/core/test_idnumber.py)
LI = "11010519491231002X"  # 女

# Two new organizations (the child listed before its parent), one existing org renamed, one existing org as it is,
# and one new post for a person not yet known.
GOOD = {
    "组织": [
        ORG_HEADERS,
        org_row("C03001", "新村党支部", "C03", group="村（社区）党组织", founded="2001-07-01"),
        org_row("C03", "新城镇党委", "C", kind="党委", domain=None, group="乡镇党委", committee="是"),
    ],
    "职务": [POST_HEADERS, ["C03001", "张三", ZHANG, "书记", "2021-01-01", None]],
}

# One existing organization renamed (东街村 → 东街社区), one exactly as the fixture has it.
RENAMED_A1 = org_row(
    "C01001", "东街社区党支部", "C01", group="村（社区）党组织", committee="是", founded=dt.date(1980, 1, 1)
)
SAME_A2 = org_row("C01002", "西街村党支部", "C01", group="村（社区）党组织", founded="1980-01-01")

# Three mistakes, on three rows, in three columns, over two sheets (and good rows beside them that must not be written).
BAD = {
    "组织": [
        ORG_HEADERS,
        org_row("C01003", "三村党支部", "C01", kind="支部"),
        org_row("C01004", "四村党支部", "NOPE"),
        org_row("C02003", "五村党支部", "C02"),
    ],
    "职务": [
        POST_HEADERS,
        ["C01001", "张三", ZHANG, "书记", "2021-01-01", None],
        ["C02003", "李四", LI, "组织委员", "2021-01-01", None],
        ["C01002", "王五", "110105194912310038", "委员", "2022-05-01", "2022-04-30"],
    ],
}
BAD_LINES = [
    "工作表 组织 第 2 行 组织类型: “支部”不是有效值，应为：县委 / 党委 / 党工委 / 党组 / 党总支 / 党支部",
    "工作表 组织 第 3 行 上级组织代码: 上级组织 NOPE 不存在（文件和系统中都没有）或不在您的管理范围内",
    "工作表 职务 第 4 行 离任日期: 不能早于任职日期",
]
BAD_SUMMARY = "导入失败：共 3 个问题，未写入任何数据。"


def _file(tmp_path, sheets, name="导入.xlsx"):
    path = tmp_path / name
    path.write_bytes(workbook(sheets))
    return str(path)


def _call(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_xlsx", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _refused(*args) -> tuple[CommandError, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with nothing_changed(), pytest.raises(CommandError) as caught:
        call_command("import_xlsx", *args, stdout=out, stderr=err)
    return caught.value, out.getvalue(), err.getvalue()


# --- success ----------------------------------------------------------------------------------------------------


def test_import_writes_and_prints_the_counts(county, tmp_path):
    path = _file(tmp_path, GOOD)
    events_before = set(AuditEvent.objects.values_list("id", flat=True))

    out, err = _call(path)

    assert out.splitlines() == [
        "组织: 已新增 2 行，已更新 0 行，未变 0 行",
        "职务: 已新增 1 行，已更新 0 行，未变 0 行",
        "导入完成。",
    ]
    assert err == ""
    town = Organization.objects.get(code="C03")
    village = Organization.objects.get(code="C03001")
    assert (town.name, town.kind, town.domain, town.assessment_group, town.has_committee) == (
        "新城镇党委",
        "党委",
        "",
        "乡镇党委",
        True,
    )
    assert town.parent_id == county.root.pk and village.parent_id == town.pk
    assert (village.name, village.domain, village.founded_on) == ("新村党支部", "农村", dt.date(2001, 7, 1))
    assert_tree_consistent()
    post = Post.objects.get()
    assert (post.organization_id, post.person.name, post.title, post.start_on, post.end_on) == (
        village.pk,
        "张三",
        "书记",
        dt.date(2021, 1, 1),
        None,
    )
    assert post.person.id_number == ZHANG

    # Every event the command wrote says it came from the command line, written by the system.
    new = AuditEvent.objects.exclude(id__in=events_before)
    assert Counter(new.values_list("action", "object_type")) == {
        ("create", "organizations.organization"): 2,
        ("create", "members.person"): 1,
        ("create", "organizations.post"): 1,
    }
    assert set(new.values_list("source", "actor_id", "actor_name")) == {("command", None, "系统")}


def test_reimporting_the_same_file_changes_nothing(county, tmp_path):
    path = _file(tmp_path, {**GOOD, "组织": [*GOOD["组织"], RENAMED_A1, SAME_A2]})
    out, _ = _call(path)
    assert out.splitlines()[:2] == [
        "组织: 已新增 2 行，已更新 1 行，未变 1 行",
        "职务: 已新增 1 行，已更新 0 行，未变 0 行",
    ]
    assert Organization.objects.get(code="C01001").name == "东街社区党支部"

    with nothing_changed():
        out, err = _call(path)
    assert out.splitlines() == [
        "组织: 已新增 0 行，已更新 0 行，未变 4 行",
        "职务: 已新增 0 行，已更新 0 行，未变 1 行",
        "导入完成。",
    ]
    assert err == ""


def test_dry_run_reports_the_counts_and_writes_nothing(county, tmp_path):
    path = _file(tmp_path, {**GOOD, "组织": [*GOOD["组织"], RENAMED_A1, SAME_A2]})
    with nothing_changed():
        out, err = _call(path, "--dry-run")
    assert out.splitlines() == [
        "组织: 将新增 2 行，将更新 1 行，未变 1 行",
        "职务: 将新增 1 行，将更新 0 行，未变 0 行",
        "试运行：检查通过，未写入任何数据。",
    ]
    assert err == ""
    assert Organization.objects.get(code="C01001").name == "东街村党支部"
    assert not Person.objects.exists()


def test_success_exits_0_on_the_command_line(county, tmp_path, monkeypatch):
    code, out, err = run_cli(monkeypatch, "import_xlsx", _file(tmp_path, GOOD))
    assert code == 0
    assert out.splitlines()[-1] == "导入完成。"
    assert err == ""
    assert Organization.objects.filter(code__in=["C03", "C03001"]).count() == 2


# --- refusals -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_every_problem_is_printed_and_nothing_is_written(county, tmp_path, dry_run):
    path = _file(tmp_path, BAD)
    args = [path, "--dry-run"] if dry_run else [path]
    error, out, err = _refused(*args)
    assert err.splitlines() == BAD_LINES
    assert out == ""
    assert str(error) == BAD_SUMMARY
    assert error.returncode == 1
    assert not Organization.objects.filter(code="C02003").exists()


def test_errors_exit_1_on_the_command_line(county, tmp_path, monkeypatch):
    path = _file(tmp_path, BAD)
    with nothing_changed():
        code, out, err = run_cli(monkeypatch, "import_xlsx", path)
    assert code == 1
    assert out == ""
    assert err.splitlines() == [*BAD_LINES, f"CommandError: {BAD_SUMMARY}"]


def test_missing_file(county, tmp_path, monkeypatch):
    missing = str(tmp_path / "没有这个文件.xlsx")
    error, out, err = _refused(missing)
    assert str(error) == f"找不到文件：{missing}"
    assert error.returncode == 1
    assert (out, err) == ("", "")

    error, _, _ = _refused(str(tmp_path))  # a directory is not a file either
    assert str(error) == f"找不到文件：{tmp_path}"

    with nothing_changed():
        code, out, err = run_cli(monkeypatch, "import_xlsx", missing)
    assert code == 1
    assert err.splitlines() == [f"CommandError: 找不到文件：{missing}"]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("组织代码,组织名称\nC01003,三村\n".encode(), "文件不是有效的 Excel 工作簿（.xlsx）"),
        (b"", "文件是空的"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后再导入"),
        (_zip({"word/document.xml": b"<w/>"}), "文件不是 Excel 工作簿（可能是改了扩展名的其他文件）"),
    ],
    ids=["csv", "empty", "xls", "other-zip"],
)
def test_not_an_xlsx_file(county, tmp_path, monkeypatch, content, reason):
    path = tmp_path / "组织.xlsx"
    path.write_bytes(content)
    error, out, err = _refused(str(path))
    assert err.splitlines() == [f"文件: {reason}"]
    assert str(error) == "导入失败：共 1 个问题，未写入任何数据。"
    assert error.returncode == 1
    assert out == ""

    with nothing_changed():
        code, _, err = run_cli(monkeypatch, "import_xlsx", str(path))
    assert code == 1
    assert err.splitlines() == [f"文件: {reason}", "CommandError: 导入失败：共 1 个问题，未写入任何数据。"]


def test_workbook_without_a_known_sheet(county, tmp_path):
    path = _file(tmp_path, {"Sheet1": [ORG_HEADERS, org_row("C01003", "三村党支部", "C01")]})
    error, out, err = _refused(path)
    assert err.splitlines() == ["文件: 没有找到可导入的工作表，工作表名称应为：组织、职务、党员、会议、经费、考核得分"]
    assert error.returncode == 1


def test_a_renamed_header_is_reported_in_the_same_format(county, tmp_path):
    headers = ["类型" if h == "组织类型" else h for h in ORG_HEADERS]
    path = _file(tmp_path, {"组织": [headers, org_row("C01003", "三村党支部", "C01")]})
    error, out, err = _refused(path)
    assert err.splitlines() == ["工作表 组织 第 1 行 表头: 缺少表头“组织类型”（表头中有未识别的：类型；是否改了名？）"]
    assert str(error) == "导入失败：共 1 个问题，未写入任何数据。"
