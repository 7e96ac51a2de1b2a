"""Writes for people (and, from the members capability on, member files)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import crypto
from core.audit import audit_log, snapshot
from core.idnumber import IdNumberError, parse_id_number
from core.scope import Action
from organizations.services import ensure_in_scope

from .flow import flow_follow_status
from .models import Member, Membership, Person, StatusChange
from .rules import FINAL_STATUSES, branch_problem, member_problems, status_change_problem

PERSON_AUDIT_FIELDS = ("name", "gender", "birth_date", "id_number_masked")


def person_build(*, name: str, id_number: str) -> Person:
    """An unsaved Person with the derived fields filled in; raises IdNumberError for a bad number."""
    info = parse_id_number(id_number)
    return Person(
        name=name.strip(),
        id_number_digest=crypto.digest(info.number),
        id_number_encrypted=crypto.encrypt(info.number),
        id_number_masked=crypto.mask_id_number(info.number),
        gender=info.gender,
        birth_date=info.birth_date,
    )


@transaction.atomic
def person_get_or_create(*, name: str, id_number: str, actor, org_path: str = "") -> Person:
    """The person with this ID number, created (and audited, in the subtree at `org_path`) if unknown."""
    info = parse_id_number(id_number)
    existing = Person.objects.filter(id_number_digest=crypto.digest(info.number)).first()
    if existing:
        return existing
    person = person_build(name=name, id_number=info.number)
    person.full_clean()
    person.save()

    audit_log(actor=actor, action="create", obj=person, org_path=org_path, after=snapshot(person, PERSON_AUDIT_FIELDS))
    return person


MEMBER_FIELDS = (
    "branch", "category", "status", "ethnicity", "education", "joined_on", "full_member_on", "occupation", "address",
)  # fmt: skip
MEMBER_AUDIT_FIELDS = (*MEMBER_FIELDS, "phone_masked")


def phone_fields(phone: str) -> dict:
    """The stored forms of a phone number: encrypted, keyed digest (for lookups) and masked."""
    if not phone:
        return {"phone_encrypted": "", "phone_digest": "", "phone_masked": ""}
    return {
        "phone_encrypted": crypto.encrypt(phone),
        "phone_digest": crypto.digest(phone),
        "phone_masked": crypto.mask_phone(phone),
    }


def first_membership_problem(member: Member, joined_on) -> str | None:
    """A corrected 入党日期 moves the start of the first membership; it may not pass that membership's end."""
    first = member.memberships.order_by("start_on").first()
    if first and first.end_on and joined_on > first.end_on:
        return f"入党日期不能晚于第一段组织关系的截止日期 {first.end_on}"
    return None


def move_first_membership(member: Member, joined_on) -> None:
    first = member.memberships.order_by("start_on").first()
    if first and first.start_on != joined_on:
        first.start_on = joined_on
        first.save(update_fields=["start_on"])


