"""Reads of the assessment, scoped like everything else.

Schemes belong to a county (scope: the county's path, so every account inside the county reads them); results and
penalties to an organization's subtree. Read-only users (leaders and anyone without MANAGE or INSPECT in the county)
see results and penalties only once the scheme is published: a computed ranking is the department's working copy.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q, QuerySet

from core.exceptions import NotInScope
from core.scope import ALL, Action, in_scope, scope_paths
from organizations.choices import OrgKind
from organizations.models import Organization

from .choices import IndicatorMethod, SchemeStatus
from .models import AppraisalTally, Indicator, IndicatorScore, Penalty, Result, RuleSettings, Scheme, VetoItem


def county_of(organization: Organization) -> Organization:
    """The county an organization belongs to: its nearest ancestor (or itself) of kind 县委, else its tree's root."""
    if organization.kind == OrgKind.COUNTY_COMMITTEE:
        return organization
    steplen = Organization.steplen
    prefixes = [organization.path[:i] for i in range(steplen, len(organization.path), steplen)]
    county = (
        Organization.objects.filter(path__in=prefixes, kind=OrgKind.COUNTY_COMMITTEE).order_by("-depth").first()
        if prefixes
        else None
    )
    return county or Organization.objects.get(path=organization.path[:steplen])


def counties_for(actor) -> list[Organization]:
    """The counties whose assessment `actor` reads: those containing (or inside) the subtrees of their VIEW grants."""
    qs = Organization.objects.filter(kind=OrgKind.COUNTY_COMMITTEE)
    paths = scope_paths(actor, Action.VIEW)
    if paths is ALL:
        return list(qs.order_by("path"))
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
        prefixes = [path[:i] for i in range(Organization.steplen, len(path) + 1, Organization.steplen)]
        q |= Q(path__in=prefixes)
    return list(qs.filter(q).order_by("path"))


def may_manage_county(actor, county: Organization) -> bool:
    """Schemes, publication, vetoes, grade changes and the rule parameters are the county department's."""
    return in_scope(actor, Action.MANAGE, county.path)


def sees_drafts(actor, county: Organization) -> bool:
    """Department staff and inspectors of the county see computed, unpublished results; read-only users do not."""
    paths = scope_paths(actor, Action.MANAGE)
    inspect = scope_paths(actor, Action.INSPECT)
    if paths is ALL or inspect is ALL:
        return True
    return any(p.startswith(county.path) or county.path.startswith(p) for p in [*paths, *inspect])


def rule_settings(county: Organization) -> RuleSettings:
    """The county's parameters of the three rules (the defaults, unsaved, where it has none)."""
    found = RuleSettings.objects.filter(county=county).first()
    return found or RuleSettings(county=county)


def scheme_list(*, actor, county: Organization | None = None) -> QuerySet[Scheme]:
    """Schemes of the counties the actor works in (a scheme is the whole county's: every account inside reads it)."""
    counties = [county] if county is not None else counties_for(actor)
    qs = Scheme.objects.filter(county__in=[c.pk for c in counties if _reads_county(actor, c)])
    return qs.select_related("county").order_by("-year", "group")


def _reads_county(actor, county: Organization) -> bool:
    paths = scope_paths(actor, Action.VIEW)
    if paths is ALL:
        return True
    return any(p.startswith(county.path) or county.path.startswith(p) for p in paths)


def scheme_get_for(actor, pk) -> Scheme:
    scheme = Scheme.objects.select_related("county").filter(pk=pk).first()
    if scheme is None or not _reads_county(actor, scheme.county):
        raise NotInScope()
    return scheme


def scheme_years(*, actor) -> list[int]:
    return sorted(set(scheme_list(actor=actor).values_list("year", flat=True)), reverse=True)


def scheme_with_parts(scheme: Scheme) -> Scheme:
    """The scheme with its indicators and veto items loaded (one query each)."""
    scheme.indicator_list = list(scheme.indicators.order_by("order", "id"))
    scheme.veto_list = list(scheme.veto_items.order_by("order", "id"))
    return scheme


def result_list(*, actor, action: str = Action.VIEW) -> QuerySet[Result]:
    """Results of the actor's subtree; unpublished ones only for those who see drafts (module docstring)."""
    qs = Result.objects.restrict(actor, action).select_related("scheme", "organization", "secretary")
    if action != Action.VIEW:
        return qs
    counties = [c for c in counties_for(actor) if not sees_drafts(actor, c)]
    if counties:
        qs = qs.exclude(Q(scheme__county__in=counties) & ~Q(scheme__status=SchemeStatus.PUBLISHED))
    return qs


def result_get_for(actor, pk, action: str = Action.VIEW) -> Result:
    result = result_list(actor=actor, action=action).filter(pk=pk).first()
    if result is None:
        raise NotInScope()
    return result


