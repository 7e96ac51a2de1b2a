"""Pages of the assessment (penalties)."""

urlpatterns: list = []
