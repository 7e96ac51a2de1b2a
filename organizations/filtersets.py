"""Filters for organizations and posts, shared by the list pages and the REST API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from core.scope import Action, subtree_q

from .choices import Domain, OrgKind, PostTitle
from .models import Organization, Post

SELECT_CSS = "form-select form-select-sm"
INPUT_CSS = "form-control form-control-sm"
CHECK_CSS = "form-check-input"


def _style(form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", CHECK_CSS)
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", SELECT_CSS)
        else:
            widget.attrs.setdefault("class", INPUT_CSS)


def _organization_for(filterset, value) -> Organization | None:
    """The organization named by id, looked up inside the requesting user's scope where there is a request."""
    qs = Organization.objects.all()
    request = getattr(filterset, "request", None)
    if request is not None:
        qs = qs.restrict(request.user, Action.VIEW)
    try:
        return qs.filter(pk=int(value)).only("id", "path").first()
    except (TypeError, ValueError):
        return None


class OrganizationFilterSet(django_filters.FilterSet):
    """`organization` includes the whole subtree (the organization itself too); with `children_only`, only the
    organizations directly below it."""

    q = django_filters.CharFilter(label="名称或代码", method="filter_q")
    kind = django_filters.ChoiceFilter(label="组织类型", choices=OrgKind.choices, empty_label="全部类型")
    domain = django_filters.ChoiceFilter(label="所属领域", choices=Domain.choices, empty_label="全部领域")
    assessment_group = django_filters.CharFilter(label="考核类别", lookup_expr="icontains")
    organization = django_filters.NumberFilter(label="所属组织（含下级）", method="filter_organization")
    children_only = django_filters.BooleanFilter(
        label="只看直属下级", method="filter_children_only", widget=forms.CheckboxInput
    )

    class Meta:
        model = Organization
        fields = ["q", "kind", "domain", "assessment_group", "organization", "children_only"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["q"].widget.attrs["placeholder"] = "名称或代码包含…"
        self.form.fields["assessment_group"].widget.attrs["placeholder"] = "如 村（社区）党组织"
        _style(self.form)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))

    def filter_organization(self, queryset, name, value):
        org = _organization_for(self, value)
        if org is None:
            return queryset.none()
        if self.form.cleaned_data.get("children_only"):
            return queryset.filter(parent_id=org.pk)
        return queryset.filter(subtree_q("path", [org.path]))

    def filter_children_only(self, queryset, name, value):
        # Applied together with `organization` (see filter_organization); on its own it means nothing.
        return queryset


class PostFilterSet(django_filters.FilterSet):
    """Posts by organization (code or name, or a whole subtree by id), title, person and whether still held."""

    STATUS_CURRENT = "current"
    STATUS_ENDED = "ended"

    org = django_filters.CharFilter(label="组织名称或代码", method="filter_org")
    title = django_filters.ChoiceFilter(label="职务", choices=PostTitle.choices, empty_label="全部职务")
    person_name = django_filters.CharFilter(label="姓名", field_name="person__name", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(
        label="任职状态",
        choices=[(STATUS_CURRENT, "在任"), (STATUS_ENDED, "已离任")],
        empty_label="全部",
        method="filter_status",
    )
    organization = django_filters.NumberFilter(label="所属组织（含下级）", method="filter_organization")

    class Meta:
        model = Post
        fields = ["org", "title", "person_name", "status", "organization"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["org"].widget.attrs["placeholder"] = "名称或代码包含…"
        self.form.fields["person_name"].widget.attrs["placeholder"] = "姓名包含…"
        _style(self.form)

    def filter_org(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(organization__name__icontains=value) | Q(organization__code__icontains=value))

    def filter_status(self, queryset, name, value):
        today = timezone.localdate()
        if value == self.STATUS_CURRENT:
            return queryset.filter(Q(end_on__isnull=True) | Q(end_on__gte=today))
        if value == self.STATUS_ENDED:
            return queryset.filter(end_on__lt=today)
        return queryset

    def filter_organization(self, queryset, name, value):
        org = _organization_for(self, value)
        if org is None:
            return queryset.none()
        return queryset.filter(subtree_q("organization__path", [org.path]))
