"""The results' workflow: draft → computed → published, and reopening.

Computing a year (`year_compute`, run by the Celery job `assessment_compute_run`) takes every scheme of the year (of
one county, or of all), refuses the whole request while any of them is published, and then, one transaction per
scheme: brings in the group's new organizations, refreshes the computed indicators, the totals and the results
(assessments.compute), and marks the scheme computed. Then next year's computed schemes of the groups whose results
changed go back to 待计算 (one statement), and, in one transaction, the penalties of the three rules for all the
year's counties (assessments.penalties). Every step writes only what differs, so a second run changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.audit import audit_log
from core.bulk import chunked
from core.models import Job
from core.queue import job_enqueue
from organizations.models import Organization

from ..choices import MAX_TOTAL, IndicatorMethod, SchemeStatus
from ..compute import rank_scheme, refresh_totals
from ..models import AppraisalTally, Indicator, IndicatorScore, Result, RuleSettings, Scheme
from ..penalties import sync_year_penalties
from ..selectors import county_of, may_manage_county, missing_scores
from ..sources import Target, compute_indicator
from .schemes import REFUSED, sync_results

COMPUTE_JOB_KIND = "assessment_compute"
Progress = Callable[[int, str], None]


def _noop(percent: int, message: str) -> None:
    pass


def schemes_of(year: int, county: Organization | None = None) -> list[Scheme]:
    qs = Scheme.objects.filter(year=year).select_related("county").prefetch_related("indicators")
    if county is not None:
        qs = qs.filter(county=county)
    return list(qs.order_by("county__path", "group"))


def compute_problems(schemes: list[Scheme]) -> list[str]:
    """Why these schemes cannot be computed now (nothing is changed when there is any)."""
    problems = []
    sums = {}
    for scheme in schemes:
        sums[scheme.pk] = [i.max_points for i in scheme.indicators.all()]
    for scheme in schemes:
        if scheme.status == SchemeStatus.PUBLISHED:
            problems.append(f"{scheme}已发布，结果已锁定；重新计算前请先撤回发布（需填写原因）。")
        maxima = sums[scheme.pk]
        if maxima and sum(maxima) != MAX_TOTAL:
            problems.append(f"{scheme}的指标分值合计 {sum(maxima)} 分，应为 100 分，请先调整考核方案。")
    return problems


def _refresh_computed_indicators(scheme: Scheme, indicators: list[Indicator]) -> int:
    """Scores of the scheme's computed indicators (of `indicators`, the scheme's) from their sources; returns how
    many changed."""
    indicators = [i for i in indicators if i.method == IndicatorMethod.COMPUTED]
    if not indicators:
        return 0
    targets = [Target(rid, path) for rid, path in scheme.results.values_list("id", "organization__path")]
    changed = 0
    now = timezone.now()
    for indicator in indicators:
        indicator.scheme = scheme
        values = compute_indicator(indicator, targets)
        existing = {s.result_id: s for s in IndicatorScore.objects.filter(indicator=indicator)}
        new, dirty = [], []
        for result_id, (points, basis) in values.items():
            row = existing.get(result_id)
            if row is None:
                new.append(
                    IndicatorScore(result_id=result_id, indicator=indicator, score=points, basis=basis, updated_at=now)
                )
            elif row.score != points or row.basis != basis:
                row.score, row.basis, row.updated_at = points, basis, now
                dirty.append(row)
        IndicatorScore.objects.bulk_create(new, batch_size=2000)
        IndicatorScore.objects.bulk_update(dirty, ["score", "basis", "updated_at"], batch_size=2000)
        changed += len(new) + len(dirty)
    return changed


UNSET = object()


def scheme_compute(
    scheme: Scheme, *, settings: RuleSettings, previous=UNSET, new_members: bool = True
) -> dict[str, int]:
    """One scheme's results, in one transaction (module docstring). Raises ValidationError if it was published
    meanwhile. year_compute passes what it read for the whole year: the scheme's `previous` (last year's scheme of
    the county and group, or None) and whether the group may have `new_members`. The indicators and whether there
    are votes are read under the scheme's lock: the scoring services take it too, so nothing changes them meanwhile."""
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().select_related("county").get(pk=scheme.pk)
        if scheme.status == SchemeStatus.PUBLISHED:
            raise ValidationError(f"{scheme}已发布，结果已锁定；重新计算前请先撤回发布（需填写原因）。")
        indicators = list(scheme.indicators.all())
        has_votes = bool(indicators) or AppraisalTally.objects.filter(result__scheme=scheme).exists()
        added = sync_results(scheme) if new_members else 0
        computed = _refresh_computed_indicators(scheme, indicators)
        totals = refresh_totals(scheme, n_indicators=len(indicators), has_votes=has_votes)
        if previous is UNSET:
            previous = Scheme.objects.filter(county=scheme.county, year=scheme.year - 1, group=scheme.group).first()
        results = rank_scheme(
            scheme, previous=previous, bottom_n=settings.bottom_n, min_group_size=settings.min_group_size
        )
        counts = {"added": added, "indicators": computed, "totals": totals, "results": results}
        was = scheme.status
        if was != SchemeStatus.COMPUTED or any(counts.values()):
            now = timezone.now()
            Scheme.objects.filter(pk=scheme.pk).update(status=SchemeStatus.COMPUTED, computed_at=now, updated_at=now)
            audit_log(
                actor=None,
                action="compute",
                obj=scheme,
                org_path=scheme.county.path,
                before={"status": was},
                after={"status": SchemeStatus.COMPUTED, **counts},
                note=f"计算{scheme}：新增考核对象 {added} 个，系统计算得分变化 {computed} 项，总分变化 {totals} 个，"
                f"排名等次变化 {results} 个",
            )
    return counts


