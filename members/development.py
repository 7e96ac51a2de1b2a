"""Writes and reads of the development pipeline (发展党员), thought reports, training and points."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from core.audit import audit_log, snapshot
from core.exceptions import NotInScope
from core.idnumber import IdNumberError
from core.scope import Action
from organizations.services import ensure_in_scope

from .choices import DevelopmentStage, MemberCategory
from .models import Candidate, Member, PointItem, PointRecord, StarRule, ThoughtReport, TrainingRecord
from .pipeline import candidate_problems
from .rules import point_record_problems, star_for, training_problems
from .services import member_create, member_update, person_get_or_create

STEP_FIELDS = (
    "talked_on", "activist_on", "target_on", "training_hours", "admitted_on", "approved_on", "full_on",
    "extension_months",
)  # fmt: skip
CANDIDATE_AUDIT_FIELDS = ("branch", "stage", "applied_on", *STEP_FIELDS)
# The steps in the order they happen; each date may not come before the one above it.
STEP_ORDER = ("applied_on", "activist_on", "target_on", "admitted_on", "full_on")


def stage_of(c: Candidate) -> str:
    if c.full_on:
        return DevelopmentStage.FULL
    if c.admitted_on:
        return DevelopmentStage.PROBATIONARY
    if c.target_on:
        return DevelopmentStage.TARGET
    if c.activist_on:
        return DevelopmentStage.ACTIVIST
    return DevelopmentStage.APPLICANT


def _check_order(c: Candidate) -> None:
    """Each step needs the one before it, comes no earlier than it, and lies no later than today."""
    today = timezone.localdate()
    label = {f.name: f.verbose_name for f in Candidate._meta.get_fields() if hasattr(f, "verbose_name")}
    problems = {}
    previous = None
    for name in STEP_ORDER:
        value = getattr(c, name)
        if value is None:
            continue
        prior = STEP_ORDER[STEP_ORDER.index(name) - 1] if name != STEP_ORDER[0] else None
        if prior and getattr(c, prior) is None:
            problems[name] = f"请先填写{label[prior]}"
        elif value > today:
            problems[name] = f"{label[name]}不能晚于今天"
        elif previous and value < previous[1]:
            problems[name] = f"{label[name]}不能早于{label[previous[0]]}"
        previous = (name, value)
    for name in ("talked_on", "approved_on"):
        value = getattr(c, name)
        if value and value > today:
            problems[name] = f"{label[name]}不能晚于今天"
    if c.talked_on and c.talked_on < c.applied_on:
        problems["talked_on"] = "谈话日期不能早于递交申请日期"
    if c.approved_on and (c.admitted_on is None or c.approved_on < c.admitted_on):
        problems["approved_on"] = "上级审批日期应在接收预备党员之后"
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def candidate_register(*, actor, branch, name: str, id_number: str, applied_on: dt.date) -> Candidate:
    """Someone handed in an application (入党申请书): they enter the pipeline as 入党申请人."""
    ensure_in_scope(actor, Action.CHANGE, branch)
    try:
        person = person_get_or_create(name=name, id_number=id_number, actor=actor, org_path=branch.path)
    except IdNumberError as exc:
        raise ValidationError({"id_number": str(exc)}) from None
    if person.name != name.strip():
        raise ValidationError({"name": "与该身份证号已登记的姓名不一致。"})
    if Candidate.objects.filter(person=person).exists():
        raise ValidationError({"id_number": "此人已在发展党员名单中。"})
    if Member.objects.filter(person=person).exists():
        raise ValidationError({"id_number": "此人已是党员。"})
    c = Candidate(person=person, branch=branch, applied_on=applied_on, stage=DevelopmentStage.APPLICANT)
    _check_order(c)
    c.save()
    audit_log(actor=actor, action="create", obj=c, org_path=branch.path, after=snapshot(c, CANDIDATE_AUDIT_FIELDS))
    return c


@transaction.atomic
def candidate_record_steps(*, actor, candidate: Candidate, **steps) -> Candidate:
    """Record the dates of later steps; the stage follows from the dates, and the member file from 接收预备党员 and
    转正 (see _member_file_follow). A refused step saves nothing, neither here nor on the member file."""
    ensure_in_scope(actor, Action.CHANGE, candidate.branch)
    before = snapshot(candidate, CANDIDATE_AUDIT_FIELDS)
    proposed = copy.copy(candidate)
    for name, value in steps.items():
        if name not in STEP_FIELDS:
            raise ValueError(f"unknown step {name}")
        setattr(proposed, name, value)
    _check_order(proposed)  # a refused change leaves the caller's object untouched
    _member_file_follow(actor=actor, before=candidate, after=proposed)
    for name, value in steps.items():
        setattr(candidate, name, value)
    candidate.stage = stage_of(candidate)
    candidate.updated_at = timezone.now()
    candidate.full_clean(exclude=["person", "branch"])
    candidate.save()
    audit_log(
        actor=actor,
        action="update",
        obj=candidate,
        org_path=candidate.branch.path,
        before=before,
        after=snapshot(candidate, CANDIDATE_AUDIT_FIELDS),
    )
    return candidate


# A member file's fields as the pipeline's steps name them: a refusal is shown on the step that caused it.
MEMBER_FIELD_STEPS = {"joined_on": "admitted_on", "full_member_on": "full_on"}


def _on_step(exc: ValidationError, *, step: str, prefix: str) -> ValidationError:
    """The member services' errors, moved onto the step fields (anything not about a date onto `step`)."""
    errors: dict[str, list[str]] = {}
    for field, messages in (exc.message_dict if hasattr(exc, "error_dict") else {step: exc.messages}).items():
        errors.setdefault(MEMBER_FIELD_STEPS.get(field, step), []).extend(f"{prefix}{m}" for m in messages)
    return ValidationError(errors)


