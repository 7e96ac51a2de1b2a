"""`manage.py create_account USERNAME --org CODE --role ROLE [--password P] [--full-name NAME]`."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.choices import Role
from accounts.services import account_create
from core.context import origin
from organizations.models import Organization

# No look-alikes (0/O, 1/l/I) in generated passwords: they are read off a screen and typed in.
_LETTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "@#%+=!?"


def generate_password(length: int = 16) -> str:
    """A strong random password with lower- and upper-case letters, digits and a symbol."""
    alphabet = _LETTERS + _DIGITS + _SYMBOLS
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c in _DIGITS for c in password)
            and any(c in _SYMBOLS for c in password)
        ):
            return password


def _roles_text() -> str:
    return "、".join(f"{value}（{label}）" for value, label in Role.choices)


class Command(BaseCommand):
    help = "创建一个登录账号，并在指定组织授予角色（角色对该组织及其全部下级生效）。"

    def add_arguments(self, parser):
        parser.add_argument("username", help="登录账号")
        # Checked in handle() rather than by argparse, so a missing option is reported in Chinese.
        parser.add_argument("--org", help="授权组织的组织代码（必填）")
        parser.add_argument("--role", help="角色（必填）：" + "、".join(Role.values))
        parser.add_argument("--password", help="登录密码；不填则自动生成并显示")
        parser.add_argument("--full-name", default="", help="姓名")

    def handle(
        self, *args, username: str, org: str | None, role: str | None, password: str | None, full_name: str, **options
    ):
        username = username.strip()
        if not username:
            raise CommandError("账号不能为空")
        if not org:
            raise CommandError("请用 --org 指定授权组织的组织代码")
        if not role:
            raise CommandError(f"请用 --role 指定角色，可选：{_roles_text()}")
        if role not in Role.values:
            raise CommandError(f"未知角色“{role}”，可选：{_roles_text()}")
        organization = Organization.objects.filter(code=org.strip()).first()
        if organization is None:
            raise CommandError(f"组织代码“{org}”不存在")
        generated = password is None
        if generated:
            password = generate_password()
        try:
            with origin("command"):
                user = account_create(
                    actor=None,
                    username=username,
                    password=password,
                    organization=organization,
                    role=role,
                    full_name=full_name.strip(),
                )
        except ValidationError as exc:
            raise CommandError(_validation_text(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"已创建账号 {user.username}：{organization.name}·{Role(role).label}"))
        if generated:
            self.stdout.write(f"初始密码：{password}")
            self.stdout.write("（密码只显示这一次，请妥善转交并提醒首次登录后修改。）")


def _validation_text(exc: ValidationError) -> str:
    """The service's Chinese messages; password rules get a lead-in so the user knows which input failed."""
    if not hasattr(exc, "error_dict"):
        return "；".join(exc.messages)
    parts = []
    for name, errors in exc.message_dict.items():
        text = "".join(_sentence(m) for m in errors)
        parts.append(f"密码不符合要求：{text}" if name == "password" else text)
    return "".join(parts)


def _sentence(message: str) -> str:
    return message if message.endswith(("。", "！", "？")) else message + "。"
