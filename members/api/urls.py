from rest_framework.routers import SimpleRouter

from .flows import FlowRecordViewSet
from .views import (
    CandidateViewSet,
    LostContactCaseViewSet,
    MemberViewSet,
    PointItemViewSet,
    PointRecordViewSet,
    StarRuleViewSet,
    ThoughtReportViewSet,
    TrainingRecordViewSet,
)

app_name = "members-api"
router = SimpleRouter()
router.register("members/flows", FlowRecordViewSet, basename="flow-record")  # ahead of "members" ({pk} matches "flows")
router.register("members", MemberViewSet, basename="member")
router.register("candidates", CandidateViewSet, basename="candidate")
router.register("thought-reports", ThoughtReportViewSet, basename="thought-report")
router.register("training-records", TrainingRecordViewSet, basename="training-record")
router.register("point-records", PointRecordViewSet, basename="point-record")
router.register("point-items", PointItemViewSet, basename="point-item")
router.register("star-rules", StarRuleViewSet, basename="star-rule")
router.register("lost-contact-cases", LostContactCaseViewSet, basename="lost-contact-case")
urlpatterns = router.urls
