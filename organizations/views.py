"""Organization pages: the tree on the left (lazy, searchable), a list or one organization on the right.

Reads go through selectors with the actor, writes through services; anything outside the actor's scope is 404.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from core.audit import ACTION_LABELS, SOURCE_LABELS, audit_describe
from core.exceptions import NotInScope, id_from
from core.idnumber import IdNumberError
from core.models import AuditEvent
from core.scope import Action, in_scope
from core.views import ScopedListView, apply_service_errors
from funding.views.summaries import organization_funding
from supervision.selectors.findings import organization_findings

from . import selectors, services
from .choices import Domain, OrgKind, PostTitle
from .filtersets import OrganizationFilterSet, PostFilterSet
from .forms import OrganizationForm, OrganizationMoveForm, PostCreateForm, PostEditForm
from .models import Organization

SEARCH_LIMIT = 30
AUDIT_LIMIT = 20
ORG_OBJECT_TYPE = "organizations.organization"
TITLE_ORDER = {value: i for i, value in enumerate(PostTitle.values)}


def _visible_ancestors(actor, org: Organization) -> list[Organization]:
    """The ancestors the actor may see: a township's staff see their township, not the county above it."""
    return [a for a in selectors.ancestors(org) if in_scope(actor, Action.VIEW, a.path)]


def tree_context(actor, selected: Organization | None = None, *, crumbs=None, open_on_phone: bool = False) -> dict:
    """The left panel: the actor's scope roots, with the path down to `selected` (and its children) expanded.

    `crumbs` are the visible ancestors of `selected` when the caller has them already. The expanded levels come in
    one query, whatever the depth. The panel starts folded on phones unless `open_on_phone`.
    """
    roots = list(selectors.scope_roots(actor=actor).order_by("code"))
    if selected is not None:
        if crumbs is None:
            crumbs = _visible_ancestors(actor, selected)
        chain = [*crumbs, selected]
        children = selectors.organization_list(actor=actor).filter(parent_id__in=[o.pk for o in chain]).order_by("code")
        by_parent: dict[int, list[Organization]] = {}
        for child in children:
            by_parent.setdefault(child.parent_id, []).append(child)
        stack = list(roots)
        while stack:
            node = stack.pop()
            if node.pk in by_parent:
                node.loaded_children = by_parent[node.pk]
                node.expanded = True
                stack.extend(node.loaded_children)
    return {"tree_roots": roots, "selected_id": selected.pk if selected else None, "tree_open": open_on_phone}


class TreeChildrenView(LoginRequiredMixin, View):
    """`<li>` fragments of one node's children, loaded by htmx when the node is first expanded."""

    def get(self, request):
        parent = selectors.organization_get_for(request.user, id_from(request.GET.get("parent")))
        nodes = selectors.children_of(actor=request.user, parent=parent)
        return render(request, "organizations/_tree_nodes.html", {"nodes": nodes, "empty_message": "无下级组织"})


class TreeSearchView(LoginRequiredMixin, View):
    """Organizations whose name or code contains the query, each with its path from the actor's scope root."""

    def get(self, request):
        query = (request.GET.get("q") or "").strip()
        if not query:
            return HttpResponse("")
        results = list(selectors.organization_search(actor=request.user, query=query, limit=SEARCH_LIMIT))
        step = Organization.steplen
        paths = {r.path[:i] for r in results for i in range(step, len(r.path), step)}
        names = dict(selectors.organization_list(actor=request.user).filter(path__in=paths).values_list("path", "name"))
        for r in results:
            r.crumbs = [names[r.path[:i]] for i in range(step, len(r.path), step) if r.path[:i] in names]
        return render(
            request,
            "organizations/_tree_search.html",
            {"results": results, "query": query, "truncated": len(results) >= SEARCH_LIMIT},
        )


class OrganizationListView(ScopedListView):
    """The tree page: every organization in scope, or the subtree of `?org=<id>`, filtered and exportable."""

    template_name = "organizations/tree.html"
    filterset_class = OrganizationFilterSet
    export_kind = "organizations"
    selected: Organization | None = None

    def get_base_queryset(self):
        return selectors.organization_list(actor=self.request.user).select_related("parent").order_by("path")

    def get_queryset(self):
        data = self.request.GET.copy()
        data.pop("page", None)
        data.pop("export", None)
        if data.get("org"):
            self.selected = selectors.organization_get_for(self.request.user, id_from(data["org"]))
            data["organization"] = str(self.selected.pk)
        else:
            data.pop("children_only", None)  # "direct children" only means something below a chosen organization
        self.filterset = self.filterset_class(data or None, queryset=self.get_base_queryset(), request=self.request)
        return self.filterset.qs if self.filterset.is_bound else self.filterset.queryset

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        crumbs = _visible_ancestors(user, self.selected) if self.selected is not None else []
        ctx.update(tree_context(user, self.selected, crumbs=crumbs, open_on_phone=True))
        ctx["selected"] = self.selected
        ctx["crumbs"] = crumbs
        form = self.filterset.form
        ctx["children_only"] = bool(self.filterset.is_bound and form.is_valid() and form.cleaned_data["children_only"])
        if self.selected is not None:
            ctx["can_manage"] = in_scope(user, Action.MANAGE, self.selected.path)
        return ctx


