"""REST endpoints of supervision: weak."""


def register(router) -> None:
    pass
