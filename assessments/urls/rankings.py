"""Pages of the assessment (rankings)."""

urlpatterns: list = []
