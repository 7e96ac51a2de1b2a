"""Bad input and permissions of the assessment's writes, and the draft → computed → published workflow: each refusal
is a clear Chinese message and changes nothing (rows and audit checked)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.services import account_create
from assessments.choices import SchemeStatus
from assessments.models import IndicatorScore, Result, Scheme
from assessments.services.schemes import indicator_add, scheme_copy, scheme_create, scheme_update
from assessments.services.scoring import grade_override_set, score_set, veto_set
from assessments.services.workflow import compute_submit, scheme_publish, scheme_reopen, year_compute
from core.models import AuditEvent, Job
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def village_scheme(county):
    scheme = scheme_create(actor=None, county=county.root, year=2024, group="村（社区）党组织")
    a = indicator_add(actor=None, scheme=scheme, name="组织建设", max_points="60")
    b = indicator_add(actor=None, scheme=scheme, name="作用发挥", max_points="40")
    return scheme, a, b


def result_of(scheme, org):
    return Result.objects.get(scheme=scheme, organization=org)


def state():
    return (
        sorted(IndicatorScore.objects.values_list("result_id", "indicator_id", "score", "note")),
        sorted(Result.objects.values_list("pk", "total", "vetoed", "grade_override", "grade", "rank")),
        sorted(Scheme.objects.values_list("pk", "status", "good_min", "appraisal_weight")),
        AuditEvent.objects.count(),
    )


def refused(call, exc=ValidationError):
    before = state()
    with pytest.raises(exc) as info:
        call()
    assert state() == before
    return info.value


@pytest.mark.parametrize(
    "score, message",
    [
        ("60.01", "“组织建设”得分 60.01 超出范围，应在 0 到 60.00 之间。"),
        ("-1", "“组织建设”得分 -1 超出范围，应在 0 到 60.00 之间。"),
        ("abc", "“组织建设”得分“abc”不是数字。"),
        ("1.234", "“组织建设”得分 1.234 超过两位小数。"),
        ("", "请填写“组织建设”得分。"),
    ],
)
def test_a_score_outside_its_range_is_refused(village_scheme, county, score, message):
    scheme, a, b = village_scheme
    error = refused(
        lambda: score_set(actor=None, result=result_of(scheme, county.village_a1), indicator=a, score=score)
    )
    assert error.message_dict == {"score": [message]}


def test_a_deduction_needs_its_reason(village_scheme, county):
    scheme, a, b = village_scheme
    error = refused(lambda: score_set(actor=None, result=result_of(scheme, county.village_a1), indicator=a, score="57"))
    assert error.message_dict == {"note": ["“组织建设”扣了 3.00 分，请填写扣分说明。"]}


def test_full_marks_need_no_reason_and_every_write_is_audited(village_scheme, county, inspector):
    scheme, a, b = village_scheme
    before = AuditEvent.objects.count()
    score_set(actor=inspector, result=result_of(scheme, county.village_a1), indicator=a, score="60")
    event = AuditEvent.objects.order_by("-pk").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.object_type, event.actor_name, event.after) == (
        "create",
        "assessments.indicatorscore",
        "inspector",
        {"score": "60.00", "note": ""},
    )


def test_only_assigned_inspectors_and_staff_score(village_scheme, county, leader, secretary):
    scheme, a, b = village_scheme
    outside = account_create(
        actor=None, username="kaohe_b", password=PASSWORD, organization=county.township_b, role="inspector"
    )
    result = result_of(scheme, county.village_a1)
    for user in (outside, leader, secretary):
        error = refused(lambda u=user: score_set(actor=u, result=result, indicator=a, score="60"), PermissionDenied)
        assert str(error) == "您不是该组织的考核人员，不能为其评分。"
    score_set(actor=outside, result=result_of(scheme, county.village_b1), indicator=a, score="60")


def test_schemes_are_the_county_departments(county, township_admin, county_admin):
    error = refused(
        lambda: scheme_create(actor=township_admin, county=county.root, year=2024, group="乡镇党委"), PermissionDenied
    )
    assert str(error) == "只有县委组织部可以设置考核方案。"
    scheme_create(actor=county_admin, county=county.root, year=2024, group="乡镇党委")
    error = refused(lambda: scheme_create(actor=county_admin, county=county.root, year=2024, group="乡镇党委"))
    assert error.message_dict == {"group": ["2024年度“乡镇党委”已有考核方案。"]}


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"good_min": "80", "fair_min": "85"}, "good_min", "分数线应满足“好” > “较好” > “一般”。"),
        (
            {"appraisal_weight": 30, "upper_weight": 70, "lower_weight": 40},
            "upper_weight",
            "上级评议占比与下级评议占比之和应为 100%（现为 110%）。",
        ),
        ({"good_cap": 0}, "good_cap", "“好”等次比例上限（%）应在 1 到 100 之间。"),
        ({"good_min": "101"}, "good_min", "“好”最低分 101 超出范围，应在 0 到 100.00 之间。"),
    ],
)
def test_scheme_settings_are_checked(village_scheme, values, field, message):
    scheme, a, b = village_scheme
    error = refused(lambda: scheme_update(actor=None, scheme=scheme, **values))
    assert error.message_dict == {field: [message]}


def test_an_organization_is_assessed_in_one_group_a_year(village_scheme, county):
    """The department moves 东街村 to another group mid-year: the new group's scheme does not take it (it already has a
    result this year), and the database itself refuses a second result for the organization and year."""
    scheme, a, b = village_scheme
    county.village_a1.assessment_group = "县直部门党组织"
    county.village_a1.save()
    other = scheme_create(actor=None, county=county.root, year=2024, group="县直部门党组织")
    assert list(other.results.values_list("organization__code", flat=True)) == ["C90"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Result.objects.create(scheme=other, organization=county.village_a1, year=2024)


def complete(scheme, county):
    for org in (county.village_a1, county.village_a2, county.village_b1, county.village_b2):
        score_set(
            actor=None, result=result_of(scheme, org), indicator=scheme.indicators.get(name="组织建设"), score="60"
        )
        score_set(
            actor=None, result=result_of(scheme, org), indicator=scheme.indicators.get(name="作用发挥"), score="40"
        )


def test_publishing_needs_complete_and_computed_results(village_scheme, county, county_admin):
    scheme, a, b = village_scheme
    score_set(actor=None, result=result_of(scheme, county.village_a1), indicator=a, score="60")
    year_compute(year=2024, county=county.root)
    error = refused(lambda: scheme_publish(actor=county_admin, scheme=scheme))
    assert error.messages == [
        "还有组织的得分不完整，不能发布：东街村党支部、西街村党支部、北山村党支部、南河村党支部（共 4 个组织）。"
    ]
    complete(scheme, county)
    error = refused(lambda: scheme_publish(actor=county_admin, scheme=scheme))
    assert error.messages == ["2024年度村（社区）党组织考核的得分或设置在上次计算后有变化，请先重新计算，再发布。"]
    year_compute(year=2024, county=county.root)
    scheme_publish(actor=county_admin, scheme=scheme)
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.PUBLISHED and scheme.published_by == county_admin


def test_published_results_are_locked_until_reopened_with_a_reason(village_scheme, county, county_admin):
    scheme, a, b = village_scheme
    complete(scheme, county)
    year_compute(year=2024, county=county.root)
    scheme_publish(actor=county_admin, scheme=scheme)
    result = result_of(scheme, county.village_a1)
    locked = "2024年度村（社区）党组织考核已发布，结果已锁定；如需修改，请先撤回发布（需填写原因）。"
    for call in (
        lambda: score_set(actor=county_admin, result=result, indicator=a, score="50", note="复查"),
        lambda: veto_set(actor=county_admin, result=result, vetoed=True, reason="违纪"),
        lambda: grade_override_set(actor=county_admin, result=result, grade="差", reason="复查"),
        lambda: scheme_update(actor=county_admin, scheme=scheme, good_min="95"),
        lambda: indicator_add(actor=county_admin, scheme=scheme, name="新指标", max_points="5"),
    ):
        assert refused(call).messages == [locked]
    error = refused(lambda: year_compute(year=2024, county=county.root))
    assert error.messages == ["2024年度村（社区）党组织考核已发布，结果已锁定；重新计算前请先撤回发布（需填写原因）。"]
    error = refused(lambda: compute_submit(actor=county_admin, year=2024, county=county.root))
    assert Job.objects.count() == 0
    error = refused(lambda: scheme_reopen(actor=county_admin, scheme=scheme, reason="  "))
    assert error.message_dict == {"reason": ["撤回发布须填写原因。"]}
    scheme_reopen(actor=county_admin, scheme=scheme, reason="东街村申诉，复查组织建设得分")
    event = AuditEvent.objects.order_by("-pk").first()
    assert (event.action, event.note) == ("reopen", "撤回发布：东街村申诉，复查组织建设得分")
    score_set(actor=county_admin, result=result, indicator=a, score="50", note="复查后扣 10 分")
    assert Result.objects.get(pk=result.pk).total == D("90.00")


def test_indicator_maxima_must_add_up_to_100_before_computing(village_scheme, county):
    scheme, a, b = village_scheme
    indicator_add(actor=None, scheme=scheme, name="加分项", max_points="5")
    error = refused(lambda: year_compute(year=2024, county=county.root))
    assert error.messages == ["2024年度村（社区）党组织考核的指标分值合计 105.00 分，应为 100 分，请先调整考核方案。"]


def test_veto_and_override_need_their_reasons_and_the_county(village_scheme, county, county_admin, township_admin):
    scheme, a, b = village_scheme
    result = result_of(scheme, county.village_a1)
    assert refused(lambda: veto_set(actor=county_admin, result=result, vetoed=True)).message_dict == {
        "reason": ["请选择否决事项或填写否决说明。"]
    }
    assert refused(lambda: grade_override_set(actor=county_admin, result=result, grade="好")).message_dict == {
        "reason": ["调整等次须填写原因。"]
    }
    assert refused(
        lambda: grade_override_set(actor=county_admin, result=result, grade="优秀", reason="x")
    ).message_dict == {"grade": ["等次应为好、较好、一般或差。"]}
    refused(lambda: veto_set(actor=township_admin, result=result, vetoed=True, reason="违纪"), PermissionDenied)
    veto_set(actor=county_admin, result=result, vetoed=True, reason="村干部违纪造成恶劣影响")
    assert Result.objects.get(pk=result.pk).vetoed is True


def test_copy_last_years_scheme(village_scheme, county, county_admin):
    scheme, a, b = village_scheme
    scheme_update(actor=county_admin, scheme=scheme, good_cap=30, name="2024年度村级党组织考核")
    copy = scheme_copy(actor=county_admin, source=scheme)
    assert (copy.year, copy.group, copy.good_cap, copy.name) == (2025, "村（社区）党组织", 30, "2025年度村级党组织考核")
    assert list(copy.indicators.values_list("name", "max_points")) == [
        ("组织建设", D("60.00")),
        ("作用发挥", D("40.00")),
    ]
    assert copy.results.count() == 4 and copy.status == SchemeStatus.DRAFT


def test_compute_job_records_progress_and_outcome(
    village_scheme, county, county_admin, django_capture_on_commit_callbacks
):
    """In-process (no broker): compute_submit queues the Celery task, which runs at commit and finishes the job."""
    scheme, a, b = village_scheme
    complete(scheme, county)
    with django_capture_on_commit_callbacks(execute=True):
        job = compute_submit(actor=county_admin, year=2024, county=county.root)
    job.refresh_from_db()
    assert (job.kind, job.status, job.progress) == ("assessment_compute", "succeeded", 100)
    assert job.message == "2024年度计算完成：1 个考核方案，排名等次变化 4 个，“三个一律”变化 0 条"
    assert sorted(Result.objects.filter(scheme=scheme).values_list("rank", flat=True)) == [1, 1, 1, 1]
