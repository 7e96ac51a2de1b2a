"""Writes of an organization's assessment inputs: indicator scores (with 扣分说明 and evidence), the duty-report
appraisal votes, an imported total, a veto, a manual change of grade.

Inspectors and department staff score the organizations inside their INSPECT scope (an inspector's grant is their
assignment); vetoes and grade changes are the county department's (MANAGE over the county). Published results are
locked. Each write recomputes the result's total at once (the scoring page shows it as they type) and sends a
computed scheme back to 待计算.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.attachments import check_uploads, store_uploads
from core.audit import AuditBatch, audit_log, diff, snapshot
from core.bulk import filter_in
from core.scope import Action, in_scope

from ..choices import Grade, IndicatorMethod, Side
from ..compute import refresh_totals
from ..models import AppraisalTally, Indicator, IndicatorScore, Result, Scheme, ScoreEvidence
from .schemes import ensure_may_manage, ensure_unlocked, mark_stale, parse_points

NOT_ASSIGNED = "您不是该组织的考核人员，不能为其评分。"


def _locked_result(actor, result: Result, action: str) -> Result:
    result = Result.objects.select_related("scheme__county", "organization").get(pk=result.pk)
    if action == Action.MANAGE:
        ensure_may_manage(actor, result.scheme.county)
    elif not in_scope(actor, Action.INSPECT, result.organization.path):
        raise PermissionDenied(NOT_ASSIGNED)
    scheme = Scheme.objects.select_for_update().get(pk=result.scheme_id)
    ensure_unlocked(scheme)
    result.scheme = scheme
    return result


def _after_change(result: Result) -> None:
    mark_stale(result.scheme)
    refresh_totals(result.scheme, [result.pk])


SCORE_FIELDS = ("score", "note")
EVIDENCE_LIMIT = 10


@transaction.atomic
def score_set(*, actor, result: Result, indicator: Indicator, score, note: str = "", files=()) -> IndicatorScore:
    """Enter or change one indicator's points for one organization. Points below the maximum need a 扣分说明."""
    result = _locked_result(actor, result, Action.INSPECT)
    if indicator.scheme_id != result.scheme_id:
        raise ValidationError({"indicator": "该指标不属于此考核方案。"})
    if indicator.method != IndicatorMethod.MANUAL:
        raise ValidationError({"indicator": f"“{indicator.name}”由系统计算，不能手工评分。"})
    try:
        points = parse_points(score, f"“{indicator.name}”得分", high=indicator.max_points)
    except ValidationError as exc:
        raise ValidationError({"score": exc.messages}) from None
    note = (note or "").strip()
    if points < indicator.max_points and not note:
        raise ValidationError({"note": f"“{indicator.name}”扣了 {indicator.max_points - points} 分，请填写扣分说明。"})
    row = IndicatorScore.objects.filter(result=result, indicator=indicator).first()
    already = row.evidence.count() if row else 0
    checked, file_problems = check_uploads(files, already=already, limit=EVIDENCE_LIMIT)
    if file_problems:
        raise ValidationError({"files": file_problems})
    before = snapshot(row, SCORE_FIELDS) if row else None
    if row is None:
        row = IndicatorScore(result=result, indicator=indicator)
    row.score, row.note, row.entered_by, row.updated_at = points, note, actor, timezone.now()
    row.save()
    after = snapshot(row, SCORE_FIELDS)
    if after != before:
        audit_log(
            actor=actor,
            action="update" if before else "create",
            obj=row,
            org_path=result.organization.path,
            before=before,
            after=after,
            note=f"{result.organization.name} · {indicator.name}",
        )
        _after_change(result)
    if checked:
        store_uploads(
            actor,
            checked,
            make=lambda **fields: ScoreEvidence(score=row, **fields),
            org_path=result.organization.path,
            owner={"score": row.pk},
        )
    return row


@transaction.atomic
def score_clear(*, actor, result: Result, indicator: Indicator) -> None:
    result = _locked_result(actor, result, Action.INSPECT)
    row = IndicatorScore.objects.filter(result=result, indicator=indicator).first()
    if row is None:
        return
    before = snapshot(row, SCORE_FIELDS)
    pk = row.pk
    row.delete()
    row.pk = pk
    audit_log(actor=actor, action="delete", obj=row, org_path=result.organization.path, before=before)
    _after_change(result)


def _count(value, label: str) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(f"{label}票数应为整数。") from None
    if number < 0 or number > 100_000:
        raise ValidationError(f"{label}票数应在 0 到 100000 之间。")
    return number


APPRAISAL_FIELDS = ("good", "fair", "average", "poor")


@transaction.atomic
def appraisal_set(*, actor, result: Result, side: str, good=0, fair=0, average=0, poor=0) -> AppraisalTally:
    """The votes of one side (上级 or 下级) of the duty-report appraisal."""
    result = _locked_result(actor, result, Action.INSPECT)
    if side not in Side.values:
        raise ValidationError({"side": "评议方应为上级评议或下级评议。"})
    problems = {}
    counts = {}
    for name, value, label in (
        ("good", good, "好"),
        ("fair", fair, "较好"),
        ("average", average, "一般"),
        ("poor", poor, "差"),
    ):
        try:
            counts[name] = _count(value, f"“{label}”")
        except ValidationError as exc:
            problems[name] = exc.messages
    if problems:
        raise ValidationError(problems)
    row = AppraisalTally.objects.filter(result=result, side=side).first()
    before = snapshot(row, APPRAISAL_FIELDS) if row else None
    row = row or AppraisalTally(result=result, side=side)
    for name, value in counts.items():
        setattr(row, name, value)
    row.updated_at = timezone.now()
    row.save()
    after = snapshot(row, APPRAISAL_FIELDS)
    if after != before:
        audit_log(
            actor=actor,
            action="update" if before else "create",
            obj=row,
            org_path=result.organization.path,
            before=before,
            after=after,
            note=f"{result.organization.name} · {Side(side).label}",
        )
        _after_change(result)
    return row


