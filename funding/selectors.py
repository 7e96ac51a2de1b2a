"""Reads of funding: the figures of a ledger, set-based summaries of a subtree (by lower organization, category
or source), and the lists behind them. Every read takes the actor and applies its scope.

Figures (domain.md "Funding"): allocated (下达), disbursed (到位), spent (支出), still owed (下达 − 到位, never
below 0); 到位率 = disbursed ÷ allocated and 使用率 = spent ÷ disbursed, percentages rounded half-up to two
decimals, blank (None) when the divisor is zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DateField, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Substr

from core.money import MoneyField, rate, yuan
from core.scope import Action, subtree_range_q
from organizations.models import Organization

from .choices import RecordType
from .models import Aid, Allocation, Disbursement, Expenditure, ExpenditureAttachment, FundCategory, FundSource

ZERO = Decimal("0.00")


@dataclass
class Figures:
    allocated: Decimal = ZERO
    disbursed: Decimal = ZERO
    spent: Decimal = ZERO

    @property
    def owed(self) -> Decimal:
        return max(self.allocated - self.disbursed, ZERO)

    @property
    def arrival_rate(self) -> Decimal | None:
        return rate(self.disbursed, self.allocated)

    @property
    def use_rate(self) -> Decimal | None:
        return rate(self.spent, self.disbursed)

    @property
    def is_empty(self) -> bool:
        return not (self.allocated or self.disbursed or self.spent)

    def add(self, other: Figures) -> None:
        self.allocated += other.allocated
        self.disbursed += other.disbursed
        self.spent += other.spent


# --- lists ------------------------------------------------------------------------------------------------------


def allocation_list(*, actor, action: str = Action.VIEW) -> QuerySet[Allocation]:
    return Allocation.objects.restrict(actor, action).select_related("organization", "category", "source")


def disbursement_list(*, actor, action: str = Action.VIEW) -> QuerySet[Disbursement]:
    return Disbursement.objects.restrict(actor, action).select_related(
        "organization", "category", "source", "allocation"
    )


def expenditure_list(*, actor, action: str = Action.VIEW) -> QuerySet[Expenditure]:
    return Expenditure.objects.restrict(actor, action).select_related("organization", "category", "source")


def aid_list(*, actor, action: str = Action.VIEW) -> QuerySet[Aid]:
    return Aid.objects.restrict(actor, action).select_related("member__person", "branch", "source")


def categories(*, active_only: bool = False) -> list[FundCategory]:
    qs = FundCategory.objects.all()
    return list(qs.filter(active=True) if active_only else qs)


def sources(*, active_only: bool = False) -> list[FundSource]:
    qs = FundSource.objects.all()
    return list(qs.filter(active=True) if active_only else qs)


def ledger_years(*, actor) -> list[int]:
    """The years with any allocation in the actor's scope, newest first."""
    return list(Allocation.objects.restrict(actor).values_list("year", flat=True).distinct().order_by("-year"))


# --- figures --------------------------------------------------------------------------------------------------

GROUPS = ("unit", "organization", "category", "source", "unit_category")


KEYS = {"unit": "unit", "organization": "organization_id", "category": "category_id", "source": "source_id"}


def summarize_many(*, actor, root: Organization, year: int | None, groupings: tuple[str, ...]) -> dict[str, dict]:
    """Figures of `root`'s subtree for `year` (None: every year) under several groupings at once ({grouping: {key:
    Figures}}, groupings as in `summarize`): one query per kind of record, grouped by every key the groupings need,
    folded here — three queries for a county page's three tables instead of nine."""
    unknown = set(groupings) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown grouping {sorted(unknown)}")
    where = subtree_range_q("organization__path", root.path)
    prefix = len(root.path) + Organization.steplen
    fields = sorted({KEYS[part] for g in groupings for part in g.split("_")})
    result: dict[str, dict] = {g: {} for g in groupings}
    for name, model in (("allocated", Allocation), ("disbursed", Disbursement), ("spent", Expenditure)):
        queryset = model.objects.restrict(actor).filter(where)
        if "unit" in fields:
            queryset = queryset.annotate(unit=Substr("organization__path", 1, prefix))
        if year is not None:
            queryset = queryset.filter(year=year)
        for row in queryset.values(*fields).annotate(total=Sum("amount")).order_by():
            total = row["total"] or ZERO
            for g in groupings:
                parts = [row[KEYS[part]] for part in g.split("_")]
                figures = result[g].setdefault(parts[0] if len(parts) == 1 else tuple(parts), Figures())
                setattr(figures, name, getattr(figures, name) + total)
    return result


