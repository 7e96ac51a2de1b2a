"""Writes of the ledgers: allocations (下达), disbursements (拨付) and spending (支出).

Rules (domain.md "Funding", issue 6):
- Amounts are positive Decimal yuan with at most two decimals (core.money.parse_amount).
- Every date lies in the ledger's year; money arrives on or after the day it was allocated; an allocation's
  deadline is on or after that day (default: the category's 拨付时限 in days, at most 31 December).
- A disbursement never takes its allocation past the amount allocated; an allocation is never cut below what has
  arrived against it, nor deleted while anything has.
- 专款专用: what a category has spent never exceeds what it has received (disbursed) that year, after any write —
  spending added or raised, a disbursement cut or removed.
- Concurrency: every write to one ledger (organization × year × category) first locks that ledger's allocation rows
  (SELECT … FOR UPDATE, in id order), then re-reads the sums it checks; two clerks saving at the same moment are
  serialized and the second is checked against the first's record. SQLite has no row locks: its transactions
  begin IMMEDIATE (config/settings/base.py), which serializes writers the same way.
- Allocations and disbursements are recorded by the level that manages the organization (MANAGE); spending by the
  organization itself (CHANGE). Every write leaves an audit row; a failed write changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.attachments import check_uploads, delete_stored, store_uploads
from core.audit import audit_log, snapshot
from core.money import parse_amount, yuan
from core.scope import Action
from organizations.models import Organization
from organizations.services import ensure_in_scope

from ..models import Allocation, Disbursement, Expenditure, ExpenditureAttachment, FundCategory, FundSource

ALLOCATION_FIELDS = (
    "organization",
    "year",
    "category",
    "source",
    "amount",
    "allocated_on",
    "deadline",
    "document_no",
    "note",
)
DISBURSEMENT_FIELDS = (
    "allocation",
    "organization",
    "year",
    "category",
    "source",
    "amount",
    "paid_on",
    "voucher",
    "note",
)
EXPENDITURE_FIELDS = ("organization", "year", "category", "source", "amount", "spent_on", "purpose", "voucher", "note")
FILES_PER_EXPENDITURE = 10
FIRST_YEAR = 2000


def _raise(problems: dict) -> None:
    if problems:
        raise ValidationError({k: v if isinstance(v, list) else [v] for k, v in problems.items()})


def _who(actor):
    return actor if getattr(actor, "pk", None) else None


# --- checks shared by the three kinds of record -----------------------------------------------------------------


def check_year(year, today: dt.date | None = None) -> str | None:
    today = today or timezone.localdate()
    if not isinstance(year, int) or not FIRST_YEAR <= year <= today.year + 1:
        return f"年度应为 {FIRST_YEAR}—{today.year + 1} 之间的年份。"
    return None


def check_in_year(day, year: int, label: str) -> str | None:
    if day is None:
        return f"请填写{label}。"
    if isinstance(year, int) and day.year != year:
        return f"{label} {day} 不在 {year} 年度内：账目按年度登记，日期应在 {year}-01-01 至 {year}-12-31 之间。"
    return None


def check_category(category) -> str | None:
    if category is None:
        return "请选择经费类别。"
    if not category.active:
        return f"经费类别“{category.name}”已停用。"
    return None


def check_source(source, *, required: bool = True) -> str | None:
    if source is None:
        return "请选择资金来源。" if required else None
    if not source.active:
        return f"资金来源“{source.name}”已停用。"
    return None


def amount_problem(value) -> tuple[Decimal | None, str | None]:
    try:
        return parse_amount(value), None
    except ValidationError as exc:
        return None, exc.messages[0]


def default_deadline(category: FundCategory, allocated_on: dt.date) -> dt.date:
    """The category's 拨付时限 after the day of allocation, within the year."""
    return min(allocated_on + dt.timedelta(days=category.disburse_within_days), dt.date(allocated_on.year, 12, 31))


# --- the ledger lock and its sums ------------------------------------------------------------------------------