def _next_year_stale(year: int, changed: list[Scheme]) -> int:
    """Next year's moved-up compares with this year's ranks and grades: the computed schemes of next year whose group
    changed here are sent back to 待计算, in one statement once this year's groups are committed."""
    q = Q(pk__in=[])
    for scheme in changed:
        q |= Q(county_id=scheme.county_id, group=scheme.group)
    return Scheme.objects.filter(q, year=year + 1, status=SchemeStatus.COMPUTED).update(status=SchemeStatus.DRAFT)


def _groups_with_new_members(year: int, schemes: list[Scheme]) -> set[int]:
    """Ids of the schemes whose group has an organization without a result this year (sync_results brings it in):
    one query for the year instead of one per scheme, and usually none."""
    from core.scope import subtree_range_q

    counties = {s.county_id: s.county for s in schemes}
    taken = Result.objects.filter(organization=OuterRef("pk"), year=year)
    area = Q()
    for county in counties.values():
        area |= subtree_range_q("path", county.path)
    missing = list(
        Organization.objects.exclude(assessment_group="").filter(area).filter(~Exists(taken))
        .values_list("path", "assessment_group")
    )  # fmt: skip
    return {
        s.pk for s in schemes if any(group == s.group and path.startswith(s.county.path) for path, group in missing)
    }


def year_compute(*, year: int, county: Organization | None = None, progress: Progress = _noop) -> dict:
    """Compute every scheme of `year` (of `county`, or of every county) and the penalties (module docstring).
    Raises ValidationError listing every reason when it cannot run; nothing is then changed."""
    schemes = schemes_of(year, county)
    if not schemes:
        where = f"{county.name}" if county is not None else "系统中"
        raise ValidationError(f"{where}没有 {year} 年度的考核方案，请先建立考核方案或导入考核得分。")
    problems = compute_problems(schemes)
    if problems:
        raise ValidationError(problems)
    counties = {s.county_id: s.county for s in schemes}
    settings = {s.county_id: s for s in RuleSettings.objects.filter(county_id__in=list(counties))}
    steps = len(schemes) + 1
    result: dict = {"year": year, "schemes": {}, "penalties": {}}
    previous = {
        (s.county_id, s.group): s
        for s in Scheme.objects.filter(year=year - 1, county_id__in=list(counties)).only("id", "county_id", "group")
    }
    joining = _groups_with_new_members(year, schemes)
    changed = []
    for done, scheme in enumerate(schemes):
        progress(int(100 * done / steps), f"正在计算{scheme}")
        counts = scheme_compute(
            scheme,
            settings=settings.get(scheme.county_id) or RuleSettings(),
            previous=previous.get((scheme.county_id, scheme.group)),
            new_members=scheme.pk in joining,
        )
        result["schemes"][str(scheme)] = counts
        if counts["results"]:
            changed.append(scheme)
    for chunk in chunked(changed, 200):  # SQLite parses an OR chain as a tree 1,000 deep at most
        _next_year_stale(year, chunk)
    # The three rules for every county of the year at once (one query decides the streaks of all), in one
    # transaction, with one audit row per county whose penalties changed.
    progress(int(100 * len(schemes) / steps), f"正在计算{year}年度“三个一律”")
    with transaction.atomic():
        by_county = sync_year_penalties(year=year, county_ids=list(counties))
        for county_id, counts in by_county.items():
            county_org = counties[county_id]
            if any(counts.values()):
                audit_log(
                    actor=None,
                    action="compute",
                    obj=county_org,
                    org_path=county_org.path,
                    after={"year": year, **counts},
                    note=f"{year}年度“三个一律”：新增 {counts['created']} 条，更新 {counts['updated']} 条，"
                    f"撤销 {counts['deleted']} 条",
                )
            result["penalties"][county_org.name] = counts
    progress(100, "计算完成")
    return result