def summarize(*, actor, root: Organization, year: int | None, by: str) -> dict:
    """Figures of `root`'s subtree for `year` (None: every year), grouped `by`:
    - "unit": each child of root (its subtree pooled) by its path, root's own records under root.path;
    - "organization": each organization with records, by id (one organization's ledger);
    - "category" / "source": by id (spending without a source under None);
    - "unit_category": by (unit path, category id).
    Three grouped queries (one per kind of record), whatever the size of the subtree."""
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by}")
    return summarize_many(actor=actor, root=root, year=year, groupings=(by,))[by]


def total_of(groups: dict) -> Figures:
    total = Figures()
    for figures in groups.values():
        total.add(figures)
    return total


@dataclass
class LedgerLine:
    """One category of an organization's ledger for a year, with its records."""

    category: FundCategory
    figures: Figures
    allocations: list = field(default_factory=list)
    disbursements: list = field(default_factory=list)
    expenditures: list = field(default_factory=list)


def organization_ledger(*, actor, organization: Organization, year: int) -> list[LedgerLine]:
    """An organization's own ledger for a year, category by category (those with records, then none)."""
    lines = {c.pk: LedgerLine(c, Figures()) for c in categories()}
    for attr, records in (
        ("allocations", allocation_list(actor=actor).filter(organization=organization, year=year)),
        ("disbursements", disbursement_list(actor=actor).filter(organization=organization, year=year)),
        (
            "expenditures",
            expenditure_list(actor=actor).filter(organization=organization, year=year).prefetch_related("files"),
        ),
    ):
        for record in records:
            getattr(lines[record.category_id], attr).append(record)
    for line in lines.values():
        line.figures = Figures(
            sum((a.amount for a in line.allocations), ZERO),
            sum((d.amount for d in line.disbursements), ZERO),
            sum((e.amount for e in line.expenditures), ZERO),
        )
    return list(lines.values())


# --- allocations with what arrived, and the records list (收支明细) ------------------------------------------------


