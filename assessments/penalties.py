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

One query per year gives, for every county at once, the persons who could be caught — each with their years as bit
masks, so a streak is one AND — and only them: a province's ~100,000 secretaries are never read into Python; the
evidence, the results that triggered the rule year by year, comes from one more query for them, and each county's
parameters are applied to its own secretaries. Deciding per county (100 queries, each
re-reading the years' results) took 9–18 s of a province's year.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection
from django.utils import timezone

from core.bulk import bulk_insert, chunked

from .choices import Rule
from .models import Penalty, Result, RuleSettings, Scheme


def _span(settings: RuleSettings) -> int:
    return max(settings.not_moved_up_years, settings.bottom_years, 1)


def _mask(n: int) -> int:
    """The low n bits: a streak of n years ending in the assessment year (bit 0 = that year, bit k = k years before)."""
    return (1 << n) - 1


def candidates(*, year: int, settings: dict[int, RuleSettings]) -> dict[int, tuple[bool, int, int]]:
    """{person id: (failed in `year`, not-moved-up mask, bottom mask)} of the responsible secretaries of the counties'
    ranked results of `year` whose own years (their results anywhere) could make a streak under the most lenient of
    the counties' parameters. Bit k of a mask: in year − k, a result of theirs was not moved up / bottom three (any
    of the organizations they led counts); a year without a ranked result has no bit, so it breaks every streak.

    One grouped pass over the span's results, with the year's secretaries as a semi-join: a join of two derived
    tables of ~100,000 rows each let PostgreSQL pick a nested loop that ran for minutes."""
    result, scheme = Result._meta.db_table, Scheme._meta.db_table
    first = year - max(_span(s) for s in settings.values()) + 1
    n2 = [s.not_moved_up_years for s in settings.values() if s.not_moved_up_on]
    n3 = [s.bottom_years for s in settings.values() if s.bottom_on]
    m2 = _mask(min(n2)) if n2 else -1  # -1: no county uses the rule, no mask ever matches (masks are ≥ 0)
    m3 = _mask(min(n3)) if n3 else -1
    ids = ", ".join(["%s"] * len(settings))
    sql = f"""
        SELECT pid, MAX(f), SUM(nm), SUM(b) FROM (
            SELECT r.secretary_id AS pid,
                   MAX(CASE WHEN r.year = %s AND r.grade = 4 THEN 1 ELSE 0 END) AS f,
                   MAX(CASE WHEN r.moved_up = FALSE THEN 1 ELSE 0 END) * (1 << (%s - r.year)) AS nm,
                   MAX(CASE WHEN r.bottom THEN 1 ELSE 0 END) * (1 << (%s - r.year)) AS b
            FROM {result} r
            WHERE r.year >= %s AND r.year <= %s AND r.rank IS NOT NULL
              AND r.secretary_id IN (
                  SELECT y.secretary_id FROM {result} y JOIN {scheme} s ON s.id = y.scheme_id
                  WHERE y.year = %s AND y.rank IS NOT NULL AND y.secretary_id IS NOT NULL AND s.county_id IN ({ids}))
            GROUP BY r.secretary_id, r.year
        ) py
        GROUP BY pid
        HAVING MAX(f) = 1 OR (SUM(nm) & %s) = %s OR (SUM(b) & %s) = %s
    """
    params = [year, year, year, first, year, year, *settings, m2, m2, m3, m3]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pid: (bool(f), int(nm), int(b)) for pid, f, nm, b in cursor.fetchall()}


def rules_caught(streaks: tuple[bool, int, int], settings: RuleSettings) -> list[int]:
    """The rules a person's (failed, not-moved-up mask, bottom mask) triggers under one county's parameters."""
    failed, not_moved, bottom = streaks
    out = []
    if settings.failed_on and failed:
        out.append(int(Rule.FAILED))
    m = _mask(settings.not_moved_up_years)
    if settings.not_moved_up_on and not_moved & m == m:
        out.append(int(Rule.NOT_MOVED_UP))
    m = _mask(settings.bottom_years)
    if settings.bottom_on and bottom & m == m:
        out.append(int(Rule.BOTTOM))
    return out


# Which results of the rule's years are its evidence.
EVIDENCE_TEST = {
    Rule.FAILED: lambda r: r["grade"] == 4,
    Rule.NOT_MOVED_UP: lambda r: r["moved_up"] is False,
    Rule.BOTTOM: lambda r: bool(r["bottom"]),
}


def rule_years(rule: int, settings: RuleSettings) -> int:
    """How many consecutive years the rule looks at, by the county's parameters."""
    if rule == Rule.NOT_MOVED_UP:
        return settings.not_moved_up_years
    return settings.bottom_years if rule == Rule.BOTTOM else 1


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


