"""Text users type comes back escaped on every page that shows it: an organization's name, a member's name, a
meeting's topic and minutes, a finding's description — through the lists, the detail pages and the dashboards
(which render names out of their stored JSON)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.services import meeting_record
from organizations.services import organization_create, organization_update
from supervision.services.findings import finding_create
from tests.conftest import as_user, text
from tests.members.api_helpers import make_member

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
RAW = ("<script>alert", "<img src=x")


@pytest.fixture
def hostile(county, default_meeting_standards):
    organization_update(actor=None, organization=county.village_a1, name=f"东街村{PAYLOAD}")
    weak = organization_create(
        actor=None, parent=county.township_a, code="C01009", name=f"新村{PAYLOAD}", kind="党支部",
        founded_on=dt.date(2000, 1, 1),
    )  # fmt: skip
    member = make_member(county.village_a1, 1)
    member.person.name = f"张三{PAYLOAD}"[:50]
    member.person.save(update_fields=["name"])
    meeting = meeting_record(
        actor=None, branch=county.village_a1, kind="主题党日", topic=f"主题{PAYLOAD}", minutes=f"纪要{PAYLOAD}",
        held_at=timezone.now() - dt.timedelta(days=1), expected_count=1, present_count=1,
    )  # fmt: skip
    finding = finding_create(
        actor=None, organization=county.village_a1, source="督查", category="组织生活", description=f"问题{PAYLOAD}",
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )  # fmt: skip
    return {"weak": weak, "member": member, "meeting": meeting, "finding": finding}


def test_typed_text_is_escaped_everywhere_it_is_shown(client, county, county_admin, hostile):
    as_user(client, county_admin)
    pages = [
        reverse("organizations:tree"),
        reverse("organizations:detail", args=[county.village_a1.pk]),
        reverse("members:list") + f"?org={county.village_a1.pk}",
        reverse("members:detail", args=[hostile["member"].pk]),
        reverse("meetings:list"),
        reverse("meetings:detail", args=[hostile["meeting"].pk]),
        reverse("meetings:quarter"),
        reverse("supervision:finding_list"),
        reverse("supervision:finding_detail", args=[hostile["finding"].pk]),
        reverse("dashboards:leader"),
        reverse("dashboards:desk"),
        reverse("dashboards:leader") + f"?org={county.township_a.pk}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = text(response)
        assert not any(raw in page for raw in RAW), url
    # the escaped text is there (shown, not dropped)
    assert "&lt;script&gt;alert" in text(client.get(reverse("meetings:detail", args=[hostile["meeting"].pk])))
