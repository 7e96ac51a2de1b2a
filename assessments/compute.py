"""The set-based computation of a scheme's results (domain.md, "Annual assessment…"), one SQL UPDATE per step.

Totals (`refresh_totals`): a result's total is its imported total where one was imported; otherwise the sum of its
indicator scores when every indicator is scored, weighted with the duty-report appraisal when the scheme gives the
appraisal a weight:

    total = round(indicators × (100 − w)% + appraisal × w%)
    appraisal = round((upper × uw + lower × lw) / 100)   — one side only when the other has no votes
    side = round(Σ votes × points ÷ Σ votes)

all in whole hundredths of a point, rounded half-up, so SQLite and PostgreSQL agree to the hundredth. A total that
is missing any part stays empty (and the scheme cannot be published).

Results (`rank_scheme`), from the totals of one scheme (one county, group and year):
- rank: RANK() by total, highest first (ties share: 1, 2, 2, 4);
- grade: thresholds → 好 share cap → veto → manual override. The cap keeps 好 only where the organizations scoring
  at least as much (ties included) are no more than ⌊n × cap%⌋: tied organizations straddling the quota all drop to
  较好, since "at most 30%" is never exceeded and no tie can be split fairly;
- bottom three: the group has more than `min_group_size` scored organizations and the ascending RANK() ≤ bottom_n
  (fewer than bottom_n organizations scored strictly lower);
- moved up: against the same organization's result in the same county and group the year before: a smaller rank
  number, a better grade, or 好 kept; unknown (NULL) without a ranked result that year;
- responsible secretary: who held the 书记 post on 31 December of the year (both post dates inclusive; on a
  handover day the one who started later).

Every UPDATE writes only the rows whose values change, so computing twice changes nothing the second time.
Arithmetic stays in integers: PostgreSQL's SUM of a BIGINT is NUMERIC, so sums are CAST back to BIGINT before the
integer divisions that round (a + b/2) // b.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from members.models import Person
from organizations.choices import PostTitle
from organizations.models import Post

from .models import AppraisalTally, IndicatorScore, Result, Scheme


def _tables() -> dict[str, str]:
    return {
        "result": Result._meta.db_table,
        "score": IndicatorScore._meta.db_table,
        "appraisal": AppraisalTally._meta.db_table,
        "post": Post._meta.db_table,
        "person": Person._meta.db_table,
    }


def _changed(columns: list[str]) -> str:
    """A condition true where any `columns` of the target differ from the new values in x (NULL-safe)."""
    op = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    return " OR ".join(f"{{result}}.{c} {op} x.{c}" for c in columns)


def execute_update(sql: str, params) -> int:
    """Run an UPDATE; the number of rows it changed. (Python's sqlite3 reports -1 for a statement that starts with
    WITH, so SQLite is asked with changes().)"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount >= 0:
            return cursor.rowcount
        cursor.execute("SELECT changes()")
        return cursor.fetchone()[0]


def _hundredths(value) -> int:
    return int(value * 100)


def _ids_clause(result_ids) -> tuple[str, list]:
    if result_ids is None:
        return "", []
    ids = [int(i) for i in result_ids]
    if not ids:
        return " AND 1 = 0", []
    return f" AND r.id IN ({', '.join(['%s'] * len(ids))})", ids


TOTAL_COLUMNS = ["indicator_total", "appraisal_score", "total"]