def compute_summary(result: dict) -> str:
    changed = sum(c["results"] for c in result["schemes"].values())
    penalties = sum(c["created"] + c["updated"] + c["deleted"] for c in result["penalties"].values())
    return (
        f"{result['year']}年度计算完成：{len(result['schemes'])} 个考核方案，排名等次变化 {changed} 个，"
        f"“三个一律”变化 {penalties} 条"
    )


@transaction.atomic
def compute_submit(*, actor, year: int, county: Organization) -> Job:
    """Queue the computation of the county's `year` as a job (the page polls its progress). Refused at once, with
    every reason, while it cannot run."""
    from ..tasks import assessment_compute_run

    county = county_of(county)
    if not may_manage_county(actor, county):
        raise PermissionDenied(REFUSED)
    schemes = schemes_of(year, county)
    if not schemes:
        raise ValidationError(f"{county.name}没有 {year} 年度的考核方案。")
    problems = compute_problems(schemes)
    if problems:
        raise ValidationError(problems)
    job = Job.objects.create(
        kind=COMPUTE_JOB_KIND,
        created_by=actor if getattr(actor, "pk", None) else None,
        org_path=county.path,
        params={"year": year, "county": county.pk},
        message="排队中",
    )
    audit_log(actor=actor, action="compute_submit", obj=job, org_path=county.path, after={"year": year})
    job_enqueue(job, assessment_compute_run, job.pk)
    return job


@transaction.atomic
def scheme_publish(*, actor, scheme: Scheme) -> Scheme:
    """Publish computed, complete results; they are locked from now on."""
    if not may_manage_county(actor, scheme.county):
        raise PermissionDenied(REFUSED)
    scheme = Scheme.objects.select_for_update().select_related("county").get(pk=scheme.pk)
    if scheme.status == SchemeStatus.PUBLISHED:
        raise ValidationError(f"{scheme}已发布。")
    missing = missing_scores(scheme)
    if missing:
        names = "、".join(m.result.organization.name for m in missing[:20])
        more = f"等 {len(missing)} 个组织" if len(missing) > 20 else f"共 {len(missing)} 个组织"
        raise ValidationError(f"还有组织的得分不完整，不能发布：{names}（{more}）。")
    if scheme.status != SchemeStatus.COMPUTED:
        raise ValidationError(f"{scheme}的得分或设置在上次计算后有变化，请先重新计算，再发布。")
    now = timezone.now()
    scheme.status, scheme.published_at, scheme.published_by, scheme.updated_at = (
        SchemeStatus.PUBLISHED, now, actor if getattr(actor, "pk", None) else None, now,
    )  # fmt: skip
    scheme.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    audit_log(
        actor=actor,
        action="publish",
        obj=scheme,
        org_path=scheme.county.path,
        before={"status": SchemeStatus.COMPUTED},
        after={"status": SchemeStatus.PUBLISHED, "results": scheme.results.count()},
    )
    return scheme


@transaction.atomic
def scheme_reopen(*, actor, scheme: Scheme, reason: str) -> Scheme:
    """Reopen published results (with a reason, audited); they must be computed again before publishing."""
    if not may_manage_county(actor, scheme.county):
        raise PermissionDenied(REFUSED)
    scheme = Scheme.objects.select_for_update().select_related("county").get(pk=scheme.pk)
    if scheme.status != SchemeStatus.PUBLISHED:
        raise ValidationError(f"{scheme}尚未发布，无需撤回。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "撤回发布须填写原因。"})
    scheme.status, scheme.reopen_reason, scheme.updated_at = SchemeStatus.DRAFT, reason[:1000], timezone.now()
    scheme.save(update_fields=["status", "reopen_reason", "updated_at"])
    audit_log(
        actor=actor,
        action="reopen",
        obj=scheme,
        org_path=scheme.county.path,
        before={"status": SchemeStatus.PUBLISHED},
        after={"status": SchemeStatus.DRAFT},
        note=f"撤回发布：{reason}",
    )
    return scheme
