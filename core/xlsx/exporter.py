"""Exports: one entry point for the command, the list pages and jobs, audited like any other disclosure."""

from __future__ import annotations

from core.audit import build_event
from core.scope import Action, scope_paths

from .registry import UNMASKABLE_KINDS, export_kinds
from .writer import write_table


class ExportRefused(PermissionError):
    pass


def export_write(*, kind: str, actor, fp, year: int | None = None, unmasked: bool = False, queryset=None) -> int:
    """Write export `kind` for `actor` into `fp`; returns the row count. Unmasked exports need the right and are
    audited with their row count (PIPL: every disclosure of personal data is traceable)."""
    kinds = export_kinds()
    if kind not in kinds:
        raise ValueError(f"未知的导出类型“{kind}”，可选：{'、'.join(kinds)}")
    if unmasked and kind not in UNMASKABLE_KINDS:
        raise ValueError(
            f"导出类型“{kind}”没有可完整显示的身份证号或手机号码，不能选择未脱敏导出"
            f"（可未脱敏导出的类型：{'、'.join(UNMASKABLE_KINDS)}）"
        )
    paths = scope_paths(actor, Action.VIEW_PERSONAL)
    if unmasked and paths is not None and not paths:
        raise ExportRefused("您的角色无权导出完整身份证号和手机号码")
    table = kinds[kind](actor, year=year, unmasked=unmasked, queryset=queryset)
    count = write_table(table, fp)
    view_paths = scope_paths(actor, Action.VIEW)
    event = build_event(
        actor=actor,
        action="export_unmasked" if unmasked else "export",
        target=("core.export", kind, f"导出 {kind}"),
        org_path=view_paths[0] if view_paths else "",
        note=f"导出 {kind}，{count} 行" + ("（未脱敏）" if unmasked else ""),
    )
    event.save()
    return count
