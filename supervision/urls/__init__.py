"""The supervision area's pages, one URL module per capability (all under the `supervision` namespace)."""

from . import checks, dispatch, findings, tasks, terms, weak

app_name = "supervision"
urlpatterns = [
    *findings.urlpatterns,
    *tasks.urlpatterns,
    *weak.urlpatterns,
    *dispatch.urlpatterns,
    *terms.urlpatterns,
    *checks.urlpatterns,
]
