from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import obtain_auth_token

from core.views import favicon

urlpatterns = [
    path("favicon.ico", favicon),
    path("", include("dashboards.urls")),
    path("accounts/", include("accounts.urls")),
    path("orgs/", include("organizations.urls")),
    path("members/", include("members.urls")),
    path("meetings/", include("meetings.urls")),
    path("supervision/", include("supervision.urls")),
    path("funding/", include("funding.urls")),
    path("assessments/", include("assessments.urls")),
    path("core/", include("core.urls")),
    path("django-admin/", admin.site.urls),
    path("api/", include("organizations.api.urls")),
    path("api/", include("accounts.api.urls")),
    path("api/", include("members.api.urls")),
    path("api/", include("meetings.api.urls")),
    path("api/", include("supervision.api.urls")),
    path("api/", include("funding.api.urls")),
    path("api/", include("assessments.api.urls")),
    path("api/token/", obtain_auth_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script. (No ReDoc page: it loads
    # its fonts from Google, and a county intranet has no internet.)
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