# What a ranking row shows (assessments/views/ranking_table.py): a county's villages are ~1,000 rows, and loading
# whole results with their schemes, organizations and persons (four model instances a row) took a third of the
# page's time. The organization's and secretary's names come as annotations.
RANKING_FIELDS = (
    "id", "scheme_id", "organization_id", "year", "total", "rank", "rank_asc", "group_size", "capped", "vetoed",
    "veto_reason", "grade_override", "override_reason", "grade", "bottom", "moved_up", "prev_rank", "prev_grade",
    "secretary_id",
)  # fmt: skip


def ranking(*, actor, scheme: Scheme) -> list[Result]:
    """The scheme's results the actor may read, best first (unscored last, by code): RANKING_FIELDS only, with
    `org_code`, `org_name` and `secretary_name` (blank without one); the scheme is the one given."""
    rows = (
        result_list(actor=actor)
        .filter(scheme=scheme)
        .select_related(None)
        .only(*RANKING_FIELDS)
        .annotate(
            org_code=F("organization__code"), org_name=F("organization__name"), secretary_name=F("secretary__name")
        )
        .order_by()
    )
    out = sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.org_code))
    for r in out:
        r.scheme = scheme
    return out


def organization_history(*, actor, organization: Organization) -> list[Result]:
    """An organization's results over the years (for its trend), oldest first."""
    return list(result_list(actor=actor).filter(organization=organization).order_by("year"))


@dataclass
class Missing:
    """What stops a scheme from being published: results without a total, and why each is incomplete."""

    result: Result
    reasons: list[str] = field(default_factory=list)


def missing_scores(scheme: Scheme) -> list[Missing]:
    """Results of `scheme` whose total is missing, with the indicators and appraisal sides not yet entered."""
    indicators = list(scheme.indicators.order_by("order", "id"))
    rows = list(
        scheme.results.filter(total__isnull=True)
        .select_related("organization")
        .prefetch_related(
            Prefetch("scores", queryset=IndicatorScore.objects.only("id", "result_id", "indicator_id")),
            Prefetch("appraisals", queryset=AppraisalTally.objects.all()),
        )
        .order_by("organization__code")
    )
    missing = []
    for result in rows:
        reasons = []
        if not indicators:
            reasons.append("未导入总分")
        else:
            scored = {s.indicator_id for s in result.scores.all()}
            names = [i.name for i in indicators if i.pk not in scored]
            if names:
                manual = [i.name for i in indicators if i.pk not in scored and i.method == IndicatorMethod.MANUAL]
                reasons.append("未评分：" + "、".join(manual or names))
        if scheme.appraisal_weight and not any(a.votes for a in result.appraisals.all()):
            reasons.append("未录入述职评议票数")
        missing.append(Missing(result, reasons or ["总分未计算"]))
    return missing


def penalty_list(*, actor) -> QuerySet[Penalty]:
    """Penalties of the actor's subtree; read-only users see only those of years whose schemes are all published."""
    qs = Penalty.objects.restrict(actor).select_related("person", "organization", "county")
    hidden = [c for c in counties_for(actor) if not sees_drafts(actor, c)]
    for county in hidden:
        unpublished = Scheme.objects.filter(county=county).exclude(status=SchemeStatus.PUBLISHED).values("year")
        qs = qs.exclude(county=county, year__in=unpublished)
    return qs.order_by("year", "person__name", "rule")


def penalty_get_for(actor, pk) -> Penalty:
    penalty = penalty_list(actor=actor).filter(pk=pk).first()
    if penalty is None:
        raise NotInScope()
    return penalty


def indicators_by_scheme(scheme_ids) -> dict[int, list[Indicator]]:
    result: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in Indicator.objects.filter(scheme_id__in=list(scheme_ids)).order_by("order", "id"):
        result[indicator.scheme_id].append(indicator)
    return result


def veto_items(scheme: Scheme) -> list[VetoItem]:
    return list(scheme.veto_items.order_by("order", "id"))


def readable_schemes(*, actor, year: int | None = None) -> list[Scheme]:
    """The schemes whose results the actor reads (the ranking page's years and group tabs): every scheme for those who
    see drafts, only published ones for read-only users — a leader never sees a tab of a group they cannot read."""
    qs = scheme_list(actor=actor)
    if year is not None:
        qs = qs.filter(year=year)
    drafts: dict[int, bool] = {}
    out = []
    for scheme in qs:
        if scheme.county_id not in drafts:
            drafts[scheme.county_id] = sees_drafts(actor, scheme.county)
        if drafts[scheme.county_id] or scheme.status == SchemeStatus.PUBLISHED:
            out.append(scheme)
    return out
