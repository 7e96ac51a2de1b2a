"""Default 评星定级 thresholds (the county edits them): below 60 不合格, 60–69 one star … 96 and above five stars."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    (Decimal("0"), 0, "不合格"),
    (Decimal("60"), 1, "一星"),
    (Decimal("70"), 2, "二星"),
    (Decimal("80"), 3, "三星"),
    (Decimal("90"), 4, "四星"),
    (Decimal("96"), 5, "五星"),
]


def add_defaults(apps, schema_editor):
    StarRule = apps.get_model("members", "StarRule")
    if not StarRule.objects.exists():
        StarRule.objects.bulk_create([StarRule(min_points=p, stars=s, label=label) for p, s, label in DEFAULTS])


def remove_defaults(apps, schema_editor):
    StarRule = apps.get_model("members", "StarRule")
    for points, stars, label in DEFAULTS:
        StarRule.objects.filter(min_points=points, stars=stars, label=label).delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0003_development_training_points_flow")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
