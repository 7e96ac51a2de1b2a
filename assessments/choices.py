"""The vocabulary of the annual assessment (domain.md, "Annual assessment, rankings and 三个一律")."""

from decimal import Decimal

from django.db import models


class Grade(models.IntegerChoices):
    """等次, best first: a smaller number is a better grade ("got better" compares numbers)."""

    GOOD = 1, "好"
    FAIR = 2, "较好"
    AVERAGE = 3, "一般"
    POOR = 4, "差"


class SchemeStatus(models.TextChoices):
    """draft → computed → published. Any change of a score or setting sends a computed scheme back to draft."""

    DRAFT = "draft", "待计算"
    COMPUTED = "computed", "已计算"
    PUBLISHED = "published", "已发布"


class IndicatorMethod(models.TextChoices):
    MANUAL = "manual", "人工评分"
    COMPUTED = "computed", "系统计算"


class Side(models.TextChoices):
    """述职评议的上评下议."""

    UPPER = "upper", "上级评议"
    LOWER = "lower", "下级评议"


class Vote(models.TextChoices):
    GOOD = "good", "好"
    FAIR = "fair", "较好"
    AVERAGE = "average", "一般"
    POOR = "poor", "差"


class Rule(models.IntegerChoices):
    """三个一律, in the order of seed 000 and of the penalties export."""

    FAILED = 1, "不合格"
    NOT_MOVED_UP = 2, "连续两年未晋位升级"
    BOTTOM = 3, "连续三年后三名"


CONSEQUENCES = {
    Rule.FAILED: "年度内不得提拔重用",
    Rule.NOT_MOVED_UP: "不得评先评优",
    Rule.BOTTOM: "调整岗位或降职",
}

YEAR_WORDS = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五"}


def rule_label(rule: int, years: int) -> str:
    """The rule's name as the export spells it; a county that changed the number of years reads its own number."""
    if rule == Rule.NOT_MOVED_UP:
        return f"连续{YEAR_WORDS.get(years, years)}年未晋位升级"
    if rule == Rule.BOTTOM:
        return f"连续{YEAR_WORDS.get(years, years)}年后三名"
    return Rule(rule).label


# The default scheme (formats.md, 考核得分): 好 ≥ 90, 较好 ≥ 80, 一般 ≥ 60, 差 below; no quota for 好.
DEFAULT_GOOD_MIN = Decimal("90.00")
DEFAULT_FAIR_MIN = Decimal("80.00")
DEFAULT_PASS_MIN = Decimal("60.00")
# Points a vote is worth in the duty-report appraisal (a configurable default).
DEFAULT_VOTE_POINTS = {
    Vote.GOOD: Decimal(100),
    Vote.FAIR: Decimal(80),
    Vote.AVERAGE: Decimal(60),
    Vote.POOR: Decimal(0),
}
MAX_TOTAL = Decimal("100.00")
FIRST_YEAR = 2000
