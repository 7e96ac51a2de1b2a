"""Pages of the assessment (schemes)."""

urlpatterns: list = []
