"""The figures of each dashboard, one builder per kind (registered with dashboards.snapshots.builder)."""

from . import desk, leader  # noqa: F401
