from rest_framework.routers import SimpleRouter

app_name = "assessments-api"
router = SimpleRouter()
urlpatterns = router.urls
