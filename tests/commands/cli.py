"""Running a management command the way `manage.py` does, in the test process, to see its exit code and output."""

from __future__ import annotations

import io
from importlib import import_module

from django.db import connections

APPS = {
    "import_xlsx": "core",
    "export_xlsx": "core",
    "seed_demo": "core",
    "demo_logins": "core",
    "create_account": "accounts",
    "audit_archive": "core",
}


def run_cli(monkeypatch, name: str, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `manage.py NAME ARGS…`: BaseCommand.run_from_argv turns a CommandError into
    "CommandError: …" on stderr and sys.exit(returncode), exactly as on the command line.

    run_from_argv closes every connection when it ends; inside a test that would end the test's transaction
    (PostgreSQL), so closing is switched off for the call.
    """
    module = import_module(f"{APPS[name]}.management.commands.{name}")
    out, err = io.StringIO(), io.StringIO()
    command = module.Command(stdout=out, stderr=err)
    monkeypatch.setattr(connections, "close_all", lambda: None)
    try:
        command.run_from_argv(["manage.py", name, *args])
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()
