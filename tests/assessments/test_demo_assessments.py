"""The demo county's assessment (assessments.demo): `seed_demo` assesses the last four complete years of 青山县 in every
group — the villages with hand-scored and computed indicators and the duty-report appraisal, the townships by hand,
the other groups by imported totals —, computes and publishes each year, and the planted cases show each rule: the
village in the bottom three three years running (rule 3), the secretary who moved between villages caught across
both, the village whose secretary changed on 31 December caught by nobody, a tie at the bottom-three boundary, a
veto and a total below 60 (rule 1), a village falling every year (rule 2), the demo branch rising, the demo township
from 8th to 3rd and a township's grade changed with a reason. A second build changes nothing.

The full demo takes about a minute to seed, so the whole county is checked in one test (as the funding demo's test
does); a second, small test runs the builder on a county of a township and three villages.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments.choices import Grade, IndicatorMethod, Rule, SchemeStatus, Side
from assessments.demo import (
    FAILED_TOTAL,
    OVERRIDE_REASON,
    VETO_ITEM,
    VETO_REASON,
    DemoCases,
    build_demo_assessments,
    demo_cases,
)
from assessments.models import AppraisalTally, Indicator, IndicatorScore, Penalty, Result, Scheme, VetoItem
from core.context import origin
from core.models import AuditEvent
from organizations.demo import (
    CHANGE_ON_NEW_YEARS_EVE,
    COUNTY_CODE,
    DEMO_BRANCH,
    DEMO_TOWNSHIP,
    MOVED_ON,
    MOVER_FROM,
    MOVER_TO,
    NEW_YEARS_EVE,
    TOWNSHIP_GROUP,
    TWO_NEW_GROUP,
    VILLAGE_GROUP,
)
from organizations.models import Organization, Post

pytestmark = pytest.mark.django_db

TITLES = ["考核方案", "考核结果", "三个一律"]
GROUPS = {VILLAGE_GROUP, TOWNSHIP_GROUP, "县直部门党组织", "事业单位党组织", TWO_NEW_GROUP}
MODELS = (Scheme, Indicator, VetoItem, Result, IndicatorScore, AppraisalTally, Penalty, AuditEvent)


def _run(*args) -> list[str]:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue().splitlines()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _snapshot() -> list[tuple]:
    names = [f.attname for f in Result._meta.concrete_fields]
    return list(Result.objects.order_by("pk").values_list(*names))


def _result(code: str, year: int) -> Result:
    return Result.objects.select_related("scheme", "organization", "secretary").get(organization__code=code, year=year)


def _penalties(rule: int) -> set[tuple[int, int]]:
    return set(Penalty.objects.filter(rule=rule).values_list("year", "person_id"))


def _assert_the_schemes(years: list[int], today: dt.date) -> None:
    """Five groups a year, all published, a result for every organization of the group; the villages' scheme as
    the issue describes it, its computed indicators by hand before the records begin."""
    schemes = Scheme.objects.filter(county__code=COUNTY_CODE)
    assert Counter(schemes.values_list("year", flat=True)) == {y: 5 for y in years}
    assert set(schemes.values_list("group", flat=True)) == GROUPS
    assert set(schemes.values_list("status", flat=True)) == {SchemeStatus.PUBLISHED}
    assert not schemes.filter(published_at__isnull=True).exists()
    assert set(schemes.values_list("published_by__username", flat=True)) == {"admin"}
    sizes = Counter(Organization.objects.exclude(assessment_group="").values_list("assessment_group", flat=True))
    for scheme in schemes:
        results = scheme.results.all()
        assert results.count() == sizes[scheme.group], scheme
        assert not results.filter(total__isnull=True).exists() and not results.filter(rank__isnull=True).exists()
    assert Result.objects.count() == 4 * sum(sizes.values())

    computed_from = today.year - 2  # the meetings, funds and findings of the demo start two years before the seeding
    for year in years:
        village = schemes.get(year=year, group=VILLAGE_GROUP)
        assert (village.appraisal_weight, village.upper_weight, village.lower_weight, village.good_cap) == (
            30,
            60,
            40,
            30,
        )
        assert village.name == f"{year}年度{VILLAGE_GROUP}党建工作考核" and not village.is_default
        indicators = {i.name: i for i in village.indicators.all()}
        assert {n: int(i.max_points) for n, i in indicators.items()} == {
            "组织建设": 25,
            "三会一课": 20,
            "经费保障": 10,
            "问题整改": 10,
            "党建任务": 10,
            "发挥作用": 25,
        }
        assert indicators["组织建设"].method == indicators["发挥作用"].method == IndicatorMethod.MANUAL
        meetings = indicators["三会一课"]
        if year >= computed_from:
            assert (meetings.method, meetings.source) == (IndicatorMethod.COMPUTED, "meetings_compliance")
            assert (indicators["经费保障"].source, indicators["问题整改"].source) == ("funds_arrival", "findings_open")
        else:
            assert {i.method for i in indicators.values()} == {IndicatorMethod.MANUAL}
            assert meetings.description.endswith("由县委考核组按纸质台账评分）")
        assert list(village.veto_items.values_list("name", flat=True)) == [VETO_ITEM]
        township = schemes.get(year=year, group=TOWNSHIP_GROUP)
        assert township.appraisal_weight == 40 and township.good_cap is None
        assert township.indicators.filter(method=IndicatorMethod.MANUAL).count() == 5
        for other in schemes.filter(year=year).exclude(group__in=[VILLAGE_GROUP, TOWNSHIP_GROUP]):
            assert other.is_default and not other.indicators.exists() and other.name == f"{year}年度{other.group}考核"
            assert not other.results.filter(imported_total__isnull=True).exists()
    # Later years are copies of the year before (scheme_copy audits where it copied from).
    copies = AuditEvent.objects.filter(object_type="assessments.scheme", note__startswith="复制自")
    assert copies.count() == 2 * (len(years) - 1)


def _assert_the_scores(years: list[int]) -> None:
    """Every hand score below its maximum explains its deduction; votes on both sides in the planned numbers; a
    result's total is its scores and votes by the scheme's formula; one audit event per bulk row, the inspector's."""
    manual = IndicatorScore.objects.filter(indicator__method=IndicatorMethod.MANUAL)
    assert manual.exists()
    for score in manual.select_related("indicator"):
        assert Decimal(0) <= score.score <= score.indicator.max_points
        assert (score.score < score.indicator.max_points) == bool(score.note), score.pk
        if score.note:
            lost = sum(Decimal(part.rsplit("扣", 1)[1].rstrip("分。")) for part in score.note.split("；"))
            assert lost == score.indicator.max_points - score.score, score.note
    assert not IndicatorScore.objects.filter(indicator__method=IndicatorMethod.COMPUTED, basis="").exists()
    assert set(manual.values_list("entered_by__username", flat=True)) == {"kaohe"}
    tallies = AppraisalTally.objects.all()
    assert tallies.count() == 2 * Result.objects.filter(scheme__group__in=[VILLAGE_GROUP, TOWNSHIP_GROUP]).count()
    for t in tallies:
        assert (15 <= t.votes <= 25) if t.side == Side.UPPER else (30 <= t.votes <= 60), t.pk
    for label in ("indicatorscore", "appraisaltally"):
        events = AuditEvent.objects.filter(object_type=f"assessments.{label}", action="create")
        assert events.count() == (manual if label == "indicatorscore" else tallies).count()
        assert set(events.values_list("actor__username", flat=True)) == {"kaohe"}
    # Worked by hand for one village of the last year: side = round(Σ votes × points ÷ votes), appraisal =
    # round(upper × 60% + lower × 40%), total = round(indicators × 70% + appraisal × 30%).
    result = Result.objects.filter(year=years[-1], scheme__group=VILLAGE_GROUP).order_by("organization__code")[0]
    votes = {a.side: a for a in result.appraisals.all()}

    def side(a):
        return (Decimal(a.good * 100 + a.fair * 80 + a.average * 60) / a.votes).quantize(
            Decimal("0.01"), "ROUND_HALF_UP"
        )

    appraisal = (side(votes["upper"]) * Decimal("0.6") + side(votes["lower"]) * Decimal("0.4")).quantize(
        Decimal("0.01"), "ROUND_HALF_UP"
    )
    indicators = sum(s.score for s in result.scores.all())
    assert result.scores.count() == 6 and (result.indicator_total, result.appraisal_score) == (indicators, appraisal)
    total = (indicators * Decimal("0.7") + appraisal * Decimal("0.3")).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    assert result.total == total
    # The villages' 好 is capped at 30% (⌊260 × 0.3⌋ = 78): every year some 90+ villages drop to 较好.
    for year in years:
        villages = Result.objects.filter(year=year, scheme__group=VILLAGE_GROUP)
        n = villages.count()
        assert villages.filter(grade=Grade.GOOD).count() <= n * 30 // 100
        assert villages.filter(capped=True, rule_grade=Grade.GOOD, grade=Grade.FAIR).exists()