def with_arrived(queryset: QuerySet[Allocation]) -> QuerySet[Allocation]:
    """Allocations with `arrived`: what their disbursements brought so far (one correlated sum, no query per row)."""
    arrived = (
        Disbursement.objects.filter(allocation=OuterRef("pk"))
        .order_by()
        .values("allocation")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return queryset.annotate(
        arrived=Coalesce(Subquery(arrived, output_field=MoneyField()), Value(0), output_field=MoneyField())
    )


def overdue_q(today) -> Q:
    """An allocation past its deadline that has not fully arrived (on a queryset from `with_arrived`)."""
    return Q(deadline__lt=today, amount__gt=F("arrived"))


def allocation_text(allocation: Allocation) -> str:
    document = f"，{allocation.document_no}" if allocation.document_no else ""
    return (
        f"{allocation.allocated_on:%Y-%m-%d} 下达 {yuan(allocation.amount)} 元"
        f"（{allocation.category.name} · {allocation.source.name}{document}）"
    )


# The columns every kind of record gives the list, in one order (a UNION of the three kinds' rows).
ROW_FIELDS = [
    "r_kind",
    "r_id",
    "r_org",
    "r_year",
    "r_category",
    "r_source",
    "r_amount",
    "r_day",
    "r_deadline",
    "r_arrived",
    "r_ref",
    "r_purpose",
    "r_note",
    "r_allocation",
    "r_created",
]


def record_rows(queryset, kind: str, *, day: str, ref: str, purpose=None, deadline=None, arrived=None, allocation=None):
    """One kind of record as rows of the records list (ROW_FIELDS), so the three kinds can be UNIONed."""
    none_int = Value(None, output_field=IntegerField())
    return queryset.annotate(
        r_kind=Value(kind),
        r_id=F("pk"),
        r_org=F("organization_id"),
        r_year=F("year"),
        r_category=F("category_id"),
        r_source=F("source_id"),
        r_amount=F("amount"),
        r_day=F(day),
        r_deadline=F(deadline) if deadline else Value(None, output_field=DateField()),
        r_arrived=F(arrived) if arrived else Value(None, output_field=MoneyField()),
        r_ref=F(ref),
        r_purpose=F(purpose) if purpose else Value(""),
        r_note=F("note"),
        r_allocation=F(allocation) if allocation else none_int,
        r_created=F("created_at"),
    ).values(*ROW_FIELDS)


def records_union(parts: list) -> QuerySet:
    """The kinds' rows (record_rows) as one list, newest first."""
    rows = [p.order_by() for p in parts]
    union = rows[0].union(*rows[1:], all=True) if len(rows) > 1 else rows[0]
    return union.order_by("-r_day", "-r_created", "-r_id")


def records_hydrate(rows: list[dict], today: dt.date) -> list[dict]:
    """One page (or export chunk) of records with their organizations, category and source names, the allocation
    a disbursement belongs to and a spending's voucher count: a few queries per page, none per row."""
    orgs = Organization.objects.in_bulk({r["r_org"] for r in rows})
    categories = {c.pk: c.name for c in FundCategory.objects.all()}
    sources = {s.pk: s.name for s in FundSource.objects.all()}
    allocation_ids = {r["r_allocation"] for r in rows if r["r_allocation"]}
    allocations = (
        Allocation.objects.select_related("category", "source").in_bulk(allocation_ids) if allocation_ids else {}
    )
    spending = [r["r_id"] for r in rows if r["r_kind"] == RecordType.EXPENDITURE]
    files = dict(
        ExpenditureAttachment.objects.filter(expenditure_id__in=spending)
        .values("expenditure_id")
        .annotate(n=Count("id"))
        .values_list("expenditure_id", "n")
        .order_by()
        if spending
        else []
    )
    result = []
    for r in rows:
        kind = r["r_kind"]
        outstanding = overdue_days = None
        if kind == RecordType.ALLOCATION:
            outstanding = max(r["r_amount"] - (r["r_arrived"] or ZERO), ZERO)
            overdue_days = (today - r["r_deadline"]).days if outstanding and r["r_deadline"] < today else 0
        allocation = allocations.get(r["r_allocation"])
        result.append(
            {
                "kind": kind,
                "id": r["r_id"],
                "org": orgs.get(r["r_org"]),
                "year": r["r_year"],
                "category_id": r["r_category"],
                "category": categories.get(r["r_category"], ""),
                "source": sources.get(r["r_source"], ""),
                "amount": r["r_amount"],
                "amount_text": yuan(r["r_amount"]),
                "day": r["r_day"],
                "deadline": r["r_deadline"],
                "arrived": r["r_arrived"],
                "outstanding": outstanding,
                "outstanding_text": yuan(outstanding),
                "overdue_days": overdue_days,
                "ref": r["r_ref"],
                "purpose": r["r_purpose"],
                "note": r["r_note"],
                "allocation_text": allocation_text(allocation) if allocation else "",
                "files": files.get(r["r_id"], 0) if kind == RecordType.EXPENDITURE else 0,
                "created": r["r_created"],
            }
        )
    return result
