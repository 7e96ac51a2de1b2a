import django_filters
from django import forms
from django.db.models import Q

from .choices import Role
from .models import User


class AccountFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="账号或姓名", method="filter_q")
    role = django_filters.ChoiceFilter(
        label="角色", choices=Role.choices, field_name="grants__role", distinct=True, empty_label="全部"
    )
    is_active = django_filters.BooleanFilter(
        label="状态", widget=forms.Select(choices=[("", "全部"), ("true", "启用"), ("false", "停用")])
    )

    class Meta:
        model = User
        fields = ["q", "role", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            field.widget.attrs["class"] = (
                "form-control form-control-sm" if name == "q" else "form-select form-select-sm"
            )

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(username__icontains=value) | Q(full_name__icontains=value))
