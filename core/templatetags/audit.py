"""Show audit values the way a clerk reads them: Chinese field names, 是/否, no Python syntax."""

from django import template
from django.apps import apps

from core.audit import SOURCE_LABELS

register = template.Library()

# Keys that are not model fields (grants, jobs) or that the model leaves in English.
EXTRA_LABELS = {"path": "树路径", "filename": "文件名", "role": "角色", "organization": "组织"}


@register.filter
def source_label(value: str) -> str:
    return SOURCE_LABELS.get(value, value)


def _labels(object_type: str) -> dict:
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    return {f.name: str(f.verbose_name) for f in model._meta.get_fields() if hasattr(f, "verbose_name")}


def _text(value) -> str:
    from accounts.choices import Role

    if isinstance(value, str) and value in Role.values:
        return Role(value).label
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None or value == "":
        return "（空）"
    return str(value)


@register.filter
def audit_values(values, object_type: str) -> str:
    """'组织代码：T3；组织名称：新村党支部' for {'code': 'T3', 'name': '新村党支部'}."""
    if not values:
        return ""
    if not isinstance(values, dict):
        return _text(values)
    labels = {**_labels(object_type), **EXTRA_LABELS}
    return "；".join(f"{labels.get(k, k)}：{_text(v)}" for k, v in values.items())
