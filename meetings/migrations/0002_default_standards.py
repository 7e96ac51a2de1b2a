"""Default minimum frequencies of 三会一课 (2018 中国共产党支部工作条例（试行）and common practice); the county edits them."""

from django.db import migrations

DEFAULTS = [
    ("支部党员大会", "quarter", 1, "", ""),
    ("支部委员会会议", "month", 1, "committee", "不设支部委员会（正式党员不足 7 人）的支部免于此项"),
    ("党小组会", "month", 1, "party_groups", "只适用于设党小组的支部"),
    ("党课", "quarter", 1, "", ""),
    ("主题党日", "month", 1, "", ""),
    ("组织生活会", "year", 1, "", "一般在第四季度召开"),
    ("民主评议党员", "year", 1, "", ""),
]


def add_defaults(apps, schema_editor):
    MeetingStandard = apps.get_model("meetings", "MeetingStandard")
    for kind, period_type, min_count, exemption, note in DEFAULTS:
        MeetingStandard.objects.get_or_create(
            kind=kind,
            defaults={"period_type": period_type, "min_count": min_count, "exemption": exemption, "note": note},
        )


def remove_defaults(apps, schema_editor):
    apps.get_model("meetings", "MeetingStandard").objects.filter(kind__in=[d[0] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
