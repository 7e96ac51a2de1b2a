from django.db import models


class MeetingKind(models.TextChoices):
    """The kinds of organizational life, in the order of the 会议 sheet (the compliance export sorts by it)."""

    GENERAL = "支部党员大会", "支部党员大会"
    COMMITTEE = "支部委员会会议", "支部委员会会议"
    GROUP = "党小组会", "党小组会"
    LECTURE = "党课", "党课"
    THEME_DAY = "主题党日", "主题党日"
    LIFE = "组织生活会", "组织生活会"
    APPRAISAL = "民主评议党员", "民主评议党员"


KIND_ORDER = {kind: i for i, kind in enumerate(MeetingKind.values)}


class PeriodType(models.TextChoices):
    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


class Exemption(models.TextChoices):
    """Which branches a standard applies to (the exemptions of the 支部工作条例)."""

    NONE = "", "所有支部"
    NEEDS_COMMITTEE = "committee", "仅设支部委员会的支部"
    NEEDS_PARTY_GROUPS = "party_groups", "仅设党小组的支部"


class AttendanceStatus(models.TextChoices):
    PRESENT = "出席", "出席"
    LEAVE = "请假", "请假"
    ABSENT = "缺席", "缺席"


class ComplianceStatus(models.TextChoices):
    MET = "达标", "达标"
    MISSED = "未达标", "未达标"
    OPEN = "进行中", "进行中"


# Organizations that hold organizational life: the ones that keep member files.
MEETING_HOLDING_KINDS = ("党支部", "党总支")
