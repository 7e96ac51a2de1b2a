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

Why the database does all of it. A province's year is ~100,000 secretaries and ~14,000 penalties, each with its
evidence (the results that triggered it, year by year). Reading the candidates and their results into Python,
building the evidence there and writing it back took ~1.5 s a year, when five years have 3 s (deciding per county,
100 queries each re-reading the years' results, had taken 9–18 s). So one statement a year writes the difference
between what the rules want and what is stored into a temporary table, and an INSERT … SELECT, an UPDATE … FROM and
a DELETE apply it; only the counts come back to Python. In that statement:

- a person's years are bit masks (bit k: year Y − k), so a streak is one AND. They come from one grouped pass over
  the span's results that fell short (a result that fell short in no way sets no bit, so leaving it out changes no
  streak), and whoever the most lenient county's parameters do not catch is dropped there, before their counties and
  evidence are looked up by index for the ~14,000 left;
- each county's parameters are joined to its own secretaries of Y; a person caught in two of the counties keeps the
  first county's penalty (the order given), as a window over that order;
- the evidence is the database's own JSON, with the keys and value types the pages, exports and API read (the total
  as text with two decimals, as str(Decimal) wrote it), aggregated over a window ordered by year (newest first) and
  organization code: SQLite before 3.44 has no ORDER BY inside an aggregate. The JSON functions' names, and SQLite's
  booleans (integers until json() makes them true and false), are the only SQL that differs by vendor;
- no join has a derived table on its inner side without an index: PostgreSQL has no statistics for CTEs or the
  temporary table, estimates them at a few rows and then loops over them (an anti-join against the temporary table
  ran 13 s once; a join of two derived tables of ~100,000 rows, minutes). So the stored rows are matched through
  their unique index, and those no longer wanted are found by grouping the wanted and the stored keys together.

A stored row is compared as jsonb on PostgreSQL; on SQLite as the text its JSON functions write, so a row written by
the earlier Python code (json.dumps: spaces, \\u escapes) compares unequal once and is rewritten with the same content.
SQLite needs 3.33 (UPDATE … FROM); Django asks 3.31.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from organizations.models import Organization

from .choices import Grade, Rule
from .models import Penalty, Result, RuleSettings, Scheme

NO_CHANGE = {"created": 0, "updated": 0, "deleted": 0}
CHANGES = "assessments_penalty_changes"  # the temporary table of one sync, dropped before it returns
ACTIONS = {"create": "created", "update": "updated", "delete": "deleted"}

# Per vendor: the JSON object and array functions, and a boolean column as a JSON boolean.
JSON_SQL = {
    "postgresql": ("jsonb_build_object", "jsonb_agg", "{}"),
    "sqlite": ("json_object", "json_group_array", "json(CASE WHEN {0} THEN 'true' WHEN NOT {0} THEN 'false' END)"),
}

# A total in hundredths as Decimal's text: sign, units, two decimals (7250 → "72.50", -5 → "-0.05"); NULL stays NULL.
TOTAL_TEXT = (
    "CASE WHEN f.total < 0 THEN '-' ELSE '' END || CAST(abs(f.total) / 100 AS TEXT) || '.' "
    "|| substr(CAST(100 + abs(f.total) %% 100 AS TEXT), 2)"
)


def county_settings(county_ids) -> dict[int, RuleSettings]:
    """{county id: its parameters of the rules, the defaults where it saved none}, in the order given."""
    saved = {s.county_id: s for s in RuleSettings.objects.filter(county_id__in=list(county_ids))}
    return {c: saved.get(c) or RuleSettings(county_id=c) for c in county_ids}


def _span(settings: RuleSettings) -> int:
    return max(settings.not_moved_up_years, settings.bottom_years, 1)


