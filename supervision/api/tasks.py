"""REST endpoints of supervision: tasks."""


def register(router) -> None:
    pass
