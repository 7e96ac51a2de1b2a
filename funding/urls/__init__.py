"""The funding area's pages, one URL module per capability (all under the `funding` namespace)."""

from . import aid, config, ledgers, records, standards, summaries

app_name = "funding"
urlpatterns = [
    *summaries.urlpatterns,
    *ledgers.urlpatterns,
    *records.urlpatterns,
    *standards.urlpatterns,
    *aid.urlpatterns,
    *config.urlpatterns,
]
