"""Pages of supervision: checks (views/checks.py)."""

urlpatterns: list = []
