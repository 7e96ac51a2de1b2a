"""The one API mechanism: every viewset reads and writes through the actor's scope; service errors become 400s."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from .scope import Action


def exception_handler(exc, context):
    """Services raise Django's ValidationError; the API answers it as a 400 with the same Chinese messages."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


class ScopedViewSetMixin:
    """Restricts the queryset with `.restrict(actor, action)`: VIEW for reads, `write_action` for writes.

    Objects outside the scope are simply absent, so they answer 404 exactly like missing ones.
    """

    write_action = Action.MANAGE
    permission_classes = [permissions.IsAuthenticated]

    def base_queryset(self):  # pragma: no cover - interface
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        # Every write runs in one transaction: a refused or failed request changes nothing.
        if request.method in permissions.SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)  # a refused write leaves nothing behind
            return response

    def get_queryset(self):
        action = Action.VIEW if self.request.method in permissions.SAFE_METHODS else self.write_action
        return self.base_queryset().restrict(self.request.user, action)


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Writes go through services: subclasses implement perform_create / perform_update / perform_destroy."""


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object the actor may `action` on; anything else is 'not found', never a leak."""

    def __init__(self, *, model, action=Action.MANAGE, **kwargs):
        self.model = model
        self.action = action
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:  # schema generation: no actor, no rows
            return self.model.objects.none()
        return self.model.objects.restrict(request.user, self.action)
