"""评星定级: a yearly total earns the highest level whose minimum it reaches (defaults from the data migration)."""

from decimal import Decimal

import pytest

from members.models import StarRule
from members.rules import star_for


@pytest.mark.django_db
@pytest.mark.parametrize(
    "total, expected",
    [
        ("59.9", (0, "不合格")),
        ("60", (1, "一星")),
        ("69.9", (1, "一星")),
        ("70", (2, "二星")),
        ("95.9", (4, "四星")),
        ("96", (5, "五星")),
        ("120", (5, "五星")),
        ("-3", (0, "不合格")),
    ],
)
def test_default_thresholds(total, expected):
    rules = StarRule.objects.values_list("min_points", "stars", "label")
    assert star_for(Decimal(total), list(rules)) == expected


def test_county_defined_thresholds_in_any_order():
    rules = [(Decimal("85"), 3, "优秀"), (Decimal("50"), 1, "合格"), (Decimal("70"), 2, "良好")]
    assert star_for(Decimal("49"), rules) == (0, "不合格")
    assert star_for(Decimal("70"), rules) == (2, "良好")
    assert star_for(Decimal("84.9"), rules) == (2, "良好")
