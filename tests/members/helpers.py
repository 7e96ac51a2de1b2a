"""Builders and "nothing changed" checks for the member tests (the 党员 layout spelled out, not taken from the code).

ID numbers used across these tests, check digits worked out by hand (GB 11643: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5
8 4 2, check = "10X98765432"[sum mod 11]; digit 17 odd = 男, even = 女):

ZHANG_WEI  410702 19850612 12 3 → products 28 9 0 35 0 8 2 9 48 15 0 54 10 10 8 8 6 = 250, 250 mod 11 = 8 → "4"
           = 410702198506121234 (男, born 1985-06-12); its masked form is 4107**********1234
ZHANG_WEI2 410702 19850102 12 3 → products 28 9 0 35 0 8 2 9 48 15 0 9 0 10 8 8 6 = 195, 195 mod 11 = 8 → "4"
           = 410702198501021234 (男, born 1985-01-02): the same mask as ZHANG_WEI
CHEN_CHEN  410702 20000301 12 3 → products 28 9 0 35 0 8 4 0 0 0 0 27 0 5 8 8 6 = 138, 138 mod 11 = 6 → "6"
           = 410702200003011236 (男, born 2000-03-01)
LIN_LIN    410702 20000229 12 4 → products 28 9 0 35 0 8 4 0 0 0 0 18 20 45 8 8 8 = 191, 191 mod 11 = 4 → "8"
           = 410702200002291248 (女, born 2000-02-29)
LI_QIANG / WANG_FANG / LIU_YANG / ZHAO_MIN: the 1101051949-12-31 numbers worked out in tests/core/test_idnumber.py
(first 16 products sum to 163; d17 = 1 → "1", 2 → "X", 3 → "8", 4 → "6").
"""

from __future__ import annotations

from contextlib import contextmanager

from core.models import AuditEvent
from core.xlsx.importer import workbook_import
from members.models import Member, Membership, Person, StatusChange
from tests.helpers import db_state, problem_texts, workbook

ZHANG_WEI = "410702198506121234"  # 男, 1985-06-12
ZHANG_WEI2 = "410702198501021234"  # 男, 1985-01-02; masked like ZHANG_WEI
ZHANG_WEI_BAD_CHECK = "410702198506121235"  # the check digit should be 4
CHEN_CHEN = "410702200003011236"  # 男, 2000-03-01
LIN_LIN = "410702200002291248"  # 女, 2000-02-29
LI_QIANG = "110105194912310011"  # 男, 1949-12-31
WANG_FANG = "11010519491231002X"  # 女, 1949-12-31
LIU_YANG = "110105194912310038"  # 男, 1949-12-31
ZHAO_MIN = "110105194912310046"  # 女, 1949-12-31

PHONE = "13800001234"  # masked 138****1234
PHONE2 = "15912345678"  # masked 159****5678

MEMBER_HEADERS = [
    "姓名",
    "身份证号",
    "性别",
    "民族",
    "出生日期",
    "学历",
    "所在支部代码",
    "人员类别",
    "入党日期",
    "转正日期",
    "党籍状态",
    "手机号码",
]


def member_row(
    name,
    id_number,
    branch,
    *,
    gender=None,
    ethnicity="汉族",
    birth=None,
    education="大学本科",
    category="正式党员",
    joined="2010-07-01",
    full="2011-07-01",
    status=None,
    phone=None,
) -> list:
    """One 党员 row in the public column order; blank 性别 / 出生日期 unless given."""
    return [name, id_number, gender, ethnicity, birth, education, branch, category, joined, full, status, phone]


def member_workbook(rows, headers=MEMBER_HEADERS) -> bytes:
    return workbook({"党员": [headers, *rows]})


def import_members(rows, actor=None, dry_run=False):
    return workbook_import(source=member_workbook(rows), actor=actor, dry_run=dry_run)


def member_counts() -> dict[str, int]:
    return {
        "persons": Person.objects.count(),
        "members": Member.objects.count(),
        "memberships": Membership.objects.count(),
        "status_changes": StatusChange.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def member_state() -> dict:
    """Counts plus every member-related row as it stands: enough to tell that a refused write changed nothing."""
    return {
        **db_state(),
        **member_counts(),
        "members_rows": sorted(
            Member.objects.values_list(
                "id",
                "person_id",
                "branch_id",
                "category",
                "status",
                "ethnicity",
                "education",
                "joined_on",
                "full_member_on",
                "phone_digest",
                "phone_masked",
                "updated_at",
            )
        ),
        "memberships_rows": sorted(
            Membership.objects.values_list("id", "member_id", "branch_id", "start_on", "end_on", "note")
        ),
        "status_rows": sorted(StatusChange.objects.values_list("id", "member_id", "status", "changed_on")),
    }


@contextmanager
def nothing_changed():
    """Assert the block leaves persons, members, memberships, status changes and audit events exactly as they were."""
    before = member_state()
    yield
    assert member_state() == before


def refused_import(rows, actor=None) -> list[str]:
    """Import `rows`, expecting problems and no change at all; the problem texts."""
    with nothing_changed():
        report = import_members(rows, actor=actor)
    assert not report.ok
    return problem_texts(report)