def _counties(settings: dict[int, RuleSettings]) -> tuple[str, dict]:
    """The CTE `cs`: a row of parameters per county, `ord` its place in the order given, booleans as 0/1 (as on
    every database); and its named parameters."""
    columns = ("county_id", "failed_on", "not_moved_up_on", "not_moved_up_years", "bottom_on", "bottom_years")
    rows, params = [], {}
    for i, (county_id, s) in enumerate(settings.items()):
        values = (county_id, s.failed_on, s.not_moved_up_on, s.not_moved_up_years, s.bottom_on, s.bottom_years)
        params.update({f"{name}_{i}": int(v) for name, v in zip(columns, values)})
        rows.append(f"(%(county_id_{i})s, {i}, " + ", ".join(f"%({name}_{i})s" for name in columns[1:]) + ")")
    return f"cs(county_id, ord, {', '.join(columns[1:])}) AS (VALUES {', '.join(rows)})", params


def _lenient(settings: dict[int, RuleSettings]) -> dict[str, int]:
    """The masks of the shortest streaks of rules 2 and 3 among the counties that use them: who matches neither (nor
    failed) is caught nowhere. -1 where no county uses the rule: no mask (≥ 0) has all its bits."""
    n2 = [s.not_moved_up_years for s in settings.values() if s.not_moved_up_on]
    n3 = [s.bottom_years for s in settings.values() if s.bottom_on]
    return {
        "lenient_not_moved_up": (1 << min(n2)) - 1 if n2 else -1,
        "lenient_bottom": (1 << min(n3)) - 1 if n3 else -1,
    }


def _short(rule: int, r: str) -> str:
    """SQL, 1 or 0: result `r` fell short in the rule's sense (rule 1 only in Y, the one year it looks at)."""
    return {
        Rule.FAILED: f"CASE WHEN {r}.year = %(year)s AND {r}.grade = {Grade.POOR:d} THEN 1 ELSE 0 END",
        Rule.NOT_MOVED_UP: f"CASE WHEN {r}.moved_up = FALSE THEN 1 ELSE 0 END",
        Rule.BOTTOM: f"CASE WHEN {r}.bottom THEN 1 ELSE 0 END",
    }[rule]


def _mask(rule: int, years: int) -> str:
    """SQL: the years (of results `r` grouped by person) that fell short in the rule's sense, as bits."""
    return " + ".join(
        f"MAX(CASE WHEN r.year = %(year)s - {k} THEN {_short(rule, 'r')} ELSE 0 END) * {1 << k}" for k in range(years)
    )


def _streak(mask: str, years: str) -> str:
    """SQL: the mask has its low `years` bits set (a streak of that many years ending in Y)."""
    return f"({mask} & ((1 << {years}) - 1)) = ((1 << {years}) - 1)"


def _chosen(settings: dict[int, RuleSettings]) -> str:
    """The CTEs down to `chosen`: (person, rule, county, years) of each penalty the counties' rules give for Y."""
    result, scheme = Result._meta.db_table, Scheme._meta.db_table
    n2 = max(s.not_moved_up_years for s in settings.values())
    n3 = max(s.bottom_years for s in settings.values())
    return f"""
        streaks AS (  -- failed in Y, the years not moved up / bottom as bits: of who could be caught somewhere
            SELECT * FROM (
                SELECT r.secretary_id AS person_id, MAX({_short(Rule.FAILED, "r")}) AS failed,
                       {_mask(Rule.NOT_MOVED_UP, n2)} AS not_moved_up, {_mask(Rule.BOTTOM, n3)} AS bottom
                FROM {result} r
                WHERE r.year >= %(first)s AND r.year <= %(year)s AND r.rank IS NOT NULL AND r.secretary_id IS NOT NULL
                  AND ({" OR ".join(f"{_short(rule, 'r')} = 1" for rule in Rule)})
                GROUP BY r.secretary_id
            ) py
            WHERE failed = 1 OR (not_moved_up & %(lenient_not_moved_up)s) = %(lenient_not_moved_up)s
               OR (bottom & %(lenient_bottom)s) = %(lenient_bottom)s
        ),
        judged AS (  -- with the parameters of each county (of these) they were a responsible secretary in, in Y
            SELECT st.person_id, cs.county_id, cs.ord, cs.failed_on, cs.not_moved_up_on, cs.not_moved_up_years,
                   cs.bottom_on, cs.bottom_years, st.failed, st.not_moved_up, st.bottom
            FROM streaks st
            JOIN {result} y ON y.secretary_id = st.person_id AND y.year = %(year)s AND y.rank IS NOT NULL
            JOIN {scheme} s ON s.id = y.scheme_id
            JOIN cs ON cs.county_id = s.county_id
        ),
        caught AS (
            SELECT person_id, {Rule.FAILED:d} AS rule, county_id, ord, 1 AS years
            FROM judged WHERE failed_on = 1 AND failed = 1
            UNION ALL
            SELECT person_id, {Rule.NOT_MOVED_UP:d}, county_id, ord, not_moved_up_years
            FROM judged WHERE not_moved_up_on = 1 AND {_streak("not_moved_up", "not_moved_up_years")}
            UNION ALL
            SELECT person_id, {Rule.BOTTOM:d}, county_id, ord, bottom_years
            FROM judged WHERE bottom_on = 1 AND {_streak("bottom", "bottom_years")}
        ),
        chosen AS (  -- one penalty per person and rule: that of the first county
            SELECT person_id, rule, county_id, years FROM (
                SELECT caught.*, ROW_NUMBER() OVER (PARTITION BY person_id, rule ORDER BY ord) AS pick FROM caught
            ) c WHERE pick = 1
        )"""


