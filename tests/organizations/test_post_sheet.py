"""The 职务 sheet: people matched by ID number (created if unknown), one secretary at a time, exports import back."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from core import crypto
from core.models import AuditEvent
from core.xlsx.exporter import export_write
from core.xlsx.importer import workbook_import
from members.models import Person
from organizations.models import Post
from tests.factories import PersonFactory, PostFactory, id_number_for
from tests.helpers import (
    ORG_HEADERS,
    POST_HEADERS,
    counts,
    db_state,
    nothing_changed,
    org_row,
    post_workbook,
    problem_texts,
    workbook,
)

pytestmark = pytest.mark.django_db

ZHANG = "110105194912310011"  # 男, born 1949-12-31 (check digit worked out in tests/core/test_idnumber.py)
LI = "11010519491231002X"  # 女
WANG = "110105194912310038"  # 男


def _import(rows, actor=None, dry_run=False):
    return workbook_import(source=post_workbook(rows), actor=actor, dry_run=dry_run)


def _refused(rows, actor=None):
    with nothing_changed():
        report = _import(rows, actor=actor)
    assert not report.ok
    return problem_texts(report)


def test_person_created_by_id_number(county):
    report = _import([["C01001", "张三", ZHANG, "书记", "2021-01-01", None]])
    assert report.ok, problem_texts(report)
    assert report.counts["职务"].as_dict() == {"created": 1, "updated": 0, "unchanged": 0}
    person = Person.objects.get()
    assert person.name == "张三"
    assert person.gender == "男" and person.birth_date == dt.date(1949, 12, 31)
    assert person.id_number_masked == "1101**********0011"
    post = Post.objects.get()
    assert (post.organization_id, post.person_id, post.title) == (county.village_a1.pk, person.pk, "书记")
    assert post.start_on == dt.date(2021, 1, 1) and post.end_on is None


def test_id_number_stored_encrypted(county):
    assert _import([["C01001", "李四", LI.lower(), "副书记", "2022-03-01", None]]).ok
    person = Person.objects.get()
    assert LI not in person.id_number_encrypted
    assert LI.lower() not in person.id_number_encrypted
    assert person.id_number_digest == crypto.digest(LI)
    assert LI not in person.id_number_digest
    assert person.id_number == LI  # decrypts back to the full number (upper-case X)
    assert person.gender == "女"
    # and the audit log holds the masked number only
    event = AuditEvent.objects.get(object_type="members.person")
    assert LI not in str(event.after) and event.after["id_number_masked"] == "1101**********002X"


def test_person_matched_on_reimport(county):
    rows = [
        ["C01001", "张三", ZHANG, "书记", "2021-01-01", None],
        ["C01002", "张三", ZHANG, "委员", "2021-01-01", None],  # the same person in a second organization
        ["C01002", "李四", LI, "书记", dt.date(2021, 1, 1), None],
    ]
    first = _import(rows)
    assert first.ok, problem_texts(first)
    assert Person.objects.count() == 2 and Post.objects.count() == 3
    state = db_state()
    second = _import(rows)
    assert second.ok, problem_texts(second)
    assert second.counts["职务"].as_dict() == {"created": 0, "updated": 0, "unchanged": 3}
    assert db_state() == state


def test_person_already_in_the_database_is_reused(county):
    person = PersonFactory(name="王五", id_number=WANG)
    report = _import([["C02001", "王五", WANG, "组织委员", "2020-05-01", "2023-04-30"]])
    assert report.ok, problem_texts(report)
    assert Person.objects.count() == 1
    assert Post.objects.get().person_id == person.pk


def test_name_mismatch_with_the_database_refused(county):
    PersonFactory(name="张三", id_number=ZHANG)
    texts = _refused([["C01001", "李四", ZHANG, "书记", "2021-01-01", None]])
    assert texts == ["工作表 职务 第 2 行 姓名: 与该身份证号已登记的姓名不一致"]


def test_name_mismatch_within_the_file_refused(county):
    texts = _refused(
        [["C01001", "张三", ZHANG, "书记", "2021-01-01", None], ["C01002", "张山", ZHANG, "委员", "2021-01-01", None]]
    )
    assert texts == ["工作表 职务 第 3 行 姓名: 同一身份证号在第 2 行的姓名为“张三”"]


def test_overlapping_secretary_terms_with_the_database_refused(county):
    PostFactory(organization=county.village_a1, person=PersonFactory(name="老书记"), start_on=dt.date(2021, 1, 1))
    texts = _refused([["C01001", "张三", ZHANG, "书记", "2023-01-01", None]])
    assert len(texts) == 1
    assert texts[0].startswith("工作表 职务 第 2 行 任职日期: 组织 C01001 的书记任期重叠：")
    assert "老书记" in texts[0] and "张三" in texts[0]


def test_overlapping_secretary_terms_within_the_file_refused(county):
    texts = _refused(
        [
            ["C01001", "张三", ZHANG, "书记", "2021-01-01", "2024-06-30"],
            ["C01001", "李四", LI, "书记", "2024-06-30", None],  # one day of overlap: both ends are inclusive
        ]
    )
    assert len(texts) == 1
    assert texts[0].startswith("工作表 职务 第 3 行 任职日期: 组织 C01001 的书记任期重叠：")


def test_secretary_terms_of_different_organizations_do_not_clash(county):
    report = _import(
        [
            ["C01001", "张三", ZHANG, "书记", "2021-01-01", None],
            ["C01002", "李四", LI, "书记", "2021-01-01", None],
        ]
    )
    assert report.ok, problem_texts(report)


def test_other_posts_may_overlap(county):
    report = _import(
        [
            ["C01001", "张三", ZHANG, "委员", "2021-01-01", None],
            ["C01001", "李四", LI, "委员", "2021-01-01", None],
            ["C01001", "王五", WANG, "副书记", "2021-01-01", None],
        ]
    )
    assert report.ok, problem_texts(report)
    assert Post.objects.count() == 3


def test_adjacent_secretary_terms_in_the_file_accepted(county):
    report = _import(
        [
            ["C01001", "李四", LI, "书记", "2025-01-01", None],
            ["C01001", "张三", ZHANG, "书记", "2020-01-01", "2024-12-31"],
        ]
    )
    assert report.ok, problem_texts(report)
    assert Post.objects.filter(organization=county.village_a1, title="书记").count() == 2


def test_adjacent_secretary_term_after_the_database_accepted(county):
    PostFactory(
        organization=county.village_a1,
        person=PersonFactory(name="张三", id_number=ZHANG),
        start_on=dt.date(2020, 1, 1),
        end_on=dt.date(2024, 12, 31),
    )
    report = _import([["C01001", "李四", LI, "书记", "2025-01-01", None]])
    assert report.ok, problem_texts(report)


def test_closing_a_term_and_starting_the_next_in_one_file(county, county_admin):
    old = PostFactory(
        organization=county.village_a1, person=PersonFactory(name="张三", id_number=ZHANG), start_on=dt.date(2021, 1, 1)
    )
    events = AuditEvent.objects.count()
    report = _import(
        [
            ["C01001", "张三", ZHANG, "书记", "2021-01-01", "2024-12-31"],
            ["C01001", "李四", LI, "书记", "2025-01-01", None],
        ],
        actor=county_admin,
    )
    assert report.ok, problem_texts(report)
    assert report.counts["职务"].as_dict() == {"created": 1, "updated": 1, "unchanged": 0}
    old.refresh_from_db()
    assert old.end_on == dt.date(2024, 12, 31)
    new_events = AuditEvent.objects.order_by("id")[events:]
    assert sorted((e.action, e.object_type) for e in new_events) == [
        ("create", "members.person"),
        ("create", "organizations.post"),
        ("update", "organizations.post"),
    ]
    update = next(e for e in new_events if e.action == "update")
    assert update.before == {"end_on": None} and update.after == {"end_on": "2024-12-31"}
    assert update.actor_id == county_admin.pk


def test_end_before_start_refused(county):
    texts = _refused([["C01001", "张三", ZHANG, "书记", "2024-01-01", "2023-12-31"]])
    assert texts == ["工作表 职务 第 2 行 离任日期: 不能早于任职日期"]


def test_start_in_the_future_refused(county):
    later = timezone.localdate() + dt.timedelta(days=1)
    texts = _refused([["C01001", "张三", ZHANG, "书记", later.isoformat(), None]])
    assert texts == ["工作表 职务 第 2 行 任职日期: 不能晚于今天"]


@pytest.mark.parametrize(
    ("id_number", "reason"),
    [
        ("110105194912310012", "身份证号校验位错误"),
        ("110105194902300012", "身份证号中的出生日期不存在"),
        ("11010519491231001", "身份证号应为 18 位，实际为 17 位"),
        (110105194912310011, "身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为文本后重新填写"),
    ],
)
def test_bad_id_numbers_refused(county, id_number, reason):
    texts = _refused([["C01001", "张三", id_number, "书记", "2021-01-01", None]])
    assert texts == [f"工作表 职务 第 2 行 身份证号: {reason}"]


def test_bad_title_refused(county):
    texts = _refused([["C01001", "张三", ZHANG, "支书", "2021-01-01", None]])
    assert texts == [
        "工作表 职务 第 2 行 职务: “支书”不是有效值，应为：书记 / 副书记 / 组织委员 / 宣传委员 / 纪检委员 / 委员"
    ]


def test_same_post_twice_in_the_file_refused(county):
    row = ["C01001", "张三", ZHANG, "书记", "2021-01-01", None]
    texts = _refused([row, list(row)])
    assert texts == ["工作表 职务 第 3 行 任职日期: 与第 2 行是同一条任职记录"]


def test_unknown_organization_refused(county):
    texts = _refused([["NOPE", "张三", ZHANG, "书记", "2021-01-01", None]])
    assert texts == ["工作表 职务 第 2 行 组织代码: 组织 NOPE 不存在或不在您的管理范围内"]


def test_organization_outside_scope_refused(county, township_admin):
    texts = _refused([["C02001", "张三", ZHANG, "书记", "2021-01-01", None]], actor=township_admin)
    assert texts == ["工作表 职务 第 2 行 组织代码: 组织 C02001 不存在或不在您的管理范围内"]


def test_leader_cannot_import_posts(county, leader):
    texts = _refused([["C01001", "张三", ZHANG, "书记", "2021-01-01", None]], actor=leader)
    assert texts == ["工作表 职务 第 2 行 组织代码: 组织 C01001 不存在或不在您的管理范围内"]


def test_every_problem_is_reported(county):
    texts = _refused(
        [
            ["C01001", "张三", "110105194912310012", "书记", "2021-01-01", None],
            ["C01001", "李四", LI, "主任", "2021-01-01", None],
            ["C01002", "王五", WANG, "委员", "2021-01-01", "2020-01-01"],
            ["C01002", None, ZHANG, "委员", None, None],
        ]
    )
    assert texts == [
        "工作表 职务 第 3 行 职务: “主任”不是有效值，应为：书记 / 副书记 / 组织委员 / 宣传委员 / 纪检委员 / 委员",
        "工作表 职务 第 5 行 姓名: 必填，不能为空",
        "工作表 职务 第 5 行 任职日期: 必填，不能为空",
        "工作表 职务 第 2 行 身份证号: 身份证号校验位错误",
        "工作表 职务 第 4 行 离任日期: 不能早于任职日期",
    ]


def test_posts_for_organizations_created_in_the_same_workbook(county, township_admin):
    data = workbook(
        {
            "职务": [POST_HEADERS, ["C01003", "张三", ZHANG, "书记", "2024-01-01", None]],
            "组织": [ORG_HEADERS, org_row("C01003", "南街村党支部", "C01")],
        }
    )
    report = workbook_import(source=data, actor=township_admin)
    assert report.ok, problem_texts(report)
    assert list(report.counts) == ["组织", "职务"]  # dependency order, whatever the order of the sheets
    post = Post.objects.get()
    assert post.organization.code == "C01003" and post.person.name == "张三"
    person_event = AuditEvent.objects.get(object_type="members.person")
    assert person_event.org_path == post.organization.path


def test_errors_in_both_sheets_are_all_reported_and_nothing_written(county):
    data = workbook(
        {
            "组织": [ORG_HEADERS, org_row("C01003", "南街村党支部", "C01", kind="支部")],
            "职务": [POST_HEADERS, ["C01001", "张三", ZHANG, "书记", "2021-01-01", "2020-01-01"]],
        }
    )
    with nothing_changed():
        report = workbook_import(source=data, actor=None)
    texts = problem_texts(report)
    assert [t.split(":")[0] for t in texts] == ["工作表 组织 第 2 行 组织类型", "工作表 职务 第 2 行 离任日期"]


def _posts_fixture(county):
    rows = [
        ["C01001", "张三", ZHANG, "书记", "2020-01-01", "2024-12-31"],
        ["C01001", "李四", LI, "书记", "2025-01-01", None],
        ["C01002", "张三", ZHANG, "委员", "2021-03-15", None],
        ["C02001", "王五", WANG, "组织委员", "2019-07-01", "2022-06-30"],
    ]
    rows += [["C90", f"干部{i}", id_number_for(i), "委员", "2022-01-01", None] for i in range(5)]
    report = _import(rows)
    assert report.ok, problem_texts(report)
    return len(rows)


def test_masked_export_imports_back_unchanged(county, county_admin):
    n = _posts_fixture(county)
    buf = io.BytesIO()
    assert export_write(kind="posts", actor=county_admin, fp=buf) == n
    data = buf.getvalue()
    assert ZHANG.encode() not in data  # the export is masked
    state = db_state()
    report = workbook_import(source=data, actor=county_admin)
    assert report.ok, problem_texts(report)
    assert report.counts["职务"].as_dict() == {"created": 0, "updated": 0, "unchanged": n}
    assert db_state() == state


def test_masked_export_of_a_township_imports_back_unchanged(county, township_admin):
    _posts_fixture(county)
    buf = io.BytesIO()
    assert export_write(kind="posts", actor=township_admin, fp=buf) == 3
    state = db_state()
    report = workbook_import(source=buf.getvalue(), actor=township_admin)
    assert report.ok, problem_texts(report)
    assert report.counts["职务"].unchanged == 3
    assert db_state() == state


def test_masked_export_edited_end_date_imports_as_an_update(county, county_admin):
    _posts_fixture(county)
    buf = io.BytesIO()
    export_write(kind="posts", actor=county_admin, fp=buf)
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    ws = wb["posts"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "C01002" and row[1].value == "张三":
            row[5].value = dt.date(2025, 6, 30)
    out = io.BytesIO()
    wb.save(out)
    before = counts()
    report = workbook_import(source=out.getvalue(), actor=county_admin)
    assert report.ok, problem_texts(report)
    assert report.counts["职务"].updated == 1
    assert Post.objects.get(organization__code="C01002").end_on == dt.date(2025, 6, 30)
    assert counts() == {**before, "audit_events": before["audit_events"] + 1}


def test_masked_number_that_matches_nobody_refused(county):
    texts = _refused([["C01001", "张三", "1101**********0011", "书记", "2021-01-01", None]])
    assert texts == [
        "工作表 职务 第 2 行 身份证号: 身份证号已脱敏，且无法按姓名唯一匹配到已登记人员，请填写完整身份证号"
    ]


def test_dry_run_writes_nothing_but_reports_counts(county):
    with nothing_changed():
        report = _import(
            [["C01001", "张三", ZHANG, "书记", "2021-01-01", None], ["C01002", "李四", LI, "委员", "2021-01-01", None]],
            dry_run=True,
        )
    assert report.ok and report.counts["职务"].created == 2
    assert report.summary_lines() == ["职务: 将新增 2 行，将更新 0 行，未变 0 行"]
