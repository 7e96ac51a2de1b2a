"""The three rules (三个一律, seed 000) over the persons who were responsible secretaries (domain.md):

| rule | condition for assessment year Y                          | consequence in Y+1 |
| 1    | failed (grade 差) in Y                                    | 年度内不得提拔重用    |
| 2    | not moved up in Y and in Y−1 (`not_moved_up_years` years) | 不得评先评优         |
| 3    | bottom three in Y, Y−1 and Y−2 (`bottom_years` years)     | 调整岗位或降职        |

Each rule looks at the person's own consecutive years as a responsible secretary, whichever organization they led. A
year in which they were nobody's responsible secretary breaks the streak; so does a year whose moved-up is unknown,
for rule 2. A person who led several organizations in one year (a secretary of two branches) counts as failed, bottom
or not moved up that year when any of those results is: each rule asks whether an organization under their lead
fell short. Only ranked results count (an organization without a total was not assessed).

One grouped query per county and year gives each person's years; the streaks are read from it, and the evidence —
the results that triggered the rule, year by year — from one more query for the persons caught.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from .choices import Rule
from .models import Penalty, Result, RuleSettings, Scheme


class PersonYear(NamedTuple):
    failed: bool
    bottom: bool
    not_moved: bool
    unknown: bool


def person_years(*, county_id: int, year: int, first_year: int) -> dict[int, dict[int, PersonYear]]:
    """{person id: {year: PersonYear}} for the responsible secretaries of the county's ranked results of `year`,
    over [first_year, year] (their results anywhere)."""
    result, scheme = Result._meta.db_table, Scheme._meta.db_table
    sql = f"""
        SELECT r.secretary_id, r.year,
               MAX(CASE WHEN r.grade = 4 THEN 1 ELSE 0 END),
               MAX(CASE WHEN r.bottom THEN 1 ELSE 0 END),
               MAX(CASE WHEN r.moved_up = FALSE THEN 1 ELSE 0 END),
               MAX(CASE WHEN r.moved_up IS NULL THEN 1 ELSE 0 END)
        FROM {result} r
        WHERE r.year >= %s AND r.year <= %s AND r.rank IS NOT NULL
          AND r.secretary_id IN (
              SELECT y.secretary_id FROM {result} y JOIN {scheme} s ON s.id = y.scheme_id
              WHERE s.county_id = %s AND y.year = %s AND y.rank IS NOT NULL AND y.secretary_id IS NOT NULL)
        GROUP BY r.secretary_id, r.year
    """
    out: dict[int, dict[int, PersonYear]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, [first_year, year, county_id, year])
        for person, y, failed, bottom, not_moved, unknown in cursor.fetchall():
            out[person][y] = PersonYear(bool(failed), bool(bottom), bool(not_moved), bool(unknown))
    return out


def _streak(years: dict[int, PersonYear], year: int, length: int, test) -> bool:
    return all((y := years.get(year - k)) is not None and test(y) for k in range(length))


class Caught(NamedTuple):
    rule: int
    years: int  # how many consecutive years the rule looked at
    test: object  # which results of those years are its evidence


def caught(years: dict[int, PersonYear], year: int, settings: RuleSettings) -> list[Caught]:
    """The rules a person's years trigger for `year`."""
    found = []
    if settings.failed_on and _streak(years, year, 1, lambda y: y.failed):
        found.append(Caught(Rule.FAILED, 1, lambda r: r["grade"] == 4))
    n = settings.not_moved_up_years
    if settings.not_moved_up_on and _streak(years, year, n, lambda y: y.not_moved):
        found.append(Caught(Rule.NOT_MOVED_UP, n, lambda r: r["moved_up"] is False))
    n = settings.bottom_years
    if settings.bottom_on and _streak(years, year, n, lambda y: y.bottom):
        found.append(Caught(Rule.BOTTOM, n, lambda r: r["bottom"]))
    return found


EVIDENCE_FIELDS = (
    "id", "year", "secretary_id", "organization_id", "organization__code", "organization__name", "scheme__group",
    "rank", "group_size", "grade", "total", "moved_up", "bottom", "prev_rank", "prev_grade",
)  # fmt: skip


