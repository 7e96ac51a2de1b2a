"""Reads of people and member files, always through the actor's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from core import crypto
from core.exceptions import NotInScope
from core.idnumber import parse_id_number
from core.scope import Action

from .models import Member, Person


def person_by_id_number(id_number: str) -> Person | None:
    info = parse_id_number(id_number)
    return Person.objects.filter(id_number_digest=crypto.digest(info.number)).first()


def member_list(*, actor, action: str = Action.VIEW) -> QuerySet[Member]:
    return Member.objects.restrict(actor, action).select_related("person", "branch")


def member_get_for(actor, pk, action: str = Action.VIEW) -> Member:
    member = member_list(actor=actor, action=action).filter(pk=pk).first()
    if member is None:
        raise NotInScope()
    return member


def was_member_of(*, member: Member, branch, on: dt.date) -> bool:
    """Was `member` a member of `branch` on date `on`? (Both ends of every membership are inclusive.)"""
    return (
        member.memberships.filter(branch=branch, start_on__lte=on)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=on))
        .exists()
    )


def members_of_branch_on(*, branch, on: dt.date) -> QuerySet[Member]:
    """Everyone who belonged to `branch` on `on` (attendance lists of a meeting held that day pick from these)."""
    return Member.objects.filter(
        Q(memberships__end_on__isnull=True) | Q(memberships__end_on__gte=on),
        memberships__branch=branch,
        memberships__start_on__lte=on,
    ).distinct()


# --- Team structure (队伍结构) and age bands, shared by the member list filter and the structure page. ---

# (key, label, lowest age, highest age); ages in whole years on the day asked, None = open end.
AGE_BANDS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("le35", "35岁及以下", None, 35),
    ("36_45", "36—45岁", 36, 45),
    ("46_55", "46—55岁", 46, 55),
    ("56_65", "56—65岁", 56, 65),
    ("ge66", "66岁及以上", 66, None),
)
YOUTH_BAND = "le35"
HAN = "汉族"


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier; 29 February falls back to the 28th in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_band_q(band: str, *, today: dt.date, field: str = "person__birth_date") -> Q:
    """Members whose age on `today` lies in `band`, as a range on the birth date (index-friendly, no per-row maths).

    Aged at least n  ⇔  born on or before years_before(today, n); aged at most m  ⇔  born after years_before(today, m+1).
    """
    lo, hi = next((lo, hi) for key, _, lo, hi in AGE_BANDS if key == band)
    q = Q()
    if lo is not None:
        q &= Q(**{f"{field}__lte": years_before(today, lo)})
    if hi is not None:
        q &= Q(**{f"{field}__gt": years_before(today, hi + 1)})
    return q


def _grouped(qs: QuerySet, expression, order: list[str]) -> dict[str, int]:
    """{group: count} from one GROUP BY query; `order` gives the groups that always appear (zero if absent)."""
    from django.db.models import Count

    counts = {
        row["group"]: row["n"]
        for row in qs.annotate(group=expression).values("group").annotate(n=Count("id")).order_by()
    }
    result = {key: counts.pop(key, 0) for key in order}
    result.update(counts)  # values outside the known choices (old data) still show up
    return result


def _age_band(today: dt.date):
    """The age band of a member on `today` as an SQL expression ("" outside every band: no birth date)."""
    from django.db.models import Case, CharField, Value, When

    return Case(
        *[When(age_band_q(key, today=today), then=Value(key)) for key, *_ in AGE_BANDS],
        default=Value(""),
        output_field=CharField(),
    )


def _active_files(actor, organization):
    from core.scope import subtree_range_q

    from .choices import ACTIVE_STATUSES

    files = Member.objects.restrict(actor, Action.VIEW).order_by()
    if organization is not None:
        files = files.filter(subtree_range_q("branch__path", organization.path))
    return files, files.filter(status__in=ACTIVE_STATUSES)


def member_structure(*, actor, organization=None, today: dt.date | None = None) -> dict[str, dict[str, int]]:
    """Counts of the subtree's members by age band, education, gender, ethnicity, category and status.

    One grouped query per dimension, scoped by the actor. Status counts every member file; the other dimensions
    count members still in the branch's organizational life (ACTIVE_STATUSES: 正常, 流出, 流入, 失联).
    """
    from django.db.models import Case, CharField, F, Value, When
    from django.utils import timezone

    from .choices import Education, Gender, MemberCategory, MemberStatus

    today = today or timezone.localdate()
    files, active = _active_files(actor, organization)
    ethnicity = Case(
        When(ethnicity=HAN, then=Value(HAN)),
        When(ethnicity="", then=Value("")),
        default=Value("少数民族"),
        output_field=CharField(),
    )
    return {
        "age": _grouped(active, _age_band(today), [key for key, *_ in AGE_BANDS]),
        "education": _grouped(active, F("education"), list(Education.values)),
        "gender": _grouped(active, F("person__gender"), list(Gender.values)),
        "ethnicity": _grouped(active, ethnicity, [HAN, "少数民族"]),
        "category": _grouped(active, F("category"), list(MemberCategory.values)),
        "status": _grouped(files, F("status"), list(MemberStatus.values)),
    }


def member_age_pyramid(*, actor, organization=None, today: dt.date | None = None) -> dict[str, dict[str, int]]:
    """{age band: {gender: count}} of the subtree's members in organizational life, every band and gender present:
    the age pyramid, one grouped query."""
    from django.db.models import Count
    from django.utils import timezone

    from .choices import Gender

    today = today or timezone.localdate()
    _, active = _active_files(actor, organization)
    out = {key: dict.fromkeys(Gender.values, 0) for key, *_ in AGE_BANDS}
    rows = active.annotate(band=_age_band(today)).values("band", "person__gender").annotate(n=Count("id")).order_by()
    for row in rows:
        if row["band"] in out and row["person__gender"] in out[row["band"]]:
            out[row["band"]][row["person__gender"]] = row["n"]
    return out
