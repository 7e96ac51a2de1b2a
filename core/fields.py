"""Model fields shared by the apps."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models

HUNDREDTH = Decimal("0.01")


class PathField(models.CharField):
    """A materialized path (treebeard alphabet 0-9A-Z). On PostgreSQL it uses the "C" collation: paths are compared
    byte by byte, which is what the prefix ranges need and several times cheaper than a locale collation."""

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class CentiField(models.BigIntegerField):
    """A Decimal with two places in Python, a whole number of hundredths in the database: sums, comparisons and
    window-function rankings are exact integer arithmetic on every database (SQLite would otherwise handle decimals
    as floats, and 89.99 + 0.01 might not equal 90). Money (fen) and assessment points both use it."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else Decimal(int(value)).scaleb(-2)

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        try:
            return Decimal(str(value)).quantize(HUNDREDTH)
        except InvalidOperation:
            raise ValidationError(f"“{value}”不是数字。") from None

    def get_prep_value(self, value):
        if value is None:
            return None
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        hundredths = number * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"{value} has more than two decimal places")
        return int(hundredths)
