"""REST endpoints of supervision: tasks (党建任务流水派送).

/api/tasks/ lists the tasks the caller sent or received and dispatches new ones; /api/task-assignments/ lists the
receivers' copies, takes their reports and the sender's review. Reads are scoped like the pages (out of scope = 404);
every write calls a supervision.services.tasks service, which checks the scope again, runs in one transaction and
writes the audit rows."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api import ScopedViewSetMixin
from core.exceptions import NotInScope
from core.scope import Action
from organizations.models import Organization

from ..filtersets.tasks import AssignmentFilterSet, TaskFilterSet
from ..models import TaskAttachment, TaskEvidence
from ..selectors import tasks as selectors
from ..services import tasks as services
from .tasks_serializers import (
    AssignmentSerializer,
    ReportSerializer,
    ReviewSerializer,
    TaskCreateSerializer,
    TaskDetailSerializer,
    TaskSerializer,
)

PARSERS = [JSONParser, MultiPartParser, FormParser]


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """The service's field names as the request spells them (the service says `files`, the request `file`)."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()})


def _call(service, names: dict[str, str], **kwargs):
    try:
        return service(**kwargs)
    except ValidationError as exc:
        raise _renamed(exc, names) from None


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class TaskViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tasks the caller sent (its scope holds the sender) or received (its scope holds a receiver), with the counts
    of the assignments it sees. POST dispatches a task through supervision.services.tasks.task_dispatch."""

    filterset_class = TaskFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        # Not `.restrict` on the sender alone: a receiver sees the tasks sent to it as well.
        user = self.request.user
        qs = selectors.with_counts(selectors.task_list(actor=user), actor=user).select_related("created_by")
        if self.action == "retrieve":
            qs = qs.prefetch_related(Prefetch("attachments", queryset=TaskAttachment.objects.order_by("id")))
        return qs.order_by("-created_at", "-id")

    def get_serializer_class(self):
        return {"retrieve": TaskDetailSerializer, "create": TaskCreateSerializer}.get(self.action, TaskSerializer)

    def get_parsers(self):
        return [p() for p in PARSERS] if getattr(self, "action", None) == "create" else super().get_parsers()

    @extend_schema(
        request={"application/json": TaskCreateSerializer, "multipart/form-data": TaskCreateSerializer},
        responses={201: TaskDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Send a task from `sender` to the organizations `targets` (ids). Targets outside the sender's subtree or
        the caller's management scope are refused by name and nothing is sent; the deadline is today or later."""
        data = _validated(TaskCreateSerializer, request)
        user = request.user
        sender = Organization.objects.restrict(user, Action.VIEW).filter(pk=data["sender"]).first()
        if sender is None:
            raise NotInScope()
        wanted = list(dict.fromkeys(data["targets"]))
        found = {o.pk: o for o in Organization.objects.restrict(user, Action.VIEW).filter(pk__in=wanted)}
        missing = [str(pk) for pk in wanted if pk not in found]
        if missing:
            raise exceptions.ValidationError(
                {"targets": [f"组织编号 {'、'.join(missing[:10])} 不存在或不在您的范围内。"]}
            )
        task = _call(
            services.task_dispatch,
            {"files": "file"},
            actor=user,
            sender=sender,
            title=data["title"],
            body=data["body"],
            deadline=data["deadline"],
            targets=[found[pk] for pk in wanted],
            targets_note=data.get("targets_note", ""),
            files=data.get("file") or [],
        )
        fresh = self.get_queryset().filter(pk=task.pk).prefetch_related("attachments").first()
        if fresh is None:
            raise NotInScope()
        return Response(
            TaskDetailSerializer(fresh, context=self.get_serializer_context()).data, status.HTTP_201_CREATED
        )


class TaskAssignmentViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The receivers' copies of tasks in the caller's scope: their status, report, evidence and review.
    `?received=true` keeps the caller's own to-do (its organizations, tasks it does not review itself)."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        # VIEW for the workflow steps too: the services tell a read-only account (403) from one outside (404).
        return (
            selectors.assignment_list(actor=self.request.user)
            .select_related("reported_by", "reviewed_by")
            .prefetch_related(Prefetch("evidence", queryset=TaskEvidence.objects.order_by("id")))
            .order_by("-task__deadline", "-task_id", "organization__path")
        )

    def get_parsers(self):
        return [p() for p in PARSERS] if getattr(self, "action", None) == "report" else super().get_parsers()

    def _fresh(self, assignment) -> dict:
        return AssignmentSerializer(
            self.get_queryset().get(pk=assignment.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(
        request={"application/json": ReportSerializer, "multipart/form-data": ReportSerializer},
        responses={200: AssignmentSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def report(self, request, pk=None):
        """Report completion (again, after a return) through supervision.services.tasks.task_report; a report after
        the deadline is taken and flagged `reported_late`. 403 for a read-only account."""
        assignment = self.get_object()
        data = _validated(ReportSerializer, request)
        assignment = _call(
            services.task_report,
            {"files": "file"},
            actor=request.user,
            assignment=assignment,
            report=data["report"],
            files=data.get("file") or [],
        )
        return Response(self._fresh(assignment))

    @extend_schema(request=ReviewSerializer, responses={200: AssignmentSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def review(self, request, pk=None):
        """The sender's staff accept a reported task or return it with a comment (task_review). 403 for anyone
        else who sees it (the receiver included)."""
        assignment = self.get_object()
        data = _validated(ReviewSerializer, request)
        assignment = _call(
            services.task_review,
            {},
            actor=request.user,
            assignment=assignment,
            accept=data["accept"],
            comment=data.get("comment", ""),
        )
        return Response(self._fresh(assignment))


def register(router) -> None:
    router.register("tasks", TaskViewSet, basename="task")
    router.register("task-assignments", TaskAssignmentViewSet, basename="task-assignment")
