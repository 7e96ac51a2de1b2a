from rest_framework.routers import SimpleRouter

from . import aid, ledgers, standards

app_name = "funding-api"
router = SimpleRouter()
for module in (ledgers, standards, aid):
    module.register(router)
urlpatterns = router.urls
