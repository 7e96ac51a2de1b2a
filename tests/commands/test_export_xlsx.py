"""`manage.py export_xlsx KIND -o FILE [--unmasked]` (docs: formats.md, "Exports"): one sheet named as the kind,
the 组织 / 职务 headers in row 1, one record a row, ID numbers masked unless --unmasked (audited), text that looks like a
formula kept as text, and the file imports back with nothing changed."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from organizations.services import organization_create
from tests.commands.cli import run_cli
from tests.factories import PersonFactory, PostFactory
from tests.helpers import ORG_HEADERS, POST_HEADERS, nothing_changed

pytestmark = pytest.mark.django_db

ZHANG = "110105194912310011"  # 男, born 1949-12-31
LI = "11010519491231002X"  # 女
WANG = "110105194912310038"  # 男
MASK = re.compile(r"^\d{4}\*{10}\d{3}[\dX]$")

D = dt.datetime  # openpyxl reads date cells back as midnight datetimes
N = None

# The fixture's tree plus A01 under 石门镇: by code A01 would sort first, by tree it comes after C02's branches.
ORG_ROWS = [
    ["C", "测试县委", N, "县委", N, N, "否", "否", D(1949, 10, 1), N, N],
    ["C01", "城关镇党委", "C", "党委", N, "乡镇党委", "否", "否", D(1980, 1, 1), D(2021, 6, 1), N],
    ["C01001", "东街村党支部", "C01", "党支部", "农村", "村（社区）党组织", "是", "否", D(1980, 1, 1), N, N],
    ["C01002", "西街村党支部", "C01", "党支部", "农村", "村（社区）党组织", "否", "否", D(1980, 1, 1), N, N],
    ["C02", "石门镇党委", "C", "党委", N, "乡镇党委", "否", "否", D(1980, 1, 1), D(2021, 6, 1), N],
    ["C02001", "北山村党支部", "C02", "党支部", "农村", "村（社区）党组织", "否", "否", D(1980, 1, 1), N, N],
    ["C02002", "南河村党支部", "C02", "党支部", "社区", "村（社区）党组织", "否", "否", D(1980, 1, 1), N, N],
    ["A01", "甲村党支部", "C02", "党支部", "农村", N, "否", "是", D(2001, 7, 1), D(2024, 2, 29), 3],
    ["C90", "县财政局机关党支部", "C", "党支部", "机关", "县直部门党组织", "否", "否", D(1980, 1, 1), N, N],
]


@pytest.fixture
def tree(county):
    organization_create(
        actor=None,
        parent=county.township_b,
        code="A01",
        name="甲村党支部",
        kind="党支部",
        domain="农村",
        has_party_groups=True,
        founded_on=dt.date(2001, 7, 1),
        last_election_on=dt.date(2024, 2, 29),
        term_years=3,
    )
    return county


@pytest.fixture
def posts(county):
    """Three posts, in the order the export lists them (organization code, then start date)."""
    zhang = PersonFactory(name="张三", id_number=ZHANG)
    li = PersonFactory(name="李四", id_number=LI)
    wang = PersonFactory(name="王五", id_number=WANG)
    PostFactory(organization=county.village_b1, person=wang, title="书记", start_on=dt.date(2020, 5, 1))
    PostFactory(
        organization=county.village_a1,
        person=li,
        title="组织委员",
        start_on=dt.date(2021, 3, 1),
        end_on=dt.date(2023, 12, 31),
    )
    PostFactory(organization=county.village_a1, person=zhang, title="书记", start_on=dt.date(2021, 1, 1))


def _export(*args) -> str:
    out = io.StringIO()
    call_command("export_xlsx", *args, stdout=out)
    return out.getvalue()


def _sheet(path):
    wb = openpyxl.load_workbook(path)
    assert len(wb.sheetnames) == 1
    return wb, wb[wb.sheetnames[0]]


def _values(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_organizations(tree, tmp_path):
    path = tmp_path / "organizations.xlsx"
    out = _export("organizations", "-o", str(path))
    assert out.strip() == f"已导出 organizations：9 行 → {path}"

    wb, ws = _sheet(path)
    assert wb.sheetnames == ["organizations"]
    rows = _values(ws)
    assert rows[0] == ORG_HEADERS
    assert rows[1:] == ORG_ROWS
    # parents before children, whatever the codes
    seen = set()
    for code, _, parent, *_ in rows[1:]:
        assert parent is None or parent in seen, code
        seen.add(code)

    event = AuditEvent.objects.get(action="export")
    assert (event.source, event.actor_id, event.object_type, event.object_id, event.note) == (
        "command",
        None,
        "core.export",
        "organizations",
        "导出 organizations，9 行",
    )


def test_posts_masked_by_default(county, posts, tmp_path):
    path = tmp_path / "posts.xlsx"
    out = _export("posts", "-o", str(path))
    assert out.strip() == f"已导出 posts：3 行 → {path}"

    wb, ws = _sheet(path)
    assert wb.sheetnames == ["posts"]
    rows = _values(ws)
    assert rows[0] == POST_HEADERS
    assert rows[1:] == [
        ["C01001", "张三", "1101**********0011", "书记", D(2021, 1, 1), N],
        ["C01001", "李四", "1101**********002X", "组织委员", D(2021, 3, 1), D(2023, 12, 31)],
        ["C02001", "王五", "1101**********0038", "书记", D(2020, 5, 1), N],
    ]
    assert all(MASK.match(r[2]) for r in rows[1:])
    assert not AuditEvent.objects.filter(action="export_unmasked").exists()
    assert AuditEvent.objects.get(action="export").note == "导出 posts，3 行"
    # a masked file gets the ordinary permissions (the process umask), not the private ones of an unmasked export
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_posts_unmasked_is_audited(county, posts, tmp_path):
    path = tmp_path / "posts-full.xlsx"
    out = _export("posts", "--unmasked", "-o", str(path))
    assert out.strip() == f"已导出 posts：3 行 → {path}（未脱敏，已记入审计日志）"

    _, ws = _sheet(path)
    assert [r[2] for r in _values(ws)] == ["身份证号", ZHANG, LI, WANG]
    event = AuditEvent.objects.get(action="export_unmasked")
    assert (event.source, event.actor_id, event.actor_name, event.object_type, event.object_id, event.note) == (
        "command",
        None,
        "系统",
        "core.export",
        "posts",
        "导出 posts，3 行（未脱敏）",
    )
    assert not AuditEvent.objects.filter(action="export").exists()
    # Personal data in full: the file stays readable by its owner only.
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_unknown_kind_lists_the_kinds(county, tmp_path, monkeypatch):
    path = tmp_path / "x.xlsx"
    with nothing_changed(), pytest.raises(CommandError) as caught:
        _export("people", "-o", str(path))
    assert (
        str(caught.value)
        == "未知的导出类型“people”，可选：organizations、posts、members、compliance、funding、rankings、penalties"
    )
    assert caught.value.returncode == 1
    assert list(tmp_path.iterdir()) == []

    code, out, err = run_cli(monkeypatch, "export_xlsx", "people", "-o", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "CommandError: 未知的导出类型“people”，可选：organizations、posts、members、compliance、funding、rankings、penalties"
    ]
    assert list(tmp_path.iterdir()) == []


def test_bad_output_or_year(county, tmp_path):
    cases = [
        ([], "请用 -o 指定输出文件，如 -o organizations.xlsx"),
        (["-o", str(tmp_path)], f"输出路径是一个目录：{tmp_path}"),
        (["-o", str(tmp_path / "无" / "o.xlsx")], f"输出目录不存在：{tmp_path / '无'}"),
        (["--year", "25", "-o", str(tmp_path / "o.xlsx")], "年度“25”不正确，应为四位年份，如 2025"),
    ]
    for args, message in cases:
        with nothing_changed(), pytest.raises(CommandError) as caught:
            _export("organizations", *args)
        assert str(caught.value) == message
    assert list(tmp_path.iterdir()) == []  # no file, and no temporary file left behind


def test_text_starting_with_equals_is_a_text_cell(county, tmp_path):
    organization_create(actor=None, parent=county.township_a, code="C01009", name="=SUM(A1)", kind="党支部")
    path = tmp_path / "organizations.xlsx"
    _export("organizations", "-o", str(path))

    _, ws = _sheet(path)
    (row,) = [r for r in ws.iter_rows(min_row=2) if r[0].value == "C01009"]
    cell = row[1]
    assert cell.value == "=SUM(A1)"
    assert cell.data_type == "s"
    with zipfile.ZipFile(path) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml

    # and it comes back as the same name
    with nothing_changed():
        out = io.StringIO()
        call_command("import_xlsx", str(path), stdout=out)
    assert out.getvalue().splitlines()[0] == "组织: 已新增 0 行，已更新 0 行，未变 9 行"


@pytest.mark.parametrize("unmasked", [False, True], ids=["masked", "unmasked"])
def test_exports_import_back_with_nothing_changed(tree, posts, tmp_path, unmasked):
    flag = ["--unmasked"] if unmasked else []
    orgs, post_file = tmp_path / "organizations.xlsx", tmp_path / "posts.xlsx"
    _export("organizations", "-o", str(orgs))
    _export("posts", *flag, "-o", str(post_file))

    with nothing_changed():
        out = io.StringIO()
        call_command("import_xlsx", str(orgs), stdout=out)
        call_command("import_xlsx", str(post_file), stdout=out)
    assert out.getvalue().splitlines() == [
        "组织: 已新增 0 行，已更新 0 行，未变 9 行",
        "导入完成。",
        "职务: 已新增 0 行，已更新 0 行，未变 3 行",
        "导入完成。",
    ]
