"""Pages of supervision: tasks (views/tasks.py)."""

urlpatterns: list = []