def _member_file_follow(*, actor, before: Candidate, after: Candidate) -> Member | None:
    """Admitted as 预备党员 (admitted_on), the person gets a member file: 预备党员, joined on admitted_on, in the
    candidate's branch (member_create, so its rules and audit apply). At 转正 (full_on) the file becomes 正式党员 with
    full_member_on = full_on (member_update). Recording the same dates again changes nothing."""
    member = Member.objects.select_related("person", "branch").filter(person_id=after.person_id).first()
    if after.admitted_on is None:
        if member is not None and before.admitted_on is not None:
            raise ValidationError({"admitted_on": "已据此日期建立党员档案，不能清除接收预备党员日期。"})
        return member
    if member is None:
        try:
            member = member_create(
                actor=actor,
                name=after.person.name,
                id_number=after.person.id_number,
                branch=after.branch,
                category=MemberCategory.PROBATIONARY,
                joined_on=after.admitted_on,
            )
        except ValidationError as exc:
            raise _on_step(exc, step="admitted_on", prefix="无法建立党员档案：") from None
    changes: dict = {}
    if member.joined_on != after.admitted_on:
        # Only a file opened from this step follows a corrected date; someone else's file is not rewritten.
        if before.admitted_on != member.joined_on:
            raise ValidationError(
                {"admitted_on": f"此人已有党员档案，入党日期为 {member.joined_on}，与接收预备党员日期不一致。"}
            )
        changes["joined_on"] = after.admitted_on
    if after.full_on is not None:
        changes.update(category=MemberCategory.FULL, full_member_on=after.full_on)
    elif before.full_on is not None and member.full_member_on == before.full_on:
        changes.update(category=MemberCategory.PROBATIONARY, full_member_on=None)  # a 转正 recorded by mistake
    changes = {name: value for name, value in changes.items() if getattr(member, name) != value}
    if changes:
        step = "full_on" if "full_member_on" in changes else "admitted_on"
        try:
            member = member_update(actor=actor, member=member, **changes)
        except NotInScope:
            raise ValidationError({step: "此人的党员档案已转至您管理范围以外的支部，请由该支部办理。"}) from None
        except ValidationError as exc:
            raise _on_step(exc, step=step, prefix="无法更新党员档案：") from None
    return member


