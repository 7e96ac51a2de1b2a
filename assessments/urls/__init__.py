"""The assessment area's pages, one URL module per capability (all under the `assessments` namespace)."""

from . import penalties, rankings, schemes, scoring

app_name = "assessments"
urlpatterns = [
    *rankings.urlpatterns,
    *schemes.urlpatterns,
    *scoring.urlpatterns,
    *penalties.urlpatterns,
]
