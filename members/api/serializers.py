"""The members capability over the API: masked personal numbers only; every write calls a service.

Member files (create, update, transfer, status), 发展党员 (register, steps) with their thought reports, training and
point records, the county's points configuration, and 失联党员 cases (decide, resolve).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import ScopedPrimaryKeyRelatedField
from core.scope import Action
from organizations.api.serializers import OrganizationBriefSerializer, PersonBriefSerializer
from organizations.models import Organization

from .. import contact, development, pipeline, services
from ..choices import DevelopmentStage, Education, Gender, LostContactStatus, MemberCategory, MemberStatus
from ..models import (
    Candidate,
    LostContactCase,
    Member,
    PointItem,
    PointRecord,
    StarRule,
    ThoughtReport,
    TrainingRecord,
)


class MemberSerializer(serializers.ModelSerializer):
    """A member file as read. `id_number` and `phone` are write-only on create; reads show the masked forms."""

    name = serializers.CharField(source="person.name", max_length=50, help_text="姓名")
    id_number = serializers.CharField(
        write_only=True, min_length=18, max_length=18, help_text="18 位公民身份号码（只写，读取时仅返回脱敏号码）"
    )
    id_number_masked = serializers.CharField(source="person.id_number_masked", read_only=True, help_text="脱敏身份证号")
    gender = serializers.ChoiceField(
        source="person.gender", choices=Gender.choices, read_only=True, help_text="性别（由身份证号得出）"
    )
    birth_date = serializers.DateField(
        source="person.birth_date", read_only=True, help_text="出生日期（由身份证号得出）"
    )
    phone = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=11, help_text="11 位手机号码（只写）"
    )
    phone_masked = serializers.CharField(read_only=True, help_text="脱敏手机号码")
    branch = OrganizationBriefSerializer(read_only=True)
    branch_id = ScopedPrimaryKeyRelatedField(
        model=Organization, action=Action.CHANGE, source="branch", write_only=True, help_text="所在支部编号"
    )
    status = serializers.ChoiceField(
        choices=MemberStatus.choices, read_only=True, help_text="党籍状态（通过 status 操作变更）"
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "id_number",
            "id_number_masked",
            "gender",
            "birth_date",
            "branch",
            "branch_id",
            "category",
            "status",
            "ethnicity",
            "education",
            "joined_on",
            "full_member_on",
            "occupation",
            "address",
            "phone",
            "phone_masked",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class MemberUpdateSerializer(serializers.ModelSerializer):
    """The fields of a file that may be changed in place; the branch changes by transfer, the status by `status`."""

    name = serializers.CharField(source="person.name", read_only=True, help_text="姓名")
    id_number_masked = serializers.CharField(source="person.id_number_masked", read_only=True, help_text="脱敏身份证号")
    gender = serializers.ChoiceField(source="person.gender", choices=Gender.choices, read_only=True, help_text="性别")
    birth_date = serializers.DateField(source="person.birth_date", read_only=True, help_text="出生日期")
    phone = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=11, help_text="11 位手机号码（只写）"
    )
    phone_masked = serializers.CharField(read_only=True, help_text="脱敏手机号码")
    branch = OrganizationBriefSerializer(read_only=True)
    status = serializers.ChoiceField(choices=MemberStatus.choices, read_only=True, help_text="党籍状态")
    category = serializers.ChoiceField(choices=MemberCategory.choices, required=False, help_text="人员类别")
    education = serializers.ChoiceField(choices=Education.choices, required=False, allow_blank=True, help_text="学历")

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "id_number_masked",
            "gender",
            "birth_date",
            "branch",
            "category",
            "status",
            "ethnicity",
            "education",
            "joined_on",
            "full_member_on",
            "occupation",
            "address",
            "phone",
            "phone_masked",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class MemberTransferSerializer(serializers.Serializer):
    """Input of POST /api/members/{id}/transfer/: saving it transfers the member (context: request, member)."""

    branch_id = ScopedPrimaryKeyRelatedField(model=Organization, action=Action.CHANGE, help_text="转入支部编号")
    on = serializers.DateField(help_text="转接日期（新组织关系的起始日期）")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="", help_text="说明")

    def create(self, validated_data) -> Member:
        return services.member_transfer(
            actor=self.context["request"].user,
            member=self.context["member"],
            to_branch=validated_data["branch_id"],
            on=validated_data["on"],
            note=validated_data["note"],
        )


class MemberStatusSerializer(serializers.Serializer):
    """Input of POST /api/members/{id}/status/: saving it records the change of 党籍状态 (context: request, member)."""

    status = serializers.ChoiceField(choices=MemberStatus.choices, help_text="新的党籍状态")
    on = serializers.DateField(help_text="变更日期")
    place = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default="", help_text="去向/来源（流出、流入时填写）"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="", help_text="说明")

    def create(self, validated_data) -> Member:
        return services.member_status_change(
            actor=self.context["request"].user, member=self.context["member"], **validated_data
        )


class MemberBriefSerializer(serializers.ModelSerializer):
    """The short form used wherever another record points at a member."""

    name = serializers.CharField(source="person.name", read_only=True, help_text="姓名")
    branch = OrganizationBriefSerializer(read_only=True)

    class Meta:
        model = Member
        fields = ["id", "name", "branch"]


# --- 发展党员 ------------------------------------------------------------------------------------------------------

EXTENSION_MONTHS = [(0, "不延长"), *[(m, f"{m} 个月") for m in range(6, 13)]]


def candidate_problems(c: Candidate, *, today) -> list[str]:
    """The time-limit checks of the board (members.pipeline) for one person; the reports come prefetched."""
    return pipeline.candidate_problems(c, today=today)


class CandidateSerializer(serializers.ModelSerializer):
    """A person in the pipeline. Created as 入党申请人 (name, ID number, branch, date of application); the later steps
    are recorded with `steps`, and the stage follows from their dates."""

    name = serializers.CharField(source="person.name", max_length=50, help_text="姓名")
    id_number = serializers.CharField(
        write_only=True, min_length=18, max_length=18, help_text="18 位公民身份号码（只写，读取时仅返回脱敏号码）"
    )
    id_number_masked = serializers.CharField(source="person.id_number_masked", read_only=True, help_text="脱敏身份证号")
    gender = serializers.ChoiceField(source="person.gender", choices=Gender.choices, read_only=True, help_text="性别")
    birth_date = serializers.DateField(source="person.birth_date", read_only=True, help_text="出生日期")
    branch = OrganizationBriefSerializer(read_only=True)
    branch_id = ScopedPrimaryKeyRelatedField(
        model=Organization, action=Action.CHANGE, source="branch", write_only=True, help_text="培养支部编号"
    )
    stage = serializers.ChoiceField(
        choices=DevelopmentStage.choices, read_only=True, help_text="当前阶段（由各步骤日期得出）"
    )
    problems = serializers.SerializerMethodField(help_text="逾期与问题（按《发展党员工作细则》规定的时限检查）")

    class Meta:
        model = Candidate
        fields = [
            "id",
            "name",
            "id_number",
            "id_number_masked",
            "gender",
            "birth_date",
            "branch",
            "branch_id",
            "stage",
            "applied_on",
            "talked_on",
            "activist_on",
            "target_on",
            "training_hours",
            "admitted_on",
            "approved_on",
            "full_on",
            "extension_months",
            "problems",
            "updated_at",
        ]
        read_only_fields = [
            "talked_on",
            "activist_on",
            "target_on",
            "training_hours",
            "admitted_on",
            "approved_on",
            "full_on",
            "extension_months",
            "updated_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_problems(self, obj: Candidate) -> list[str]:
        return candidate_problems(obj, today=self.context.get("today") or timezone.localdate())


class CandidateStepsSerializer(serializers.Serializer):
    """Input of POST /api/candidates/{id}/steps/: the steps given (null clears one) are recorded, the others are kept;
    saving it calls the service (context: request, candidate)."""

    talked_on = serializers.DateField(required=False, allow_null=True, help_text="谈话日期（申请后一个月内）")
    activist_on = serializers.DateField(required=False, allow_null=True, help_text="确定积极分子日期")
    target_on = serializers.DateField(
        required=False, allow_null=True, help_text="列为发展对象日期（确定积极分子满一年后）"
    )
    training_hours = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="集中培训学时（不少于 3 天或 24 学时）",
    )
    admitted_on = serializers.DateField(required=False, allow_null=True, help_text="接收预备党员日期")
    approved_on = serializers.DateField(
        required=False, allow_null=True, help_text="上级审批日期（支部大会通过后三个月内）"
    )
    extension_months = serializers.ChoiceField(
        choices=EXTENSION_MONTHS, required=False, help_text="延长预备期（月）：0 或 6–12，只能延长一次"
    )
    full_on = serializers.DateField(required=False, allow_null=True, help_text="转正日期")

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("请至少填写一个培养步骤。")
        return attrs

    def create(self, validated_data) -> Candidate:
        return development.candidate_record_steps(
            actor=self.context["request"].user, candidate=self.context["candidate"], **validated_data
        )


class ThoughtReportSerializer(serializers.ModelSerializer):
    """A 思想汇报 of a person in the pipeline, kept in full so the nightly duplicate check can read it."""

    person = PersonBriefSerializer(read_only=True)
    branch = OrganizationBriefSerializer(read_only=True)
    candidate_id = ScopedPrimaryKeyRelatedField(
        model=Candidate, action=Action.CHANGE, write_only=True, help_text="发展对象（发展党员名单）编号"
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="", help_text="标题")

    class Meta:
        model = ThoughtReport
        fields = ["id", "person", "branch", "candidate_id", "submitted_on", "title", "text", "created_at"]
        read_only_fields = ["created_at"]


# --- Training and points ------------------------------------------------------------------------------------------


class TrainingRecordSerializer(serializers.ModelSerializer):
    """培训台账: one course a member attended. A certificate whose dates differ from the course's is kept and flagged."""

    member = MemberBriefSerializer(read_only=True)
    member_id = ScopedPrimaryKeyRelatedField(
        model=Member, action=Action.CHANGE, source="member", write_only=True, help_text="党员编号"
    )
    certificate_mismatch = serializers.BooleanField(read_only=True, help_text="证书所载日期与培训日期不符")

    class Meta:
        model = TrainingRecord
        fields = [
            "id",
            "member",
            "member_id",
            "course",
            "organizer",
            "start_on",
            "end_on",
            "hours",
            "certificate_start_on",
            "certificate_end_on",
            "certificate_mismatch",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class PointItemSerializer(serializers.ModelSerializer):
    """A points item of the county (积分项目); records keep the points they were given when made."""

    class Meta:
        model = PointItem
        fields = ["id", "name", "points", "is_active"]
        extra_kwargs = {"name": {"validators": []}}  # uniqueness is the service's, with its own message


class PointItemBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = PointItem
        fields = ["id", "name"]


class StarRuleSerializer(serializers.ModelSerializer):
    """评星定级: a yearly total of at least `min_points` earns `stars` (0 = 不合格)."""

    stars = serializers.IntegerField(min_value=0, max_value=10, help_text="星级（0 表示不合格）")

    class Meta:
        model = StarRule
        fields = ["id", "min_points", "stars", "label"]
        extra_kwargs = {"min_points": {"validators": []}}  # uniqueness is the service's, with its own message


class PointRecordSerializer(serializers.ModelSerializer):
    """Points a member earned or lost in a year for one item; the points are the item's at the time."""

    member = MemberBriefSerializer(read_only=True)
    member_id = ScopedPrimaryKeyRelatedField(
        model=Member, action=Action.CHANGE, source="member", write_only=True, help_text="党员编号"
    )
    item = PointItemBriefSerializer(read_only=True)
    item_id = ScopedPrimaryKeyRelatedField(
        model=PointItem, action=Action.VIEW, source="item", write_only=True, help_text="积分项目编号（须为启用的项目）"
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="年度")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="", help_text="说明")

    class Meta:
        model = PointRecord
        fields = ["id", "member", "member_id", "year", "item", "item_id", "points", "recorded_on", "note"]
        read_only_fields = ["points"]


