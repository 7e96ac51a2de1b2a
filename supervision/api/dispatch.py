"""REST endpoints of supervision: dispatch."""


def register(router) -> None:
    pass
