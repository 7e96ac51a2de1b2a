"""What the assessment's serializers share: points, raw inputs the services check, inline choices, the call wrapper.

Points go out as strings of Decimal with two places ("85.50") and come in as text or a JSON number: the services parse
them (parse_points), so "85.555" or "120" is refused with the same Chinese message as on the pages. Whole numbers
(weights, vote counts, rule parameters) come in the same way. Choice fields carry their values inline in the schema
(not as shared enum components: other apps serve a `status` or a `source` with other values)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from ..choices import Grade

ID_LIMIT = 2**63 - 1


def call(service, names: dict[str, str] | None = None, **kwargs):
    """Run a service; its field errors keyed by the request's field names (`names`: service name → request name)."""
    try:
        return service(**kwargs)
    except ValidationError as exc:
        if names and hasattr(exc, "error_dict"):
            raise ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()}) from None
        raise


def validated(serializer_class, request, *, partial: bool = False, data=None) -> dict:
    serializer = serializer_class(data=request.data if data is None else data, partial=partial)
    if not serializer.is_valid():
        raise exceptions.ValidationError(serializer.errors)
    return dict(serializer.validated_data)


def points(help_text: str, **kwargs) -> serializers.DecimalField:
    """Points as read: a string of Decimal with two places."""
    return serializers.DecimalField(
        max_digits=9, decimal_places=2, coerce_to_string=True, read_only=True, help_text=help_text, **kwargs
    )


def id_field(help_text: str, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=ID_LIMIT, help_text=help_text, **kwargs)


class _Raw(serializers.CharField):
    """Text or a JSON number, passed to the service as given (trimmed); the service checks it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "example": "85.50"})
class PointsInput(_Raw):
    """Points: a number with at most two decimals (a JSON number is accepted too)."""


@extend_schema_field({"type": "integer"})
class WholeInput(_Raw):
    """A whole number (a JSON number or its text)."""


def inline_choices(choices, description: str, *, integer: bool = False, nullable: bool = False):
    """A read-only choice field whose values are stated in the schema itself, with their labels: a range for whole
    numbers, a pattern for text. (Not an `enum`: drf-spectacular would turn it into a shared component named after
    the field, and `status` is served by several apps with other values.)"""
    values = [value for value, _ in choices]
    listed = "；".join(f"{value} {label}" for value, label in choices)
    schema: dict = {"description": f"{description}：{listed}"}
    if integer:
        schema.update(type="integer", minimum=min(values), maximum=max(values))
    else:
        schema.update(type="string", pattern="^(" + "|".join(values) + ")$")
    if nullable:
        schema["nullable"] = True

    @extend_schema_field(schema)
    class Field(serializers.ReadOnlyField):
        def __init__(self, **kwargs):
            kwargs["help_text"] = f"{kwargs.get('help_text', description)}：{listed}"
            super().__init__(**kwargs)

    return Field


GradeField = inline_choices(Grade.choices, "等次（数字越小越好）", integer=True, nullable=True)


def grade_name(column: str, help_text: str = "等次名称：好、较好、一般、差（无等次为空）") -> serializers.CharField:
    """The label of a grade column, from the model's get_<column>_display (null where there is no grade)."""
    return serializers.CharField(source=f"get_{column}_display", read_only=True, allow_null=True, help_text=help_text)
