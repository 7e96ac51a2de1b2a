"""Audit events: one per service write with who, what, before and after; one per row of a bulk import; the origin."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from core.audit import diff, snapshot
from core.context import current_origin, origin
from core.models import AuditEvent
from core.selectors import audit_event_list
from core.xlsx.exporter import ExportRefused, export_write
from core.xlsx.importer import workbook_import
from members.models import Person
from members.services import member_create, member_transfer
from organizations.models import Organization, Post
from organizations.services import (
    organization_create,
    organization_move,
    organization_update,
    post_create,
    post_delete,
    post_update,
)
from tests.factories import PersonFactory, PostFactory, id_number_for
from tests.helpers import ORG_HEADERS, POST_HEADERS, org_row, workbook

pytestmark = pytest.mark.django_db


class NewEvents:
    """The events written since the block started."""

    def __enter__(self):
        self.start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        return self

    def __exit__(self, *exc):
        return False

    @property
    def events(self) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(id__gt=self.start).order_by("id"))


def test_create_leaves_one_event(county, township_admin):
    with NewEvents() as new:
        org = organization_create(
            actor=township_admin, parent=county.township_a, code="C01003", name="南街村党支部", kind="党支部"
        )
    (event,) = new.events
    assert event.actor_id == township_admin.pk and event.actor_name == "township_admin"
    assert event.action == "create"
    assert event.object_type == "organizations.organization" and event.object_id == str(org.pk)
    assert event.object_repr == "南街村党支部"
    assert event.org_path == org.path
    assert event.before is None
    assert event.after["code"] == "C01003" and event.after["parent"] == county.township_a.pk
    assert event.after["path"] == org.path
    assert event.source == "system" and event.ip is None


def test_system_writes_are_attributed_to_the_system(county):
    with NewEvents() as new:
        organization_update(actor=None, organization=county.dept, name="县财政局党支部")
    (event,) = new.events
    assert event.actor is None and event.actor_name == "系统"


def test_update_event_holds_only_the_changed_fields(county, county_admin):
    with NewEvents() as new:
        organization_update(
            actor=county_admin,
            organization=county.village_a2,
            name="西街村第一党支部",
            founded_on=dt.date(1981, 5, 4),
            kind="党支部",  # unchanged
        )
    (event,) = new.events
    assert event.action == "update"
    assert event.before == {"name": "西街村党支部", "founded_on": "1980-01-01"}
    assert event.after == {"name": "西街村第一党支部", "founded_on": "1981-05-04"}


def test_move_event(county, county_admin):
    with NewEvents() as new:
        organization_move(actor=county_admin, organization=county.village_a1, new_parent=county.township_b)
    (event,) = new.events
    assert event.action == "move"
    assert event.before["parent"] == county.township_a.pk and event.after["parent"] == county.township_b.pk
    assert event.after["path"].startswith(county.township_b.path)


def test_post_writes_leave_one_event_each(county, township_admin):
    person = PersonFactory(name="张三")
    with NewEvents() as new:
        post = post_create(
            actor=township_admin,
            organization=county.village_a1,
            person=person,
            title="书记",
            start_on=dt.date(2021, 1, 1),
        )
    (created,) = new.events
    assert created.action == "create" and created.object_type == "organizations.post"
    assert created.after == {
        "organization": county.village_a1.pk,
        "person": person.pk,
        "title": "书记",
        "start_on": "2021-01-01",
        "end_on": None,
    }
    assert created.org_path == county.village_a1.path

    with NewEvents() as new:
        post_update(actor=township_admin, post=post, end_on=dt.date(2024, 12, 31))
    (updated,) = new.events
    assert (updated.action, updated.before, updated.after) == ("update", {"end_on": None}, {"end_on": "2024-12-31"})

    with NewEvents() as new:
        post_delete(actor=township_admin, post=post)
    (deleted,) = new.events
    assert deleted.action == "delete" and deleted.before["end_on"] == "2024-12-31"
    assert deleted.object_id == str(created.object_id)


def test_refused_write_leaves_no_event(county, sibling_admin):
    from core.exceptions import NotInScope

    with NewEvents() as new, pytest.raises(NotInScope):
        organization_update(actor=sibling_admin, organization=county.village_a1, name="x")
    assert new.events == []


def test_bulk_import_leaves_one_event_per_created_row(county, county_admin):
    data = workbook(
        {
            "组织": [ORG_HEADERS, org_row("C01003", "三村", "C01"), org_row("C01004", "四村", "C01")],
            "职务": [
                POST_HEADERS,
                ["C01003", "张三", "110105194912310011", "书记", "2021-01-01", None],
                ["C01004", "张三", "110105194912310011", "委员", "2021-01-01", None],
                ["C01004", "李四", "11010519491231002X", "书记", "2021-01-01", None],
            ],
        }
    )
    with NewEvents() as new, origin("import"):
        report = workbook_import(source=data, actor=county_admin)
    assert report.ok, report.problems
    events = new.events
    by_type: dict[str, list[AuditEvent]] = {}
    for e in events:
        by_type.setdefault(e.object_type, []).append(e)
    orgs = Organization.objects.filter(code__in=["C01003", "C01004"])
    assert sorted(e.object_id for e in by_type["organizations.organization"]) == sorted(str(o.pk) for o in orgs)
    assert sorted(e.object_id for e in by_type["members.person"]) == sorted(str(p.pk) for p in Person.objects.all())
    assert sorted(e.object_id for e in by_type["organizations.post"]) == sorted(str(p.pk) for p in Post.objects.all())
    assert len(events) == 2 + 2 + 3
    for e in events:
        assert e.action == "create" and e.actor_id == county_admin.pk
        assert e.source == "import"
        assert e.object_id not in ("", "None")
        assert e.org_path.startswith(county.township_a.path)


def test_origin_source_and_ip_are_recorded(county):
    assert current_origin().source == "system"
    with origin("api", "10.1.2.3"):
        assert current_origin().ip == "10.1.2.3"
        organization_update(actor=None, organization=county.dept, name="改名一")
    with origin("command"):
        organization_update(actor=None, organization=county.dept, name="改名二")
    assert current_origin().source == "system"
    first, second = AuditEvent.objects.filter(action="update").order_by("id")
    assert (first.source, first.ip) == ("api", "10.1.2.3")
    assert (second.source, second.ip) == ("command", None)


def test_origin_of_an_api_request(county, county_admin, api_as):
    client = api_as(county_admin)
    response = client.patch(
        f"/api/organizations/{county.dept.pk}/",
        {"name": "县财政局党支部"},
        format="json",
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="update")
    assert (event.source, event.ip, event.actor_id) == ("api", "192.0.2.10", county_admin.pk)
    assert event.after == {"name": "县财政局党支部"}


def test_origin_behind_the_proxy_uses_x_real_ip(county, county_admin, api_as):
    response = api_as(county_admin).patch(
        f"/api/organizations/{county.dept.pk}/",
        {"name": "县财政局党支部"},
        format="json",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="198.51.100.7",
    )
    assert response.status_code == 200, response.content
    assert AuditEvent.objects.get(action="update").ip == "198.51.100.7"


def test_exports_are_audited_and_unmasked_needs_the_right(county, county_admin, township_admin):
    PostFactory(organization=county.village_a1)
    with NewEvents() as new:
        export_write(kind="posts", actor=township_admin, fp=io.BytesIO())
    (event,) = new.events
    assert event.action == "export" and event.object_type == "core.export" and event.object_id == "posts"
    assert event.note == "导出 posts，1 行"

    with NewEvents() as new, pytest.raises(ExportRefused):
        export_write(kind="posts", actor=township_admin, fp=io.BytesIO(), unmasked=True)
    assert new.events == []

    with NewEvents() as new:
        export_write(kind="posts", actor=county_admin, fp=io.BytesIO(), unmasked=True)
    (event,) = new.events
    assert event.action == "export_unmasked" and "未脱敏" in event.note


def test_audit_event_list_is_scoped(county, county_admin, township_admin, sibling_admin, secretary):
    organization_update(actor=None, organization=county.village_a1, name="甲")
    organization_update(actor=None, organization=county.village_b1, name="乙")
    assert audit_event_list(actor=township_admin).filter(object_repr="甲").exists()
    assert not audit_event_list(actor=township_admin).filter(object_repr="乙").exists()
    assert audit_event_list(actor=sibling_admin).filter(object_repr="乙").exists()
    assert audit_event_list(actor=county_admin).filter(object_repr__in=["甲", "乙"]).count() == 2
    assert not audit_event_list(actor=secretary).exists()


def test_snapshot_and_diff_helpers(county):
    snap = snapshot(county.township_a, ("code", "parent", "founded_on", "has_committee"))
    assert snap == {"code": "C01", "parent": county.root.pk, "founded_on": "1980-01-01", "has_committee": False}
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == ({"b": 2}, {"b": 3})
    assert diff(None, {"a": 1}) == (None, {"a": 1})


@pytest.mark.django_db
def test_audit_page_filters_by_subtree_user_object_and_date(client, county, county_admin, township_admin):
    """The audit page narrows to an org subtree, an operator, an object and a date range, all at once."""
    organization_update(actor=township_admin, organization=county.village_a1, name="东街村党支部（改）")
    organization_update(actor=county_admin, organization=county.village_b1, name="北山村党支部（改）")
    client.force_login(county_admin)
    today = timezone.localdate().isoformat()
    base = "/core/audit/?action=update"
    page = client.get(f"{base}&org=C01&date_from={today}&date_to={today}").content.decode()
    assert "东街村党支部（改）" in page and "北山村党支部（改）" not in page
    page = client.get(f"{base}&actor_name=county_admin").content.decode()
    assert "北山村党支部（改）" in page and "东街村党支部（改）" not in page
    page = client.get(f"{base}&object_repr=北山").content.decode()
    assert "北山村党支部（改）" in page and "东街村党支部（改）" not in page
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    page = client.get(f"{base}&date_to={yesterday}").content.decode()
    assert "没有符合条件的记录" in page


AUDIT_URL = "/core/audit/"


def _export_cells(client, query="") -> list[str]:
    """The 变更前 and 变更后 cells of the audit workbook."""
    response = client.get(f"{AUDIT_URL}?export=xlsx{query}")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))["audit"]
    headers = [c.value for c in ws[1]]
    columns = [headers.index("变更前"), headers.index("变更后")]
    return [row[i] or "" for row in ws.iter_rows(min_row=2, values_only=True) for i in columns]


def test_foreign_keys_read_as_names_on_every_audit_page_and_in_the_export(client, county, county_admin):
    """所在支部、上级组织、组织、人员 show the related row's name (and code), not its id."""
    organization_move(actor=county_admin, organization=county.village_a1, new_parent=county.township_b)
    post_create(
        actor=county_admin,
        organization=county.village_a2,
        person=PersonFactory(name="张三"),
        title="书记",
        start_on=dt.date(2021, 1, 1),
    )
    member = member_create(
        actor=county_admin,
        name="李四",
        id_number=id_number_for(41),
        branch=county.village_a2,
        category="正式党员",
        joined_on=dt.date(2000, 7, 1),
        full_member_on=dt.date(2001, 7, 1),
    )
    member_transfer(actor=county_admin, member=member, to_branch=county.village_b1, on=dt.date(2024, 3, 1))
    client.force_login(county_admin)
    expected = [
        "上级组织：城关镇党委（C01）",
        "上级组织：石门镇党委（C02）",
        "组织：西街村党支部（C01002）",
        "人员：张三",
        "所在支部：西街村党支部（C01002）",
        "所在支部：北山村党支部（C02001）",
    ]
    page = client.get(AUDIT_URL).content.decode()
    for text in expected:
        assert text in page
    assert f"上级组织：{county.township_a.pk}" not in page and f"所在支部：{county.village_a2.pk}" not in page
    cells = "\n".join(_export_cells(client))
    for text in expected:
        assert text in cells

    org_page = client.get(reverse("organizations:detail", args=[county.village_a1.pk])).content.decode()
    assert "城关镇党委（C01）" in org_page and "石门镇党委（C02）" in org_page
    tab = client.get(reverse("members:detail", args=[member.pk]) + "?tab=audit").content.decode()
    # The transfer is logged on both sides and shown once: what changed, from the old branch to the new.
    assert tab.count("原：所在支部：西街村党支部（C01002）") == 1
    assert "新：所在支部：北山村党支部（C02001）" in tab


