"""The branch secretary's phone home: read live, it is one branch (a handful of bounded queries)."""

from __future__ import annotations

from django.utils import timezone

from core.scope import Action, in_scope, subtree_range_q
from meetings import compliance
from meetings.choices import ComplianceStatus
from meetings.views.meetings import branch_for, calendar_rows, own_branch
from supervision.choices import OPEN_FINDING_STATUSES
from supervision.selectors.findings import finding_list_open_first
from supervision.selectors.tasks import WAITING_STATUSES, assignment_received_list, is_overdue

ROWS = 10


def secretary_context(request) -> dict | None:
    """The branch (`?branch=`, else the account's one branch) with this month's due meetings, its year's calendar,
    the tasks it has to answer and the findings it has to rectify; None without a branch."""
    user = request.user
    branch = branch_for(request) if request.GET.get("branch") else own_branch(user)
    if branch is None:
        return None
    today = timezone.localdate()
    cells = compliance.branch_cells(branch, year=today.year, today=today)
    due = compliance.due_now(branch, today=today, cells=cells)
    decided = [c for c in cells if c.status != ComplianceStatus.OPEN]
    met = sum(c.status == ComplianceStatus.MET for c in decided)
    tasks = (
        assignment_received_list(actor=user, today=today)
        .filter(subtree_range_q("organization__path", branch.path), status__in=WAITING_STATUSES)
        .select_related("task")
    )
    task_rows = list(tasks[:ROWS])
    for a in task_rows:
        a.overdue = is_overdue(a, today)
        a.days_left = (a.task.deadline - today).days
    findings = finding_list_open_first(actor=user, organization=branch).filter(status__in=OPEN_FINDING_STATUSES)
    finding_rows = list(findings[:ROWS])
    for f in finding_rows:  # open findings (the filter above) past their deadline: supervision's overdue_q
        f.overdue = f.deadline is not None and f.deadline < today
    return {
        "branch": branch,
        "today": today,
        "due": [(c, (c.period.end - today).days) for c in due],
        "year_rate": met / len(decided) if decided else None,
        "year_missed": len(decided) - met,
        "rows": calendar_rows(cells),
        "months": range(1, 13),
        "tasks": task_rows,
        "tasks_count": tasks.count(),
        "findings": finding_rows,
        "findings_count": findings.count(),
        "can_record": in_scope(user, Action.CHANGE, branch.path),
        "tab": "secretary",
    }