def _assert_the_cases(cases: DemoCases, years: list[int]) -> None:
    last, before_last = years[-1], years[-2]
    # The move (1 September 2023) and the handover (31 December 2024) are fixed days of the demo county: their cases
    # are planted while the four years cover the years around them (seeding in 2026, the demo's year).
    m, h = MOVED_ON.year, NEW_YEARS_EVE.year
    with_mover, with_handover = {m - 1, m, m + 1} <= set(years), {h - 2, h - 1, h} <= set(years)
    assert cases.mover == ((MOVER_FROM, MOVER_TO) if with_mover else None)
    assert cases.handover == (CHANGE_ON_NEW_YEARS_EVE if with_handover else None)
    assert cases.rule3 and cases.rule3 not in (MOVER_FROM, MOVER_TO, CHANGE_ON_NEW_YEARS_EVE, DEMO_BRANCH)
    assert (cases.rising, cases.climber) == (DEMO_BRANCH, DEMO_TOWNSHIP)
    assert cases.falling.startswith(DEMO_TOWNSHIP) and cases.falling != DEMO_BRANCH

    # Rule 3: exactly the planted village's secretary (the last year, three years of evidence at that village) and
    # the secretary who moved (at the old village the year before the move, then at the new one).
    rule3 = [_result(cases.rule3, y) for y in years[-3:]]
    person = rule3[-1].secretary
    assert {r.secretary_id for r in rule3} == {person.pk}
    assert all(r.bottom for r in rule3) and [r.rank_asc for r in rule3] == [1, 2, 1]
    penalty = Penalty.objects.get(rule=Rule.BOTTOM, year=last, person=person)
    assert penalty.years == 3 and penalty.organization.code == cases.rule3
    assert [(e["year"], e["code"], e["bottom"]) for e in penalty.evidence] == [
        (last, cases.rule3, True),
        (last - 1, cases.rule3, True),
        (last - 2, cases.rule3, True),
    ]
    expected = {(last, person.pk)}
    if with_mover:
        mover = _result(MOVER_FROM, m - 1).secretary
        assert _result(MOVER_TO, m).secretary == mover == _result(MOVER_TO, m + 1).secretary
        assert _result(MOVER_FROM, m).secretary != mover  # the old village has its new secretary by 31 December
        moved = Penalty.objects.get(rule=Rule.BOTTOM, year=m + 1, person=mover)
        assert [(e["year"], e["code"]) for e in moved.evidence] == [
            (m + 1, MOVER_TO),
            (m, MOVER_TO),
            (m - 1, MOVER_FROM),
        ]
        expected.add((m + 1, mover.pk))
    assert _penalties(Rule.BOTTOM) == expected

    if with_handover:
        # The village bottom three three years running, the last of them under the secretary who took over on
        # 31 December: the old secretary has two years, the new one one — nobody is caught.
        handover = [_result(CHANGE_ON_NEW_YEARS_EVE, y) for y in (h - 2, h - 1, h)]
        assert all(r.bottom for r in handover)
        new = Post.objects.get(organization__code=CHANGE_ON_NEW_YEARS_EVE, title="书记", start_on=NEW_YEARS_EVE)
        assert handover[2].secretary_id == new.person_id
        assert handover[0].secretary_id == handover[1].secretary_id != new.person_id
        caught = {p for _, p in _penalties(Rule.BOTTOM)}
        assert not caught & {handover[0].secretary_id, new.person_id}

    # The tie at the boundary: the same total, the same rank, both third from the bottom, both bottom (4 in all).
    year, a, b = cases.tie
    assert year == before_last
    ta, tb = _result(a, year), _result(b, year)
    assert ta.total == tb.total and ta.rank == tb.rank == ta.group_size - 3
    assert ta.rank_asc == tb.rank_asc == 3 and ta.bottom and tb.bottom
    assert Result.objects.filter(year=year, scheme__group=VILLAGE_GROUP, bottom=True).count() == 4
    for y in years:
        bottom = set(
            Result.objects.filter(year=y, scheme__group=VILLAGE_GROUP, bottom=True).values_list(
                "organization__code", flat=True
            )
        )
        assert bottom == set(cases.bottoms[y]), y

    # Rule 1: the vetoed village (a good score, graded 差 by the veto) and the “两新” organization below 60.
    vetoed = _result(cases.vetoed, last)
    assert vetoed.vetoed and vetoed.veto_item.name == VETO_ITEM and vetoed.veto_reason == VETO_REASON
    assert vetoed.grade == Grade.POOR and vetoed.rule_grade < Grade.POOR and vetoed.total >= 80
    failed = _result(cases.failed, last)
    assert failed.scheme.group == TWO_NEW_GROUP and failed.total == Decimal(FAILED_TOTAL).scaleb(-2)
    assert failed.imported_total == failed.total and failed.grade == Grade.POOR and failed.rank == failed.group_size
    assert _penalties(Rule.FAILED) == {(last, vetoed.secretary_id), (last, failed.secretary_id)}
    assert not Result.objects.filter(grade=Grade.POOR).exclude(pk__in=[vetoed.pk, failed.pk]).exists()

    # Rule 2: the falling village's rank worse every year, never moved up, so caught in each year with two before.
    falling = [_result(cases.falling, y) for y in years]
    assert [r.rank for r in falling] == sorted(r.rank for r in falling) and len({r.rank for r in falling}) == 4
    assert [r.moved_up for r in falling] == [None, False, False, False]
    sec = falling[-1].secretary_id
    for y in years[-2:]:
        p = Penalty.objects.get(rule=Rule.NOT_MOVED_UP, year=y, person_id=sec)
        assert [(e["year"], e["moved_up"]) for e in p.evidence] == [(y, False), (y - 1, False)]
    assert not Penalty.objects.filter(rule=Rule.NOT_MOVED_UP, year=years[1], person_id=sec).exists()  # unknown before
    # The demo branch rises every year: moved up, no penalty.
    rising = [_result(DEMO_BRANCH, y) for y in years]
    assert [r.rank for r in rising] == sorted((r.rank for r in rising), reverse=True)
    assert [r.moved_up for r in rising] == [None, True, True, True]
    assert not Penalty.objects.filter(person_id__in={r.secretary_id for r in rising}).exists()

    # 乡镇党委: the demo township from 8th to 3rd; another's 好 changed to 较好 with the reason, audited.
    climber = _result(DEMO_TOWNSHIP, last)
    assert (climber.prev_rank, climber.rank, climber.moved_up) == (8, 3, True)
    assert _result(DEMO_TOWNSHIP, before_last).rank == 8
    override = _result(cases.override, last)
    assert (override.rule_grade, override.grade_override, override.grade) == (Grade.GOOD, Grade.FAIR, Grade.FAIR)
    assert override.override_reason == OVERRIDE_REASON and override.rank == 2
    assert AuditEvent.objects.filter(
        object_type="assessments.result", object_id=str(override.pk), note=f"调整等次：{OVERRIDE_REASON}"
    ).exists()


