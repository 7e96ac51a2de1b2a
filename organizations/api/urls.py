from rest_framework.routers import SimpleRouter

from .views import OrganizationViewSet, PostViewSet

app_name = "organizations-api"
router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("posts", PostViewSet, basename="post")
urlpatterns = router.urls
