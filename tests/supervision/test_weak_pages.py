"""软弱涣散 pages through the test client: the current list and history, export, the detail with its forms, who may
designate / add a step / lift, and scope (a sibling township gets 404 and changes nothing)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from supervision.models import WeakOrganization, WeakRectificationStep
from supervision.services.weak import weak_designate, weak_lift, weak_step_add
from tests.conftest import as_user

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def today():
    return timezone.localdate()


def counts():
    return tuple(m.objects.count() for m in (WeakOrganization, WeakRectificationStep, AuditEvent))


@pytest.fixture
def weak_world(county):
    a1 = weak_designate(
        actor=None, organization=county.village_a1, designated_on=today() - 40 * DAY, reason="班子软弱涣散"
    )
    weak_step_add(actor=None, weak=a1, done_on=today() - 20 * DAY, description="调整充实支部班子")
    weak_step_add(actor=None, weak=a1, done_on=today() - 5 * DAY, description="开展专题组织生活会")
    b1 = weak_designate(
        actor=None, organization=county.village_b1, designated_on=today() - 10 * DAY, reason="组织生活不正常"
    )
    old = weak_designate(
        actor=None, organization=county.village_a2, designated_on=today() - 400 * DAY, reason="制度不落实"
    )
    weak_lift(actor=None, weak=old, lifted_on=today() - 100 * DAY, note="验收合格")
    return a1, b1, old


def workbook(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def test_anonymous_is_sent_to_login(client, weak_world):
    response = client.get(reverse("supervision:weak_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_current_list_by_scope(client, county_admin, township_admin, weak_world):
    html = as_user(client, county_admin).get(reverse("supervision:weak_list")).content.decode()
    assert "东街村党支部" in html and "北山村党支部" in html and "西街村党支部" not in html
    assert "城关镇党委" in html and "40 天" in html and "开展专题组织生活会" in html and "2 条" in html
    html = as_user(client, township_admin).get(reverse("supervision:weak_list")).content.decode()
    assert "东街村党支部" in html and "北山村党支部" not in html
    assert "认定软弱涣散党组织" in html


def test_history_and_exports(client, township_admin, weak_world):
    client = as_user(client, township_admin)
    html = client.get(reverse("supervision:weak_list") + "?view=history").content.decode()
    assert "西街村党支部" in html and "验收合格" in html and "东街村党支部" not in html
    rows = workbook(client.get(reverse("supervision:weak_list") + "?export=xlsx"))
    assert rows[0][:4] == ["组织代码", "党组织", "所属乡镇", "认定日期"]
    assert [r[:3] for r in rows[1:]] == [["C01001", "东街村党支部", "城关镇党委"]]
    assert rows[1][6:8] == [2, dt.datetime.combine(today() - 5 * DAY, dt.time())] and rows[1][9] == 40
    rows = workbook(client.get(reverse("supervision:weak_list") + "?view=history&export=xlsx"))
    assert rows[0][6] == "摘帽日期" and [r[1] for r in rows[1:]] == ["西街村党支部"] and rows[1][8] == 300


def test_filter_by_township(client, county_admin, weak_world):
    client = as_user(client, county_admin)
    html = client.get(reverse("supervision:weak_list") + f"?organization={weak_world[1].organization.parent_id}")
    text = html.content.decode()
    assert "北山村党支部" in text and "东街村党支部" not in text


def test_detail_shows_steps_and_forms_for_staff_only(client, township_admin, secretary, weak_world):
    a1 = weak_world[0]
    url = reverse("supervision:weak_detail", args=[a1.pk])
    html = as_user(client, township_admin).get(url).content.decode()
    assert "调整充实支部班子" in html and "添加整顿进展" in html and "摘帽" in html
    html = as_user(client, secretary).get(url).content.decode()
    assert "调整充实支部班子" in html and 'action="/supervision/weak/' not in html


def test_sibling_gets_404_and_nothing_changes(client, sibling_admin, weak_world):
    a1 = weak_world[0]
    client = as_user(client, sibling_admin)
    before = counts()
    assert client.get(reverse("supervision:weak_detail", args=[a1.pk])).status_code == 404
    step = {"done_on": today().isoformat(), "description": "走访"}
    assert client.post(reverse("supervision:weak_step_add", args=[a1.pk]), step).status_code == 404
    lift = {"lifted_on": today().isoformat(), "note": "验收"}
    assert client.post(reverse("supervision:weak_lift", args=[a1.pk]), lift).status_code == 404
    assert client.get(reverse("supervision:weak_detail", args=["abc"])).status_code == 404
    assert counts() == before
    a1.refresh_from_db()
    assert a1.lifted_on is None


def test_secretary_is_refused(client, county, secretary, weak_world):
    client = as_user(client, secretary)
    before = counts()
    response = client.get(reverse("supervision:weak_create"))
    assert response.status_code == 302
    data = {"organization": county.village_a1.pk, "designated_on": today().isoformat(), "reason": "x"}
    assert client.post(reverse("supervision:weak_create"), data).status_code == 400  # not among the choices
    step = {"done_on": today().isoformat(), "description": "走访"}
    assert client.post(reverse("supervision:weak_step_add", args=[weak_world[0].pk]), step).status_code == 403
    assert counts() == before


def test_designate_step_and_lift_through_the_pages(client, county, township_admin, weak_world):
    client = as_user(client, township_admin)
    html = client.get(reverse("supervision:weak_create")).content.decode()
    assert "西街村党支部" in html and "北山村党支部" not in html
    data = {"organization": county.village_a2.pk, "designated_on": today().isoformat(), "reason": "班子不团结"}
    response = client.post(reverse("supervision:weak_create"), data)
    weak = WeakOrganization.objects.get(organization=county.village_a2, lifted_on__isnull=True)
    assert response.status_code == 302 and response["Location"] == reverse("supervision:weak_detail", args=[weak.pk])
    # A second designation of the same organization is refused on the form.
    response = client.post(reverse("supervision:weak_create"), data)
    assert response.status_code == 400 and "已在软弱涣散整顿中" in response.content.decode()
    # A step before the designation: refused on the detail page.
    bad = {"done_on": (today() - DAY).isoformat(), "description": "整顿"}
    response = client.post(reverse("supervision:weak_step_add", args=[weak.pk]), bad)
    assert response.status_code == 400 and "早于认定日期" in response.content.decode()
    good = {"done_on": today().isoformat(), "description": "召开支委会"}
    assert client.post(reverse("supervision:weak_step_add", args=[weak.pk]), good).status_code == 302
    lift = {"lifted_on": today().isoformat(), "note": "验收合格"}
    assert client.post(reverse("supervision:weak_lift", args=[weak.pk]), lift).status_code == 302
    weak.refresh_from_db()
    assert weak.lifted_on == today() and weak.steps.count() == 1
    html = client.get(reverse("supervision:weak_detail", args=[weak.pk])).content.decode()
    assert "已摘帽" in html and "weak_step_add" not in html and 'action="/supervision/weak/' not in html
    edit = {"reason": "改", "measures": ""}
    response = client.post(reverse("supervision:weak_update", args=[weak.pk]), edit)
    assert response.status_code == 400


def test_list_query_count_does_not_grow(client, county, county_admin, django_assert_max_num_queries):
    for org in (county.village_a1, county.village_a2, county.village_b1, county.village_b2, county.dept):
        w = weak_designate(actor=None, organization=org, designated_on=today(), reason="原因")
        weak_step_add(actor=None, weak=w, done_on=today(), description="进展")
    client = as_user(client, county_admin)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("supervision:weak_list")).status_code == 200
