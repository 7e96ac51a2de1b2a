"""The 党员 sheet and the members export (layouts in README, "Excel 格式")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from core import crypto
from core.audit import AuditBatch, diff, snapshot
from core.bulk import bulk_insert, filter_in, reserve_ids
from core.idnumber import IdInfo, IdNumberError, parse_id_number
from core.scope import ALL, Action, scope_paths
from core.xlsx import cells
from core.xlsx.sheets import Column, Counts, ImportContext, Row, SheetImporter
from core.xlsx.writer import ExportTable
from organizations.models import Organization

from .choices import Education, Gender, MemberCategory, MemberStatus
from .models import Member, Membership, Person, StatusChange
from .rules import PHONE_RE, PHONE_REASON, branch_problem, member_problems
from .services import MEMBER_AUDIT_FIELDS, move_first_membership, phone_fields

BATCH = 2000
ORGS_PLANNED = "organizations.planned_codes"


def _id_number_cell(value) -> IdInfo | str:
    """A full ID number must pass GB 11643 here and comes back parsed (IdInfo: birth date and gender read once);
    a masked one (our own export) stays text and is matched later by name and mask."""
    text = cells.id_number(value)
    if not text or "*" in text:
        return text
    try:
        return parse_id_number(text)
    except IdNumberError as exc:
        raise cells.CellError(str(exc)) from None


def _phone_cell(value) -> str:
    text = cells.text(20)(value)
    if text and "*" not in text and not PHONE_RE.match(text):
        raise cells.CellError(PHONE_REASON)
    return text


MEMBER_COLUMNS = (
    Column("姓名", "name", cells.text(50), required=True),
    Column(
        "身份证号", "id_number", _id_number_cell, required=True, note="18 位，请设为文本格式；按身份证号匹配已有档案"
    ),
    Column("性别", "gender", cells.choice(Gender.values), note="男 / 女，须与身份证号一致"),
    Column("民族", "ethnicity", cells.text(20)),
    Column("出生日期", "birth_date", cells.date, note="须与身份证号一致"),
    Column("学历", "education", cells.choice(Education.values), note=" / ".join(Education.values)),
    Column("所在支部代码", "branch_code", cells.code(32), required=True, note="支部须在系统中且在您的管理范围内"),
    Column("人员类别", "category", cells.choice(MemberCategory.values), required=True, note="正式党员 / 预备党员"),
    Column("入党日期", "joined_on", cells.date, required=True, note="入党时须年满 18 周岁"),
    Column("转正日期", "full_member_on", cells.date, note="不早于入党日期；预备党员留空"),
    Column(
        "党籍状态", "status", cells.choice(MemberStatus.values), note=" / ".join(MemberStatus.values) + "；空白为正常"
    ),
    Column("手机号码", "phone", _phone_cell, note="11 位手机号码"),
)
# Column headers of the fields member_problems() names, so a rule's reason lands on the right column.
PROBLEM_COLUMNS = {
    "birth_date": "出生日期", "gender": "性别", "joined_on": "入党日期", "full_member_on": "转正日期", "phone": "手机号码",
}  # fmt: skip
PERSON_FIELDS = ["id", "name", "id_number_digest", "id_number_encrypted", "id_number_masked", "gender", "birth_date",
                 "created_at"]  # fmt: skip
MEMBER_FIELDS = [
    "id", "person", "branch", "category", "status", "ethnicity", "education", "joined_on", "full_member_on",
    "occupation", "address", "phone_encrypted", "phone_digest", "phone_masked", "created_at", "updated_at",
]  # fmt: skip
UPDATABLE = ("category", "status", "ethnicity", "education", "joined_on", "full_member_on")


@dataclass
class MemberPlan:
    new_persons: list[dict] = field(default_factory=list)
    creates: list[dict] = field(default_factory=list)
    updates: list[tuple[Member, dict]] = field(default_factory=list)
    unchanged: int = 0
    today: dt.date = field(default_factory=timezone.localdate)


class MemberSheet(SheetImporter):
    """党员: one member file a row, matched by 身份证号; a changed 所在支部代码 is a transfer dated the import day."""

    name = "党员"
    aliases = ("members",)
    columns = MEMBER_COLUMNS

    def plan(self, rows: list[Row], ctx: ImportContext) -> MemberPlan:
        sheet = self.name
        plan = MemberPlan()
        change_paths = scope_paths(ctx.actor, Action.CHANGE)

        def changeable(path: str) -> bool:
            return change_paths is ALL or any(path.startswith(p) for p in change_paths)

        branches = {
            o.code: o
            for o in filter_in(
                Organization.objects.only("id", "code", "path", "name"), "code", {r.values["branch_code"] for r in rows}
            )
        }
        infos: dict[int, object] = {}
        masked = []
        for row in rows:
            parsed = row.values["id_number"]
            if isinstance(parsed, IdInfo):
                infos[row.number] = parsed
            else:
                masked.append(row)
        digest_of = {n: crypto.digest(info.number) for n, info in infos.items()}
        persons = {
            p.id_number_digest: p for p in filter_in(Person.objects.all(), "id_number_digest", digest_of.values())
        }
        if masked:
            by_mask = defaultdict(list)
            for p in filter_in(Person.objects.all(), "id_number_masked", {r.values["id_number"] for r in masked}):
                by_mask[(p.name, p.id_number_masked)].append(p)
            for row in masked:
                found = by_mask.get((row.values["name"], row.values["id_number"]), [])
                if len(found) != 1:
                    ctx.problem(
                        sheet,
                        row.number,
                        "身份证号",
                        "身份证号已脱敏，且无法按姓名唯一匹配到已登记人员，请填写完整身份证号",
                    )
                    continue
                digest_of[row.number] = found[0].id_number_digest
                persons[found[0].id_number_digest] = found[0]
        members = {
            m.person_id: m
            for m in filter_in(
                Member.objects.select_related("branch", "person"), "person_id", [p.pk for p in persons.values()]
            )
        }

        seen: dict[str, int] = {}
        touched: dict[int, int] = {}  # member id -> row number, for the membership checks below
        for row in rows:
            v = row.values
            digest = digest_of.get(row.number)
            if digest is None:
                continue
            if digest in seen:
                ctx.problem(sheet, row.number, "身份证号", f"与第 {seen[digest]} 行是同一人")
                continue
            seen[digest] = row.number
            ok = True
            branch = branches.get(v["branch_code"])
            planned = branch is None and v["branch_code"] in ctx.shared.get(ORGS_PLANNED, ())
            if not planned and (branch is None or not changeable(branch.path)):
                ctx.problem(sheet, row.number, "所在支部代码", f"支部 {v['branch_code']} 不存在或不在您的管理范围内")
                ok = False
            elif branch is not None and (problem := branch_problem(branch)):
                ctx.problem(sheet, row.number, "所在支部代码", problem)
                ok = False
            person = persons.get(digest)
            if person is not None and person.name != v["name"]:
                ctx.problem(sheet, row.number, "姓名", "与该身份证号已登记的姓名不一致")
                ok = False
            member = members.get(person.pk) if person else None
            if member is not None and not changeable(member.branch.path):
                ctx.problem(sheet, row.number, "身份证号", "该党员的档案在您管理范围以外的支部，请由其所在支部办理转接")
                ok = False
            info = infos.get(row.number) or parse_id_number(person.id_number)
            masked_phone = "*" in v["phone"]
            if masked_phone and (member is None or v["phone"] != member.phone_masked):
                ctx.problem(sheet, row.number, "手机号码", "手机号码已脱敏，且与已登记的号码不符，请填写完整号码")
                ok = False
            problems = member_problems(
                info=info,
                birth_date=v["birth_date"],
                gender=v["gender"] or None,
                category=v["category"],
                joined_on=v["joined_on"],
                full_member_on=v["full_member_on"],
                phone="" if masked_phone else v["phone"],
                today=plan.today,
            )
            for name, reason in problems.items():
                ctx.problem(sheet, row.number, PROBLEM_COLUMNS[name], reason)
            if problems or not ok:
                continue
            # The parsed row becomes the plan's record of it (no copy: a hundred thousand of them).
            values = v
            values.update(status=v["status"] or MemberStatus.NORMAL, branch=branch, digest=digest, info=info,
                          person=person)  # fmt: skip
            if member is None:
                if person is None:
                    plan.new_persons.append(values)
                plan.creates.append(values)
                continue
            changes = {k: values[k] for k in UPDATABLE if getattr(member, k) != values[k]}
            if member.branch.code != v["branch_code"]:
                changes["branch_code"] = v["branch_code"]
            # A masked number (our own export) equal to the stored mask means "unchanged".
            if not masked_phone and (crypto.digest(v["phone"]) if v["phone"] else "") != member.phone_digest:
                changes["phone"] = v["phone"]
            if changes:
                plan.updates.append((member, changes))
                touched[member.pk] = row.number
            else:
                plan.unchanged += 1
        self._check_memberships(plan, touched, ctx)
        return plan

    def _check_memberships(self, plan: MemberPlan, touched: dict[int, int], ctx: ImportContext) -> None:
        """A transfer dated today needs the open membership to have started before today; a corrected join date
        moves the first membership's start and may not pass its end. One query for all changed members."""
        first, current = {}, {}
        for m in filter_in(Membership.objects.order_by("member_id", "start_on"), "member_id", touched):
            first.setdefault(m.member_id, m)
            if m.end_on is None:
                current[m.member_id] = m
        for member, changes in plan.updates:
            number = touched[member.pk]
            open_one = current.get(member.pk)
            if "branch_code" in changes and open_one and plan.today <= open_one.start_on:
                ctx.problem(
                    self.name,
                    number,
                    "所在支部代码",
                    f"转接日期（导入当天 {plan.today}）应晚于本段组织关系的起始日期 {open_one.start_on}",
                )
            start = first.get(member.pk)
            if "joined_on" in changes and start and start.end_on and changes["joined_on"] > start.end_on:
                ctx.problem(self.name, number, "入党日期", f"入党日期不能晚于第一段组织关系的截止日期 {start.end_on}")

    def counts(self, plan: MemberPlan) -> Counts:
        return Counts(created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged)

    def apply(self, plan: MemberPlan, ctx: ImportContext) -> Counts:
        now = timezone.now()
        audit = AuditBatch(ctx.actor)
        # Branches are resolved now: some may have been created by this file's 组织 sheet a moment ago.
        codes = {v["branch_code"] for v in plan.creates} | {
            c["branch_code"] for _, c in plan.updates if "branch_code" in c
        }
        branches = {o.code: o for o in filter_in(Organization.objects.only("id", "code", "path"), "code", codes)}
        for v in plan.creates:
            v["branch"] = branches[v["branch_code"]]
        # Ids are reserved up front, so the persons and members written below need no lookup afterwards.
        person_ids = iter(reserve_ids(Person, len(plan.new_persons)))
        for v in plan.new_persons:
            v["person_id"] = next(person_ids)
        for v in plan.creates:
            if "person_id" not in v:
                v["person_id"] = v["person"].pk
        member_ids = iter(reserve_ids(Member, len(plan.creates)))
        for v in plan.creates:
            v["member_id"] = next(member_ids)

        new_person = {v["person_id"] for v in plan.new_persons}

        def person_rows():
            for v in plan.new_persons:
                info = v["info"]
                v["id_number_masked"] = masked = crypto.mask_id_number(info.number)
                yield (v["person_id"], v["name"], v["digest"], crypto.encrypt(info.number), masked, info.gender,
                       info.birth_date, now)  # fmt: skip

        def member_rows():
            # One audit event a row of the sheet: the member file's, which names the person it belongs to and says
            # when the person was registered by this row too (their fields all derive from the ID number).
            for v in plan.creates:
                phone = phone_fields(v["phone"] if "*" not in v["phone"] else "")
                after = {
                    "person": v["person_id"],
                    "branch": v["branch"].pk,
                    "category": v["category"],
                    "status": v["status"],
                    "ethnicity": v["ethnicity"],
                    "education": v["education"],
                    "joined_on": v["joined_on"].isoformat(),
                    "full_member_on": v["full_member_on"].isoformat() if v["full_member_on"] else None,
                    "occupation": "",
                    "address": "",
                    "phone_masked": phone["phone_masked"],
                }
                audit.add(
                    action="create",
                    object_type="members.member",
                    object_id=v["member_id"],
                    object_repr=v["name"],
                    org_path=v["branch"].path,
                    after=after,
                    note=f"同时登记人员（身份证号 {v['id_number_masked']}）" if v["person_id"] in new_person else "",
                )
                yield (v["member_id"], v["person_id"], v["branch"].pk, v["category"], v["status"], v["ethnicity"],
                       v["education"], v["joined_on"], v["full_member_on"], "", "", phone["phone_encrypted"],
                       phone["phone_digest"], phone["phone_masked"], now, now)  # fmt: skip

        # Generators, not lists: on PostgreSQL the server ingests each COPY while the next rows are encrypted.
        bulk_insert(Person, PERSON_FIELDS, person_rows())
        bulk_insert(Member, MEMBER_FIELDS, member_rows())
        bulk_insert(
            Membership,
            ["member", "branch", "start_on", "note"],
            ((v["member_id"], v["branch"].pk, v["joined_on"], "建档") for v in plan.creates),
        )
        self._update(plan, now, audit, branches)
        audit.save()
        return self.counts(plan)

    def _update(self, plan: MemberPlan, now, audit: AuditBatch, branches: dict) -> None:
        """Changed files: field updates, transfers (dated the import day) and status changes, each audited."""
        changed, transfers, statuses, joined_changed = [], [], [], []
        for member, changes in plan.updates:
            before = snapshot(member, MEMBER_AUDIT_FIELDS)
            for name in UPDATABLE:
                if name in changes:
                    setattr(member, name, changes[name])
            if "phone" in changes:
                for name, value in phone_fields(changes["phone"]).items():
                    setattr(member, name, value)
            if "branch_code" in changes:
                transfers.append((member, branches[changes["branch_code"]]))
                member.branch = branches[changes["branch_code"]]
            if "joined_on" in changes:
                joined_changed.append(member)
            if "status" in changes:
                statuses.append(
                    StatusChange(
                        member=member,
                        status=changes["status"],
                        changed_on=plan.today,
                        note="Excel 导入",
                        created_at=now,
                    )
                )
            member.updated_at = now
            changed.append(member)
            b, a = diff(before, snapshot(member, MEMBER_AUDIT_FIELDS))
            audit.add_instance("update", member, org_path=member.branch.path, before=b, after=a)
        Member.objects.bulk_update(
            changed,
            [*UPDATABLE, "branch", "phone_encrypted", "phone_digest", "phone_masked", "updated_at"],
            batch_size=BATCH,
        )
        for member in joined_changed:
            move_first_membership(member, member.joined_on)
        for member, new_branch in transfers:
            Membership.objects.filter(member=member, end_on__isnull=True).update(
                end_on=plan.today - dt.timedelta(days=1)
            )
            Membership.objects.create(member=member, branch=new_branch, start_on=plan.today, note="Excel 导入转接")
        StatusChange.objects.bulk_create(statuses, batch_size=BATCH)


