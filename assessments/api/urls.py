from django.urls import path
from rest_framework.routers import SimpleRouter

from . import penalties, results, schemes

app_name = "assessments-api"
router = SimpleRouter()
for module in (schemes, results, penalties):
    module.register(router)
urlpatterns = [
    path("assessment-rules/", penalties.RULES_VIEW, name="assessment-rules"),
    *router.urls,
]
