"""Member files over the API: masked personal numbers only; writes (create, update, transfer, status) call services."""

from __future__ import annotations

from rest_framework import serializers

from core.api import ScopedPrimaryKeyRelatedField
from core.scope import Action
from organizations.api.serializers import OrganizationBriefSerializer
from organizations.models import Organization

from .. import services
from ..choices import Education, Gender, MemberCategory, MemberStatus
from ..models import Member


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
