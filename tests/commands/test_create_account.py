"""`manage.py create_account USERNAME --org CODE --role ROLE [--password P]`: a login with a role at an organization;
every refusal is a CommandError in Chinese and creates nothing."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import RoleGrant, User
from core.models import AuditEvent
from tests.commands.cli import run_cli

pytestmark = pytest.mark.django_db

STRONG = "Qingshan-2026-password"


def _roles() -> str:
    return "、".join(
        [
            "county_admin（县委组织部管理员）",
            "township_admin（乡镇（工委）管理员）",
            "branch_secretary（支部书记）",
            "leader（县领导（只读））",
            "inspector（考核组成员）",
        ]
    )


def _create(*args) -> str:
    out = io.StringIO()
    call_command("create_account", *args, stdout=out)
    return out.getvalue()


def _state():
    return (
        sorted(User.objects.values_list("id", "username", "password", "full_name", "home_organization_id")),
        sorted(RoleGrant.objects.values_list("user_id", "organization_id", "role")),
        AuditEvent.objects.count(),
    )


def _refused(*args) -> CommandError:
    before = _state()
    with pytest.raises(CommandError) as caught:
        _create(*args)
    assert _state() == before
    assert caught.value.returncode == 1
    return caught.value


def test_creates_the_user_with_a_grant_at_the_org(county):
    out = _create("zhangsan", "--org", "C01", "--role", "township_admin", "--password", STRONG, "--full-name", "张三")
    assert out.splitlines() == ["已创建账号 zhangsan：城关镇党委·乡镇（工委）管理员"]

    user = User.objects.get(username="zhangsan")
    assert user.full_name == "张三"
    assert user.home_organization_id == county.township_a.pk
    assert user.is_active and not user.is_staff and not user.is_superuser
    assert user.check_password(STRONG)
    assert list(user.grants.values_list("organization__code", "role")) == [("C01", "township_admin")]
    assert authenticate(username="zhangsan", password=STRONG) == user

    events = AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk))
    assert sorted(events.values_list("action", "source", "actor_id")) == [
        ("create", "command", None),
        ("grant", "command", None),
    ]
    assert events.get(action="grant").after == {"role": "township_admin", "organization": "C01"}


def test_unknown_org_code(county):
    error = _refused("zhangsan", "--org", "C99", "--role", "township_admin", "--password", STRONG)
    assert str(error) == "组织代码“C99”不存在"


def test_unknown_role(county):
    error = _refused("zhangsan", "--org", "C01", "--role", "admin", "--password", STRONG)
    assert str(error) == f"未知角色“admin”，可选：{_roles()}"


def test_org_and_role_are_required(county):
    assert str(_refused("zhangsan", "--role", "leader", "--password", STRONG)) == "请用 --org 指定授权组织的组织代码"
    assert str(_refused("zhangsan", "--org", "C", "--password", STRONG)) == f"请用 --role 指定角色，可选：{_roles()}"


def test_existing_username(county, secretary):
    error = _refused("secretary", "--org", "C02", "--role", "township_admin", "--password", STRONG)
    assert str(error) == "账号“secretary”已存在。"
    # the existing account kept its one grant
    assert list(secretary.grants.values_list("organization__code", "role")) == [("C01001", "branch_secretary")]


def test_weak_password(county):
    error = _refused("zhangsan", "--org", "C01", "--role", "leader", "--password", "short")
    assert str(error) == (
        "密码不符合要求：密码太短，至少需要 12 个字符。密码须包含大写字母、小写字母、数字、符号中的至少 3 种（现为 1 种）。"
    )
    # twelve characters, but in Django's list of common passwords, and all digits: both rules are named
    error = _refused("zhangsan", "--org", "C01", "--role", "leader", "--password", "123456123456")
    assert str(error) == (
        "密码不符合要求：密码过于常见，请换一个。密码不能全是数字。密码须包含大写字母、小写字母、数字、符号中的至少 3 种（现为 1 种）。"
    )
    # the user name with a year after it (SequenceMatcher ratio 16/20 = 0.8 > 0.7)
    error = _refused("zhangsan", "--org", "C01", "--role", "leader", "--password", "zhangsan2026")
    assert str(error) == (
        "密码不符合要求：密码与账号信息过于相似。密码须包含大写字母、小写字母、数字、符号中的至少 3 种（现为 2 种）。"
    )
    assert not User.objects.filter(username="zhangsan").exists()


def test_refusal_exits_1_on_the_command_line(county, monkeypatch):
    before = _state()
    code, out, err = run_cli(monkeypatch, "create_account", "zhangsan", "--org", "C99", "--role", "leader")
    assert (code, out) == (1, "")
    assert err.splitlines() == ["CommandError: 组织代码“C99”不存在"]
    assert _state() == before


def test_generated_password_is_printed_once_and_logs_in(county):
    out = _create("lisi", "--org", "C01001", "--role", "branch_secretary")
    lines = out.splitlines()
    assert lines[0] == "已创建账号 lisi：东街村党支部·支部书记"
    match = re.fullmatch(r"初始密码：(\S+)", lines[1])
    assert match, lines
    password = match[1]
    assert len(password) == 16
    assert not set(password) & set("0O1lI")  # no look-alikes
    assert lines[2:] == ["（密码只显示这一次，请妥善转交并提醒首次登录后修改。）"]

    user = authenticate(username="lisi", password=password)
    assert user is not None and user.username == "lisi"
    assert authenticate(username="lisi", password=password + "x") is None
