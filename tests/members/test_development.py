"""发展党员 writes: dates in order, the stage follows the dates, and the board lists what is overdue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import NotInScope
from members.choices import DevelopmentStage
from members.development import (
    candidate_record_steps,
    candidate_register,
    member_points,
    pipeline_board,
    point_record_add,
    thought_report_add,
)
from members.models import Candidate, Member, PointItem
from members.services import member_create
from tests.factories import id_number_for

pytestmark = pytest.mark.django_db
D = dt.date


def test_stage_follows_the_dates_and_order_is_enforced(county, secretary):
    c = candidate_register(actor=secretary, branch=county.village_a1, name="赵申请", id_number=id_number_for(401),
                           applied_on=D(2023, 1, 5))  # fmt: skip
    assert c.stage == DevelopmentStage.APPLICANT
    candidate_record_steps(actor=secretary, candidate=c, talked_on=D(2023, 1, 20), activist_on=D(2023, 3, 1))
    assert c.stage == DevelopmentStage.ACTIVIST
    with pytest.raises(ValidationError) as caught:
        candidate_record_steps(actor=secretary, candidate=c, target_on=D(2023, 2, 1))
    assert caught.value.message_dict == {"target_on": ["列为发展对象日期不能早于确定积极分子日期"]}
    c.refresh_from_db()
    assert c.target_on is None and c.stage == DevelopmentStage.ACTIVIST


def test_register_refuses_out_of_scope_and_existing_members(county, secretary, sibling_admin):
    with pytest.raises(NotInScope):
        candidate_register(actor=sibling_admin, branch=county.village_a1, name="钱", id_number=id_number_for(402),
                           applied_on=D(2024, 1, 1))  # fmt: skip
    member_create(actor=None, name="孙党员", id_number=id_number_for(403), branch=county.village_a1,
                  category="正式党员", joined_on=D(2000, 7, 1), full_member_on=D(2001, 7, 1))  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        candidate_register(actor=secretary, branch=county.village_a1, name="孙党员", id_number=id_number_for(403),
                           applied_on=D(2024, 1, 1))  # fmt: skip
    assert caught.value.message_dict == {"id_number": ["此人已是党员。"]}
    assert not Candidate.objects.exists()


def test_board_lists_overdue_steps_in_scope(county, secretary, township_admin, sibling_admin):
    c = candidate_register(actor=secretary, branch=county.village_a1, name="李积极", id_number=id_number_for(404),
                           applied_on=D(2024, 1, 2))  # fmt: skip
    candidate_record_steps(actor=secretary, candidate=c, talked_on=D(2024, 1, 10), activist_on=D(2024, 2, 1))
    thought_report_add(actor=secretary, candidate=c, submitted_on=D(2024, 3, 1), text="思想汇报：学习党章的体会。")
    board = dict((cand.pk, problems) for cand, problems in pipeline_board(actor=township_admin, today=D(2024, 8, 1)))
    assert board == {c.pk: ["培养期间缺少思想汇报：2024年第2季度"]}
    assert pipeline_board(actor=sibling_admin, today=D(2024, 8, 1)) == []


def test_points_total_and_star_level(county, secretary):
    member = member_create(actor=None, name="周积分", id_number=id_number_for(405), branch=county.village_a1,
                           category="正式党员", joined_on=D(2000, 7, 1), full_member_on=D(2001, 7, 1))  # fmt: skip
    base = PointItem.objects.create(name="年度基础分", points=Decimal("60"))
    plus = PointItem.objects.create(name="参加主题党日", points=Decimal("2.5"))
    minus = PointItem.objects.create(name="无故缺席组织生活", points=Decimal("-5"))
    point_record_add(actor=secretary, member=member, item=base, year=2025, recorded_on=D(2025, 1, 2))
    for month in range(1, 5):
        point_record_add(actor=secretary, member=member, item=plus, year=2025, recorded_on=D(2025, month, 15))
    assert member_points(members=Member.objects.all(), year=2025) == {member.pk: (Decimal("70.0"), 2, "二星")}
    point_record_add(actor=secretary, member=member, item=minus, year=2025, recorded_on=D(2025, 6, 1))
    assert member_points(members=Member.objects.all(), year=2025) == {member.pk: (Decimal("65.0"), 1, "一星")}
    with pytest.raises(ValidationError):
        point_record_add(actor=secretary, member=member, item=plus, year=2025, recorded_on=D(2024, 12, 31))


def test_steps_cannot_be_skipped_or_dated_ahead(county, secretary):
    from django.utils import timezone

    c = candidate_register(actor=secretary, branch=county.village_a1, name="吴跳步", id_number=id_number_for(406),
                           applied_on=D(2023, 1, 5))  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        candidate_record_steps(actor=secretary, candidate=c, target_on=D(2024, 3, 1))
    assert caught.value.message_dict == {"target_on": ["请先填写确定积极分子日期"]}
    assert c.target_on is None  # the refused value did not stick to the caller's object
    with pytest.raises(ValidationError) as caught:
        candidate_record_steps(actor=secretary, candidate=c, talked_on=timezone.localdate() + dt.timedelta(days=1))
    assert caught.value.message_dict == {"talked_on": ["谈话日期不能晚于今天"]}
    with pytest.raises(ValidationError) as caught:
        thought_report_add(actor=secretary, candidate=c, submitted_on=D(2022, 12, 1), text="早于申请的汇报")
    assert caught.value.message_dict == {"submitted_on": ["提交日期不能早于递交入党申请的日期 2023-01-05"]}


def test_points_not_before_joining(county, secretary):
    member = member_create(actor=None, name="郑入党", id_number=id_number_for(407), branch=county.village_a1,
                           category="正式党员", joined_on=D(2000, 7, 1), full_member_on=D(2001, 7, 1))  # fmt: skip
    item = PointItem.objects.create(name="志愿服务", points=Decimal("3"))
    with pytest.raises(ValidationError) as caught:
        point_record_add(actor=secretary, member=member, item=item, year=2000, recorded_on=D(2000, 6, 30))
    assert caught.value.message_dict == {"recorded_on": ["记录日期不能早于入党日期 2000-07-01。"]}
