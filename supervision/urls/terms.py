"""Pages of supervision: terms (views/terms.py)."""

urlpatterns: list = []