def _audit_rows(org: Organization) -> list[dict]:
    """The latest changes of this organization, each with its changed fields in words (the tree path left out)."""
    events = AuditEvent.objects.filter(object_type=ORG_OBJECT_TYPE, object_id=str(org.pk)).order_by("-at", "-id")
    return [
        {
            "event": e,
            "label": ACTION_LABELS.get(e.action, e.action),
            "source": SOURCE_LABELS.get(e.source, e.source),
            "changes": [c for c in e.changes if c.field != "path"],
        }
        for e in audit_describe(events[:AUDIT_LIMIT])
    ]


class OrganizationDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        user = request.user
        org = selectors.organization_get_for(user, pk)
        posts = list(selectors.post_list(actor=user).filter(organization=org))
        current = sorted((p for p in posts if p.is_current), key=lambda p: (TITLE_ORDER.get(p.title, 99), p.start_on))
        history = sorted((p for p in posts if not p.is_current), key=lambda p: (p.end_on, p.start_on), reverse=True)
        counts = selectors.subtree_counts(org)
        crumbs = _visible_ancestors(user, org)
        ctx = {
            "org": org,
            "crumbs": crumbs,
            "can_manage": in_scope(user, Action.MANAGE, org.path),
            "counts": counts,
            "kind_counts": [(k, counts["by_kind"][k]) for k in OrgKind.values if counts["by_kind"].get(k)],
            "domain_counts": [(d, counts["by_domain"][d]) for d in Domain.values if counts["by_domain"].get(d)],
            "current_posts": current,
            "past_posts": history,
            "audit_rows": _audit_rows(org),
            "findings": organization_findings(actor=user, organization=org),
            "funding": organization_funding(actor=user, organization=org),
            **tree_context(user, org, crumbs=crumbs),
        }
        return render(request, "organizations/detail.html", ctx)


class OrganizationCreateView(LoginRequiredMixin, View):
    """A new organization directly below `parent_pk`."""

    template_name = "organizations/organization_form.html"

    def context(self, parent, form):
        return {
            "form": form,
            "parent": parent,
            "title": f"新增下级组织 · {parent.name}",
            "cancel_url": reverse("organizations:detail", args=[parent.pk]),
            **tree_context(self.request.user, parent),
        }

    def get(self, request, parent_pk):
        parent = selectors.organization_get_for(request.user, parent_pk, Action.MANAGE)
        initial = {"code": parent.code, "domain": parent.domain}
        if parent.kind in (OrgKind.GENERAL_BRANCH, OrgKind.BRANCH):
            initial["kind"] = OrgKind.BRANCH
        return render(request, self.template_name, self.context(parent, OrganizationForm(initial=initial)))

    def post(self, request, parent_pk):
        parent = selectors.organization_get_for(request.user, parent_pk, Action.MANAGE)
        form = OrganizationForm(request.POST)
        if form.is_valid():
            try:
                org = services.organization_create(actor=request.user, parent=parent, **form.service_fields())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已新增组织“{org.name}”。")
                return redirect("organizations:detail", pk=org.pk)
        return render(request, self.template_name, self.context(parent, form))


class OrganizationEditView(LoginRequiredMixin, View):
    template_name = "organizations/organization_form.html"

    def context(self, org, form):
        return {
            "form": form,
            "org": org,
            "title": f"编辑组织 · {org.name}",
            "cancel_url": reverse("organizations:detail", args=[org.pk]),
            **tree_context(self.request.user, org),
        }

    def get(self, request, pk):
        org = selectors.organization_get_for(request.user, pk, Action.MANAGE)
        return render(request, self.template_name, self.context(org, OrganizationForm(instance=org)))

    def post(self, request, pk):
        org = selectors.organization_get_for(request.user, pk, Action.MANAGE)
        # The form validates a copy: the service must see the unchanged organization to audit "before" correctly.
        form = OrganizationForm(request.POST, instance=copy.copy(org))
        if form.is_valid():
            try:
                org = services.organization_update(actor=request.user, organization=org, **form.service_fields())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已保存组织“{org.name}”。")
                return redirect("organizations:detail", pk=org.pk)
        return render(request, self.template_name, self.context(org, form))


