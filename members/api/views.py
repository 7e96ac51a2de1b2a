from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedModelViewSet
from core.scope import Action

from .. import services
from ..filtersets import MemberFilterSet
from ..models import Member
from .serializers import MemberSerializer, MemberStatusSerializer, MemberTransferSerializer, MemberUpdateSerializer


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """The service's field names as the request spells them (the service says `branch`, the API `branch_id`)."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()})


class MemberViewSet(ScopedModelViewSet):
    """Member files of the caller's subtree. Reads need VIEW, writes CHANGE on the member's branch; ID and phone
    numbers are only ever returned masked. Transfers and status changes are explicit actions."""

    filterset_class = MemberFilterSet
    write_action = Action.CHANGE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return Member.objects.select_related("person", "branch").order_by("id")

    def get_serializer_class(self):
        if self.action == "partial_update":
            return MemberUpdateSerializer
        if self.action == "transfer":
            return MemberTransferSerializer
        if self.action == "status":
            return MemberStatusSerializer
        return MemberSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        person = data.pop("person")
        serializer.instance = services.member_create(
            actor=self.request.user, name=person["name"], id_number=data.pop("id_number"), **data
        )

    def perform_update(self, serializer):
        fields = {k: v for k, v in serializer.validated_data.items() if k in services.MEMBER_UPDATE_FIELDS}
        serializer.instance = services.member_update(actor=self.request.user, member=serializer.instance, **fields)

    def _step(self, request, serializer_class, names=None):
        member = self.get_object()
        context = {**self.get_serializer_context(), "member": member}
        serializer = serializer_class(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        try:
            member = serializer.save()
        except ValidationError as exc:
            raise _renamed(exc, names or {}) from None
        return Response(MemberSerializer(member, context=self.get_serializer_context()).data)

    @extend_schema(request=MemberTransferSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Transfer the member to another branch (组织关系转接): the old membership ends the day before `on`."""
        return self._step(request, MemberTransferSerializer, {"branch": "branch_id"})

    @extend_schema(request=MemberStatusSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Record a change of 党籍状态 (流出, 失联, 死亡, …) with its date."""
        return self._step(request, MemberStatusSerializer)