# --- 失联党员 ------------------------------------------------------------------------------------------------------


class LostContactMemberSerializer(MemberBriefSerializer):
    id_number_masked = serializers.CharField(source="person.id_number_masked", read_only=True, help_text="脱敏身份证号")
    status = serializers.ChoiceField(choices=MemberStatus.choices, read_only=True, help_text="党籍状态")

    class Meta(MemberBriefSerializer.Meta):
        fields = [*MemberBriefSerializer.Meta.fields, "id_number_masked", "status"]


class LostContactCaseSerializer(serializers.ModelSerializer):
    """A 失联党员 case: found by the monthly scan, confirmed or dismissed (`decide`), resolved (`resolve`)."""

    member = LostContactMemberSerializer(read_only=True)
    status = serializers.ChoiceField(choices=LostContactStatus.choices, read_only=True, help_text="处理状态")

    class Meta:
        model = LostContactCase
        fields = ["id", "member", "status", "last_contact_on", "found_on", "decided_on", "resolved_on", "note"]
        read_only_fields = fields


class LostContactDecisionSerializer(serializers.Serializer):
    """Input of POST /api/lost-contact-cases/{id}/decide/ (context: request, case)."""

    decision = serializers.ChoiceField(
        choices=[("confirm", "确认失联"), ("dismiss", "排除（未失联）")],
        help_text="处理结果：confirm 确认失联（党籍状态改为“失联”），dismiss 排除",
    )
    on = serializers.DateField(help_text="确认/排除日期")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="", help_text="说明")

    def create(self, validated_data) -> LostContactCase:
        return contact.lost_contact_decide(
            actor=self.context["request"].user,
            case=self.context["case"],
            confirmed=validated_data["decision"] == "confirm",
            on=validated_data["on"],
            note=validated_data["note"].strip(),
        )


class LostContactResolveSerializer(serializers.Serializer):
    """Input of POST /api/lost-contact-cases/{id}/resolve/: contact restored (context: request, case)."""

    on = serializers.DateField(help_text="恢复联系日期")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="", help_text="说明")

    def create(self, validated_data) -> LostContactCase:
        return contact.lost_contact_resolve(
            actor=self.context["request"].user,
            case=self.context["case"],
            on=validated_data["on"],
            note=validated_data["note"].strip(),
        )
