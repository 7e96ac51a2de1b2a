from rest_framework import serializers

from core.api import ScopedPrimaryKeyRelatedField
from members.models import Person

from ..models import Organization, Post


class OrganizationBriefSerializer(serializers.ModelSerializer):
    """The short form used wherever another record points at an organization."""

    class Meta:
        model = Organization
        fields = ["id", "code", "name", "kind"]


class OrganizationSerializer(serializers.ModelSerializer):
    parent = OrganizationBriefSerializer(read_only=True)
    parent_id = ScopedPrimaryKeyRelatedField(
        model=Organization, source="parent", write_only=True, required=True, help_text="上级组织编号"
    )
    term_ends_on = serializers.DateField(read_only=True, help_text="本届任期届满日期")
    effective_term_years = serializers.IntegerField(read_only=True, help_text="任期年数（未设置时按规定）")

    class Meta:
        model = Organization
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "domain",
            "assessment_group",
            "has_committee",
            "has_party_groups",
            "founded_on",
            "last_election_on",
            "term_years",
            "effective_term_years",
            "term_ends_on",
            "parent",
            "parent_id",
            "depth",
            "numchild",
            "path",
        ]
        read_only_fields = ["depth", "numchild", "path"]


class OrganizationUpdateSerializer(OrganizationSerializer):
    """Updates change an organization's own fields; its place in the tree changes only through `move`."""

    class Meta(OrganizationSerializer.Meta):
        fields = [f for f in OrganizationSerializer.Meta.fields if f != "parent_id"]


class OrganizationMoveSerializer(serializers.Serializer):
    parent_id = ScopedPrimaryKeyRelatedField(model=Organization, help_text="新的上级组织编号")


class PersonBriefSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(source="id_number_masked", read_only=True, help_text="脱敏身份证号")

    class Meta:
        model = Person
        fields = ["id", "name", "id_number"]


class PostSerializer(serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)
    organization_id = ScopedPrimaryKeyRelatedField(model=Organization, source="organization", write_only=True)
    person = PersonBriefSerializer(read_only=True)
    person_name = serializers.CharField(write_only=True, max_length=50, help_text="姓名（新建时必填）")
    person_id_number = serializers.CharField(write_only=True, max_length=18, help_text="身份证号（新建时必填）")

    class Meta:
        model = Post
        fields = [
            "id",
            "organization",
            "organization_id",
            "person",
            "person_name",
            "person_id_number",
            "title",
            "start_on",
            "end_on",
        ]


class PostUpdateSerializer(serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)
    person = PersonBriefSerializer(read_only=True)

    class Meta:
        model = Post
        fields = ["id", "organization", "person", "title", "start_on", "end_on"]