IMPORTED_FIELDS = ("imported_total", "vetoed")
IMPORTED_VETO_REASON = "考核得分表标注一票否决"


@transaction.atomic
def imported_total_set(*, actor, result: Result, total, vetoed: bool | None = None) -> bool:
    """A total given directly, and its 一票否决; returns whether anything changed (imported_totals_set of one)."""
    return imported_totals_set(actor=actor, changes=[(result.pk, total, vetoed)]) == 1


@transaction.atomic
def imported_totals_set(*, actor, changes) -> int:
    """Totals given directly (the 考核得分 sheet) with their 一票否决: `changes` is [(result id, total, vetoed or None
    to keep it)]. Returns how many results changed. The import checks scope and values first; this is its write,
    set-based for a sheet of a province's rows: the schemes locked and checked unlocked, one bulk update, one audit
    row per changed result (as the pages' writes leave), each touched scheme's totals refreshed once and a computed
    scheme sent back to 待计算."""
    wanted = {pk: (total, vetoed) for pk, total, vetoed in changes}
    # The schemes' locks first (the other scoring writes take them too), then the results as they now are.
    # (filter_in: a province's sheet is more ids than SQLite takes in one statement)
    scheme_ids = set(filter_in(Result.objects.order_by().values_list("scheme_id", flat=True), "pk", wanted))
    schemes = {s.pk: s for s in Scheme.objects.select_for_update().filter(pk__in=scheme_ids).order_by("pk")}
    for scheme in schemes.values():
        ensure_unlocked(scheme)
    results = list(filter_in(Result.objects.select_related("organization").order_by(), "pk", wanted))
    batch, changed = AuditBatch(actor), []
    now = timezone.now()
    for result in results:
        total, vetoed = wanted[result.pk]
        before = snapshot(result, IMPORTED_FIELDS)
        result.imported_total = total
        if vetoed is not None:
            result.vetoed = vetoed
            if not vetoed:
                result.veto_item, result.veto_reason = None, ""
            elif not result.veto_reason:
                result.veto_reason = IMPORTED_VETO_REASON
        after = snapshot(result, IMPORTED_FIELDS)
        if after == before:
            continue
        result.updated_at = now
        changed.append(result)
        before, after = diff(before, after)
        batch.add_instance("update", result, org_path=result.organization.path, before=before, after=after)
    Result.objects.bulk_update(
        changed, ["imported_total", "vetoed", "veto_item", "veto_reason", "updated_at"], batch_size=2000
    )
    batch.save()
    by_scheme: dict[int, list[int]] = {}
    for result in changed:
        by_scheme.setdefault(result.scheme_id, []).append(result.pk)
    for scheme_id, ids in by_scheme.items():
        mark_stale(schemes[scheme_id])
        # many rows of one scheme: the whole scheme (it writes only the rows that differ) rather than a long IN list
        refresh_totals(schemes[scheme_id], ids if len(ids) <= 500 else None)
    return len(changed)


VETO_FIELDS = ("vetoed", "veto_item", "veto_reason")


@transaction.atomic
def veto_set(*, actor, result: Result, vetoed: bool, item=None, reason: str = "") -> Result:
    """一票否决 (or lifting it): forces grade 差 at the next computation. A veto names its item or a reason."""
    result = _locked_result(actor, result, Action.MANAGE)
    reason = (reason or "").strip()
    if vetoed:
        if item is not None and item.scheme_id != result.scheme_id:
            raise ValidationError({"item": "该否决事项不属于此考核方案。"})
        if item is None and not reason:
            raise ValidationError({"reason": "请选择否决事项或填写否决说明。"})
    else:
        item, reason = None, ""
    before = snapshot(result, VETO_FIELDS)
    result.vetoed, result.veto_item, result.veto_reason = bool(vetoed), item, reason
    after = snapshot(result, VETO_FIELDS)
    if after != before:
        result.updated_at = timezone.now()
        result.save(update_fields=[*VETO_FIELDS, "updated_at"])
        audit_log(
            actor=actor, action="update", obj=result, org_path=result.organization.path, before=before, after=after
        )
        mark_stale(result.scheme)
    return result


OVERRIDE_FIELDS = ("grade_override", "override_reason")


@transaction.atomic
def grade_override_set(*, actor, result: Result, grade, reason: str = "") -> Result:
    """A manual change of grade, with its reason (logged); `grade` None removes it. Applied at the next computation,
    after thresholds, the 好 quota and vetoes."""
    result = _locked_result(actor, result, Action.MANAGE)
    reason = (reason or "").strip()
    if grade in ("", None):
        grade, reason = None, ""
    else:
        grade = {g.label: g.value for g in Grade}.get(str(grade).strip(), grade)
        try:
            grade = int(grade)
        except (TypeError, ValueError):
            grade = None
        if grade not in Grade.values:
            raise ValidationError({"grade": "等次应为好、较好、一般或差。"})
        if not reason:
            raise ValidationError({"reason": "调整等次须填写原因。"})
    before = snapshot(result, OVERRIDE_FIELDS)
    result.grade_override, result.override_reason = grade, reason
    after = snapshot(result, OVERRIDE_FIELDS)
    if after != before:
        result.updated_at = timezone.now()
        result.save(update_fields=[*OVERRIDE_FIELDS, "updated_at"])
        audit_log(
            actor=actor,
            action="update",
            obj=result,
            org_path=result.organization.path,
            before=before,
            after=after,
            note=f"调整等次：{reason}" if grade else "撤销等次调整",
        )
        mark_stale(result.scheme)
    return result
