"""收支明细: every 下达, 拨付 and 支出 of a subtree in one list (a UNION of the three kinds, funding.selectors),
filtered as the API filters each kind, with its Excel export."""

from __future__ import annotations

from django.utils import timezone

from core.bulk import chunked
from core.views import ScopedListView
from core.xlsx.writer import ExportTable

from .. import selectors
from ..choices import RecordType
from ..filtersets import AllocationFilterSet, DisbursementFilterSet, ExpenditureFilterSet, RecordFilterForm
from ..models import Allocation
from ..selectors import overdue_q, with_arrived
from .summaries import year_choices

# The columns of the 经费 import sheet (funding/xlsx.py) come first, in its order and with its headers (组织名称 beside
# the code); 摘要 is a spending's 用途, as there. The rest describe the record further.
EXPORT_HEADERS = [
    "年度",
    "组织代码",
    "组织名称",
    "经费类别",
    "资金来源",
    "记录类型",
    "金额（元）",
    "日期",
    "摘要",
    "文号/凭证号",
    "备注",
    "拨付时限",
    "已到位（元）",
    "尚欠（元）",
    "是否逾期",
    "对应下达",
    "登记时间",
]


class RecordListView(ScopedListView):
    """收支明细: every 下达, 拨付 and 支出 of the user's subtree, newest first, filtered by organization (with its
    subtree), year, kind, category, source and overdue allocations; `?export=xlsx` gives what the filters show."""

    template_name = "funding/ledgers/records.html"
    paginate_by = 50

    def filter_form(self) -> RecordFilterForm:
        if not hasattr(self, "_form"):
            user = self.request.user
            years = year_choices(user, timezone.localdate().year)
            self._form = RecordFilterForm(self.request.GET or None, user=user, years=years)
        return self._form

    def get_queryset(self):
        user, request = self.request.user, self.request
        form = self.filter_form()
        if form.is_bound and not form.is_valid():
            return selectors.record_rows(
                Allocation.objects.none(), RecordType.ALLOCATION, day="allocated_on", ref="document_no"
            )
        data = form.cleaned_data if form.is_bound else {}
        params = form.filterset_data() if form.is_bound else {}
        kind = data.get("kind") or ""
        overdue = data.get("overdue") == "1"
        parts = []
        if kind in ("", RecordType.ALLOCATION) or overdue:
            qs = AllocationFilterSet(params, queryset=selectors.allocation_list(actor=user), request=request).qs
            qs = with_arrived(qs)
            if overdue:
                qs = qs.filter(overdue_q(timezone.localdate()))
            parts.append(
                selectors.record_rows(
                    qs,
                    RecordType.ALLOCATION,
                    day="allocated_on",
                    ref="document_no",
                    deadline="deadline",
                    arrived="arrived",
                )  # fmt: skip
            )
        if kind in ("", RecordType.DISBURSEMENT) and not overdue:
            qs = DisbursementFilterSet(params, queryset=selectors.disbursement_list(actor=user), request=request).qs
            parts.append(
                selectors.record_rows(
                    qs, RecordType.DISBURSEMENT, day="paid_on", ref="voucher", allocation="allocation_id"
                )
            )
        if kind in ("", RecordType.EXPENDITURE) and not overdue:
            qs = ExpenditureFilterSet(params, queryset=selectors.expenditure_list(actor=user), request=request).qs
            parts.append(
                selectors.record_rows(qs, RecordType.EXPENDITURE, day="spent_on", ref="voucher", purpose="purpose")
            )
        return selectors.records_union(parts)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = self.filter_form()
        ctx.update(
            {
                "tab": "records",
                "filter_form": form,
                "filter_errors": form.is_bound and not form.is_valid(),
                "object_list": selectors.records_hydrate(list(ctx["object_list"]), timezone.localdate()),
            }
        )
        return ctx

    def export_table(self, queryset) -> ExportTable:
        today = timezone.localdate()

        def rows():
            for chunk in chunked(queryset.iterator(chunk_size=2000), 2000):
                for r in selectors.records_hydrate(chunk, today):
                    spending = r["kind"] == RecordType.EXPENDITURE
                    yield [
                        r["year"],
                        r["org"].code if r["org"] else None,
                        r["org"].name if r["org"] else None,
                        r["category"],
                        r["source"] or None,
                        r["kind"],
                        r["amount"],
                        r["day"],
                        (r["purpose"] if spending else r["note"]) or None,
                        r["ref"] or None,
                        (r["note"] if spending else "") or None,
                        r["deadline"],
                        r["arrived"],
                        r["outstanding"],
                        ("是" if r["overdue_days"] else "否") if r["kind"] == RecordType.ALLOCATION else None,
                        r["allocation_text"] or None,
                        timezone.localtime(r["created"]).replace(tzinfo=None),
                    ]

        return ExportTable("收支明细", EXPORT_HEADERS, rows(), filename="经费收支明细.xlsx")