def _evidence_row(r: dict) -> dict:
    return {
        "result": r["id"],
        "year": r["year"],
        "organization": r["organization_id"],
        "code": r["organization__code"],
        "name": r["organization__name"],
        "group": r["scheme__group"],
        "rank": r["rank"],
        "group_size": r["group_size"],
        "grade": r["grade"],
        "total": str(r["total"]) if r["total"] is not None else None,
        "moved_up": r["moved_up"],
        "bottom": bool(r["bottom"]),
        "prev_rank": r["prev_rank"],
        "prev_grade": r["prev_grade"],
    }


def derive(*, county_id: int, year: int, settings: RuleSettings) -> dict[tuple[int, int], dict]:
    """{(person id, rule): {"organization", "years", "evidence"}} of the county's penalties for `year`."""
    span = max(settings.not_moved_up_years, settings.bottom_years, 1)
    people = person_years(county_id=county_id, year=year, first_year=year - span + 1)
    hits = {person: c for person, years in people.items() if (c := caught(years, year, settings))}
    if not hits:
        return {}
    rows: dict[int, list[dict]] = defaultdict(list)
    person_ids = list(hits)
    for start in range(0, len(person_ids), 900):
        chunk = person_ids[start : start + 900]
        qs = Result.objects.filter(
            secretary_id__in=chunk, year__gte=year - span + 1, year__lte=year, rank__isnull=False
        ).values(*EVIDENCE_FIELDS)
        for r in qs.order_by("-year", "organization__code"):
            rows[r["secretary_id"]].append(r)
    out = {}
    for person, rules in hits.items():
        mine = rows[person]
        for c in rules:
            evidence = [_evidence_row(r) for r in mine if r["year"] > year - c.years and c.test(r)]
            current = [e for e in evidence if e["year"] == year]
            out[(person, int(c.rule))] = {
                "organization": current[0]["organization"],
                "years": c.years,
                "evidence": evidence,
            }
    return out


def sync_penalties(*, county_id: int, year: int) -> dict[str, int]:
    """Make the stored penalties of the county and year what the rules say: insert, update, delete only what differs
    (a second run changes nothing)."""
    settings = RuleSettings.objects.filter(county_id=county_id).first() or RuleSettings(county_id=county_id)
    wanted = derive(county_id=county_id, year=year, settings=settings)
    existing = {(p.person_id, p.rule): p for p in Penalty.objects.filter(year=year, county_id=county_id)}
    now = timezone.now()
    created = updated = 0
    new_rows = []
    for key, values in wanted.items():
        row = existing.pop(key, None)
        if row is None:
            new_rows.append(
                Penalty(
                    county_id=county_id,
                    year=year,
                    person_id=key[0],
                    rule=key[1],
                    organization_id=values["organization"],
                    years=values["years"],
                    evidence=values["evidence"],
                    computed_at=now,
                )
            )
        elif (row.organization_id, row.years, row.evidence) != (
            values["organization"],
            values["years"],
            values["evidence"],
        ):
            row.organization_id, row.years, row.evidence, row.computed_at = (
                values["organization"], values["years"], values["evidence"], now,
            )  # fmt: skip
            row.save(update_fields=["organization", "years", "evidence", "computed_at"])
            updated += 1
    # A person already penalized for this year and rule under another county (they led organizations in two) keeps
    # that one row: one penalty per person, rule and year.
    elsewhere = set(
        Penalty.objects.filter(year=year, person_id__in=[p.person_id for p in new_rows])
        .exclude(county_id=county_id)
        .values_list("person_id", "rule")
    )
    new_rows = [p for p in new_rows if (p.person_id, p.rule) not in elsewhere]
    created = len(new_rows)
    Penalty.objects.bulk_create(new_rows, batch_size=2000)
    deleted = len(existing)
    if existing:
        Penalty.objects.filter(pk__in=[p.pk for p in existing.values()]).delete()
    return {"created": created, "updated": updated, "deleted": deleted}