def test_seed_demo_assesses_four_years_and_plants_a_case_for_each_rule():
    today = timezone.localdate()
    years = [today.year - 4, today.year - 3, today.year - 2, today.year - 1]
    lines = _run()
    mine = [line for line in lines if line.split(":")[0] in TITLES]
    penalties = Counter(Penalty.objects.values_list("rule", flat=True))
    assert mine == [
        "考核方案: 已新增 20 个（已发布 20 个），已有 0 个",
        f"考核结果: 已新增 {Result.objects.count()} 个（指标得分 {IndicatorScore.objects.count()} 项、"
        f"述职评议 {AppraisalTally.objects.count()} 条、导入总分 "
        f"{Result.objects.filter(imported_total__isnull=False).count()} 个），已有 0 个",
        f"三个一律: 已新增 {Penalty.objects.count()} 条（不合格 {penalties[1]}、连续两年未晋位升级 {penalties[2]}、"
        f"连续三年后三名 {penalties[3]}），已有 0 条",
    ]
    # The assessment comes before the nightly checks (its lines, then theirs).
    assert lines.index(mine[-1]) < min(i for i, line in enumerate(lines) if line.startswith("夜间检查·"))
    assert penalties[Rule.FAILED] == 2 and penalties[Rule.BOTTOM] in (1, 2) and penalties[Rule.NOT_MOVED_UP] >= 20
    assert set(Penalty.objects.values_list("year", flat=True)) <= set(years[1:])

    _assert_the_schemes(years, today)
    _assert_the_scores(years)
    cases = demo_cases()
    _assert_the_cases(cases, years)

    # A second build, straight: nothing added, every result row as it was.
    before, rows = _counts(), _snapshot()
    with origin("command"):
        again = build_demo_assessments()
    assert _counts() == before and _snapshot() == rows
    assert again.cases == cases
    assert again.summary_lines() == [
        "考核方案: 已新增 0 个（已发布 0 个），已有 20 个",
        f"考核结果: 已新增 0 个（指标得分 0 项、述职评议 0 条、导入总分 0 个），已有 {Result.objects.count()} 个",
        f"三个一律: 已新增 0 条（不合格 0、连续两年未晋位升级 0、连续三年后三名 0），已有 {Penalty.objects.count()} 条",
    ]