def test_a_deleted_target_reads_as_its_id(client, county, county_admin):
    person = PersonFactory(name="王五")
    post = post_create(
        actor=county_admin, organization=county.village_a1, person=person, title="委员", start_on=dt.date(2021, 1, 1)
    )
    post_delete(actor=county_admin, post=post)
    Person.objects.filter(pk=person.pk).delete()
    client.force_login(county_admin)
    page = client.get(f"{AUDIT_URL}?object_type=organizations.post").content.decode()
    assert f"人员：#{person.pk}（已删除）" in page
    assert "组织：东街村党支部（C01001）" in page and "王五" in page  # the object's own name was kept in the event
    assert f"人员：#{person.pk}（已删除）" in "\n".join(_export_cells(client, "&object_type=organizations.post"))


def _fk_events(county, start: int, n: int) -> None:
    """Events start … start+n-1, whose values point at organizations, people and accounts (people of their own)."""
    orgs = county.all()
    events = []
    for i in range(start, start + n):
        old, new = PersonFactory(name=f"原任{i}"), PersonFactory(name=f"新任{i}")
        org = orgs[i % len(orgs)]
        kind = i % 3
        object_type, before, after = [
            ("organizations.post", {"organization": org.pk, "person": old.pk}, {"person": new.pk}),
            ("members.member", {"branch": org.pk}, {"branch": orgs[(i + 1) % len(orgs)].pk}),
            ("accounts.user", {"home_organization": None}, {"home_organization": org.pk}),
        ][kind]
        events.append(
            AuditEvent(
                actor_name="county_admin",
                source="web",
                action="update",
                object_type=object_type,
                object_id=str(1000 + i),
                object_repr=f"对象{i}",
                org_path=org.path,
                before=before,
                after=after,
            )
        )
    AuditEvent.objects.bulk_create(events)


def test_audit_page_queries_do_not_grow_with_the_events(client, county, county_admin, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    AuditEvent.objects.all()._raw_delete(AuditEvent.objects.db)  # the test's own clean slate (the queryset refuses)
    client.force_login(county_admin)
    _fk_events(county, 0, 5)
    with CaptureQueriesContext(connection) as small:
        assert client.get(AUDIT_URL).status_code == 200
    _fk_events(county, 5, 45)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(AUDIT_URL).content.decode()
    assert "人员：原任0" in page and "人员：新任0" in page and "人员：新任48" in page
    assert "所在支部：东街村党支部（C01001）" in page and "所属组织：测试县委（C）" in page
