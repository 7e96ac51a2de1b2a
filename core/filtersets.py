import django_filters

from organizations.models import Organization

from .audit import ACTION_LABELS, OBJECT_TYPES
from .models import AuditEvent
from .scope import subtree_q


class AuditEventFilterSet(django_filters.FilterSet):
    org = django_filters.CharFilter(label="组织代码（含下级）", method="filter_org")
    actor_name = django_filters.CharFilter(label="操作人账号", lookup_expr="icontains")
    action = django_filters.ChoiceFilter(label="操作", choices=list(ACTION_LABELS.items()), empty_label="全部")
    object_repr = django_filters.CharFilter(label="对象名称", lookup_expr="icontains")
    object_type = django_filters.ChoiceFilter(label="对象类型", choices=list(OBJECT_TYPES.items()), empty_label="全部")
    date_from = django_filters.DateFilter(label="起始日期", field_name="at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(label="截止日期", field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AuditEvent
        fields = ["org", "actor_name", "action", "object_repr", "object_type", "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            css = "form-select form-select-sm" if name in ("action", "object_type") else "form-control form-control-sm"
            field.widget.attrs["class"] = css
            if name.startswith("date_"):
                field.widget.input_type = "date"

    def filter_org(self, queryset, name, value):
        org = Organization.objects.filter(code=value.strip()).only("path").first()
        if org is None:
            return queryset.none()
        return queryset.filter(subtree_q("org_path", [org.path]))
