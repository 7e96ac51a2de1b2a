"""考核排名 (what leaders open first): a year's groups as tabs, each group's ranking with grade badges, arrows against
last year, 后三名, 晋位升级, the responsible secretary and the marks of a veto or a changed grade; the Excel of the
rankings (`?export=xlsx`, the `rankings` export). Then one organization's result with its "why" panel — every number
of it worked out in plain Chinese — and its multi-year trend; the county department changes a veto or a grade there
while the scheme is not published. Every read goes through the selectors (leaders see published results only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from core.exceptions import NotInScope, id_from
from core.views import ScopedListView, apply_service_errors
from organizations import selectors as org_selectors

from .. import selectors
from ..choices import YEAR_WORDS, Grade, SchemeStatus, Side
from ..forms.rules import GradeOverrideForm, VetoForm
from ..models import AppraisalTally, IndicatorScore, Result, RuleSettings, Scheme
from ..services.scoring import grade_override_set, veto_set

BLANK = "—"
# Grade badges: ColorBrewer PRGn ends with an orange middle, told apart with every common colour-vision deficiency
# (the red #b2182b first tried for 差 is indistinguishable from 好's green under deuteranopia); each badge prints its
# text, so colour is never the only cue. Text colours give ≥ 5.5:1 contrast (WCAG AA).
GRADE_CSS = {Grade.GOOD: "good", Grade.FAIR: "fair", Grade.AVERAGE: "average", Grade.POOR: "poor"}
GRADE_COLOURS = {Grade.GOOD: "#1b7837", Grade.FAIR: "#7fbf7b", Grade.AVERAGE: "#f1a340", Grade.POOR: "#762a83"}
MOVED_UP_TEXT = {True: "是", False: "否", None: "无"}
DECISIONS_REFUSED = "只有县委组织部可以认定一票否决或调整等次。"


# {value: (label, css)}: Grade.values builds a new list at each call, three times a row on a 1,000-row ranking
BADGES = {g.value: (g.label, GRADE_CSS[g]) for g in Grade}


def grade_label(value) -> str:
    return BADGES[value][0] if value in BADGES else BLANK


def badge(value) -> dict:
    """A grade badge: its text and class (blank where there is no grade)."""
    if value not in BADGES:
        return {"label": BLANK, "css": "none"}
    label, css = BADGES[value]
    return {"label": label, "css": css}


def points(value) -> str:
    return BLANK if value is None else f"{value:.2f}"


def num(value) -> str:
    """Points as people write them: 90, 87.5, 12.25 (not 90.00); blank for none."""
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bottom_label(n: int) -> str:
    return f"后{YEAR_WORDS.get(n, n)}名"


def year_from(request, years: list[int]) -> int | None:
    value = request.GET.get("year", "")
    if value.isdigit() and int(value) in years:
        return int(value)
    return years[0] if years else None


def arrow(result: Result) -> dict:
    """Against last year's rank in the group: ▲ up, ▼ down, — same, 新 without a result last year (the glyph is text,
    so it prints)."""
    if result.rank is None:
        return {"symbol": "", "css": "none", "title": "", "text": ""}
    if result.prev_rank is None:
        return {"symbol": "新", "css": "new", "title": f"{result.year - 1}年无本类别考核结果", "text": ""}
    title = f"上年第 {result.prev_rank} 名"
    if result.rank < result.prev_rank:
        return {"symbol": "▲", "css": "up", "title": title, "text": str(result.prev_rank - result.rank)}
    if result.rank > result.prev_rank:
        return {"symbol": "▼", "css": "down", "title": title, "text": str(result.rank - result.prev_rank)}
    return {"symbol": "—", "css": "same", "title": title, "text": ""}


def marks(result: Result) -> list[dict]:
    out = []
    if result.vetoed:
        out.append({"label": "一票否决", "css": "veto", "title": result.veto_reason or "一票否决"})
    if result.grade_override is not None:
        out.append({"label": "等次调整", "css": "override", "title": result.override_reason})
    if result.capped and result.grade_override is None and not result.vetoed:
        out.append({"label": "“好”比例调整", "css": "capped", "title": "按分数线为“好”，超出“好”等次比例上限"})
    return out


@dataclass
class Row:
    result: Result
    grade: dict = field(default_factory=dict)
    arrow: dict = field(default_factory=dict)
    marks: list = field(default_factory=list)
    total: str = BLANK
    moved_up: str = BLANK
    ranked: bool = False

    def __post_init__(self):
        r = self.result
        self.ranked = r.rank is not None
        self.grade = badge(r.grade)
        self.arrow = arrow(r)
        self.marks = marks(r)
        self.total = points(r.total)
        self.moved_up = MOVED_UP_TEXT[r.moved_up] if self.ranked else BLANK


def status_banner(scheme: Scheme) -> dict:
    if scheme.status == SchemeStatus.PUBLISHED:
        when = f"{scheme.published_at:%Y-%m-%d}" if scheme.published_at else ""
        return {"css": "success", "icon": "bi-patch-check", "label": "已发布", "text": f"{when} 发布，结果已锁定。"}
    if scheme.status == SchemeStatus.COMPUTED:
        return {
            "css": "warning",
            "icon": "bi-hourglass-split",
            "label": "计算结果未发布",
            "text": "仅考核工作人员可见；发布后领导和各组织才能看到。",
        }
    text = (
        "得分或设置在上次计算后有变化，下列排名等次是上次计算的结果，重新计算后才准确。"
        if scheme.computed_at
        else "尚未计算，还没有排名和等次。"
    )
    return {"css": "secondary", "icon": "bi-calculator", "label": "待计算", "text": text}


def thresholds_text(scheme: Scheme) -> str:
    good, fair, low = num(scheme.good_min), num(scheme.fair_min), num(scheme.pass_min)
    return f"好 ≥ {good}，较好 ≥ {fair}，一般 ≥ {low}，低于 {low} 为差"


@dataclass
class Group:
    scheme: Scheme
    rows: list[Row]
    settings: RuleSettings
    label: str = ""

    @property
    def ranked(self) -> list[Row]:
        return [row for row in self.rows if row.ranked]

    @property
    def group_size(self) -> int:
        sizes = [row.result.group_size for row in self.ranked if row.result.group_size]
        return max(sizes) if sizes else 0

    @property
    def bottom_applies(self) -> bool:
        return self.group_size > self.settings.min_group_size

    def distribution(self) -> list[dict]:
        counts = {g: 0 for g in Grade}
        for row in self.ranked:
            if row.result.grade in BADGES:
                counts[Grade(row.result.grade)] += 1
        return [
            {"grade": g.label, "count": n, "colour": GRADE_COLOURS[g], "css": GRADE_CSS[g]} for g, n in counts.items()
        ]

    def rows_html(self):
        from .ranking_table import rows_html  # it builds on this module's Row

        return rows_html(self.rows, bottom_label(self.settings.bottom_n))

    def facts(self) -> list[str]:
        s = self.scheme
        out = [f"分数线：{thresholds_text(s)}"]
        n = self.group_size
        if s.good_cap:
            out.append(f"“好”至多 {s.good_cap}%（{n} 个组织中至多 {n * s.good_cap // 100} 个）")
        label = bottom_label(self.settings.bottom_n)
        if n and not self.bottom_applies:
            out.append(f"{n} 个组织，不超过 {self.settings.min_group_size} 个，不评{label}")
        elif n:
            out.append(f"{label}：倒数 {self.settings.bottom_n} 名（并列同分一并计入）")
        return out


def scheme_tab_label(scheme: Scheme, several_counties: bool) -> str:
    return f"{scheme.county.name} · {scheme.group}" if several_counties else scheme.group


class RankingView(ScopedListView):
    """`?year=` (default the latest year with a readable scheme), `?scheme=` (a group of that year, default the first),
    `?export=xlsx` (the `rankings` export of the group shown, or of every group of the year without `?scheme=`)."""

    template_name = "assessments/rankings/ranking.html"
    paginate_by = None
    export_kind = "rankings"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self._chosen = None

    def chosen(self) -> tuple[int | None, list[Scheme], Scheme | None]:
        """(year, the year's readable schemes, the scheme of `?scheme=` or None)."""
        if self._chosen is None:
            user, get = self.request.user, self.request.GET
            picked = None
            if get.get("scheme"):
                picked = selectors.scheme_get_for(user, id_from(get["scheme"]))
            years = sorted({s.year for s in selectors.readable_schemes(actor=user)}, reverse=True)
            year = picked.year if picked is not None else year_from(self.request, years)
            schemes = selectors.readable_schemes(actor=user, year=year) if year else []
            if picked is not None and picked.pk not in {s.pk for s in schemes}:
                raise NotInScope()
            self._chosen = (year, schemes, picked, years)
        return self._chosen[:3]

    def get_base_queryset(self):
        year, schemes, picked = self.chosen()
        shown = [picked] if picked is not None else schemes
        return (
            selectors.result_list(actor=self.request.user)
            .filter(scheme__in=[s.pk for s in shown])
            .order_by("scheme__group", "rank", "organization__code")
        )

    def export_options(self) -> dict:
        year = self.chosen()[0]
        if year is None:
            raise Http404("暂无可导出的考核结果。")
        return {"year": year}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        year, schemes, picked = self.chosen()
        years = self._chosen[3]
        scheme = picked or (schemes[0] if schemes else None)
        several = len({s.county_id for s in schemes}) > 1
        group = None
        if scheme is not None:
            settings = selectors.rule_settings(scheme.county)
            rows = [Row(r) for r in selectors.ranking(actor=user, scheme=scheme)]
            group = Group(scheme, rows, settings, scheme_tab_label(scheme, several))
        may_manage = any(selectors.may_manage_county(user, c) for c in selectors.counties_for(user))
        query = {"year": year} if year else {}
        ctx.update(
            {
                "tab": "ranking",
                "may_manage": may_manage,
                "year": year,
                "years": years,
                "tabs": [
                    {
                        "scheme": s,
                        "label": scheme_tab_label(s, several),
                        "active": scheme is not None and s.pk == scheme.pk,
                        "query": urlencode({"year": s.year, "scheme": s.pk}),
                        "status": s.status,
                    }
                    for s in schemes
                ],
                "group": group,
                "table_rows": group.rows_html() if group else "",
                "banner": status_banner(scheme) if scheme else None,
                "chart_data": {"grades": group.distribution()} if group and group.ranked else None,
                "bottom_label": bottom_label(group.settings.bottom_n) if group else "后三名",
                "export_group_query": urlencode({"scheme": scheme.pk, "export": "xlsx"}) if scheme else "",
                "export_year_query": urlencode({**query, "export": "xlsx"}),
                "several_schemes": len(schemes) > 1,
            }
        )
        return ctx


# --- One organization's result: the why panel ---------------------------------------------------------------------


def hundredths(value) -> int:
    return int(Decimal(value) * 100)


def from_hundredths(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


VOTE_FIELDS = [("good", "好", "vote_good"), ("fair", "较好", "vote_fair"), ("average", "一般", "vote_average"),
               ("poor", "差", "vote_poor")]  # fmt: skip


def side_points(scheme: Scheme, tally: AppraisalTally) -> tuple[Decimal | None, str]:
    """One side's appraisal points (as compute.refresh_totals makes them: half-up to the hundredth) and the sum with
    its numbers filled in."""
    votes = tally.votes
    if not votes:
        return None, "无票"
    weighted = sum(getattr(tally, f) * hundredths(getattr(scheme, p)) for f, _, p in VOTE_FIELDS)
    value = from_hundredths((2 * weighted + votes) // (2 * votes))
    parts = " + ".join(f"{label} {getattr(tally, f)} 票 × {num(getattr(scheme, p))}" for f, label, p in VOTE_FIELDS)
    return value, f"（{parts}）÷ {votes} 票 = {value}"


@dataclass
class Why:
    """One line of the why panel: a title, the short answer and the sentences that explain it."""

    key: str
    title: str
    answer: str
    lines: list[str] = field(default_factory=list)
    css: str = ""


def total_section(result: Result, scheme: Scheme, scores: list, indicators: list, tallies: list) -> dict:
    """How the total was made: imported, or the indicator scores (and the appraisal, weighted)."""
    out: dict = {"imported": result.imported_total is not None, "lines": [], "indicators": [], "sides": []}
    if result.imported_total is not None:
        out["lines"].append(f"总分 {result.imported_total} 分，由“考核得分”表直接导入（不按指标逐项评分）。")
        return out
    by_indicator = {s.indicator_id: s for s in scores}
    for indicator in indicators:
        score = by_indicator.get(indicator.pk)
        out["indicators"].append(
            {
                "indicator": indicator,
                "score": points(score.score) if score else "未评分",
                "scored": score is not None,
                "lost": (indicator.max_points - score.score) if score and score.score < indicator.max_points else None,
                "note": (score.note or score.basis) if score else "",
                "computed": indicator.method == "computed",
            }
        )
    if not indicators:
        out["lines"].append("本方案没有考核指标，也未导入总分。")
    elif result.indicator_total is None:
        missing = [i["indicator"].name for i in out["indicators"] if not i["scored"]]
        out["lines"].append("指标尚未全部评分（" + "、".join(missing) + "），没有指标得分。")
    else:
        out["lines"].append(
            f"各项指标得分合计 {result.indicator_total} 分（满分 {num(sum(i.max_points for i in indicators))} 分）。"
        )
    w = scheme.appraisal_weight
    if not w:
        if result.total is not None and result.indicator_total is not None:
            out["lines"].append(f"本方案述职评议不计权重，总分即指标得分 {result.total} 分。")
        return out
    sides = {t.side: t for t in tallies}
    values = {}
    for side in Side:
        tally = sides.get(side.value)
        weight = scheme.upper_weight if side == Side.UPPER else scheme.lower_weight
        if tally is None:
            out["sides"].append({"label": side.label, "weight": weight, "text": "未录入票数", "tally": None})
            continue
        value, text = side_points(scheme, tally)
        if value is not None:
            values[side.value] = value
        out["sides"].append({"label": side.label, "weight": weight, "text": text, "tally": tally})
    if len(values) == 2:
        out["lines"].append(
            f"述职评议得分 = 上级 {values['upper']} × {scheme.upper_weight}% + 下级 {values['lower']} × "
            f"{scheme.lower_weight}% = {points(result.appraisal_score)} 分。"
        )
    elif len(values) == 1:
        ((side, value),) = values.items()
        out["lines"].append(f"只有{Side(side).label}有票，述职评议得分即其得分 {points(result.appraisal_score)} 分。")
    else:
        out["lines"].append("述职评议尚未录入票数，没有述职评议得分。")
    if result.total is not None and result.imported_total is None:
        out["lines"].append(
            f"总分 = 指标得分 {result.indicator_total} × {100 - w}% + 述职评议得分 {result.appraisal_score} × {w}% "
            f"= {result.total} 分（四舍五入到 0.01 分）。"
        )
    return out


def explain(result: Result, scheme: Scheme, settings: RuleSettings) -> list[Why]:
    """The why panel after the total: rank, grade (thresholds → 好 quota → veto → override), bottom three, moved up,
    responsible secretary."""
    out: list[Why] = []
    if result.rank is None:
        out.append(Why("rank", "排名", "未排名", ["没有总分，不参加排名、不评等次。"]))
        return out
    n = result.group_size or 0
    tied = Result.objects.filter(scheme=scheme, total=result.total).exclude(pk=result.pk).count()
    at_or_above = Result.objects.filter(scheme=scheme, total__gte=result.total).count()
    lines = [
        f"本类别（{scheme.group}）已评分的 {n} 个组织按总分从高到低排名，本组织 {result.total} 分，排第 {result.rank} 名。"
    ]
    if tied:
        lines.append(f"与另外 {tied} 个组织同分，并列第 {result.rank} 名（并列占用名次，下一名次顺延）。")
    out.append(Why("rank", "排名", f"第 {result.rank} 名 / {n}", lines))

    rule = Grade(result.rule_grade)
    lines = [f"分数线：{thresholds_text(scheme)}。{result.total} 分按分数线为“{rule.label}”。"]
    answer = rule.label
    if scheme.good_cap is None:
        lines.append("本方案不限“好”等次的比例。")
    else:
        quota = n * scheme.good_cap // 100
        lines.append(
            f"“好”等次至多 {scheme.good_cap}%：⌊{n} × {scheme.good_cap}%⌋ = {quota} 个。"
            + (
                f"得分不低于本组织（{result.total} 分，含并列）的有 {at_or_above} 个。"
                if rule == Grade.GOOD
                else "本组织按分数线不是“好”，不受比例限制。"
            )
        )
        if rule == Grade.GOOD and result.capped:
            lines.append(
                f"{at_or_above} > {quota}，超出名额：同分的组织不能拆分，一并由“好”调为“较好”，以保证“好”不超过 {scheme.good_cap}%。"
            )
            answer = "较好（比例调整）"
        elif rule == Grade.GOOD:
            lines.append(f"{at_or_above} ≤ {quota}，在名额之内，保留“好”。")
    if result.vetoed:
        item = result.veto_item.name if result.veto_item else ""
        what = "；".join(
            x
            for x in (f"否决事项：{item}" if item else "", f"说明：{result.veto_reason}" if result.veto_reason else "")
            if x
        )
        lines.append(f"一票否决（{what or '未说明'}），等次定为“差”。")
        answer = "差（一票否决）"
    if result.grade_override is not None:
        lines.append(
            f"县委组织部人工调整等次为“{Grade(result.grade_override).label}”，原因：{result.override_reason or '未说明'}。"
            "人工调整在分数线、比例和一票否决之后，以调整为准。"
        )
        answer = f"{Grade(result.grade_override).label}（人工调整）"
    lines.append(f"最终等次：“{grade_label(result.grade)}”。")
    out.append(Why("grade", "等次", answer, lines, GRADE_CSS.get(result.grade, "")))

    label = bottom_label(settings.bottom_n)
    asc = result.rank_asc or 0
    if n <= settings.min_group_size:
        lines = [f"本类别 {n} 个组织，不超过 {settings.min_group_size} 个，不评{label}。"]
        answer = "不适用"
    else:
        lower = asc - 1
        lines = [
            f"本类别 {n} 个组织，超过 {settings.min_group_size} 个，评{label}。",
            f"得分严格低于本组织的有 {lower} 个，倒数第 {asc} 名（同分并列）。"
            + (
                f"少于 {settings.bottom_n} 个，属{label}。"
                if asc <= settings.bottom_n
                else f"不少于 {settings.bottom_n} 个，不属{label}。"
            ),
        ]
        answer = "是" if result.bottom else "否"
    expected = n > settings.min_group_size and asc <= settings.bottom_n
    if expected != result.bottom:
        lines.append("“三个一律”参数在本次计算后有变更，以上按现行参数说明，重新计算后生效。")
    out.append(Why("bottom", label, answer, lines, "poor" if result.bottom else ""))

    prev_year = result.year - 1
    if result.moved_up is None:
        lines = [f"{prev_year}年本组织在“{scheme.group}”没有考核结果，无从比较：记为“无”，不算“未晋位升级”。"]
    else:
        lines = [
            f"{prev_year}年第 {result.prev_rank} 名、“{grade_label(result.prev_grade)}”；"
            f"{result.year}年第 {result.rank} 名、“{grade_label(result.grade)}”。"
        ]
        if result.rank < result.prev_rank:
            lines.append(f"名次上升 {result.prev_rank - result.rank} 位，晋位升级。")
        elif result.grade < result.prev_grade:
            lines.append("等次提高，晋位升级。")
        elif result.grade == Grade.GOOD and result.prev_grade == Grade.GOOD:
            lines.append("连续保持“好”，视为晋位升级。")
        else:
            lines.append("名次没有上升，等次也没有提高，未晋位升级。")
    out.append(Why("moved_up", "晋位升级", MOVED_UP_TEXT[result.moved_up], lines))
    return out


def secretary_section(result: Result) -> Why:
    person = result.secretary
    if person is None:
        return Why(
            "secretary",
            "责任书记",
            "无",
            [f"{result.year}年12月31日没有人担任本组织书记：本年度结果不计入任何人的“三个一律”。"],
        )
    return Why(
        "secretary",
        "责任书记",
        person.name,
        [
            f"{result.year}年12月31日担任本组织书记的是 {person.name}（身份证号 {person.id_number_masked}），本年度结果计入其“三个一律”。"
        ],
    )


def trend(history: list[Result]) -> dict:
    """The chart's series (rank on an inverted axis, total) from the organization's results, oldest first."""
    return {
        "years": [str(r.year) for r in history],
        "ranks": [r.rank for r in history],
        "sizes": [r.group_size for r in history],
        "totals": [None if r.total is None else str(r.total) for r in history],
        "grades": [grade_label(r.grade) if r.grade else "" for r in history],
    }


class ResultDetailView(LoginRequiredMixin, View):
    """One organization's result: the why panel, the multi-year trend; the veto and grade forms for the county
    department while the scheme is not published (POST `form=veto` or `form=override`)."""

    template_name = "assessments/rankings/result.html"

    def context(self, result: Result, veto_form=None, override_form=None) -> dict:
        user = self.request.user
        scheme = selectors.scheme_with_parts(result.scheme)
        settings = selectors.rule_settings(scheme.county)
        may_manage = selectors.may_manage_county(user, scheme.county)
        editable = may_manage and not scheme.is_published
        scores = list(IndicatorScore.objects.filter(result=result).select_related("indicator"))
        tallies = list(AppraisalTally.objects.filter(result=result))
        history = selectors.organization_history(actor=user, organization=result.organization)
        penalties = []
        if result.secretary_id:
            from .penalties import PenaltyRow  # the penalties pages build on this module's badges

            penalties = [
                PenaltyRow(p)
                for p in selectors.penalty_list(actor=user).filter(person_id=result.secretary_id, year=result.year)
            ]
        if editable:
            veto_form = veto_form or VetoForm(
                items=scheme.veto_list,
                initial={
                    "vetoed": "1" if result.vetoed else "0",
                    "item": result.veto_item_id or "",
                    "reason": result.veto_reason,
                },
            )
            override_form = override_form or GradeOverrideForm(
                initial={"grade": result.grade_override or "", "reason": result.override_reason}
            )
        return {
            "tab": "ranking",
            "may_manage": may_manage,
            "result": result,
            "scheme": scheme,
            "banner": status_banner(scheme),
            "grade": badge(result.grade),
            "arrow": arrow(result),
            "marks": marks(result),
            "total": total_section(result, scheme, scores, scheme.indicator_list, tallies),
            "why": [*explain(result, scheme, settings), secretary_section(result)],
            "history": [
                {
                    "result": r,
                    "grade": badge(r.grade),
                    "arrow": arrow(r),
                    "total": points(r.total),
                    "moved_up": MOVED_UP_TEXT[r.moved_up] if r.rank else BLANK,
                    "current": r.pk == result.pk,
                }
                for r in reversed(history)
            ],  # fmt: skip
            "chart_data": trend(history) if any(r.rank for r in history) else None,
            "penalties": penalties,
            "bottom_label": bottom_label(settings.bottom_n),
            "editable": editable,
            "veto_form": veto_form,
            "override_form": override_form,
            "ranking_query": urlencode({"year": scheme.year, "scheme": scheme.pk}),
        }

    def get(self, request, pk):
        result = selectors.result_get_for(request.user, id_from(pk))
        return render(request, self.template_name, self.context(result))

    def post(self, request, pk):
        result = selectors.result_get_for(request.user, id_from(pk))
        if not selectors.may_manage_county(request.user, result.scheme.county):
            raise PermissionDenied(DECISIONS_REFUSED)
        which = request.POST.get("form")
        scheme = selectors.scheme_with_parts(result.scheme)
        if which == "veto":
            form = VetoForm(request.POST, items=scheme.veto_list)
            return self._decide(
                request, result, "veto_form", form, veto_set, "vetoed", ("已记录一票否决", "已撤销一票否决")
            )
        if which == "override":
            form = GradeOverrideForm(request.POST)
            done = ("已调整等次", "已撤销等次调整")
            return self._decide(request, result, "override_form", form, grade_override_set, "grade", done)
        raise Http404("未知的操作。")

    def _decide(self, request, result: Result, form_key: str, form, service, field: str, done: tuple[str, str]):
        """A veto or grade change: the service with the form's values; `done` is what the message says when `field`
        is set and when it is cleared. A refusal re-renders the page with the form (as `form_key`) and its errors."""
        if form.is_valid():
            try:
                service(actor=request.user, result=result, **form.values())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"{done[0] if form.cleaned_data[field] else done[1]}，重新计算后生效。")
                return redirect("assessments:result_detail", pk=result.pk)
        return render(request, self.template_name, self.context(result, **{form_key: form}), status=400)


class OrganizationTrendView(LoginRequiredMixin, View):
    """An organization's assessment: its latest readable result (which carries the trend)."""

    def get(self, request, org_pk):
        org = org_selectors.organization_get_for(request.user, id_from(org_pk))
        latest = selectors.result_list(actor=request.user).filter(organization=org).order_by("-year").first()
        if latest is None:
            raise Http404("该组织暂无可查看的考核结果。")
        return redirect(reverse("assessments:result_detail", args=[latest.pk]))
