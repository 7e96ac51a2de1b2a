from django.db import models


class RecordType(models.TextChoices):
    """The 记录类型 column of the 经费 sheet."""

    ALLOCATION = "下达", "下达"
    DISBURSEMENT = "拨付", "拨付"
    EXPENDITURE = "支出", "支出"


class StandardBasis(models.TextChoices):
    """How a standard's minimum is stated: a fixed amount, or a multiple of the year's rural per-capita income
    (secretary pay at least N times it)."""

    FIXED = "fixed", "固定金额"
    INCOME_MULTIPLE = "income_multiple", "农村居民人均可支配收入的倍数"


# The categories and sources a new county starts with (domain.md "Funding"); the county edits them afterwards.
DEFAULT_CATEGORIES = [
    ("村级组织运转经费", 30),
    ("村干部报酬", 30),
    ("离任村主职干部生活补助", 30),
    ("服务群众专项经费", 60),
    ("村级规范化建设资金", 90),
    ("党建阵地（活动场所）建设", 90),
    ("党内关爱帮扶资金", 30),
    ("“两新”组织党建工作经费", 60),
    ("党员教育培训经费", 60),
]
DEFAULT_SOURCES = ["中央财政", "省财政", "市财政", "县财政", "乡镇", "党费"]
