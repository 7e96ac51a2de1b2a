"""Audit pages in Chinese; the values of events are put in words by core.audit.audit_describe, in the view."""

from django import template

from core.audit import SOURCE_LABELS

register = template.Library()


@register.filter
def source_label(value: str) -> str:
    return SOURCE_LABELS.get(value, value)