def _evidence_object() -> tuple[str, str]:
    """(one evidence entry of result `f` as a JSON object, the aggregate that lists them), for this database. The
    keys in this order: SQLite stores the text as written, and its readers get them in this order."""
    obj, agg, boolean = JSON_SQL[connection.vendor]
    entries = (
        ("result", "f.id"), ("year", "f.year"), ("organization", "f.organization_id"), ("code", "o.code"),
        ("name", "o.name"), ("group", f"s.{connection.ops.quote_name('group')}"), ("rank", "f.rank"),
        ("group_size", "f.group_size"), ("grade", "f.grade"), ("total", TOTAL_TEXT),
        ("moved_up", boolean.format("f.moved_up")), ("bottom", boolean.format("f.bottom")),
        ("prev_rank", "f.prev_rank"), ("prev_grade", "f.prev_grade"),
    )  # fmt: skip
    pairs = ", ".join(f"'{key}', {expr}" for key, expr in entries)
    return f"{obj}({pairs})", agg


def _listed() -> str:
    """The CTE `listed`: each chosen penalty's evidence, newest year first, and its organization (the first result of
    Y), on the first of the penalty's rows (n = 1)."""
    result, scheme, organization = Result._meta.db_table, Scheme._meta.db_table, Organization._meta.db_table
    obj, agg = _evidence_object()
    short = " ".join(f"WHEN {rule:d} THEN {_short(rule, 'f')}" for rule in Rule)
    return f"""
        listed AS (
            SELECT k.person_id, k.rule, k.county_id, k.years,
                   FIRST_VALUE(f.organization_id) OVER w AS organization_id, {agg}({obj}) OVER w AS evidence,
                   ROW_NUMBER() OVER w AS n
            FROM chosen k
            JOIN {result} f ON f.secretary_id = k.person_id AND f.year > %(year)s - k.years AND f.year <= %(year)s
                AND f.rank IS NOT NULL AND 1 = CASE k.rule {short} END
            JOIN {organization} o ON o.id = f.organization_id
            JOIN {scheme} s ON s.id = f.scheme_id
            WINDOW w AS (PARTITION BY k.person_id, k.rule ORDER BY f.year DESC, o.code
                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        )"""


