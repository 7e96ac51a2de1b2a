"""Pages of supervision: weak (views/weak.py)."""

urlpatterns: list = []