def test_the_builder_copes_with_a_small_county(db):
    """A township and three villages, no records of any other app: every group assessed and published each year,
    the computed indicators scored by hand, no case planted (the groups are too small); a second run adds nothing."""
    from organizations.services import organization_create

    def org(parent, code, name, kind="党支部", **extra):
        extra.setdefault("founded_on", dt.date(1980, 1, 1))
        return organization_create(actor=None, parent=parent, code=code, name=name, kind=kind, **extra)

    root = org(None, COUNTY_CODE, "青山县委", "县委")
    town = org(root, "QS02", "石门镇党委", "党委", assessment_group=TOWNSHIP_GROUP)
    for n, name in enumerate(("秦庄村", "北村", "东村"), start=1):
        org(town, f"QS02{n:03d}", f"{name}党支部", domain="农村", assessment_group=VILLAGE_GROUP)

    first = build_demo_assessments()
    assert first.cases == DemoCases(bottoms={y: [] for y in first.years})
    assert (first.schemes_added, first.published_added, first.results_added) == (8, 8, 16)
    schemes = Scheme.objects.all()
    assert set(schemes.values_list("status", flat=True)) == {SchemeStatus.PUBLISHED}
    assert not Indicator.objects.filter(method=IndicatorMethod.COMPUTED).exists()
    assert not Result.objects.filter(total__isnull=True).exists()
    assert not Result.objects.filter(bottom=True).exists()  # a group of six or fewer has no bottom three
    assert not Penalty.objects.exclude(rule=Rule.NOT_MOVED_UP).exists()
    before, rows = _counts(), _snapshot()
    second = build_demo_assessments()
    assert _counts() == before and _snapshot() == rows
    assert (second.schemes_added, second.schemes_present, second.results_present) == (0, 8, 16)


