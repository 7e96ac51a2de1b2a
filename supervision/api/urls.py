from rest_framework.routers import SimpleRouter

from . import dispatch, findings, tasks, weak

app_name = "supervision-api"
router = SimpleRouter()
for module in (tasks, findings, weak, dispatch):
    module.register(router)
urlpatterns = router.urls
