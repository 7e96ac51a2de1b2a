"""Pages of supervision: findings (views/findings.py)."""

urlpatterns: list = []
