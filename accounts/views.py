"""Login and account management pages (admins manage accounts inside their subtree)."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from core.exceptions import NotInScope
from core.scope import Action, scope_paths
from core.views import ScopedListView, apply_service_errors
from core.xlsx.writer import ExportTable
from organizations.selectors import organization_by_code_for

from . import services
from .filtersets import AccountFilterSet
from .forms import AccountCreateForm, AccountEditForm, GrantForm, LoginForm, PasswordChangeForm
from .models import RoleGrant
from .selectors import account_get_for, account_list


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(LoginRequiredMixin, View):
    """修改密码: the owner's own; the one page an account whose password an administrator chose may open first."""

    template_name = "accounts/password_change.html"

    def get(self, request):
        return render(request, self.template_name, {"form": PasswordChangeForm()})

    def post(self, request):
        form = PasswordChangeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.password_change(
                    user=request.user, old_password=data["old_password"], new_password=data["new_password1"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                update_session_auth_hash(request, request.user)  # the other sessions end, this one goes on
                messages.success(request, "密码已修改。")
                return redirect("dashboards:home")
        return render(request, self.template_name, {"form": form})


class AccountManagerMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_superuser or scope_paths(user, Action.MANAGE_ACCOUNTS)):
            raise PermissionDenied("您的角色无权管理账号。")
        return super().dispatch(request, *args, **kwargs)


class AccountListView(AccountManagerMixin, ScopedListView):
    template_name = "accounts/account_list.html"
    filterset_class = AccountFilterSet

    def get_base_queryset(self):
        return account_list(actor=self.request.user)

    def export_table(self, queryset):
        rows = (
            [
                u.username,
                u.full_name,
                u.phone and u.phone[:3] + "****" + u.phone[-4:],
                u.role_labels(),
                "是" if u.is_active else "否",
                u.last_login,
            ]
            for u in queryset
        )
        return ExportTable("accounts", ["账号", "姓名", "联系电话", "角色", "启用", "最近登录"], rows, "accounts.xlsx")


def _org_or_error(form, actor, code):
    try:
        return organization_by_code_for(actor, code, Action.MANAGE_ACCOUNTS)
    except NotInScope:
        form.add_error("org_code", f"组织代码“{code}”不存在或不在您的管理范围内。")
        return None


class AccountCreateView(AccountManagerMixin, View):
    template_name = "accounts/account_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": AccountCreateForm(), "title": "新建账号"})

    def post(self, request):
        form = AccountCreateForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            org = _org_or_error(form, request.user, d["org_code"])
            if org is not None:
                try:
                    user = services.account_create(
                        actor=request.user,
                        username=d["username"],
                        password=d["password"],
                        organization=org,
                        role=d["role"],
                        full_name=d["full_name"],
                        phone=d["phone"],
                    )
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                else:
                    messages.success(request, f"已创建账号“{user.username}”。")
                    return redirect("accounts:detail", pk=user.pk)
        return render(request, self.template_name, {"form": form, "title": "新建账号"})


class AccountDetailView(AccountManagerMixin, View):
    template_name = "accounts/account_detail.html"

    def context(self, account, form=None, grant_form=None):
        return {
            "account": account,
            "form": form
            or AccountEditForm(
                initial={"full_name": account.full_name, "phone": account.phone, "is_active": account.is_active}
            ),
            "grant_form": grant_form or GrantForm(),
        }

    def get(self, request, pk):
        return render(request, self.template_name, self.context(account_get_for(request.user, pk)))

    def post(self, request, pk):
        account = account_get_for(request.user, pk)
        form = AccountEditForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                with transaction.atomic():  # both changes or neither
                    services.account_update(
                        actor=request.user,
                        user=account,
                        full_name=d["full_name"],
                        phone=d["phone"],
                        is_active=d["is_active"],
                    )
                    if d["new_password"]:
                        services.account_set_password(actor=request.user, user=account, password=d["new_password"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "账号信息已保存。")
                return redirect("accounts:detail", pk=account.pk)
        return render(request, self.template_name, self.context(account, form=form))


class GrantAddView(AccountManagerMixin, View):
    def post(self, request, pk):
        account = account_get_for(request.user, pk)
        form = GrantForm(request.POST)
        if form.is_valid():
            org = _org_or_error(form, request.user, form.cleaned_data["org_code"])
            if org is not None:
                try:
                    services.grant_add(
                        actor=request.user, user=account, organization=org, role=form.cleaned_data["role"]
                    )
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                else:
                    messages.success(request, "已授权。")
                    return redirect("accounts:detail", pk=account.pk)
        view = AccountDetailView()
        return render(request, view.template_name, view.context(account, grant_form=form))


class GrantRemoveView(AccountManagerMixin, View):
    def post(self, request, pk, grant_pk):
        account = account_get_for(request.user, pk)
        grant = (
            RoleGrant.objects.restrict(request.user, Action.MANAGE_ACCOUNTS).filter(pk=grant_pk, user=account).first()
        )
        if grant is None:
            raise NotInScope()
        services.grant_remove(actor=request.user, grant=grant)
        messages.success(request, "已撤销该授权。")
        return redirect(reverse("accounts:detail", kwargs={"pk": account.pk}))
