"""Member pages, one module per area of work; urls.py imports the views from here."""

from .care import (
    LostContactDecideView,
    LostContactListView,
    LostContactResolveView,
    PointItemCreateView,
    PointItemDeactivateView,
    PointItemEditView,
    PointsConfigView,
    StarRuleCreateView,
    StarRuleEditView,
    TrainingCoverageView,
)
from .members import (
    MemberCreateView,
    MemberDetailView,
    MemberListView,
    MemberRevealView,
    MemberStatusView,
    MemberStructureView,
    MemberTransferView,
    PointRecordCreateView,
    TrainingCreateView,
)
from .pipeline import (
    CandidateCreateView,
    CandidateDetailView,
    CandidateStepsView,
    PipelineBoardView,
    ThoughtReportCreateView,
)

__all__ = [
    "CandidateCreateView",
    "CandidateDetailView",
    "CandidateStepsView",
    "LostContactDecideView",
    "LostContactListView",
    "LostContactResolveView",
    "MemberCreateView",
    "MemberDetailView",
    "MemberListView",
    "MemberRevealView",
    "MemberStatusView",
    "MemberStructureView",
    "MemberTransferView",
    "PipelineBoardView",
    "PointItemCreateView",
    "PointItemDeactivateView",
    "PointItemEditView",
    "PointRecordCreateView",
    "PointsConfigView",
    "StarRuleCreateView",
    "StarRuleEditView",
    "ThoughtReportCreateView",
    "TrainingCoverageView",
    "TrainingCreateView",
]