def members_export(actor, *, year=None, unmasked=False, queryset=None) -> ExportTable:
    """Same columns as the 党员 sheet; ID and phone numbers masked unless `unmasked` (checked and audited)."""
    action = Action.VIEW_PERSONAL if unmasked else Action.VIEW
    qs = (queryset if queryset is not None else Member.objects.all()).restrict(actor, action)
    # Plain tuples, not model instances: a 100k-member export spends its time writing, not building objects.
    id_field, phone_field = (
        ("person__id_number_encrypted", "phone_encrypted") if unmasked else ("person__id_number_masked", "phone_masked")
    )
    qs = qs.order_by("branch__code", "person__name", "id").values_list(
        "person__name", id_field, "person__gender", "ethnicity", "person__birth_date", "education", "branch__code",
        "category", "joined_on", "full_member_on", "status", phone_field,
    )  # fmt: skip

    def rows():
        for values in qs.iterator(chunk_size=5000):
            row = list(values)
            if unmasked:
                row[1] = crypto.decrypt(row[1])
                row[11] = crypto.decrypt(row[11]) if row[11] else ""
            for blank_is_none in (3, 5, 11):  # 民族, 学历, 手机号码: blank cells, not empty strings
                row[blank_is_none] = row[blank_is_none] or None
            yield row

    return ExportTable("members", [c.header for c in MEMBER_COLUMNS], rows(), "members.xlsx")