def _raise_problems(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def member_create(
    *,
    actor,
    name: str,
    id_number: str,
    branch,
    category: str,
    joined_on,
    full_member_on=None,
    phone: str = "",
    ethnicity: str = "",
    education: str = "",
    occupation: str = "",
    address: str = "",
) -> Member:
    """Open a member file in `branch` (the person is matched by ID number, created if unknown)."""
    ensure_in_scope(actor, Action.CHANGE, branch)
    if problem := branch_problem(branch):
        raise ValidationError({"branch": problem})
    try:
        info = parse_id_number(id_number)
    except IdNumberError as exc:
        raise ValidationError({"id_number": str(exc)}) from None
    _raise_problems(
        member_problems(
            info=info,
            birth_date=None,
            gender=None,
            category=category,
            joined_on=joined_on,
            full_member_on=full_member_on,
            phone=phone,
        )
    )
    person = person_get_or_create(name=name, id_number=info.number, actor=actor, org_path=branch.path)
    if person.name != name.strip():
        raise ValidationError({"name": "与该身份证号已登记的姓名不一致。"})
    if Member.objects.filter(person=person).exists():
        raise ValidationError({"id_number": "该身份证号已有党员档案。"})
    member = Member(
        person=person,
        branch=branch,
        category=category,
        joined_on=joined_on,
        full_member_on=full_member_on,
        ethnicity=ethnicity,
        education=education,
        occupation=occupation,
        address=address,
        **phone_fields(phone),
    )
    member.full_clean(exclude=["person", "branch"])
    member.save()
    Membership.objects.create(member=member, branch=branch, start_on=joined_on, note="建档")
    audit_log(
        actor=actor, action="create", obj=member, org_path=branch.path, after=snapshot(member, MEMBER_AUDIT_FIELDS)
    )
    return member


@transaction.atomic
def member_transfer(*, actor, member: Member, to_branch, on, note: str = "") -> Member:
    """Move a member to another branch on date `on`: the old membership ends the day before, the new one starts."""
    ensure_in_scope(actor, Action.CHANGE, member.branch)
    ensure_in_scope(actor, Action.CHANGE, to_branch)
    if to_branch.pk == member.branch_id:
        raise ValidationError({"branch": "转入支部与当前所在支部相同。"})
    if problem := branch_problem(to_branch):
        raise ValidationError({"branch": problem})
    if member.status in FINAL_STATUSES:
        raise ValidationError({"branch": f"党籍状态为“{member.status}”的档案不能转接。"})
    if on > timezone.localdate():
        raise ValidationError({"on": "转接日期不能晚于今天。"})
    current = member.memberships.filter(end_on__isnull=True).order_by("-start_on").first()
    if current and on <= current.start_on:
        raise ValidationError({"on": f"转接日期应晚于本段组织关系的起始日期 {current.start_on}。"})
    before = snapshot(member, MEMBER_AUDIT_FIELDS)
    old_path = member.branch.path
    if current:
        current.end_on = on - dt.timedelta(days=1)
        current.save(update_fields=["end_on"])
    Membership.objects.create(member=member, branch=to_branch, start_on=on, note=note or "组织关系转接")
    member.branch = to_branch
    member.updated_at = timezone.now()
    member.save(update_fields=["branch", "updated_at"])
    after = snapshot(member, MEMBER_AUDIT_FIELDS)
    # One row on each side, so the township the member left sees the transfer as well as the one it joined.
    for side, path in (("转出", old_path), ("转入", to_branch.path)):
        audit_log(
            actor=actor,
            action="transfer",
            obj=member,
            org_path=path,
            before=before,
            after=after,
            note=f"{side}{('：' + note) if note else ''}",
        )
    return member


@transaction.atomic
def member_status_change(*, actor, member: Member, status: str, on, place: str = "", note: str = "") -> Member:
    """Record a change of 党籍状态 (流出 with its destination, 失联 with the date contact was lost, 死亡 …); the
    member's flow records follow in the same transaction (members.flow.flow_follow_status)."""
    ensure_in_scope(actor, Action.CHANGE, member.branch)
    if status == member.status:
        raise ValidationError({"status": f"党籍状态已是“{status}”。"})
    last = member.status_changes.order_by("-changed_on").values_list("changed_on", flat=True).first()
    problem = status_change_problem(
        current=member.status,
        on=on,
        joined_on=member.joined_on,
        last_change=last,
        today=timezone.localdate(),
    )
    if problem:
        raise ValidationError({"on": problem})
    before = snapshot(member, MEMBER_AUDIT_FIELDS)
    StatusChange.objects.create(member=member, status=status, changed_on=on, place=place, note=note)
    member.status = status
    member.updated_at = timezone.now()
    member.full_clean(exclude=["person", "branch"])
    member.save(update_fields=["status", "updated_at"])
    flow_follow_status(actor=actor, member=member, status=status, on=on, place=place)
    audit_log(
        actor=actor,
        action="status_change",
        obj=member,
        org_path=member.branch.path,
        before=before,
        after=snapshot(member, MEMBER_AUDIT_FIELDS),
        note=f"{on} {place} {note}".strip(),
    )
    return member


@transaction.atomic
def member_reveal(*, actor, member: Member) -> dict:
    """The full ID and phone numbers, for roles allowed to see them; every reveal leaves an audit row (PIPL)."""
    ensure_in_scope(actor, Action.VIEW_PERSONAL, member.branch)
    audit_log(actor=actor, action="view_personal", obj=member, org_path=member.branch.path)
    return {"id_number": member.person.id_number, "phone": member.phone}


MEMBER_UPDATE_FIELDS = (
    "category", "ethnicity", "education", "joined_on", "full_member_on", "occupation", "address", "phone",
)  # fmt: skip


@transaction.atomic
def member_update(*, actor, member: Member, **fields) -> Member:
    """Change a member file's own fields (MEMBER_UPDATE_FIELDS); the branch changes by transfer, the status by
    member_status_change, the person's name and ID number not at all here."""
    ensure_in_scope(actor, Action.CHANGE, member.branch)
    unknown = set(fields) - set(MEMBER_UPDATE_FIELDS)
    if unknown:
        raise ValueError(f"member_update cannot change {sorted(unknown)}")
    values = {name: fields.get(name, getattr(member, name)) for name in MEMBER_UPDATE_FIELDS}
    _raise_problems(
        member_problems(
            info=parse_id_number(member.person.id_number),
            birth_date=None,
            gender=None,
            category=values["category"],
            joined_on=values["joined_on"],
            full_member_on=values["full_member_on"],
            phone=values["phone"] if "phone" in fields else "",
        )
    )
    if "joined_on" in fields and fields["joined_on"] != member.joined_on:
        problem = first_membership_problem(member, fields["joined_on"])
        if problem:
            raise ValidationError({"joined_on": problem})
        move_first_membership(member, fields["joined_on"])
    before = snapshot(member, MEMBER_AUDIT_FIELDS)
    for name in MEMBER_UPDATE_FIELDS:
        if name in fields and name != "phone":
            setattr(member, name, fields[name])
    if "phone" in fields:
        for name, value in phone_fields(fields["phone"]).items():
            setattr(member, name, value)
    member.updated_at = timezone.now()
    member.full_clean(exclude=["person", "branch"])
    member.save()
    audit_log(
        actor=actor,
        action="update",
        obj=member,
        org_path=member.branch.path,
        before=before,
        after=snapshot(member, MEMBER_AUDIT_FIELDS),
    )
    return member
