"""Pages of supervision: dispatch (views/dispatch.py)."""

urlpatterns: list = []
