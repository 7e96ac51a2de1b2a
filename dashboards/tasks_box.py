"""The user's own task boxes as figures: counted with the 党建任务 page's own base lists and filters, so each number
is the count of the page its link opens."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from supervision.filtersets.tasks import AssignmentPageFilterSet, SentStatus, TaskPageFilterSet
from supervision.selectors.tasks import assignment_received_list, task_sent_list
from supervision.views.tasks import RECEIVED, SENT

# (key, label, box, the page's query)
TASK_FIGURES = (
    ("todo", "待办理", RECEIVED, {"status": "待办理"}),
    ("returned", "已退回待重报", RECEIVED, {"status": "已退回"}),
    ("overdue", "逾期未报", RECEIVED, {"overdue": "true"}),
    ("review", "待我审核", SENT, {"status": SentStatus.REVIEW}),
)


def task_figures(user) -> list[dict]:
    """[{key, label, count, url}] of the user's boxes: four counted queries, whatever the number of tasks."""
    today = timezone.localdate()
    out = []
    for key, label, box, query in TASK_FIGURES:
        if box == SENT:
            qs = TaskPageFilterSet(query, queryset=task_sent_list(actor=user, today=today)).qs
        else:
            qs = AssignmentPageFilterSet(query, queryset=assignment_received_list(actor=user, today=today)).qs
        url = f"{reverse('supervision:task_list')}?{urlencode({'box': box, **query})}"
        out.append({"key": key, "label": label, "count": qs.count(), "url": url})
    return out
