"""The 组织 and 职务 sheets and the organizations / posts exports (layouts in README, "Excel 格式")."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Max
from django.utils import timezone

from core import crypto
from core.audit import AuditBatch, diff, jsonable, snapshot
from core.bulk import bulk_insert, chunked, filter_in
from core.idnumber import IdNumberError, parse_id_number
from core.scope import ALL, Action, in_scope
from core.xlsx import cells
from core.xlsx.sheets import Column, Counts, ImportContext, Row, SheetImporter
from core.xlsx.writer import ExportTable
from members.models import Person
from members.services import PERSON_AUDIT_FIELDS, person_build

from .choices import Domain, OrgKind, PostTitle
from .models import Organization, Post
from .services import ORG_AUDIT_FIELDS, ORG_FIELDS, POST_AUDIT_FIELDS, overlapping_secretary_terms

BATCH = 2000
ORG_TYPE = Organization._meta.label_lower
ORG_INSERT_FIELDS = [*ORG_FIELDS, "parent", "path", "depth", "numchild", "created_at", "updated_at"]
ORGS_PLANNED = "organizations.planned_codes"
ORGS_PLANNED_ROWS = "organizations.planned_rows"  # {code: parsed row}: what later sheets (会议) check against


def _bool(value):
    return bool(cells.boolean(value))


ORG_COLUMNS = (
    Column("组织代码", "code", cells.code(32), required=True, note="唯一代码，字母数字，最多 32 位"),
    Column("组织名称", "name", cells.text(100), required=True, note="最多 100 字"),
    Column("上级组织代码", "parent_code", cells.code(32), note="上级须在本文件或系统中；行的先后顺序不限"),
    Column("组织类型", "kind", cells.choice(OrgKind.values), required=True, note=" / ".join(OrgKind.values)),
    Column("所属领域", "domain", cells.choice(Domain.values), note=" / ".join(Domain.values)),
    Column(
        "考核类别",
        "assessment_group",
        cells.text(50),
        note="如 乡镇党委、县直部门党组织、村（社区）党组织；空白表示不参加考核",
    ),
    Column("设支部委员会", "has_committee", _bool, note="是 / 否，空白为否"),
    Column("设党小组", "has_party_groups", _bool, note="是 / 否，空白为否"),
    Column("成立日期", "founded_on", cells.date, note="Excel 日期或 YYYY-MM-DD"),
    Column("上次换届日期", "last_election_on", cells.date, note="Excel 日期或 YYYY-MM-DD"),
    Column(
        "任期年数", "term_years", cells.integer(1, 10), note="1–10；空白按规定：村（社区）和乡镇党委 5 年，其他 3 年"
    ),
)


@dataclass
class OrgPlan:
    creates: list[Row] = field(default_factory=list)  # parents before children
    updates: list[tuple[Organization, dict]] = field(default_factory=list)
    moves: list[tuple[Organization, str]] = field(default_factory=list)
    unchanged: int = 0
    parent_code_of: dict[str, str] = field(default_factory=dict)
    level: dict[str, int] = field(default_factory=dict)  # new rows: 0 for roots, else links up to the database


class OrganizationSheet(SheetImporter):
    name = "组织"
    aliases = ("organizations",)
    columns = ORG_COLUMNS

    def plan(self, rows: list[Row], ctx: ImportContext) -> OrgPlan:
        sheet = self.name
        today = timezone.localdate()
        plan = OrgPlan()
        by_code: dict[str, Row] = {}
        for row in rows:
            v = row.values
            code = v["code"]
            if code in by_code:
                ctx.problem(sheet, row.number, "组织代码", f"与第 {by_code[code].number} 行重复")
                continue
            by_code[code] = row
            if v["founded_on"] and v["founded_on"] > today:
                ctx.problem(sheet, row.number, "成立日期", "不能晚于今天")
            if v["last_election_on"] and v["last_election_on"] > today:
                ctx.problem(sheet, row.number, "上次换届日期", "不能晚于今天")
            if v["founded_on"] and v["last_election_on"] and v["last_election_on"] < v["founded_on"]:
                ctx.problem(sheet, row.number, "上次换届日期", "不能早于成立日期")

        referenced = set(by_code) | {r.values["parent_code"] for r in by_code.values() if r.values["parent_code"]}
        in_db = {o.code: o for o in filter_in(Organization.objects.select_related("parent"), "code", referenced)}
        paths = ctx.manage_paths

        def manageable(org: Organization) -> bool:
            return paths is ALL or any(org.path.startswith(p) for p in paths)

        for code, row in by_code.items():
            parent_code = row.values["parent_code"]
            existing = in_db.get(code)
            if existing and not manageable(existing):
                ctx.problem(sheet, row.number, "组织代码", f"组织代码 {code} 已被使用，且不在您的管理范围内")
                continue
            if not parent_code:
                if existing and existing.parent_id:
                    ctx.problem(sheet, row.number, "上级组织代码", "已有上级的组织不能改为顶级组织，请填写上级组织代码")
                elif not existing and paths is not ALL:
                    ctx.problem(sheet, row.number, "上级组织代码", "必填：只有系统管理员可以导入顶级组织")
                continue
            if parent_code == code:
                ctx.problem(sheet, row.number, "上级组织代码", "不能是组织自己")
                continue
            if parent_code not in by_code:
                parent = in_db.get(parent_code)
                # An unchanged parent may lie above the actor's scope (a township admin's own township row).
                unchanged_parent = (
                    existing is not None and existing.parent is not None and existing.parent.code == parent_code
                )
                if parent is None or not (manageable(parent) or unchanged_parent):
                    ctx.problem(
                        sheet,
                        row.number,
                        "上级组织代码",
                        f"上级组织 {parent_code} 不存在（文件和系统中都没有）或不在您的管理范围内",
                    )
                    continue
            plan.parent_code_of[code] = parent_code

        # Walk each row up through the file's parent links to the first organization already in the database,
        # finding cycles and moves under one's own descendants on the way.
        level: dict[str, int] = {}
        anchor: dict[str, Organization | None] = {}
        for code in plan.parent_code_of:
            chain = []
            cur = code
            bad = False
            while cur in plan.parent_code_of and cur not in level:
                if cur in chain:
                    ctx.problem(
                        sheet, by_code[code].number, "上级组织代码", "上级关系形成循环：" + " → ".join(chain + [cur])
                    )
                    bad = True
                    break
                chain.append(cur)
                cur = plan.parent_code_of[cur]
            if bad:
                for c in chain:
                    level[c], anchor[c] = -1, None
                continue
            if cur in level:
                base_level, base_anchor = level[cur], anchor[cur]
            else:
                base_level, base_anchor = 0, in_db.get(cur)
            for depth_from_top, c in enumerate(reversed(chain), start=1):
                level[c] = -1 if base_level < 0 else base_level + depth_from_top
                anchor[c] = base_anchor

        for code, row in by_code.items():
            existing = in_db.get(code)
            if existing is None or level.get(code, 0) < 0:
                continue
            if row.values["parent_code"] and code not in plan.parent_code_of:
                continue  # its parent was refused above
            moved = False
            new_parent = plan.parent_code_of.get(code)
            if new_parent and (existing.parent is None or existing.parent.code != new_parent):
                top = anchor.get(code)
                if top is not None and top.path.startswith(existing.path):
                    ctx.problem(sheet, row.number, "上级组织代码", f"不能把组织移到它自己的下级组织 {top.code} 之下")
                    continue
                plan.moves.append((existing, new_parent))
                moved = True
            changes = {}
            for name in ORG_FIELDS:
                value = self._value(row, name)
                if getattr(existing, name) != value:
                    changes[name] = value
            if changes:
                plan.updates.append((existing, changes))
            elif not moved:
                plan.unchanged += 1

        new_rows = [row for code, row in by_code.items() if code not in in_db and level.get(code, 0) >= 0]
        plan.level = {r.values["code"]: level.get(r.values["code"], 0) for r in new_rows}
        plan.creates = sorted(new_rows, key=lambda r: plan.level[r.values["code"]])
        ctx.shared[ORGS_PLANNED] = set(by_code)
        ctx.shared[ORGS_PLANNED_ROWS] = {code: row.values for code, row in by_code.items()}
        return plan

    @staticmethod
    def _value(row: Row, name: str):
        value = row.values[name]
        if name in ("has_committee", "has_party_groups"):
            return bool(value)
        if value is None and name in ("domain", "assessment_group"):
            return ""
        return value

    def counts(self, plan: OrgPlan) -> Counts:
        touched = {id(o) for o, _ in plan.updates} | {id(o) for o, _ in plan.moves}
        return Counts(created=len(plan.creates), updated=len(touched), unchanged=plan.unchanged)

    def apply(self, plan: OrgPlan, ctx: ImportContext) -> Counts:
        now = timezone.now()
        audit = AuditBatch(ctx.actor)

        changed = []
        for org, changes in plan.updates:
            before = snapshot(org, ORG_AUDIT_FIELDS)
            for name, value in changes.items():
                setattr(org, name, value)
            org.updated_at = now
            changed.append(org)
            b, a = diff(before, snapshot(org, ORG_AUDIT_FIELDS))
            audit.add_instance("update", org, org_path=org.path, before=b, after=a)
        Organization.objects.bulk_update(changed, [*ORG_FIELDS, "updated_at"], batch_size=BATCH)

        self._create(plan, now, audit)

        for org, parent_code in plan.moves:
            org.refresh_from_db()
            parent = Organization.objects.get(code=parent_code)
            before = snapshot(org, ORG_AUDIT_FIELDS)
            Organization.objects.move(org, parent, pos="last-child")
            org.refresh_from_db()
            org.parent = parent
            org.updated_at = now
            org.save(update_fields=["parent", "updated_at"])
            audit.add_instance("move", org, org_path=org.path, before=before, after=snapshot(org, ORG_AUDIT_FIELDS))
        audit.save()
        return self.counts(plan)

    def _create(self, plan: OrgPlan, now, audit: AuditBatch) -> None:
        """Insert new organizations level by level as plain rows, with their materialized paths computed here.

        Parents come before children; each level's ids are looked up by code for the next level's parent column.
        numchild is known from the plan, so no second pass over the new rows is needed.
        """
        if not plan.creates:
            return
        new_codes = {r.values["code"] for r in plan.creates}
        children_count = Counter(plan.parent_code_of[c] for c in new_codes if c in plan.parent_code_of)
        # (id, path, depth) of every parent, existing ones from the database, new ones as they are inserted
        nodes = {
            code: (pk, path, depth)
            for code, pk, path, depth in filter_in(
                Organization.objects.order_by().values_list("code", "id", "path", "depth"),
                "code",
                [c for c in children_count if c not in new_codes],
            )
        }
        next_step: dict[str, int] = {}
        existing_parents = {nodes[c][0]: c for c in nodes}
        for batch in chunked(existing_parents):
            last = (
                Organization.objects.filter(parent_id__in=batch)
                .values_list("parent_id")
                .annotate(m=Max("path"))
                .order_by()
            )
            for parent_id, path in last:
                next_step[existing_parents[parent_id]] = Organization._str2int(path[-Organization.steplen :]) + 1
        roots_last = Organization.objects.filter(depth=1).aggregate(m=Max("path"))["m"]
        root_step = Organization._str2int(roots_last) + 1 if roots_last else 1

        by_level: dict[int, list[Row]] = defaultdict(list)
        for row in plan.creates:
            by_level[plan.level[row.values["code"]]].append(row)
        width = Organization.steplen
        for lvl in sorted(by_level):
            rows, placed = [], {}
            for row in by_level[lvl]:
                values = [self._value(row, name) for name in ORG_FIELDS]
                code = row.values["code"]
                parent_code = plan.parent_code_of.get(code)
                if parent_code:
                    parent_id, parent_path, parent_depth = nodes[parent_code]
                    step = next_step.get(parent_code, 1)
                    next_step[parent_code] = step + 1
                    path, depth = parent_path + Organization._int2str(step).rjust(width, "0"), parent_depth + 1
                else:
                    parent_id, path, depth = None, Organization._int2str(root_step).rjust(width, "0"), 1
                    root_step += 1
                rows.append((*values, parent_id, path, depth, children_count.get(code, 0), now, now))
                placed[code] = (values, parent_id, path, depth)
            bulk_insert(Organization, ORG_INSERT_FIELDS, rows)
            ids = filter_in(Organization.objects.order_by().values_list("code", "id"), "code", placed)
            for code, pk in ids:
                values, parent_id, path, depth = placed[code]
                nodes[code] = (pk, path, depth)
                after = {name: jsonable(v) for name, v in zip(ORG_FIELDS, values)}
                after.update(parent=parent_id, path=path)
                audit.add(
                    action="create",
                    object_type=ORG_TYPE,
                    object_id=pk,
                    object_repr=values[1],
                    org_path=path,
                    after=after,
                )
        for code, n in children_count.items():
            if code not in new_codes:
                Organization.objects.filter(pk=nodes[code][0]).update(numchild=F("numchild") + n)


POST_COLUMNS = (
    Column("组织代码", "org_code", cells.code(32), required=True, note="组织须在本文件的“组织”表或系统中"),
    Column("姓名", "name", cells.text(50), required=True),
    Column(
        "身份证号",
        "id_number",
        cells.id_number,
        required=True,
        note="18 位，请设为文本格式；按身份证号匹配人员，未登记的自动新建",
    ),
    Column("职务", "title", cells.choice(PostTitle.values), required=True, note=" / ".join(PostTitle.values)),
    Column("任职日期", "start_on", cells.date, required=True, note="含当天"),
    Column("离任日期", "end_on", cells.date, note="含当天；空白表示仍在任"),
)


@dataclass
class PostPlan:
    new_persons: dict[str, tuple[str, str]] = field(default_factory=dict)  # digest -> (name, id number)
    creates: list[dict] = field(default_factory=list)
    updates: list[tuple[Post, dict]] = field(default_factory=list)
    unchanged: int = 0


class PostSheet(SheetImporter):
    """职务: who holds which post where. The person is matched by ID number (created if unknown); a masked number
    from our own export is matched by name and mask, so an export imports back unchanged."""

    name = "职务"
    aliases = ("posts",)
    columns = POST_COLUMNS

    def plan(self, rows: list[Row], ctx: ImportContext) -> PostPlan:
        sheet = self.name
        plan = PostPlan()
        today = timezone.localdate()
        planned_orgs = ctx.shared.get(ORGS_PLANNED, set())
        org_codes = {r.values["org_code"] for r in rows}
        orgs = {o.code: o for o in filter_in(Organization.objects.only("id", "code", "path"), "code", org_codes)}

        # Resolve people: full numbers by keyed digest, masked ones by (name, mask).
        digests: dict[int, str] = {}
        full_numbers: dict[int, str] = {}
        masked_rows = []
        for row in rows:
            raw = row.values["id_number"]
            if "*" in raw:
                masked_rows.append(row)
                continue
            try:
                info = parse_id_number(raw)
            except IdNumberError as exc:
                ctx.problem(sheet, row.number, "身份证号", str(exc))
                continue
            digests[row.number] = crypto.digest(info.number)
            full_numbers[row.number] = info.number
        persons = {p.id_number_digest: p for p in filter_in(Person.objects.all(), "id_number_digest", digests.values())}
        if masked_rows:
            candidates = defaultdict(list)
            for p in filter_in(Person.objects.all(), "id_number_masked", {r.values["id_number"] for r in masked_rows}):
                candidates[(p.name, p.id_number_masked)].append(p)
            for row in masked_rows:
                found = candidates.get((row.values["name"], row.values["id_number"]), [])
                if len(found) != 1:
                    ctx.problem(
                        sheet,
                        row.number,
                        "身份证号",
                        "身份证号已脱敏，且无法按姓名唯一匹配到已登记人员，请填写完整身份证号",
                    )
                    continue
                digests[row.number] = found[0].id_number_digest
                persons[found[0].id_number_digest] = found[0]

        name_of_digest: dict[str, tuple[str, int]] = {}
        keys: dict[tuple, int] = {}
        valid: list[tuple[Row, str]] = []
        for row in rows:
            v = row.values
            ok = True
            if v["end_on"] and v["end_on"] < v["start_on"]:
                ctx.problem(sheet, row.number, "离任日期", "不能早于任职日期")
                ok = False
            if v["start_on"] > today:
                ctx.problem(sheet, row.number, "任职日期", "不能晚于今天")
                ok = False
            org = orgs.get(v["org_code"])
            if v["org_code"] not in planned_orgs and (org is None or not in_scope(ctx.actor, Action.MANAGE, org.path)):
                ctx.problem(sheet, row.number, "组织代码", f"组织 {v['org_code']} 不存在或不在您的管理范围内")
                ok = False
            digest = digests.get(row.number)
            if digest is None:
                continue
            person = persons.get(digest)
            if person and person.name != v["name"]:
                ctx.problem(sheet, row.number, "姓名", "与该身份证号已登记的姓名不一致")
                ok = False
            seen = name_of_digest.setdefault(digest, (v["name"], row.number))
            if seen[0] != v["name"]:
                ctx.problem(sheet, row.number, "姓名", f"同一身份证号在第 {seen[1]} 行的姓名为“{seen[0]}”")
                ok = False
            key = (v["org_code"], digest, v["title"], v["start_on"])
            if key in keys:
                ctx.problem(sheet, row.number, "任职日期", f"与第 {keys[key]} 行是同一条任职记录")
                ok = False
            keys[key] = row.number
            if ok:
                valid.append((row, digest))
                if person is None:
                    plan.new_persons.setdefault(digest, (v["name"], full_numbers[row.number]))

        existing = {
            (p.organization.code, p.person.id_number_digest, p.title, p.start_on): p
            for p in filter_in(Post.objects.select_related("organization", "person"), "organization__code", org_codes)
        }
        # One secretary at a time: check the secretary terms the import would leave, file and database together.
        terms: dict[str, dict[tuple, tuple]] = defaultdict(dict)
        for key, post in existing.items():
            if post.title == PostTitle.SECRETARY:
                terms[key[0]][key] = (post.start_on, post.end_on, post.person.name, None)
        for row, digest in valid:
            v = row.values
            key = (v["org_code"], digest, v["title"], v["start_on"])
            if v["title"] == PostTitle.SECRETARY:
                terms[v["org_code"]][key] = (v["start_on"], v["end_on"], v["name"], row.number)
            post = existing.get(key)
            if post is None:
                plan.creates.append(
                    {
                        "org_code": v["org_code"],
                        "digest": digest,
                        "title": v["title"],
                        "start_on": v["start_on"],
                        "end_on": v["end_on"],
                    }
                )
            elif post.end_on != v["end_on"]:
                plan.updates.append((post, {"end_on": v["end_on"]}))
            else:
                plan.unchanged += 1
        for org_code, by_key in terms.items():
            clash = overlapping_secretary_terms(list(by_key.values()))
            if clash:
                a, b = clash
                number = b[3] or a[3]
                if number is None:
                    continue  # an overlap already in the database is not this file's doing
                ctx.problem(
                    sheet,
                    number,
                    "任职日期",
                    f"组织 {org_code} 的书记任期重叠：{a[2]}（{a[0]} 起）与 {b[2]}（{b[0]} 起），同一时间只能有一名书记",
                )
        return plan

    def counts(self, plan: PostPlan) -> Counts:
        return Counts(created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged)

    def apply(self, plan: PostPlan, ctx: ImportContext) -> Counts:
        audit = AuditBatch(ctx.actor)
        orgs = {
            o.code: o
            for o in filter_in(
                Organization.objects.only("id", "code", "path"), "code", {c["org_code"] for c in plan.creates}
            )
        }
        # A new person's audit row sits in the subtree of the organization whose post brought them in.
        first_org = {}
        for c in plan.creates:
            first_org.setdefault(c["digest"], c["org_code"])
        new_people = [person_build(name=name, id_number=number) for name, number in plan.new_persons.values()]
        Person.objects.bulk_create(new_people, batch_size=BATCH)
        for person in new_people:
            org = orgs.get(first_org.get(person.id_number_digest))
            audit.add_instance(
                "create", person, org_path=org.path if org else "", after=snapshot(person, PERSON_AUDIT_FIELDS)
            )
        people = {p.id_number_digest: p for p in filter_in(Person.objects.all(), "id_number_digest", first_org)}
        now = timezone.now()
        posts = [
            Post(
                organization=orgs[c["org_code"]],
                person=people[c["digest"]],
                title=c["title"],
                start_on=c["start_on"],
                end_on=c["end_on"],
                created_at=now,
            )
            for c in plan.creates
        ]
        Post.objects.bulk_create(posts, batch_size=BATCH)
        for post in posts:
            audit.add_instance("create", post, org_path=post.organization.path, after=snapshot(post, POST_AUDIT_FIELDS))
        changed = []
        for post, changes in plan.updates:
            before = snapshot(post, POST_AUDIT_FIELDS)
            for name, value in changes.items():
                setattr(post, name, value)
            changed.append(post)
            b, a = diff(before, snapshot(post, POST_AUDIT_FIELDS))
            audit.add_instance("update", post, org_path=post.organization.path, before=b, after=a)
        Post.objects.bulk_update(changed, ["end_on"], batch_size=BATCH)
        audit.save()
        return self.counts(plan)


def _headers(columns) -> list[str]:
    return [c.header for c in columns]


def organizations_export(actor, *, year=None, unmasked=False, queryset=None) -> ExportTable:
    """Same columns as the 组织 sheet, parents before children, so the file imports back unchanged."""
    qs = (queryset if queryset is not None else Organization.objects.all()).restrict(actor, Action.VIEW)
    qs = qs.select_related("parent").order_by("path")

    def rows():
        for o in qs.iterator(chunk_size=2000):
            yield [
                o.code,
                o.name,
                o.parent.code if o.parent_id else None,
                o.kind,
                o.domain or None,
                o.assessment_group or None,
                o.has_committee,
                o.has_party_groups,
                o.founded_on,
                o.last_election_on,
                o.term_years,
            ]

    return ExportTable("organizations", _headers(ORG_COLUMNS), rows(), "organizations.xlsx")


def posts_export(actor, *, year=None, unmasked=False, queryset=None) -> ExportTable:
    """Same columns as the 职务 sheet; ID numbers masked unless `unmasked` (checked and audited by the caller)."""
    action = Action.VIEW_PERSONAL if unmasked else Action.VIEW
    qs = (queryset if queryset is not None else Post.objects.all()).restrict(actor, action)
    qs = qs.select_related("organization", "person").order_by("organization__code", "start_on", "title", "id")

    def rows():
        for p in qs.iterator(chunk_size=2000):
            number = p.person.id_number if unmasked else p.person.id_number_masked
            yield [p.organization.code, p.person.name, number, p.title, p.start_on, p.end_on]

    return ExportTable("posts", _headers(POST_COLUMNS), rows(), "posts.xlsx")
