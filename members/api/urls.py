from rest_framework.routers import SimpleRouter

from .views import MemberViewSet

app_name = "members-api"
router = SimpleRouter()
router.register("members", MemberViewSet, basename="member")
urlpatterns = router.urls