def test_if_empty_adds_the_assessments_to_a_county_seeded_before_them(db):
    """A database seeded before the assessments existed (everything else there) gets them once with --if-empty."""
    from unittest import mock

    from organizations.services import organization_create

    root = organization_create(
        actor=None, parent=None, code=COUNTY_CODE, name="青山县委", kind="县委", founded_on=dt.date(1980, 1, 1)
    )
    organization_create(
        actor=None, parent=root, code="QS02", name="石门镇党委", kind="党委", assessment_group=TOWNSHIP_GROUP,
        founded_on=dt.date(1980, 1, 1),
    )  # fmt: skip
    seeded = mock.Mock()
    seeded.objects.exists.return_value = True
    command = "core.management.commands.seed_demo"
    with (
        mock.patch(f"{command}.Member", seeded),
        mock.patch(f"{command}.Meeting", seeded),
        mock.patch(f"{command}.demo_supervision_exists", return_value=True),
        mock.patch(f"{command}.demo_funding_exists", return_value=True),
    ):
        lines = _run("--if-empty")
        assert lines[:4] == [
            "系统中已有组织数据，跳过演示数据。",
            "考核方案: 已新增 4 个（已发布 4 个），已有 0 个",
            "考核结果: 已新增 4 个（指标得分 20 项、述职评议 8 条、导入总分 0 个），已有 0 个",
            "三个一律: 已新增 0 条（不合格 0、连续两年未晋位升级 0、连续三年后三名 0），已有 0 条",
        ]
        assert all(line.startswith("夜间检查·") for line in lines[4:])
        assert Scheme.objects.filter(status=SchemeStatus.PUBLISHED).count() == 4
        before = _counts()
        assert _run("--if-empty") == ["系统中已有组织数据，跳过演示数据。"]
        assert _counts() == before
