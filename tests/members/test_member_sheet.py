"""The 党员 sheet (docs: formats.md): one member file a row, matched by 身份证号; a changed 所在支部代码 is a transfer
dated the import day, a changed 党籍状态 a StatusChange; a file with any problem writes nothing. The members export has
the same columns, masks ID and phone numbers (unless --unmasked, audited) and imports back with nothing changed."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from core import crypto
from core.models import AuditEvent
from core.xlsx.exporter import ExportRefused, export_write
from core.xlsx.importer import workbook_import
from members.models import Member, Membership, Person, StatusChange
from members.selectors import members_of_branch_on, was_member_of
from organizations.models import Organization
from tests.factories import PersonFactory
from tests.helpers import ORG_HEADERS, org_row, problem_texts, workbook
from tests.members.helpers import (
    CHEN_CHEN,
    LI_QIANG,
    LIN_LIN,
    LIU_YANG,
    MEMBER_HEADERS,
    PHONE,
    PHONE2,
    WANG_FANG,
    ZHANG_WEI,
    ZHANG_WEI2,
    ZHANG_WEI_BAD_CHECK,
    ZHAO_MIN,
    import_members,
    member_row,
    member_state,
    member_workbook,
    nothing_changed,
    refused_import,
)

pytestmark = pytest.mark.django_db

D = dt.date
DAY = dt.timedelta(days=1)

GOOD_ROWS = [
    # row 2: every column filled, 男 / 1985-06-12 as in the ID number
    member_row(
        "张伟", ZHANG_WEI, "C01001", gender="男", birth=D(1985, 6, 12), joined="2010-07-01", full="2011-07-01",
        status="正常", phone=PHONE,
    ),
    # row 3: a probationary member, 党籍状态 blank (= 正常), X check digit in lower case, no phone
    member_row(
        "王芳", WANG_FANG.lower(), "C01002", ethnicity="回族", education="高中", category="预备党员",
        joined=D(2024, 7, 1), full=None,
    ),
    # row 4: township B, status 流入, phone typed as a number
    member_row("李强", LI_QIANG, "C02001", education=None, ethnicity=None, status="流入", phone=int(PHONE2)),
]  # fmt: skip


def _ok(report):
    assert report.ok, problem_texts(report)
    return report


def _import_good(actor=None):
    return _ok(import_members(GOOD_ROWS, actor=actor))


def _export(actor, unmasked=False) -> tuple[list, list[list]]:
    buf = io.BytesIO()
    export_write(kind="members", actor=actor, fp=buf, unmasked=unmasked)
    wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.sheetnames == ["members"]
    rows = [list(r) for r in wb["members"].iter_rows(values_only=True)]
    return rows[0], rows[1:], buf.getvalue()


# --------------------------------------------------------------------------------------------------------------------
# A good file


def test_good_file_creates_person_member_and_one_membership_per_row(county, county_admin):
    report = _import_good(county_admin)
    assert report.counts["党员"].as_dict() == {"created": 3, "updated": 0, "unchanged": 0}
    assert (Person.objects.count(), Member.objects.count(), Membership.objects.count()) == (3, 3, 3)
    assert StatusChange.objects.count() == 0

    zhang = Member.objects.select_related("person", "branch").get(person__name="张伟")
    assert (zhang.person.gender, zhang.person.birth_date) == ("男", D(1985, 6, 12))
    assert zhang.person.id_number == ZHANG_WEI and zhang.person.id_number_masked == "4107**********1234"
    assert zhang.branch == county.village_a1
    assert (zhang.category, zhang.status, zhang.ethnicity, zhang.education) == ("正式党员", "正常", "汉族", "大学本科")
    assert (zhang.joined_on, zhang.full_member_on) == (D(2010, 7, 1), D(2011, 7, 1))
    assert (zhang.phone, zhang.phone_masked) == (PHONE, "138****1234")

    wang = Member.objects.select_related("person").get(person__name="王芳")
    assert wang.person.id_number == WANG_FANG  # upper-case X
    assert (wang.person.gender, wang.person.birth_date) == ("女", D(1949, 12, 31))  # derived from the ID number
    assert (wang.branch_id, wang.category, wang.status) == (county.village_a2.pk, "预备党员", "正常")  # blank → 正常
    assert (wang.ethnicity, wang.education, wang.full_member_on) == ("回族", "高中", None)
    assert (wang.phone, wang.phone_encrypted, wang.phone_digest, wang.phone_masked) == ("", "", "", "")

    li = Member.objects.get(person__name="李强")
    assert (li.branch_id, li.status, li.ethnicity, li.education) == (county.village_b1.pk, "流入", "", "")
    assert (li.phone, li.phone_masked) == (PHONE2, "159****5678")

    memberships = sorted(
        Membership.objects.values_list("member__person__name", "branch__code", "start_on", "end_on", "note")
    )
    assert memberships == [
        ("张伟", "C01001", D(2010, 7, 1), None, "建档"),
        ("李强", "C02001", D(2010, 7, 1), None, "建档"),
        ("王芳", "C01002", D(2024, 7, 1), None, "建档"),
    ]
    # One audit event a row: the member file's, naming its person and saying the person was registered with it
    # (masked numbers only).
    events = AuditEvent.objects.filter(actor=county_admin)
    assert sorted(events.values_list("action", "object_type", "object_repr")) == sorted(
        [("create", "members.member", n) for n in ("张伟", "王芳", "李强")]
    )
    member_event = events.get(object_type="members.member", object_repr="张伟")
    assert member_event.object_id == str(zhang.pk) and member_event.org_path == county.village_a1.path
    assert member_event.after == {
        "person": zhang.person_id,
        "branch": county.village_a1.pk,
        "category": "正式党员",
        "status": "正常",
        "ethnicity": "汉族",
        "education": "大学本科",
        "joined_on": "2010-07-01",
        "full_member_on": "2011-07-01",
        "occupation": "",
        "address": "",
        "phone_masked": "138****1234",
    }
    assert member_event.note == f"同时登记人员（身份证号 {zhang.person.id_number_masked}）"
    for event in events:
        assert ZHANG_WEI not in str(event.after) and PHONE not in str(event.after)


def test_dry_run_counts_and_writes_nothing(county):
    with nothing_changed():
        report = import_members(GOOD_ROWS, dry_run=True)
    assert report.ok and report.summary_lines() == ["党员: 将新增 3 行，将更新 0 行，未变 0 行"]


def test_a_person_already_known_gets_a_member_file(county):
    person = PersonFactory(name="刘洋", id_number=LIU_YANG)
    _ok(import_members([member_row("刘洋", LIU_YANG, "C01001")]))
    assert Person.objects.count() == 1
    assert Member.objects.get().person_id == person.pk
    assert not AuditEvent.objects.filter(object_type="members.person").exists()
    assert AuditEvent.objects.get(object_type="members.member").note == ""  # the person was known already


def test_id_and_phone_encrypted_at_rest(county):
    _import_good()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id_number_digest, p.id_number_encrypted, p.id_number_masked, m.phone_encrypted, m.phone_digest,"
            " m.phone_masked FROM members_person p JOIN members_member m ON m.person_id = p.id WHERE p.name = %s",
            ["张伟"],
        )
        raw = cursor.fetchone()
    id_digest, id_encrypted, id_masked, phone_encrypted, phone_digest, phone_masked = raw
    for column in raw:
        assert ZHANG_WEI not in column and "198506121" not in column
        assert PHONE not in column and "00001" not in column
    assert id_encrypted.startswith("g1:") and phone_encrypted.startswith("g1:")
    assert id_digest == crypto.digest(ZHANG_WEI)
    assert phone_digest == crypto.digest(PHONE)
    assert (id_masked, phone_masked) == ("4107**********1234", "138****1234")
    assert crypto.decrypt(id_encrypted) == ZHANG_WEI and crypto.decrypt(phone_encrypted) == PHONE
    # and nowhere in the audit trail
    for after, before in AuditEvent.objects.values_list("after", "before"):
        assert ZHANG_WEI not in str(after) + str(before) and PHONE not in str(after) + str(before)


# --------------------------------------------------------------------------------------------------------------------
# Refused files


def test_same_id_twice_in_a_file(county):
    texts = refused_import(
        [
            member_row("王芳", WANG_FANG, "C01001"),
            member_row("张伟", ZHANG_WEI, "C01001"),
            member_row("王芳", WANG_FANG.lower(), "C01002"),  # lower-case x: the same number
        ]
    )
    assert texts == ["工作表 党员 第 4 行 身份证号: 与第 2 行是同一人"]


def test_unknown_branch_code(county):
    texts = refused_import([member_row("张伟", ZHANG_WEI, "C09009")])
    assert texts == ["工作表 党员 第 2 行 所在支部代码: 支部 C09009 不存在或不在您的管理范围内"]


def test_branch_outside_the_actors_scope(county, township_admin):
    texts = refused_import(
        [member_row("张伟", ZHANG_WEI, "C01001"), member_row("李强", LI_QIANG, "C02001")], actor=township_admin
    )
    assert texts == ["工作表 党员 第 3 行 所在支部代码: 支部 C02001 不存在或不在您的管理范围内"]


def test_secretary_cannot_import_into_the_neighbouring_branch(county, secretary):
    texts = refused_import([member_row("张伟", ZHANG_WEI, "C01002")], actor=secretary)
    assert texts == ["工作表 党员 第 2 行 所在支部代码: 支部 C01002 不存在或不在您的管理范围内"]


def test_member_filed_in_a_branch_outside_scope_refused(county, township_admin):
    _ok(import_members([member_row("李强", LI_QIANG, "C02001")]))
    # pulling B's member into A's branch, or merely re-stating the file, is refused: B must transfer it
    for branch in ("C01001", "C02001"):
        texts = refused_import([member_row("李强", LI_QIANG, branch)], actor=township_admin)
        expected = ["工作表 党员 第 2 行 身份证号: 该党员的档案在您管理范围以外的支部，请由其所在支部办理转接"]
        if branch == "C02001":
            expected.insert(0, "工作表 党员 第 2 行 所在支部代码: 支部 C02001 不存在或不在您的管理范围内")
        assert texts == expected


def test_name_disagreeing_with_the_registered_person(county):
    PersonFactory(name="张伟", id_number=ZHANG_WEI)
    texts = refused_import([member_row("张卫", ZHANG_WEI, "C01001")])
    assert texts == ["工作表 党员 第 2 行 姓名: 与该身份证号已登记的姓名不一致"]


@pytest.mark.parametrize(
    ("column", "kwargs", "reason"),
    [
        ("人员类别", {"category": "正式"}, "“正式”不是有效值，应为：正式党员 / 预备党员"),
        (
            "党籍状态",
            {"status": "离世"},
            "“离世”不是有效值，应为：正常 / 流出 / 流入 / 失联 / 停止党籍 / 出党 / 死亡 / 转出",
        ),
        (
            "学历",
            {"education": "本科"},
            "“本科”不是有效值，应为：研究生 / 大学本科 / 大学专科 / 中专 / 高中 / 初中及以下",
        ),
        ("性别", {"gender": "M"}, "“M”不是有效值，应为：男 / 女"),
        ("入党日期", {"joined": "2010-02-30"}, "日期“2010-02-30”不存在"),
        ("人员类别", {"category": None}, "必填，不能为空"),
    ],
)
def test_unknown_values(county, column, kwargs, reason):
    texts = refused_import([member_row("张伟", ZHANG_WEI, "C01001", **kwargs)])
    assert texts == [f"工作表 党员 第 2 行 {column}: {reason}"]


def test_id_number_stored_by_excel_as_a_number(county):
    texts = refused_import([member_row("张伟", 410702198506121234, "C01001")])
    assert texts == [
        "工作表 党员 第 2 行 身份证号: 身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为文本后重新填写"
    ]


def test_every_problem_of_a_multi_error_file_is_reported(county):
    tomorrow = timezone.localdate() + DAY
    rows = [
        member_row("张伟", ZHANG_WEI_BAD_CHECK, "C01001", phone="1380000123"),  # 2: bad check digit, 10-digit phone
        member_row("王芳", WANG_FANG, "C01001", category="正式"),  # 3: unknown category
        member_row("李强", LI_QIANG, "C09009", birth="1949-12-30"),  # 4: unknown branch, birth date ≠ ID
        member_row("刘洋", LIU_YANG, "C01002", joined="2010-07-01", full="2010-06-30", phone="1380000123a"),  # 5
        member_row("赵敏", ZHAO_MIN, "C01002", gender="女"),  # 6: fine
        member_row("赵敏", ZHAO_MIN, "C01001"),  # 7: the same person as row 6
        member_row("陈晨", CHEN_CHEN, "C01001", category="预备党员", joined="2018-02-28", full="2019-03-01"),  # 8
        member_row(None, LIN_LIN, "C01001", joined=tomorrow, full=None),  # 9: no name
        member_row("林琳", LIN_LIN, "C01001", education="本科", status="离世", gender="男"),  # 10: two bad values
        member_row("林琳", LIN_LIN, "C01001", category="预备党员", joined=tomorrow, full=None, gender="男"),  # 11
        member_row("某某", "41070219850612123", "C01001", phone="138000012345"),  # 12: 17 characters, 12 digits
    ]
    texts = refused_import(rows)
    # the cells first, row by row (ID and phone are cell checks); then the checks across fields and rows, which
    # run only on rows whose cells are all readable (row 5's 转正日期 is checked once its phone number is fixed)
    assert texts == [
        "工作表 党员 第 2 行 身份证号: 身份证号校验位错误",
        "工作表 党员 第 2 行 手机号码: 手机号码应为 11 位数字，以 13–19 开头",
        "工作表 党员 第 3 行 人员类别: “正式”不是有效值，应为：正式党员 / 预备党员",
        "工作表 党员 第 5 行 手机号码: 手机号码应为 11 位数字，以 13–19 开头",
        "工作表 党员 第 9 行 姓名: 必填，不能为空",
        "工作表 党员 第 10 行 学历: “本科”不是有效值，应为：研究生 / 大学本科 / 大学专科 / 中专 / 高中 / 初中及以下",
        "工作表 党员 第 10 行 党籍状态: “离世”不是有效值，应为：正常 / 流出 / 流入 / 失联 / 停止党籍 / 出党 / 死亡 / 转出",
        "工作表 党员 第 12 行 身份证号: 身份证号应为 18 位，实际为 17 位",
        "工作表 党员 第 12 行 手机号码: 手机号码应为 11 位数字，以 13–19 开头",
        "工作表 党员 第 4 行 所在支部代码: 支部 C09009 不存在或不在您的管理范围内",
        "工作表 党员 第 4 行 出生日期: 与身份证号中的出生日期 1949-12-31 不一致",
        "工作表 党员 第 7 行 身份证号: 与第 6 行是同一人",
        "工作表 党员 第 8 行 入党日期: 入党时未满 18 周岁（出生于 2000-03-01）",
        "工作表 党员 第 8 行 转正日期: 预备党员尚未转正，不应填写转正日期",
        "工作表 党员 第 11 行 性别: 与身份证号中的性别（女）不一致",
        "工作表 党员 第 11 行 入党日期: 不能晚于今天",
    ]


def test_a_row_with_a_bad_value_still_reports_its_bad_id_and_phone(county):
    """A row is checked whole: a wrong 人员类别 does not hide a wrong 身份证号 or 手机号码 in the same row (the 组织 sheet
    reports every bad cell of a row, and so does this sheet when the other cells are fine)."""
    texts = refused_import([member_row("张伟", ZHANG_WEI_BAD_CHECK, "C01001", category="正式", phone="1380000123")])
    assert sorted(texts) == sorted(
        [
            "工作表 党员 第 2 行 人员类别: “正式”不是有效值，应为：正式党员 / 预备党员",
            "工作表 党员 第 2 行 身份证号: 身份证号校验位错误",
            "工作表 党员 第 2 行 手机号码: 手机号码应为 11 位数字，以 13–19 开头",
        ]
    )


def test_missing_header(county):
    headers = [h if h != "人员类别" else "类别" for h in MEMBER_HEADERS]
    with nothing_changed():
        report = workbook_import(source=member_workbook([member_row("张伟", ZHANG_WEI, "C01001")], headers), actor=None)
    assert problem_texts(report) == [
        "工作表 党员 第 1 行 表头: 缺少表头“人员类别”（表头中有未识别的：类别；是否改了名？）"
    ]


# --------------------------------------------------------------------------------------------------------------------
# Re-import


def test_reimport_changes_nothing(county, county_admin):
    _import_good(county_admin)
    state = member_state()
    report = _import_good(county_admin)
    assert report.counts["党员"].as_dict() == {"created": 0, "updated": 0, "unchanged": 3}
    assert member_state() == state  # same rows, same counts, no new audit event


def test_reimport_with_a_new_branch_is_a_transfer_dated_the_import_day(county, county_admin):
    _import_good(county_admin)
    zhang = Member.objects.get(person__name="张伟")
    events = AuditEvent.objects.count()
    today = timezone.localdate()
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][6] = "C01002"
    report = _ok(import_members(rows, actor=county_admin))
    assert report.counts["党员"].as_dict() == {"created": 0, "updated": 1, "unchanged": 2}

    zhang.refresh_from_db()
    assert zhang.branch == county.village_a2
    assert list(zhang.memberships.values_list("branch__code", "start_on", "end_on", "note")) == [
        ("C01001", D(2010, 7, 1), today - DAY, "建档"),
        ("C01002", today, None, "Excel 导入转接"),
    ]
    assert was_member_of(member=zhang, branch=county.village_a1, on=today - DAY)
    assert not was_member_of(member=zhang, branch=county.village_a1, on=today)
    assert was_member_of(member=zhang, branch=county.village_a2, on=today)
    assert not was_member_of(member=zhang, branch=county.village_a2, on=today - DAY)
    assert list(members_of_branch_on(branch=county.village_a1, on=today - DAY)) == [zhang]
    assert list(members_of_branch_on(branch=county.village_a1, on=today)) == []
    assert sorted(m.person.name for m in members_of_branch_on(branch=county.village_a2, on=today)) == ["张伟", "王芳"]
    assert StatusChange.objects.count() == 0
    # one audit event: the update, saying what changed and nothing else
    new = AuditEvent.objects.order_by("id")[events:]
    assert [(e.action, e.object_type, e.object_id) for e in new] == [("update", "members.member", str(zhang.pk))]
    assert (new[0].before, new[0].after) == ({"branch": county.village_a1.pk}, {"branch": county.village_a2.pk})
    assert new[0].org_path == county.village_a2.path

    # and importing the new state again changes nothing
    state = member_state()
    assert import_members(rows, actor=county_admin).counts["党员"].unchanged == 3
    assert member_state() == state


def test_reimport_transfer_out_of_scope_refused(county, township_admin):
    _import_good()
    rows = [list(GOOD_ROWS[0])]
    rows[0][6] = "C02002"
    texts = refused_import(rows, actor=township_admin)
    assert texts == ["工作表 党员 第 2 行 所在支部代码: 支部 C02002 不存在或不在您的管理范围内"]


def test_second_transfer_on_the_same_day_is_refused_not_a_crash(county):
    """A membership that starts today cannot end yesterday: the import must report it (as member_transfer does)."""
    _import_good()
    rows = [list(GOOD_ROWS[0])]
    rows[0][6] = "C01002"
    _ok(import_members(rows))  # transfer dated today
    rows[0][6] = "C01001"
    with nothing_changed():
        report = import_members(rows)  # and back, the same day
    texts = problem_texts(report)
    assert len(texts) == 1 and texts[0].startswith("工作表 党员 第 2 行 所在支部代码: "), texts


def test_reimport_with_a_new_status_writes_a_status_change(county, county_admin):
    _import_good(county_admin)
    zhang = Member.objects.get(person__name="张伟")
    events = AuditEvent.objects.count()
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][10] = "流出"
    report = _ok(import_members(rows, actor=county_admin))
    assert report.counts["党员"].as_dict() == {"created": 0, "updated": 1, "unchanged": 2}
    zhang.refresh_from_db()
    assert zhang.status == "流出"
    assert list(StatusChange.objects.values_list("member_id", "status", "changed_on", "note")) == [
        (zhang.pk, "流出", timezone.localdate(), "Excel 导入")
    ]
    assert Membership.objects.count() == 3  # no transfer
    new = AuditEvent.objects.order_by("id")[events:]
    assert [(e.action, e.before, e.after) for e in new] == [("update", {"status": "正常"}, {"status": "流出"})]


def test_reimport_with_a_new_phone_replaces_all_three_stored_forms(county):
    _import_good()
    rows = [list(GOOD_ROWS[0])]
    rows[0][11] = PHONE2
    assert _ok(import_members(rows)).counts["党员"].updated == 1
    zhang = Member.objects.get(person__name="张伟")
    assert (zhang.phone, zhang.phone_digest, zhang.phone_masked) == (PHONE2, crypto.digest(PHONE2), "159****5678")
    event = AuditEvent.objects.filter(action="update").get()
    assert (event.before, event.after) == ({"phone_masked": "138****1234"}, {"phone_masked": "159****5678"})


# --------------------------------------------------------------------------------------------------------------------
# Together with a 组织 sheet


def test_member_sheet_after_an_org_sheet_creating_the_branch(county, township_admin):
    source = workbook(
        {
            "党员": [
                MEMBER_HEADERS,
                member_row("张伟", ZHANG_WEI, "C01003", phone=PHONE),
                member_row("王芳", WANG_FANG, "C01003", category="预备党员", joined="2024-07-01", full=None),
            ],
            "组织": [ORG_HEADERS, org_row("C01003", "南街村党支部", "C01", founded=D(2020, 1, 1))],
        }
    )
    report = _ok(workbook_import(source=source, actor=township_admin))
    assert report.counts["组织"].created == 1 and report.counts["党员"].created == 2
    new_branch = Organization.objects.get(code="C01003")
    assert (new_branch.parent_id, new_branch.name) == (county.township_a.pk, "南街村党支部")
    assert sorted(Member.objects.filter(branch=new_branch).values_list("person__name", flat=True)) == ["张伟", "王芳"]
    assert sorted(Membership.objects.values_list("branch_id", "start_on", "end_on")) == [
        (new_branch.pk, D(2010, 7, 1), None),
        (new_branch.pk, D(2024, 7, 1), None),
    ]


def test_member_sheet_with_an_org_sheet_refused_outside_scope_writes_nothing(county, township_admin):
    source = workbook(
        {
            "组织": [ORG_HEADERS, org_row("C02003", "石门新村党支部", "C02")],
            "党员": [MEMBER_HEADERS, member_row("张伟", ZHANG_WEI, "C02003")],
        }
    )
    with nothing_changed():
        report = workbook_import(source=source, actor=township_admin)
    assert not report.ok
    assert (
        "工作表 组织 第 2 行 上级组织代码: 上级组织 C02 不存在（文件和系统中都没有）或不在您的管理范围内"
        in problem_texts(report)
    )


# --------------------------------------------------------------------------------------------------------------------
# The members export


def test_export_masks_numbers_and_imports_back_unchanged(county, county_admin):
    _import_good(county_admin)
    header, rows, data = _export(county_admin)
    assert header == MEMBER_HEADERS
    at = dt.datetime
    # sorted by branch code (one member per branch here, so no name collation is involved)
    assert rows == [
        ["张伟", "4107**********1234", "男", "汉族", at(1985, 6, 12), "大学本科", "C01001", "正式党员",
         at(2010, 7, 1), at(2011, 7, 1), "正常", "138****1234"],
        ["王芳", "1101**********002X", "女", "回族", at(1949, 12, 31), "高中", "C01002", "预备党员",
         at(2024, 7, 1), None, "正常", None],
        ["李强", "1101**********0011", "男", None, at(1949, 12, 31), None, "C02001", "正式党员",
         at(2010, 7, 1), at(2011, 7, 1), "流入", "159****5678"],
    ]  # fmt: skip
    event = AuditEvent.objects.get(action="export")
    assert (event.actor_id, event.object_type, event.object_id) == (county_admin.pk, "core.export", "members")
    assert event.note == "导出 members，3 行"

    state = member_state()
    report = _ok(workbook_import(source=data, actor=county_admin))
    assert report.counts["党员"].as_dict() == {"created": 0, "updated": 0, "unchanged": 3}
    assert member_state() == state
    zhang = Member.objects.get(person__name="张伟")
    assert (zhang.phone, zhang.person.id_number) == (PHONE, ZHANG_WEI)  # the masks did not overwrite anything


def test_export_is_scoped(county, county_admin, township_admin, secretary):
    _import_good(county_admin)
    assert [r[0] for r in _export(township_admin)[1]] == ["张伟", "王芳"]
    assert [r[0] for r in _export(secretary)[1]] == ["张伟"]


def test_unmasked_export_shows_full_numbers_and_is_audited(county, county_admin):
    _import_good(county_admin)
    _, rows, data = _export(county_admin, unmasked=True)
    assert [(r[0], r[1], r[11]) for r in rows] == [
        ("张伟", ZHANG_WEI, PHONE),
        ("王芳", WANG_FANG, None),
        ("李强", LI_QIANG, PHONE2),
    ]
    event = AuditEvent.objects.get(action="export_unmasked")
    assert (event.actor_id, event.object_id, event.note) == (county_admin.pk, "members", "导出 members，3 行（未脱敏）")
    state = member_state()
    assert _ok(workbook_import(source=data, actor=county_admin)).counts["党员"].unchanged == 3
    assert member_state() == state


def test_unmasked_export_refused_without_the_right(county, township_admin):
    _import_good()
    with nothing_changed(), pytest.raises(ExportRefused, match="您的角色无权导出完整身份证号和手机号码"):
        export_write(kind="members", actor=township_admin, fp=io.BytesIO(), unmasked=True)


def test_export_command_unmasked(county, tmp_path):
    _import_good()
    target = tmp_path / "members.xlsx"
    call_command("export_xlsx", "members", "-o", str(target), "--unmasked", stdout=io.StringIO())
    ws = openpyxl.load_workbook(target)["members"]
    assert [(r[0], r[1], r[11]) for r in ws.iter_rows(min_row=2, values_only=True)] == [
        ("张伟", ZHANG_WEI, PHONE),
        ("王芳", WANG_FANG, None),
        ("李强", LI_QIANG, PHONE2),
    ]
    event = AuditEvent.objects.get(action="export_unmasked")
    assert (event.actor_id, event.actor_name, event.source) == (None, "系统", "command")
    assert event.note == "导出 members，3 行（未脱敏）"


def test_people_sharing_a_mask_are_told_apart_by_name(county):
    """张伟 and 张薇 have the same masked number (4107**********1234): the masked export still imports back."""
    _ok(import_members([member_row("张伟", ZHANG_WEI, "C01001"), member_row("张薇", ZHANG_WEI2, "C01002")]))
    _, rows, data = _export(None)
    assert [(r[0], r[1]) for r in rows] == [("张伟", "4107**********1234"), ("张薇", "4107**********1234")]
    state = member_state()
    assert _ok(workbook_import(source=data, actor=None)).counts["党员"].unchanged == 2
    assert member_state() == state


def test_people_sharing_a_mask_and_a_name_need_the_full_number(county):
    _ok(import_members([member_row("张伟", ZHANG_WEI, "C01001"), member_row("张伟", ZHANG_WEI2, "C01002")]))
    _, _, data = _export(None)
    with nothing_changed():
        report = workbook_import(source=data, actor=None)
    reason = "身份证号已脱敏，且无法按姓名唯一匹配到已登记人员，请填写完整身份证号"
    # the export's sheet is named "members"; problems name the layout (党员), as for every other sheet
    assert problem_texts(report) == [f"工作表 党员 第 {n} 行 身份证号: {reason}" for n in (2, 3)]


def test_masked_id_of_nobody_known_refused(county):
    texts = refused_import([member_row("张伟", "4107**********1234", "C01001")])
    assert texts == [
        "工作表 党员 第 2 行 身份证号: 身份证号已脱敏，且无法按姓名唯一匹配到已登记人员，请填写完整身份证号"
    ]


def test_masked_phone_that_does_not_match_the_stored_one_refused(county):
    _import_good()
    rows = [list(GOOD_ROWS[0])]
    rows[0][11] = "139****1234"
    texts = refused_import(rows)
    assert texts == ["工作表 党员 第 2 行 手机号码: 手机号码已脱敏，且与已登记的号码不符，请填写完整号码"]
    rows[0][11] = "138****1234"  # our own mask: unchanged
    assert _ok(import_members(rows)).counts["党员"].unchanged == 1


def test_correcting_the_join_date_moves_the_start_of_the_first_membership(county):
    """The first membership starts on 入党日期 (as the import creates it); a corrected 入党日期 keeps them in step, or
    "was he a member of 东街村 on 2009-12-01" answers no for a member who joined on 2009-07-01."""
    _ok(import_members([member_row("张伟", ZHANG_WEI, "C01001", joined="2010-07-01", full="2011-07-01")]))
    _ok(import_members([member_row("张伟", ZHANG_WEI, "C01001", joined="2009-07-01", full="2010-07-01")]))
    zhang = Member.objects.get()
    assert zhang.joined_on == D(2009, 7, 1)
    assert list(zhang.memberships.values_list("start_on", "end_on")) == [(D(2009, 7, 1), None)]
    assert was_member_of(member=zhang, branch=county.village_a1, on=D(2009, 12, 1))