def refresh_totals(scheme: Scheme, result_ids=None, *, n_indicators: int | None = None, has_votes: bool = True) -> int:
    """Recompute indicator totals, appraisal scores and totals of `scheme`'s results (or of `result_ids`); returns
    the number of rows that changed. `n_indicators`: the scheme's indicator count where the caller has it;
    `has_votes=False`: the caller knows the scheme has no appraisal votes."""
    t = _tables()
    if n_indicators is None:
        n_indicators = scheme.indicators.count()
    if n_indicators == 0 and not has_votes:
        return _imported_totals(scheme, result_ids)
    w, uw, lw = scheme.appraisal_weight, scheme.upper_weight, scheme.lower_weight
    vg, vf, va, vp = (
        _hundredths(v) for v in (scheme.vote_good, scheme.vote_fair, scheme.vote_average, scheme.vote_poor)
    )
    only, only_params = _ids_clause(result_ids)
    votes = "(a.good + a.fair + a.average + a.poor)"
    sql = f"""
        WITH ind AS (
            SELECT r.id AS rid,
                   CASE WHEN COUNT(s.id) = %s AND %s > 0 THEN CAST(SUM(s.score) AS BIGINT) END AS indicator_total
            FROM {t["result"]} r LEFT JOIN {t["score"]} s ON s.result_id = r.id
            WHERE r.scheme_id = %s{only}
            GROUP BY r.id
        ),
        side AS (
            SELECT a.result_id AS rid, a.side,
                   (2 * (a.good * %s + a.fair * %s + a.average * %s + a.poor * %s) + {votes}) / (2 * {votes}) AS pts
            FROM {t["appraisal"]} a JOIN {t["result"]} r ON r.id = a.result_id
            WHERE r.scheme_id = %s AND {votes} > 0{only}
        ),
        appr AS (
            SELECT rid,
                   CASE WHEN COUNT(*) = 2
                        THEN (CAST(SUM(CASE WHEN side = 'upper' THEN pts * %s ELSE pts * %s END) AS BIGINT) + 50) / 100
                        ELSE MAX(pts) END AS appraisal_score
            FROM side GROUP BY rid
        ),
        x AS (
            SELECT ind.rid, ind.indicator_total, appr.appraisal_score,
                   COALESCE(r.imported_total,
                            CASE WHEN %s = 0 THEN ind.indicator_total
                                 WHEN ind.indicator_total IS NULL OR appr.appraisal_score IS NULL THEN NULL
                                 ELSE (ind.indicator_total * (100 - %s) + appr.appraisal_score * %s + 50) / 100
                            END) AS total
            FROM ind JOIN {t["result"]} r ON r.id = ind.rid LEFT JOIN appr ON appr.rid = ind.rid
        )
        UPDATE {t["result"]} SET indicator_total = x.indicator_total, appraisal_score = x.appraisal_score,
               total = x.total, updated_at = %s
        FROM x
        WHERE {t["result"]}.id = x.rid AND ({_changed(TOTAL_COLUMNS)})
    """.format(**t)
    params = [
        n_indicators, n_indicators, scheme.pk, *only_params,
        vg, vf, va, vp, scheme.pk, *only_params,
        uw, lw,
        w, w, w,
        timezone.now(),
    ]  # fmt: skip
    return execute_update(sql, params)


def _imported_totals(scheme: Scheme, result_ids) -> int:
    """refresh_totals of a scheme without indicators or votes (the 考核得分 sheet's default schemes): no indicator
    total, no appraisal score, the total is the imported one — the same values the full query gives, without its
    joins and grouping."""
    t = _tables()
    only, only_params = _ids_clause(result_ids)
    op = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    changed = f"r.indicator_total IS NOT NULL OR r.appraisal_score IS NOT NULL OR r.total {op} r.imported_total"
    sql = f"""
        UPDATE {t["result"]} SET indicator_total = NULL, appraisal_score = NULL, total = imported_total, updated_at = %s
        WHERE id IN (SELECT r.id FROM {t["result"]} r WHERE r.scheme_id = %s{only} AND ({changed}))
    """
    return execute_update(sql, [timezone.now(), scheme.pk, *only_params])


RESULT_COLUMNS = [
    "rank", "rank_asc", "group_size", "rule_grade", "capped", "grade", "bottom", "moved_up", "prev_rank",
    "prev_grade", "secretary_id",
]  # fmt: skip


