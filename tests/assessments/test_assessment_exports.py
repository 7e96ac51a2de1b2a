"""The rankings and penalties exports (docs: formats.md, "Exports"), worked out by hand.

Eight branches of 两新组织 (N01–N08, N08 never scored), three years:

    total   2023  2024  2025      2025: rank  rank_asc  grade  bottom  moved up (vs 2024)
    N01       90    90    95            1     7         好      否     是 (好 kept)
    N02       85    85    85            2     5         较好    否     否 (2 → 2, 较好 → 较好)
    N03       80    80    85            2     5         较好    否     是 (3 → 2)
    N04       75    75    72            4     4         一般    否     否
    N05       70    70    60            6     2         一般    是     否 (5 → 6)
    N06       65    65    66            5     3         一般    是     是 (6 → 5)
    N07       55    55    50            7     1         差      是     否
    N08        —     —     —            —     —         —       否     无

Seven scored (> 6): the bottom-three rule applies; N05, N06, N07 are the bottom three in all three years; in 2024
every rank and grade repeats 2023's, so only N01 (好 kept) moved up. Secretaries: 陈二 (N02), 李五 (N05), 王七 (N07),
in post since 2020. Their penalties for 2025:
    李五  rule 2 (not moved up 2024 and 2025), rule 3 (bottom 2023–2025)
    王七  rule 1 (差 in 2025), rule 2, rule 3
    陈二  rule 2
Beside them 2025's 村（社区）党组织: C01002 90, C02001 90 (rank 1 both), C01001 80 (rank 3), C02002 not scored; three
scored: too small for the bottom-three rule.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments.models import Penalty, Result, Scheme
from assessments.services.scoring import imported_total_set
from assessments.services.workflow import scheme_publish, year_compute
from assessments.xlsx import penalties_export, penalty_rows, ranking_rows, rankings_export
from core.models import AuditEvent
from core.xlsx.exporter import export_write
from organizations.models import Organization
from tests.assessments.conftest import secretary
from tests.commands.cli import run_cli

pytestmark = pytest.mark.django_db

# The public layouts, spelled out (formats.md), not taken from the code.
RANKING_HEADERS = ["年度", "考核类别", "组织代码", "组织名称", "得分", "排名", "等次", "后三名", "晋位升级", "责任书记"]
PENALTY_HEADERS = ["年度", "姓名", "身份证号", "规则", "后果", "依据"]
G, V = "两新组织", "村（社区）党组织"
D = Decimal
N = None


@pytest.fixture
def assessed(cases, county):
    orgs = cases.orgs(8)
    people = {
        "陈二": secretary(orgs[1], dt.date(2020, 1, 1), name="陈二"),
        "李五": secretary(orgs[4], dt.date(2020, 1, 1), name="李五"),
        "王七": secretary(orgs[6], dt.date(2020, 1, 1), name="王七"),
    }
    earlier = [90, 85, 80, 75, 70, 65, 55, None]
    cases.year(2023, dict(zip(orgs, earlier, strict=True)))
    cases.year(2024, dict(zip(orgs, earlier, strict=True)))
    villages = {county.village_a1: 80, county.village_a2: 90, county.village_b1: 90, county.village_b2: None}
    cases.year(2025, villages, group=V, compute=False)
    cases.year(2025, dict(zip(orgs, [95, 85, 85, 72, 60, 66, 50, None], strict=True)))
    return people


def nine(code, name, total, rank, grade, bottom, moved, secretary_name=None, group=G):
    return [2025, group, code, name, D(total) if total else None, rank, grade, bottom, moved, secretary_name]


GROUP_ROWS = [
    nine("N01", "非公企业01党支部", "95.00", 1, "好", "否", "是"),
    nine("N02", "非公企业02党支部", "85.00", 2, "较好", "否", "否", "陈二"),
    nine("N03", "非公企业03党支部", "85.00", 2, "较好", "否", "是"),
    nine("N04", "非公企业04党支部", "72.00", 4, "一般", "否", "否"),
    nine("N06", "非公企业06党支部", "66.00", 5, "一般", "是", "是"),
    nine("N05", "非公企业05党支部", "60.00", 6, "一般", "是", "否", "李五"),
    nine("N07", "非公企业07党支部", "50.00", 7, "差", "是", "否", "王七"),
    nine("N08", "非公企业08党支部", None, None, None, "否", "无"),
]
VILLAGE_ROWS = [
    nine("C01002", "西街村党支部", "90.00", 1, "好", "否", "无", group=V),
    nine("C02001", "北山村党支部", "90.00", 1, "好", "否", "无", group=V),
    nine("C01001", "东街村党支部", "80.00", 3, "较好", "否", "无", group=V),
    nine("C02002", "南河村党支部", None, None, None, "否", "无", group=V),
]


def test_rankings_rows_sorting_and_values(assessed):
    assert ranking_rows(None, year=2025) == GROUP_ROWS + VILLAGE_ROWS
    assert ranking_rows(None, year=2022) == []
    table = rankings_export(None, year=2025)
    assert (table.sheet, table.headers, table.filename) == ("rankings", RANKING_HEADERS, "rankings-2025.xlsx")
    # 2024: N01 kept 好; the rest repeated 2023 exactly.
    moved_2024 = {r[2]: r[8] for r in ranking_rows(None, year=2024)}
    assert moved_2024 == {f"N0{i}": "否" for i in range(2, 8)} | {"N01": "是", "N08": "无"}


def penalty(name, rule, consequence, evidence):
    return [2025, name, None, rule, consequence, evidence]


def basis(code, *years) -> str:
    return "；".join(f"{y}年 非公企业{code}党支部（{G}）{place}" for y, place in years)


EXPECTED_PENALTIES = [
    penalty(
        "李五",
        "连续两年未晋位升级",
        "不得评先评优",
        basis("05", (2024, "第5名/共7个 一般 70.00分"), (2025, "第6名/共7个 一般 60.00分")),
    ),
    penalty(
        "李五",
        "连续三年后三名",
        "调整岗位或降职",
        basis(
            "05",
            (2023, "第5名/共7个 一般 70.00分"),
            (2024, "第5名/共7个 一般 70.00分"),
            (2025, "第6名/共7个 一般 60.00分"),
        ),
    ),
    penalty("王七", "不合格", "年度内不得提拔重用", basis("07", (2025, "第7名/共7个 差 50.00分"))),
    penalty(
        "王七",
        "连续两年未晋位升级",
        "不得评先评优",
        basis("07", (2024, "第7名/共7个 差 55.00分"), (2025, "第7名/共7个 差 50.00分")),
    ),
    penalty(
        "王七",
        "连续三年后三名",
        "调整岗位或降职",
        basis(
            "07",
            (2023, "第7名/共7个 差 55.00分"),
            (2024, "第7名/共7个 差 55.00分"),
            (2025, "第7名/共7个 差 50.00分"),
        ),
    ),
    penalty(
        "陈二",
        "连续两年未晋位升级",
        "不得评先评优",
        basis("02", (2024, "第2名/共7个 较好 85.00分"), (2025, "第2名/共7个 较好 85.00分")),
    ),
]


def expected_penalties(people) -> list[list]:
    rows = [list(r) for r in EXPECTED_PENALTIES]
    for row in rows:
        row[2] = people[row[1]].id_number_masked
    return rows


def test_penalties_rows_sorting_labels_and_basis(assessed):
    people = assessed
    assert Penalty.objects.filter(year=2025).count() == 6
    assert penalty_rows(None, year=2025) == expected_penalties(people)
    for row in penalty_rows(None, year=2025):
        person = people[row[1]]
        assert row[2] == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    table = penalties_export(None, year=2025)
    assert (table.sheet, table.headers, table.filename) == ("penalties", PENALTY_HEADERS, "penalties-2025.xlsx")


def test_an_unmasked_penalties_export_is_refused_and_leaves_nothing(assessed, tmp_path):
    """The layout keeps 身份证号 masked, so --unmasked would only write a false 'export_unmasked' audit row."""
    target = tmp_path / "penalties.xlsx"
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command("export_xlsx", "penalties", "--year", "2025", "--unmasked", "-o", str(target))
    assert str(refused.value) == (
        "导出类型“penalties”没有可完整显示的身份证号或手机号码，不能选择未脱敏导出（可未脱敏导出的类型：members、posts）"
    )
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert AuditEvent.objects.count() == before


def test_a_county_with_other_year_counts_reads_its_own_label(assessed, county):
    from assessments.services.schemes import rule_settings_update

    rule_settings_update(actor=None, county=county.root, bottom_years=2)
    year_compute(year=2025, county=county.root)
    labels = [(r[1], r[3]) for r in penalty_rows(None, year=2025)]
    assert ("李五", "连续两年后三名") in labels and ("王七", "连续两年后三名") in labels


def test_both_need_a_year(assessed):
    with pytest.raises(ValueError, match="导出 rankings 须指定年度，如 --year 2025"):
        rankings_export(None)
    with pytest.raises(ValueError, match="导出 penalties 须指定年度，如 --year 2025"):
        penalties_export(None, year="")


def test_what_each_actor_reads(assessed, county, township_admin, sibling_admin, leader):
    # A township reads its own subtree (the 两新组织 branches and its two villages), drafts included.
    assert ranking_rows(township_admin, year=2025) == GROUP_ROWS + [VILLAGE_ROWS[0], VILLAGE_ROWS[2]]
    assert ranking_rows(sibling_admin, year=2025) == [VILLAGE_ROWS[1], VILLAGE_ROWS[3]]
    assert penalty_rows(township_admin, year=2025) == expected_penalties(assessed)
    assert penalty_rows(sibling_admin, year=2025) == []
    # A leader reads published results only: nothing yet.
    assert ranking_rows(leader, year=2025) == []
    assert penalty_rows(leader, year=2025) == []
    # The villages complete and published: the leader reads them, not the 两新组织 draft, nor its penalties (the
    # year is not wholly published).
    scheme = Scheme.objects.get(year=2025, group=V)
    result = Result.objects.get(scheme=scheme, organization=county.village_b2)
    imported_total_set(actor=None, result=result, total=D("70"))
    year_compute(year=2025, county=county.root)
    scheme_publish(actor=None, scheme=scheme)
    published = [
        VILLAGE_ROWS[0],
        VILLAGE_ROWS[1],
        VILLAGE_ROWS[2],
        nine("C02002", "南河村党支部", "70.00", 4, "一般", "否", "无", group=V),
    ]
    assert ranking_rows(leader, year=2025) == published
    assert penalty_rows(leader, year=2025) == []


def test_a_page_narrows_with_its_queryset(assessed):
    results = Result.objects.filter(organization__code__in=["N07", "C01001", "N02"])
    assert ranking_rows(None, year=2025, queryset=results) == [GROUP_ROWS[1], GROUP_ROWS[6], VILLAGE_ROWS[2]]
    assert list(rankings_export(None, year=2025, queryset=results).rows) == [
        GROUP_ROWS[1],
        GROUP_ROWS[6],
        VILLAGE_ROWS[2],
    ]
    # The queryset narrows, never widens: a leader still reads nothing unpublished.
    from tests.conftest import _account

    leader = _account("leader2", Organization.objects.get(code="C"), "leader", "县领导")
    assert ranking_rows(leader, year=2025, queryset=results) == []
    expected = expected_penalties(assessed)
    only = Penalty.objects.filter(rule=2)
    assert penalty_rows(None, year=2025, queryset=only) == [expected[0], expected[3], expected[5]]


def _sheet(path, name):
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [name]
    return [list(r) for r in wb[name].iter_rows(values_only=True)]


def _as_read(rows):
    return [[float(v) if isinstance(v, Decimal) else v for v in row] for row in rows]


def test_the_command_writes_both_exports(assessed, tmp_path, monkeypatch):
    path = tmp_path / "rankings.xlsx"
    code, out, err = run_cli(monkeypatch, "export_xlsx", "rankings", "--year", "2025", "-o", str(path))
    assert (code, err) == (0, "")
    assert out.strip() == f"已导出 rankings：12 行 → {path}"
    values = _sheet(path, "rankings")
    assert values[0] == RANKING_HEADERS
    assert values[1:] == _as_read(GROUP_ROWS + VILLAGE_ROWS)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>95.00</v>" in sheet and "<v>85.00</v>" in sheet  # scores as numbers with their two decimals

    path = tmp_path / "penalties.xlsx"
    code, out, err = run_cli(monkeypatch, "export_xlsx", "penalties", "--year", "2025", "-o", str(path))
    assert (code, err, out.strip()) == (0, "", f"已导出 penalties：6 行 → {path}")
    values = _sheet(path, "penalties")
    assert values[0] == PENALTY_HEADERS
    assert values[1:] == expected_penalties(assessed)
    assert AuditEvent.objects.filter(object_type="core.export", action="export").count() == 2

    code, out, err = run_cli(monkeypatch, "export_xlsx", "penalties", "-o", str(path))
    assert (code, err.strip()) == (1, "CommandError: 导出 penalties 须指定年度，如 --year 2025")


def test_text_that_looks_like_a_formula_stays_text(assessed, tmp_path):
    Organization.objects.filter(code="N02").update(name="=1+1")
    path = tmp_path / "rankings.xlsx"
    with open(path, "wb") as fp:
        assert export_write(kind="rankings", actor=None, fp=fp, year=2025) == 12
    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    cell = openpyxl.load_workbook(path)["rankings"]["D3"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)
