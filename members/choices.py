from django.db import models


class MemberCategory(models.TextChoices):
    FULL = "正式党员", "正式党员"
    PROBATIONARY = "预备党员", "预备党员"


class MemberStatus(models.TextChoices):
    NORMAL = "正常", "正常"
    FLOWED_OUT = "流出", "流出"
    FLOWED_IN = "流入", "流入"
    LOST_CONTACT = "失联", "失联"
    SUSPENDED = "停止党籍", "停止党籍"
    EXPELLED = "出党", "出党"
    DECEASED = "死亡", "死亡"
    TRANSFERRED_OUT = "转出", "转出"


# Members who still belong to the branch's organizational life (counted in structure, attendance, compliance).
ACTIVE_STATUSES = frozenset(
    {MemberStatus.NORMAL, MemberStatus.FLOWED_OUT, MemberStatus.FLOWED_IN, MemberStatus.LOST_CONTACT}
)


class Education(models.TextChoices):
    POSTGRADUATE = "研究生", "研究生"
    BACHELOR = "大学本科", "大学本科"
    COLLEGE = "大学专科", "大学专科"
    SECONDARY_VOCATIONAL = "中专", "中专"
    HIGH_SCHOOL = "高中", "高中"
    JUNIOR_OR_BELOW = "初中及以下", "初中及以下"


class Gender(models.TextChoices):
    MALE = "男", "男"
    FEMALE = "女", "女"


# Youngest age at which one may join the party (党章 art. 1).
MIN_JOIN_AGE = 18


class DevelopmentStage(models.TextChoices):
    """发展党员: the five steps, in order."""

    APPLICANT = "入党申请人", "入党申请人"
    ACTIVIST = "入党积极分子", "入党积极分子"
    TARGET = "发展对象", "发展对象"
    PROBATIONARY = "预备党员", "预备党员"
    FULL = "正式党员", "正式党员"


class FlowDirection(models.TextChoices):
    OUT = "流出", "流出"
    IN = "流入", "流入"


class LostContactStatus(models.TextChoices):
    CANDIDATE = "待确认", "待确认"
    CONFIRMED = "已确认失联", "已确认失联"
    DISMISSED = "已排除", "已排除"
    RESOLVED = "已恢复联系", "已恢复联系"
