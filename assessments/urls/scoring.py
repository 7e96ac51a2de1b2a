"""Pages of the assessment (scoring)."""

urlpatterns: list = []
