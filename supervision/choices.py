from django.db import models


class AssignmentStatus(models.TextChoices):
    """Where one organization stands on a dispatched task."""

    PENDING = "待办理", "待办理"
    REPORTED = "已上报", "已上报"  # completion reported, waiting for the sender's review
    RETURNED = "已退回", "已退回"  # the sender sent it back with a comment; report again
    ACCEPTED = "已通过", "已通过"


class FindingSource(models.TextChoices):
    INSPECTION = "督查", "督查"
    UNANNOUNCED = "暗访", "暗访"
    DUTY_REVIEW = "述职点评", "述职点评"
    PATROL = "巡察", "巡察"
    SYSTEM = "系统检查", "系统检查"


class FindingCategory(models.TextChoices):
    """The kind of problem: "the same kind for the same organization in the next year" is a repeated finding."""

    MEETINGS = "组织生活", "组织生活"
    TEAM = "班子建设", "班子建设"
    ELECTION = "换届选举", "换届选举"
    MEMBERS = "党员管理", "党员管理"
    DEVELOPMENT = "发展党员", "发展党员"
    RECORDS = "台账资料", "台账资料"
    FORMALISM = "形式主义", "形式主义"
    FUNDS = "经费保障", "经费保障"
    VENUE = "阵地建设", "阵地建设"
    DISPATCH = "驻村帮扶", "驻村帮扶"
    OTHER = "其他", "其他"


class Severity(models.TextChoices):
    MINOR = "一般", "一般"
    MAJOR = "较重", "较重"
    SEVERE = "严重", "严重"


class FindingStatus(models.TextChoices):
    """The rectification workflow, one step at a time: 待整改 → 整改中 → 已整改 → 已销号 (signed off above)."""

    OPEN = "待整改", "待整改"
    IN_PROGRESS = "整改中", "整改中"
    RECTIFIED = "已整改", "已整改"
    CLOSED = "已销号", "已销号"


OPEN_FINDING_STATUSES = (FindingStatus.OPEN, FindingStatus.IN_PROGRESS)


class FindingStep(models.TextChoices):
    """What happened to a finding; each step moves it from one status to the next (or back)."""

    CREATE = "登记", "登记"
    START = "开始整改", "开始整改"
    REPORT = "报告整改完成", "报告整改完成"
    SIGN_OFF = "销号", "销号"
    SEND_BACK = "退回重改", "退回重改"
    NOTE = "补充说明", "补充说明"


# (from status, step) → to status. Anything not here is a skipped step and is refused.
FINDING_TRANSITIONS = {
    (FindingStatus.OPEN, FindingStep.START): FindingStatus.IN_PROGRESS,
    (FindingStatus.IN_PROGRESS, FindingStep.REPORT): FindingStatus.RECTIFIED,
    (FindingStatus.RECTIFIED, FindingStep.SIGN_OFF): FindingStatus.CLOSED,
    (FindingStatus.RECTIFIED, FindingStep.SEND_BACK): FindingStatus.IN_PROGRESS,
}


class CheckKind(models.TextChoices):
    """The nightly checks; each finding they raise names its check (and its category follows)."""

    DUPLICATE_SPEECH = "duplicate_speech", "发言材料雷同"
    DUPLICATE_REPORT = "duplicate_report", "思想汇报雷同"
    CERTIFICATE_DATES = "certificate_dates", "培训证书日期与培训不符"
    ATTENDANCE_DATES = "attendance_dates", "参会人员不在党籍期内"
    DISPATCH_DATES = "dispatch_dates", "驻村考勤不在派驻期内"
    MEETING_OVERLAP = "meeting_overlap", "同一时间两地参会"
    BACKFILLED = "backfilled", "会议补录"
    ELECTION_OVERDUE = "election_overdue", "换届逾期"
    MEETING_MISSING = "meeting_missing", "规定会议缺失"
    FUNDS_LATE = "funds_late", "经费未按期拨付到位"
    FUNDS_BELOW_STANDARD = "funds_below_standard", "经费低于县定标准"


CHECK_CATEGORY = {
    CheckKind.DUPLICATE_SPEECH: FindingCategory.FORMALISM,
    CheckKind.DUPLICATE_REPORT: FindingCategory.FORMALISM,
    CheckKind.CERTIFICATE_DATES: FindingCategory.RECORDS,
    CheckKind.ATTENDANCE_DATES: FindingCategory.RECORDS,
    CheckKind.DISPATCH_DATES: FindingCategory.DISPATCH,
    CheckKind.MEETING_OVERLAP: FindingCategory.FORMALISM,
    CheckKind.BACKFILLED: FindingCategory.MEETINGS,
    CheckKind.ELECTION_OVERDUE: FindingCategory.ELECTION,
    CheckKind.MEETING_MISSING: FindingCategory.MEETINGS,
    CheckKind.FUNDS_LATE: FindingCategory.FUNDS,
    CheckKind.FUNDS_BELOW_STANDARD: FindingCategory.FUNDS,
}


class DispatchRole(models.TextChoices):
    FIRST_SECRETARY = "第一书记", "第一书记"
    TEAM_MEMBER = "工作队员", "工作队员"


class TermStatus(models.TextChoices):
    """Where an organization's committee term stands (换届提醒)."""

    OVERDUE = "已逾期", "已逾期"
    WITHIN_MONTH = "1个月内到期", "1个月内到期"
    WITHIN_HALF_YEAR = "6个月内到期", "6个月内到期"
