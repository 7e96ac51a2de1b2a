from rest_framework.routers import SimpleRouter

from .views import ComplianceViewSet, MeetingStandardViewSet, MeetingViewSet

app_name = "meetings-api"
router = SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("compliance", ComplianceViewSet, basename="compliance")
router.register("meeting-standards", MeetingStandardViewSet, basename="meeting-standard")
urlpatterns = router.urls
