from django import forms
from django.contrib.auth.forms import AuthenticationForm

from core.middleware import client_ip

from .choices import Role
from .security import locked_until, lockout_message


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "账号或密码不正确，请重新输入。",
        "inactive": "该账号已停用，请联系组织部管理员。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "账号"
        self.fields["password"].label = "密码"
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"

    def clean(self):
        # Said before the password is checked: a locked account learns nothing from its password being right.
        until = locked_until(self.data.get("username"), client_ip(self.request)) if self.request else None
        if until:
            raise forms.ValidationError(lockout_message(until), code="locked")
        return super().clean()


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="原密码", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password1 = forms.CharField(
        label="新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少 12 位，包含大写字母、小写字母、数字、符号中的至少 3 种，不能与账号过于相似。",
    )  # fmt: skip
    new_password2 = forms.CharField(
        label="再次输入新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致。")
        return data


class AccountCreateForm(forms.Form):
    username = forms.CharField(label="账号", max_length=150, help_text="字母、数字或 @.+-_，登录时使用。")
    full_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    org_code = forms.CharField(label="授权组织代码", max_length=32, help_text="角色在该组织及其全部下级组织内有效。")
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput,
        help_text="至少 12 位，包含大写字母、小写字母、数字、符号中的至少 3 种，不能与账号过于相似。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"


class AccountEditForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    is_active = forms.BooleanField(label="启用", required=False)
    new_password = forms.CharField(
        label="重置密码", widget=forms.PasswordInput, required=False, help_text="留空则不修改。"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-check-input" if name == "is_active" else "form-control"


class GrantForm(forms.Form):
    org_code = forms.CharField(label="组织代码", max_length=32)
    role = forms.ChoiceField(label="角色", choices=Role.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_code"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["role"].widget.attrs["class"] = "form-select form-select-sm"