def derive_year(*, year: int, settings: dict[int, RuleSettings]) -> dict[tuple[int, int], dict]:
    """{(person id, rule): {"county", "organization", "years", "evidence"}} of the counties' penalties for `year`.
    Each county's parameters apply to its own secretaries of `year`. A person caught in two of the counties (they
    led organizations in both) gets one penalty per rule: the first county's, in the order of `settings`."""
    if not settings:
        return {}
    found = candidates(year=year, settings=settings)
    if not found:
        return {}
    first = year - max(_span(s) for s in settings.values()) + 1
    rows: dict[int, list[dict]] = defaultdict(list)
    for chunk in chunked(sorted(found)):
        qs = Result.objects.filter(secretary_id__in=chunk, year__gte=first, year__lte=year, rank__isnull=False)
        for r in qs.values(*EVIDENCE_FIELDS, "scheme__county_id").order_by("-year", "organization__code"):
            rows[r["secretary_id"]].append(r)
    out: dict[tuple[int, int], dict] = {}
    for person, streaks in found.items():
        mine = rows[person]
        counties = {r["scheme__county_id"] for r in mine if r["year"] == year}
        for county_id in (c for c in settings if c in counties):
            for rule in rules_caught(streaks, settings[county_id]):
                if (person, rule) in out:
                    continue
                n = rule_years(rule, settings[county_id])
                test = EVIDENCE_TEST[rule]
                evidence = [_evidence_row(r) for r in mine if r["year"] > year - n and test(r)]
                current = [e for e in evidence if e["year"] == year]
                out[(person, rule)] = {
                    "county": county_id,
                    "organization": current[0]["organization"],
                    "years": n,
                    "evidence": evidence,
                }
    return out


PENALTY_FIELDS = ["county", "year", "person", "rule", "organization", "years", "evidence", "computed_at"]
NO_CHANGE = {"created": 0, "updated": 0, "deleted": 0}


def county_settings(county_ids) -> dict[int, RuleSettings]:
    """{county id: its parameters of the rules, the defaults where it saved none}, in the order given."""
    saved = {s.county_id: s for s in RuleSettings.objects.filter(county_id__in=list(county_ids))}
    return {c: saved.get(c) or RuleSettings(county_id=c) for c in county_ids}


def sync_year_penalties(*, year: int, county_ids) -> dict[int, dict[str, int]]:
    """Make the stored penalties of the counties for `year` what the rules say: insert, update, delete only what
    differs (a second run changes nothing); {county id: counts}. A person already penalized for this year and rule
    under a county outside these keeps that one row: one penalty per person, rule and year."""
    settings = county_settings(county_ids)
    wanted = derive_year(year=year, settings=settings)
    counts = {c: dict(NO_CHANGE) for c in settings}
    # .order_by(): the model's ordering would join members_person to sort by name for nothing
    existing = {
        (p.person_id, p.rule): p for p in Penalty.objects.filter(year=year, county_id__in=list(settings)).order_by()
    }
    elsewhere = set()
    for chunk in chunked(sorted({person for person, _ in wanted.keys() - existing.keys()})):
        qs = Penalty.objects.filter(year=year, person_id__in=chunk).exclude(county_id__in=list(settings)).order_by()
        elsewhere |= set(qs.values_list("person_id", "rule"))
    now = timezone.now()
    new_rows = []
    for key, values in wanted.items():
        row = existing.pop(key, None)
        if row is None:
            if key in elsewhere:
                continue
            new_rows.append(
                (values["county"], year, key[0], key[1], values["organization"], values["years"],
                 values["evidence"], now)
            )  # fmt: skip
            counts[values["county"]]["created"] += 1
        elif (row.county_id, row.organization_id, row.years, row.evidence) != (
            values["county"], values["organization"], values["years"], values["evidence"],
        ):  # fmt: skip
            counts[row.county_id]["updated"] += 1
            row.county_id, row.organization_id, row.years, row.evidence, row.computed_at = (
                values["county"], values["organization"], values["years"], values["evidence"], now,
            )  # fmt: skip
            row.save(update_fields=["county", "organization", "years", "evidence", "computed_at"])
    # COPY on PostgreSQL: bulk_create's UNNEST(jsonb[]) has psycopg quote every evidence text into an array literal.
    # No ANALYZE (a quarter of a second a year): nothing after this in the transaction joins on penalties.
    bulk_insert(Penalty, PENALTY_FIELDS, new_rows, analyze=False)
    for row in existing.values():
        counts[row.county_id]["deleted"] += 1
    for chunk in chunked([p.pk for p in existing.values()]):
        Penalty.objects.filter(pk__in=chunk).delete()
    return counts


def sync_penalties(*, county_id: int, year: int) -> dict[str, int]:
    """One county's penalties for `year` (sync_year_penalties of one)."""
    return sync_year_penalties(year=year, county_ids=[county_id])[county_id]