def lock_ledger(organization_id: int, year: int, category_id: int) -> list[int]:
    """Lock the ledger (organization × year × category): its allocation rows, in id order. Returns their ids."""
    return list(
        Allocation.objects.select_for_update()
        .filter(organization_id=organization_id, year=year, category_id=category_id)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _total(queryset) -> Decimal:
    return queryset.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def disbursed_of(allocation_id: int, *, excluding: int | None = None) -> Decimal:
    qs = Disbursement.objects.filter(allocation_id=allocation_id)
    if excluding:
        qs = qs.exclude(pk=excluding)
    return _total(qs)


def category_totals(organization_id: int, year: int, category_id: int) -> tuple[Decimal, Decimal]:
    """(disbursed, spent) of one ledger."""
    key = {"organization_id": organization_id, "year": year, "category_id": category_id}
    return _total(Disbursement.objects.filter(**key)), _total(Expenditure.objects.filter(**key))


def _overspent_message(category: FundCategory, year: int, disbursed: Decimal, spent: Decimal) -> str:
    return (
        f"{year}年“{category.name}”到位 {yuan(disbursed)} 元，支出将达 {yuan(spent)} 元，超出 {yuan(spent - disbursed)} 元："
        "专款专用，支出不能超过该类别已到位的资金。"
    )


def _only(changes: dict, allowed: set[str]) -> None:
    if set(changes) - allowed:
        raise ValueError(f"not editable: {sorted(set(changes) - allowed)}")


def _apply(record, changes: dict, *, plain: tuple[str, ...] = (), texts: tuple[str, ...] = ()) -> dict:
    """Set `changes` on `record`: the amount parsed (its problem returned instead), `plain` fields as given,
    `texts` stripped. The record's own rules are checked by the caller afterwards."""
    problems = {}
    if "amount" in changes:
        value, problem = amount_problem(changes["amount"])
        if problem:
            problems["amount"] = problem
        else:
            record.amount = value
    for name in plain:
        if name in changes:
            setattr(record, name, changes[name])
    for name in texts:
        if name in changes:
            setattr(record, name, (changes[name] or "").strip())
    return problems


# --- allocations -----------------------------------------------------------------------------------------------


def allocation_create(
    *,
    actor,
    organization: Organization,
    year: int,
    category: FundCategory,
    source: FundSource,
    amount,
    allocated_on: dt.date,
    deadline: dt.date | None = None,
    document_no: str = "",
    note: str = "",
) -> Allocation:
    ensure_in_scope(actor, Action.MANAGE, organization)
    value, problem = amount_problem(amount)
    problems = {"amount": problem} if problem else {}
    if p := check_year(year):
        problems["year"] = p
    if p := check_category(category):
        problems["category"] = p
    if p := check_source(source):
        problems["source"] = p
    if p := check_in_year(allocated_on, year, "下达日期"):
        problems["allocated_on"] = p
    if deadline is None and allocated_on and category and "allocated_on" not in problems:
        deadline = default_deadline(category, allocated_on)
    if deadline is not None and allocated_on and deadline < allocated_on:
        problems["deadline"] = f"拨付时限 {deadline} 早于下达日期 {allocated_on}。"
    _raise(problems)
    now = timezone.now()
    allocation = Allocation(
        organization=organization, year=year, category=category, source=source, amount=value,
        allocated_on=allocated_on, deadline=deadline, document_no=document_no.strip(), note=note.strip(),
        created_by=_who(actor), created_at=now, updated_at=now,
    )  # fmt: skip
    with transaction.atomic():
        lock_ledger(organization.pk, year, category.pk)
        allocation.save()
        audit_log(
            actor=actor, action="create", obj=allocation, org_path=organization.path,
            after=snapshot(allocation, ALLOCATION_FIELDS),
        )  # fmt: skip
    return allocation


def allocation_update(*, actor, allocation: Allocation, **changes) -> Allocation:
    """Change an allocation's amount, dates, document number, note, or (while nothing has arrived against it) its
    category and source. The amount is never cut below what has arrived."""
    ensure_in_scope(actor, Action.MANAGE, allocation.organization)
    _only(changes, {"amount", "allocated_on", "deadline", "document_no", "note", "category", "source"})
    with transaction.atomic():
        keys = {allocation.category_id}
        if "category" in changes and changes["category"] is not None:
            keys.add(changes["category"].pk)
        for category_id in sorted(keys):
            lock_ledger(allocation.organization_id, allocation.year, category_id)
        current = Allocation.objects.select_related("organization", "category", "source").get(pk=allocation.pk)
        before = snapshot(current, ALLOCATION_FIELDS)
        problems = _apply(current, changes, plain=("allocated_on", "deadline"), texts=("document_no", "note"))
        arrived = disbursed_of(current.pk)
        for name, check in (("category", check_category), ("source", check_source)):
            if name in changes and changes[name] != getattr(current, name):
                if arrived:
                    problems[name] = (
                        f"这笔下达已拨付 {yuan(arrived)} 元，不能再改{current._meta.get_field(name).verbose_name}。"
                    )
                elif p := check(changes[name]):
                    problems[name] = p
                else:
                    setattr(current, name, changes[name])
        if p := check_in_year(current.allocated_on, current.year, "下达日期"):
            problems["allocated_on"] = p
        if current.deadline is None:
            problems["deadline"] = "请填写拨付时限。"
        elif current.allocated_on and current.deadline < current.allocated_on:
            problems["deadline"] = f"拨付时限 {current.deadline} 早于下达日期 {current.allocated_on}。"
        if "amount" not in problems and current.amount < arrived:
            problems["amount"] = f"这笔下达已拨付 {yuan(arrived)} 元，下达金额不能少于已拨付的金额。"
        first_paid = current.disbursements.order_by("paid_on").values_list("paid_on", flat=True).first()
        if first_paid and current.allocated_on and first_paid < current.allocated_on:
            problems["allocated_on"] = f"已有 {first_paid} 的拨付，下达日期不能晚于它。"
        _raise(problems)
        current.updated_at = timezone.now()
        current.save()
        audit_log(
            actor=actor, action="update", obj=current, org_path=current.organization.path, before=before,
            after=snapshot(current, ALLOCATION_FIELDS),
        )  # fmt: skip
    return current


def allocation_delete(*, actor, allocation: Allocation) -> None:
    ensure_in_scope(actor, Action.MANAGE, allocation.organization)
    with transaction.atomic():
        lock_ledger(allocation.organization_id, allocation.year, allocation.category_id)
        arrived = disbursed_of(allocation.pk)
        if arrived or Disbursement.objects.filter(allocation_id=allocation.pk).exists():
            raise ValidationError(f"这笔下达已拨付 {yuan(arrived)} 元，请先删除对应的拨付记录。")
        audit_log(
            actor=actor, action="delete", obj=allocation, org_path=allocation.organization.path,
            before=snapshot(allocation, ALLOCATION_FIELDS),
        )  # fmt: skip
        allocation.delete()


# --- disbursements ---------------------------------------------------------------------------------------------


def _check_disbursement(allocation: Allocation, value: Decimal | None, paid_on, *, excluding: int | None) -> dict:
    problems = {}
    if p := check_in_year(paid_on, allocation.year, "拨付日期"):
        problems["paid_on"] = p
    elif paid_on < allocation.allocated_on:
        problems["paid_on"] = f"拨付日期 {paid_on} 早于下达日期 {allocation.allocated_on}。"
    if value is not None:
        arrived = disbursed_of(allocation.pk, excluding=excluding)
        if arrived + value > allocation.amount:
            problems["amount"] = (
                f"这笔下达 {yuan(allocation.amount)} 元，已拨付 {yuan(arrived)} 元，还可拨付 "
                f"{yuan(allocation.amount - arrived)} 元；本次 {yuan(value)} 元超出下达金额。"
            )
    return problems


def disbursement_create(
    *, actor, allocation: Allocation, amount, paid_on: dt.date, voucher: str = "", note: str = ""
) -> Disbursement:
    ensure_in_scope(actor, Action.MANAGE, allocation.organization)
    value, problem = amount_problem(amount)
    with transaction.atomic():
        lock_ledger(allocation.organization_id, allocation.year, allocation.category_id)
        allocation = Allocation.objects.select_related("organization", "category", "source").get(pk=allocation.pk)
        problems = _check_disbursement(allocation, value, paid_on, excluding=None)
        if problem:
            problems["amount"] = problem
        _raise(problems)
        now = timezone.now()
        disbursement = Disbursement.objects.create(
            allocation=allocation, organization=allocation.organization, year=allocation.year,
            category=allocation.category, source=allocation.source, amount=value, paid_on=paid_on,
            voucher=voucher.strip(), note=note.strip(), created_by=_who(actor), created_at=now, updated_at=now,
        )  # fmt: skip
        audit_log(
            actor=actor, action="create", obj=disbursement, org_path=allocation.organization.path,
            after=snapshot(disbursement, DISBURSEMENT_FIELDS),
        )  # fmt: skip
    return disbursement


def _check_not_overspent(organization_id: int, year: int, category: FundCategory) -> dict:
    disbursed, spent = category_totals(organization_id, year, category.pk)
    if spent > disbursed:
        return {
            "amount": (
                f"{year}年“{category.name}”已支出 {yuan(spent)} 元，改动后到位只有 {yuan(disbursed)} 元："
                "专款专用，已支出的资金不能多于到位资金。请先调整支出记录。"
            )
        }
    return {}


def disbursement_update(*, actor, disbursement: Disbursement, **changes) -> Disbursement:
    ensure_in_scope(actor, Action.MANAGE, disbursement.organization)
    _only(changes, {"amount", "paid_on", "voucher", "note"})
    with transaction.atomic():
        lock_ledger(disbursement.organization_id, disbursement.year, disbursement.category_id)
        current = Disbursement.objects.select_related("allocation", "organization", "category").get(pk=disbursement.pk)
        before = snapshot(current, DISBURSEMENT_FIELDS)
        problems = _apply(current, changes, plain=("paid_on",), texts=("voucher", "note"))
        problems.update(
            _check_disbursement(
                current.allocation, None if "amount" in problems else current.amount, current.paid_on,
                excluding=current.pk,
            )
        )  # fmt: skip
        _raise(problems)
        current.updated_at = timezone.now()
        current.save()
        _raise(_check_not_overspent(current.organization_id, current.year, current.category))
        audit_log(
            actor=actor, action="update", obj=current, org_path=current.organization.path, before=before,
            after=snapshot(current, DISBURSEMENT_FIELDS),
        )  # fmt: skip
    return current


def disbursement_delete(*, actor, disbursement: Disbursement) -> None:
    ensure_in_scope(actor, Action.MANAGE, disbursement.organization)
    with transaction.atomic():
        lock_ledger(disbursement.organization_id, disbursement.year, disbursement.category_id)
        before = snapshot(disbursement, DISBURSEMENT_FIELDS)
        Disbursement.objects.filter(pk=disbursement.pk).delete()
        _raise(_check_not_overspent(disbursement.organization_id, disbursement.year, disbursement.category))
        audit_log(
            actor=actor, action="delete", obj=disbursement, org_path=disbursement.organization.path, before=before
        )


# --- spending --------------------------------------------------------------------------------------------------


def _check_expenditure_fields(e: Expenditure) -> dict:
    problems = {}
    if p := check_year(e.year):
        problems["year"] = p
    if p := check_in_year(e.spent_on, e.year, "支出日期"):
        problems["spent_on"] = p
    elif e.spent_on > timezone.localdate():
        problems["spent_on"] = f"支出日期 {e.spent_on} 晚于今天。"
    if not e.purpose:
        problems["purpose"] = "请填写用途。"
    return problems


def expenditure_create(
    *,
    actor,
    organization: Organization,
    year: int,
    category: FundCategory,
    amount,
    spent_on: dt.date,
    purpose: str,
    source: FundSource | None = None,
    voucher: str = "",
    note: str = "",
    files: Iterable = (),
) -> Expenditure:
    ensure_in_scope(actor, Action.CHANGE, organization)
    value, problem = amount_problem(amount)
    now = timezone.now()
    expenditure = Expenditure(
        organization=organization, year=year, category=category, source=source, amount=value, spent_on=spent_on,
        purpose=(purpose or "").strip(), voucher=voucher.strip(), note=note.strip(), created_by=_who(actor),
        created_at=now, updated_at=now,
    )  # fmt: skip
    problems = _check_expenditure_fields(expenditure)
    if problem:
        problems["amount"] = problem
    if p := check_category(category):
        problems["category"] = p
    if p := check_source(source, required=False):
        problems["source"] = p
    checked, file_problems = check_uploads(files, already=0, limit=FILES_PER_EXPENDITURE)
    if file_problems:
        problems["files"] = file_problems
    _raise(problems)
    with transaction.atomic():
        lock_ledger(organization.pk, year, category.pk)
        disbursed, spent = category_totals(organization.pk, year, category.pk)
        if spent + value > disbursed:
            _raise({"amount": _overspent_message(category, year, disbursed, spent + value)})
        expenditure.save()
        audit_log(
            actor=actor, action="create", obj=expenditure, org_path=organization.path,
            after=snapshot(expenditure, EXPENDITURE_FIELDS),
        )  # fmt: skip
        _store_files(actor, expenditure, checked)
    return expenditure


def _store_files(actor, expenditure: Expenditure, checked) -> None:
    store_uploads(
        actor,
        checked,
        make=lambda **fields: ExpenditureAttachment(expenditure=expenditure, **fields),
        org_path=expenditure.organization.path,
        owner={"expenditure": expenditure.pk},
    )


def expenditure_update(*, actor, expenditure: Expenditure, **changes) -> Expenditure:
    ensure_in_scope(actor, Action.CHANGE, expenditure.organization)
    _only(changes, {"amount", "spent_on", "purpose", "source", "voucher", "note"})
    with transaction.atomic():
        lock_ledger(expenditure.organization_id, expenditure.year, expenditure.category_id)
        current = Expenditure.objects.select_related("organization", "category", "source").get(pk=expenditure.pk)
        before = snapshot(current, EXPENDITURE_FIELDS)
        problems = _apply(current, changes, plain=("spent_on", "source"), texts=("purpose", "voucher", "note"))
        if "source" in changes and (p := check_source(changes["source"], required=False)):
            problems["source"] = p
        problems.update({k: v for k, v in _check_expenditure_fields(current).items() if k not in problems})
        _raise(problems)
        disbursed, spent = category_totals(current.organization_id, current.year, current.category_id)
        spent_after = spent - _total(Expenditure.objects.filter(pk=current.pk)) + current.amount
        if spent_after > disbursed:
            _raise({"amount": _overspent_message(current.category, current.year, disbursed, spent_after)})
        current.updated_at = timezone.now()
        current.save()
        audit_log(
            actor=actor, action="update", obj=current, org_path=current.organization.path, before=before,
            after=snapshot(current, EXPENDITURE_FIELDS),
        )  # fmt: skip
    return current


def expenditure_delete(*, actor, expenditure: Expenditure) -> None:
    ensure_in_scope(actor, Action.CHANGE, expenditure.organization)
    with transaction.atomic():
        lock_ledger(expenditure.organization_id, expenditure.year, expenditure.category_id)
        for row in expenditure.files.all():
            delete_stored(actor, row, org_path=expenditure.organization.path, owner={"expenditure": expenditure.pk})
        audit_log(
            actor=actor, action="delete", obj=expenditure, org_path=expenditure.organization.path,
            before=snapshot(expenditure, EXPENDITURE_FIELDS),
        )  # fmt: skip
        expenditure.delete()