def fill_changes(cursor, *, year: int, settings: dict[int, RuleSettings]) -> None:
    """The temporary table CHANGES: what makes the counties' stored penalties of `year` what the rules say, a row
    per penalty to create, update (stored under one of these counties, something differs) or delete (stored under
    one of them, no longer wanted): the wanted values, and the stored row's id and county. A penalty stored under a
    county outside these is left as it is. Module docstring for the how."""
    penalty = Penalty._meta.db_table
    counties, params = _counties(settings)
    years = max(_span(s) for s in settings.values())
    sql = f"""
        CREATE TEMPORARY TABLE {CHANGES} AS
        WITH {counties}, {_chosen(settings)}, {_listed()}
        SELECT * FROM (
            SELECT e.person_id, e.rule, e.county_id, e.organization_id, e.years, e.evidence,
                   p.id AS stored_id, p.county_id AS stored_county,
                   CASE WHEN p.id IS NULL THEN 'create'
                        WHEN p.county_id NOT IN (SELECT county_id FROM cs) THEN 'elsewhere'
                        WHEN p.county_id <> e.county_id OR p.organization_id <> e.organization_id
                             OR p.years <> e.years OR p.evidence <> e.evidence THEN 'update'
                        ELSE 'same' END AS action
            FROM listed e
            LEFT JOIN {penalty} p ON p.year = %(year)s AND p.person_id = e.person_id AND p.rule = e.rule
            WHERE e.n = 1
            UNION ALL
            SELECT NULL, NULL, NULL, NULL, NULL, NULL, stored_id, stored_county, 'delete' FROM (
                -- stored under one of these counties, not chosen: an anti-join grouped, not looped
                SELECT MAX(stored_id) AS stored_id, MAX(stored_county) AS stored_county FROM (
                    SELECT person_id, rule, 1 AS wanted, NULL AS stored_id, NULL AS stored_county FROM chosen
                    UNION ALL
                    SELECT person_id, rule, 0, id, county_id FROM {penalty}
                    WHERE year = %(year)s AND county_id IN (SELECT county_id FROM cs)
                ) k GROUP BY person_id, rule HAVING MAX(wanted) = 0
            ) obsolete
        ) d
        WHERE action IN ({", ".join(f"'{action}'" for action in ACTIONS)})
    """
    params |= {"year": year, "first": year - years + 1, **_lenient(settings)}
    cursor.execute(sql, params)


def _apply_changes(cursor, *, year: int, counts: dict) -> None:
    """CHANGES written: each statement only where its counts say there is something to do."""
    penalty = Penalty._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if any(c["created"] for c in counts.values()):
        cursor.execute(
            f"INSERT INTO {penalty} (county_id, year, person_id, rule, organization_id, years, evidence, computed_at) "
            f"SELECT county_id, %(year)s, person_id, rule, organization_id, years, evidence, %(now)s "
            f"FROM {CHANGES} WHERE action = 'create'",
            {"year": year, "now": now},
        )
    if any(c["updated"] for c in counts.values()):
        cursor.execute(
            f"UPDATE {penalty} SET county_id = c.county_id, organization_id = c.organization_id, years = c.years, "
            f"evidence = c.evidence, computed_at = %(now)s "
            f"FROM {CHANGES} c WHERE {penalty}.id = c.stored_id AND c.action = 'update'",
            {"now": now},
        )
    if any(c["deleted"] for c in counts.values()):
        cursor.execute(f"DELETE FROM {penalty} WHERE id IN (SELECT stored_id FROM {CHANGES} WHERE action = 'delete')")


@transaction.atomic
def sync_year_penalties(*, year: int, county_ids) -> dict[int, dict[str, int]]:
    """Make the stored penalties of the counties for `year` what the rules say: insert, update, delete only what
    differs (a second run changes nothing); {county id: counts}. Each county's parameters apply to its own
    secretaries of `year`; a person caught in two of the counties gets one penalty per rule, the first county's in
    the order given; one already penalized for this year and rule under a county outside these keeps that one row."""
    settings = county_settings(county_ids)
    counts = {c: dict(NO_CHANGE) for c in settings}
    if not settings:
        return counts
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CHANGES}")
        fill_changes(cursor, year=year, settings=settings)
        # a creation counts under its new county, an update or deletion under the county it was stored under
        cursor.execute(
            f"SELECT action, CASE WHEN action = 'create' THEN county_id ELSE stored_county END, COUNT(*) "
            f"FROM {CHANGES} GROUP BY 1, 2"
        )
        for action, county_id, n in cursor.fetchall():
            counts[county_id][ACTIONS[action]] += n
        _apply_changes(cursor, year=year, counts=counts)
        cursor.execute(f"DROP TABLE {CHANGES}")
    return counts


def sync_penalties(*, county_id: int, year: int) -> dict[str, int]:
    """One county's penalties for `year` (sync_year_penalties of one)."""
    return sync_year_penalties(year=year, county_ids=[county_id])[county_id]