@transaction.atomic
def thought_report_add(
    *, actor, candidate: Candidate, submitted_on: dt.date, text: str, title: str = ""
) -> ThoughtReport:
    """A 思想汇报 handed in by someone in the pipeline, kept as text for the nightly duplicate check."""
    ensure_in_scope(actor, Action.CHANGE, candidate.branch)
    if submitted_on > timezone.localdate():
        raise ValidationError({"submitted_on": "提交日期不能晚于今天"})
    if submitted_on < candidate.applied_on:
        raise ValidationError({"submitted_on": f"提交日期不能早于递交入党申请的日期 {candidate.applied_on}"})
    if not text.strip():
        raise ValidationError({"text": "思想汇报内容不能为空"})
    report = ThoughtReport.objects.create(
        person=candidate.person, branch=candidate.branch, submitted_on=submitted_on, title=title, text=text
    )
    audit_log(
        actor=actor,
        action="create",
        obj=report,
        org_path=candidate.branch.path,
        after={"submitted_on": submitted_on.isoformat(), "title": title, "length": len(text)},
    )
    return report


@transaction.atomic
def training_record_add(
    *,
    actor,
    member: Member,
    course: str,
    start_on,
    end_on,
    hours,
    organizer: str = "",
    certificate_start_on=None,
    certificate_end_on=None,
) -> TrainingRecord:
    """培训台账 entry. A certificate whose dates differ from the training's is kept (it is evidence) and flagged."""
    ensure_in_scope(actor, Action.CHANGE, member.branch)
    record = TrainingRecord(
        member=member,
        course=course,
        organizer=organizer,
        start_on=start_on,
        end_on=end_on,
        hours=hours,
        certificate_start_on=certificate_start_on,
        certificate_end_on=certificate_end_on,
    )
    if problems := training_problems(start_on=start_on, end_on=end_on, hours=hours, today=timezone.localdate()):
        raise ValidationError(problems)
    record.full_clean(exclude=["member"])
    record.save()
    audit_log(
        actor=actor,
        action="create",
        obj=record,
        org_path=member.branch.path,
        after=snapshot(
            record, ("course", "organizer", "start_on", "end_on", "hours", "certificate_start_on", "certificate_end_on")
        ),
    )
    return record


@transaction.atomic
def point_record_add(*, actor, member: Member, item: PointItem, year: int, recorded_on, note: str = "") -> PointRecord:
    """Points a member earned or lost for one item in `year` (the item's points, as configured that day)."""
    ensure_in_scope(actor, Action.CHANGE, member.branch)
    problems = point_record_problems(
        item_name=item.name,
        item_active=item.is_active,
        year=year,
        recorded_on=recorded_on,
        joined_on=member.joined_on,
        today=timezone.localdate(),
    )
    if problems:
        raise ValidationError(problems)
    record = PointRecord.objects.create(
        member=member, item=item, year=year, points=item.points, recorded_on=recorded_on, note=note
    )
    audit_log(
        actor=actor,
        action="create",
        obj=record,
        org_path=member.branch.path,
        after={"item": item.name, "year": year, "points": str(item.points)},
    )
    return record


def member_points(*, members: QuerySet[Member], year: int) -> dict[int, tuple[Decimal, int, str]]:
    """{member id: (yearly total, stars, label)} — one grouped query, then the county's star rules."""
    rules = list(StarRule.objects.values_list("min_points", "stars", "label"))
    totals = dict(
        PointRecord.objects.filter(member__in=members, year=year)
        .values_list("member_id")
        .annotate(total=Sum("points"))
        .order_by()
    )
    return {mid: (total, *star_for(total, rules)) for mid, total in totals.items()}


def pipeline_board(*, actor, today: dt.date | None = None) -> list[tuple[Candidate, list[str]]]:
    """Everyone in the pipeline in the actor's scope, by stage, with what is overdue for each."""
    today = today or timezone.localdate()
    candidates = (
        Candidate.objects.restrict(actor, Action.VIEW)
        .exclude(stage=DevelopmentStage.FULL)
        .select_related("person", "branch")
        .prefetch_related(
            Prefetch("person__thought_reports", queryset=ThoughtReport.objects.only("person_id", "submitted_on"))
        )
        .order_by("branch__code", "applied_on")
    )
    return [(c, candidate_problems(c, today=today)) for c in candidates]
