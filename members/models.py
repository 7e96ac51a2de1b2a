"""People and, from the members capability on, their party member files."""

from django.db import models
from django.utils import timezone

from core import crypto


class Person(models.Model):
    """A person known by citizen ID number. The number is stored encrypted; lookups go through a keyed digest."""

    name = models.CharField("姓名", max_length=50, db_index=True)
    id_number_digest = models.CharField("身份证号摘要", max_length=64, unique=True)
    id_number_encrypted = models.TextField("身份证号（加密）")
    id_number_masked = models.CharField("身份证号（脱敏）", max_length=18, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=[("男", "男"), ("女", "女")])
    birth_date = models.DateField("出生日期")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name

    @property
    def id_number(self) -> str:
        """The full number. Callers showing it to a user must audit the view (see members.services)."""
        return crypto.decrypt(self.id_number_encrypted)