class OrganizationMoveView(LoginRequiredMixin, View):
    """Move an organization with its whole subtree under another organization the actor manages."""

    template_name = "organizations/organization_move.html"

    def context(self, org, form):
        crumbs = _visible_ancestors(self.request.user, org)
        return {
            "form": form,
            "org": org,
            "crumbs": crumbs,
            "moving_count": selectors.subtree_counts(org)["total"],
            **tree_context(self.request.user, org, crumbs=crumbs),
        }

    def get(self, request, pk):
        org = selectors.organization_get_for(request.user, pk, Action.MANAGE)
        return render(request, self.template_name, self.context(org, OrganizationMoveForm()))

    def post(self, request, pk):
        org = selectors.organization_get_for(request.user, pk, Action.MANAGE)
        form = OrganizationMoveForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["parent"]
            try:
                new_parent = selectors.organization_by_code_for(request.user, code, Action.MANAGE)
            except NotInScope:
                form.add_error("parent", f"未找到组织代码为“{code}”的组织，或该组织不在您的管理范围内。")
            else:
                try:
                    org = services.organization_move(actor=request.user, organization=org, new_parent=new_parent)
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                else:
                    messages.success(request, f"已将“{org.name}”移至“{new_parent.name}”之下。")
                    return redirect("organizations:detail", pk=org.pk)
        return render(request, self.template_name, self.context(org, form))


class PostListView(ScopedListView):
    template_name = "organizations/post_list.html"
    filterset_class = PostFilterSet
    export_kind = "posts"

    def get_base_queryset(self):
        return selectors.post_list(actor=self.request.user).order_by("organization__path", "title", "-start_on", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        scope_org = None
        if self.request.GET.get("organization"):
            scope_org = selectors.organization_get_for(user, id_from(self.request.GET["organization"]))
        ctx["scope_org"] = scope_org
        ctx["manageable"] = {p.pk for p in ctx["object_list"] if in_scope(user, Action.MANAGE, p.organization.path)}
        return ctx


class PostCreateView(LoginRequiredMixin, View):
    """Record a post: the person is matched by ID number (registered if new), then the post is added."""

    template_name = "organizations/post_form.html"

    def context(self, org, form):
        return {
            "form": form,
            "org": org,
            "title": f"新增职务 · {org.name}",
            "cancel_url": reverse("organizations:detail", args=[org.pk]),
            **tree_context(self.request.user, org),
        }

    def get(self, request, org_pk):
        org = selectors.organization_get_for(request.user, org_pk, Action.MANAGE)
        return render(request, self.template_name, self.context(org, PostCreateForm()))

    def post(self, request, org_pk):
        org = selectors.organization_get_for(request.user, org_pk, Action.MANAGE)
        form = PostCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                post = services.post_appoint(
                    actor=request.user,
                    organization=org,
                    name=data["name"],
                    id_number=data["id_number"],
                    title=data["title"],
                    start_on=data["start_on"],
                    end_on=data["end_on"],
                )
            except IdNumberError as exc:
                form.add_error("id_number", f"身份证号有误：{exc}。")
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已登记 {post.person.name} 任 {org.name} {post.title}。")
                return redirect("organizations:detail", pk=org.pk)
        return render(request, self.template_name, self.context(org, form))


class PostEditView(LoginRequiredMixin, View):
    template_name = "organizations/post_form.html"

    def context(self, post, form):
        org = post.organization
        return {
            "form": form,
            "org": org,
            "post": post,
            "title": f"编辑职务 · {post.person.name}（{org.name}）",
            "cancel_url": reverse("organizations:detail", args=[org.pk]),
            **tree_context(self.request.user, org),
        }

    def get(self, request, pk):
        post = selectors.post_get_for(request.user, pk, Action.MANAGE)
        return render(request, self.template_name, self.context(post, PostEditForm(instance=post)))

    def post(self, request, pk):
        post = selectors.post_get_for(request.user, pk, Action.MANAGE)
        form = PostEditForm(request.POST, instance=copy.copy(post))
        if form.is_valid():
            try:
                post = services.post_update(actor=request.user, post=post, **form.service_fields())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已保存 {post.person.name} 的职务信息。")
                return redirect("organizations:detail", pk=post.organization_id)
        return render(request, self.template_name, self.context(post, form))


class PostDeleteView(LoginRequiredMixin, View):
    """Remove a post recorded in error. POST only; the button asks for confirmation (data-confirm)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        post = selectors.post_get_for(request.user, pk, Action.MANAGE)
        org_pk = post.organization_id
        try:
            services.post_delete(actor=request.user, post=post)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已删除 {post.person.name} 的{post.title}职务记录。")
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("organizations:detail", pk=org_pk)
