"""REST endpoints of supervision: findings."""


def register(router) -> None:
    pass