def rank_scheme(scheme: Scheme, *, previous: Scheme | None, bottom_n: int, min_group_size: int) -> int:
    """Rank, grade, bottom three, moved up and responsible secretary of every result of `scheme` (module docstring),
    in one UPDATE; returns the number of rows that changed."""
    t = _tables()
    dec31 = dt.date(scheme.year, 12, 31)
    cap = scheme.good_cap
    capped = "(g.rule_grade = 1 AND g.at_or_above * 100 > g.n * %s)" if cap is not None else "(1 = 0)"
    cap_params = [cap] if cap is not None else []
    sql = f"""
        WITH w AS (
            SELECT id,
                   RANK() OVER (ORDER BY total DESC) AS rnk,
                   COUNT(*) OVER (ORDER BY total DESC) AS at_or_above,
                   RANK() OVER (ORDER BY total ASC) AS rnk_asc,
                   COUNT(*) OVER () AS n
            FROM {{result}} WHERE scheme_id = %s AND total IS NOT NULL
        ),
        g AS (
            SELECT r.id, r.organization_id, r.vetoed, r.grade_override, w.rnk, w.rnk_asc, w.n, w.at_or_above,
                   CASE WHEN w.id IS NULL THEN NULL
                        WHEN r.total >= %s THEN 1 WHEN r.total >= %s THEN 2 WHEN r.total >= %s THEN 3 ELSE 4
                   END AS rule_grade
            FROM {{result}} r LEFT JOIN w ON w.id = r.id
            WHERE r.scheme_id = %s
        ),
        c AS (
            SELECT g.*, CASE WHEN {capped} THEN 1 ELSE 0 END AS is_capped FROM g
        ),
        f AS (
            SELECT c.*,
                   CASE WHEN c.rule_grade IS NULL THEN NULL
                        ELSE COALESCE(c.grade_override,
                                      CASE WHEN c.vetoed THEN 4 WHEN c.is_capped = 1 THEN 2 ELSE c.rule_grade END)
                   END AS final_grade
            FROM c
        ),
        x AS (
            SELECT f.id,
                   f.rnk AS rank, f.rnk_asc AS rank_asc, f.n AS group_size, f.rule_grade,
                   f.is_capped = 1 AS capped, f.final_grade AS grade,
                   (f.rnk IS NOT NULL AND f.n > %s AND f.rnk_asc <= %s) AS bottom,
                   CASE WHEN f.rnk IS NULL OR p.rank IS NULL THEN NULL
                        WHEN f.rnk < p.rank OR f.final_grade < p.grade OR (f.final_grade = 1 AND p.grade = 1) THEN TRUE
                        ELSE FALSE
                   END AS moved_up,
                   p.rank AS prev_rank, p.grade AS prev_grade,
                   (SELECT po.person_id FROM {{post}} po
                     WHERE po.organization_id = f.organization_id AND po.title = %s
                       AND po.start_on <= %s AND (po.end_on IS NULL OR po.end_on >= %s)
                     ORDER BY po.start_on DESC, po.id DESC LIMIT 1) AS secretary_id
            FROM f LEFT JOIN {{result}} p ON p.scheme_id = %s AND p.organization_id = f.organization_id
        )
        UPDATE {{result}} SET rank = x.rank, rank_asc = x.rank_asc, group_size = x.group_size,
               rule_grade = x.rule_grade, capped = x.capped, grade = x.grade, bottom = x.bottom,
               moved_up = x.moved_up, prev_rank = x.prev_rank, prev_grade = x.prev_grade,
               secretary_id = x.secretary_id, computed_at = %s, updated_at = %s
        FROM x
        WHERE {{result}}.id = x.id AND ({_changed(RESULT_COLUMNS)})
    """.format(**t)
    now = timezone.now()
    params = [
        scheme.pk,
        _hundredths(scheme.good_min), _hundredths(scheme.fair_min), _hundredths(scheme.pass_min), scheme.pk,
        *cap_params,
        min_group_size, bottom_n,
        PostTitle.SECRETARY.value, dec31, dec31,
        previous.pk if previous is not None else None,
        now, now,
    ]  # fmt: skip
    return execute_update(sql, params)
