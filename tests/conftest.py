"""Shared fixtures: a small county tree built through the services, one account per role, API clients.

The tree (codes in brackets):

    测试县委 [C]
    ├── 城关镇党委 [C01]              township A
    │   ├── 东街村党支部 [C01001]     the secretary's branch
    │   └── 西街村党支部 [C01002]
    ├── 石门镇党委 [C02]              township B (the sibling)
    │   ├── 北山村党支部 [C02001]
    │   └── 南河村党支部 [C02002]
    └── 县财政局机关党支部 [C90]      a county department branch
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import account_create
from organizations.models import Organization
from organizations.services import organization_create

PASSWORD = "Test-password-2026!"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded workbooks of import jobs land in a per-test directory, never in the project."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@dataclass
class County:
    root: Organization
    township_a: Organization
    township_b: Organization
    village_a1: Organization
    village_a2: Organization
    village_b1: Organization
    village_b2: Organization
    dept: Organization

    def refresh(self) -> County:
        for org in self.all():
            org.refresh_from_db()
        return self

    def all(self) -> list[Organization]:
        return [
            self.root,
            self.township_a,
            self.township_b,
            self.village_a1,
            self.village_a2,
            self.village_b1,
            self.village_b2,
            self.dept,
        ]


def _org(parent, code, name, kind, domain="", group="", **extra):
    return organization_create(
        actor=None,
        parent=parent,
        code=code,
        name=name,
        kind=kind,
        domain=domain,
        assessment_group=group,
        founded_on=extra.pop("founded_on", dt.date(1980, 1, 1)),
        **extra,
    )


@pytest.fixture
def county(db) -> County:
    root = _org(None, "C", "测试县委", "县委", founded_on=dt.date(1949, 10, 1))
    a = _org(root, "C01", "城关镇党委", "党委", group="乡镇党委", last_election_on=dt.date(2021, 6, 1))
    b = _org(root, "C02", "石门镇党委", "党委", group="乡镇党委", last_election_on=dt.date(2021, 6, 1))
    a1 = _org(a, "C01001", "东街村党支部", "党支部", "农村", "村（社区）党组织", has_committee=True)
    a2 = _org(a, "C01002", "西街村党支部", "党支部", "农村", "村（社区）党组织")
    b1 = _org(b, "C02001", "北山村党支部", "党支部", "农村", "村（社区）党组织")
    b2 = _org(b, "C02002", "南河村党支部", "党支部", "社区", "村（社区）党组织")
    dept = _org(root, "C90", "县财政局机关党支部", "党支部", "机关", "县直部门党组织")
    return County(root, a, b, a1, a2, b1, b2, dept).refresh()


def _account(username, org, role, full_name):
    return account_create(
        actor=None, username=username, password=PASSWORD, organization=org, role=role, full_name=full_name
    )


@pytest.fixture
def county_admin(county):
    return _account("county_admin", county.root, "county_admin", "县委组织部管理员")


@pytest.fixture
def township_admin(county):
    return _account("township_admin", county.township_a, "township_admin", "城关镇管理员")


@pytest.fixture
def sibling_admin(county):
    return _account("sibling_admin", county.township_b, "township_admin", "石门镇管理员")


@pytest.fixture
def secretary(county):
    return _account("secretary", county.village_a1, "branch_secretary", "东街村书记")


@pytest.fixture
def leader(county):
    return _account("leader", county.root, "leader", "县领导")


@pytest.fixture
def inspector(county):
    return _account("inspector", county.root, "inspector", "考核组成员")


def as_user(client, user):
    """The test's page client, logged in as `user`."""
    client.force_login(user)
    return client


def client_for(user) -> Client:
    """A page client logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as():
    """`api_as(user)`: an APIClient authenticated as `user` (None: anonymous)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def default_meeting_standards(db):
    """The default 三会一课 standards of migration meetings 0002. Tests with transaction=True flush every table after
    they run, data migrations included, so a transactional test that needs the standards asks for this."""
    import importlib

    from django.apps import apps as django_apps

    migration = importlib.import_module("meetings.migrations.0002_default_standards")
    migration.add_defaults(django_apps, None)
