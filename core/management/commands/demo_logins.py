"""`manage.py demo_logins`: print the demo accounts that exist, with their role, organization and password."""

from __future__ import annotations

import unicodedata

from django.core.management.base import BaseCommand

from accounts.models import User
from organizations.demo import DEMO_ACCOUNTS, DEMO_PASSWORD


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Columns aligned for a terminal where Chinese characters take two cells."""
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return lines


class Command(BaseCommand):
    help = "列出已存在的演示账号（账号、角色、所属组织、密码）。"

    def handle(self, *args, **options):
        wanted = [a.username for a in DEMO_ACCOUNTS]
        users = {
            u.username: u for u in User.objects.filter(username__in=wanted).prefetch_related("grants__organization")
        }
        rows = []
        for account in DEMO_ACCOUNTS:
            user = users.get(account.username)
            if user is None:
                continue
            grants = list(user.grants.all())
            role = "、".join(g.get_role_display() for g in grants) or "（无角色）"
            org = "、".join(g.organization.name for g in grants) or "—"
            # A demo password someone has changed is not printed as if it still worked.
            password = DEMO_PASSWORD if user.check_password(DEMO_PASSWORD) else "（已修改）"
            if not user.is_active:
                password += "（已停用）"
            rows.append([user.username, role, org, password])
        if not rows:
            self.stdout.write("没有演示账号。运行 manage.py seed_demo 生成演示数据。")
            return
        self.stdout.write("演示账号：")
        for line in format_table(["账号", "角色", "所属组织", "密码"], rows):
            self.stdout.write("  " + line)
