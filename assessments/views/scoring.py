"""The scoring sheet (评分表): one row per organization the user may score (INSPECT; an inspector's grant is their
assignment), one column per indicator — an input per manual cell, computed ones read-only with their basis — the
duty-report appraisal votes when the scheme weighs them, and the row's totals. Each cell is a small form that htmx
posts on its own (score_set / score_clear / appraisal_set); the answer is the cell again (with the service's Chinese
error and what was typed, when refused) and the row's new totals out of band, re-read after refresh_totals.

Read-only users see the rows they may read (a leader: published schemes only), without inputs. Evidence files are
listed and uploaded per score in a panel and served only through the result's scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views import View

from core.attachments import file_response
from core.exceptions import NotInScope, id_from
from core.scope import Action, in_scope, subtree_range_q
from organizations.models import Organization

from .. import selectors
from ..choices import IndicatorMethod, Side
from ..forms.scoring import FILES_HELP, AppraisalForm, ScoreForm
from ..models import AppraisalTally, Indicator, IndicatorScore, Result, Scheme, ScoreEvidence
from ..services import scoring as services
from ..services.scoring import EVIDENCE_LIMIT
from .rankings import num

SIDES = [(Side.UPPER, "上级评议"), (Side.LOWER, "下级评议")]
VOTE_FIELDS = [("good", "好"), ("fair", "较好"), ("average", "一般"), ("poor", "差")]


def hundredths(value) -> str:
    return "" if value is None else str(int(Decimal(value) * 100))


@dataclass
class Cell:
    """One indicator of one row: the saved score (if any), what the input shows, and the state of the last save."""

    result: Result
    indicator: Indicator
    score: IndicatorScore | None
    editable: bool
    value: str = ""
    note: str = ""
    errors: list[str] = field(default_factory=list)
    saved: bool = False
    n_evidence: int = 0

    @property
    def dom_id(self) -> str:
        return f"cell-{self.result.pk}-{self.indicator.pk}"

    @property
    def points_h(self) -> str:
        return hundredths(self.score.score) if self.score else ""

    @property
    def deducted(self) -> bool:
        try:
            return Decimal(self.value) < self.indicator.max_points
        except (ArithmeticError, ValueError):
            return False

    @property
    def manual(self) -> bool:
        return self.indicator.method == IndicatorMethod.MANUAL


@dataclass
class VoteCell:
    result: Result
    side: str
    label: str
    tally: AppraisalTally | None
    editable: bool
    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    saved: bool = False

    @property
    def dom_id(self) -> str:
        return f"votes-{self.result.pk}-{self.side}"

    def inputs(self):
        return [(name, label, self.values.get(name, "")) for name, label in VOTE_FIELDS]


def _cell(result, indicator, score, editable, n_evidence=0) -> Cell:
    return Cell(
        result=result,
        indicator=indicator,
        score=score,
        editable=editable and indicator.method == IndicatorMethod.MANUAL,
        value=num(score.score) if score else "",
        note=score.note if score else "",
        n_evidence=n_evidence,
    )


def _vote_cell(result, side, label, tally, editable) -> VoteCell:
    values = {name: str(getattr(tally, name)) for name, _ in VOTE_FIELDS} if tally else {}
    return VoteCell(result=result, side=side, label=label, tally=tally, editable=editable, values=values)


def _row_data(result: Result) -> None:
    """What the page's script needs to show a provisional total while a score is typed (all in hundredths)."""
    result.js_total = hundredths(result.total)
    result.js_appraisal = hundredths(result.appraisal_score)
    result.js_imported = hundredths(result.imported_total)


def _may_score(user, scheme: Scheme, result: Result) -> bool:
    return not scheme.is_published and in_scope(user, Action.INSPECT, result.organization.path)


class ScoringView(LoginRequiredMixin, View):
    template_name = "assessments/scoring/sheet.html"

    def get(self, request, pk):
        user = request.user
        scheme = selectors.scheme_with_parts(selectors.scheme_get_for(user, id_from(pk)))
        indicators = scheme.indicator_list
        scoring = selectors.result_list(actor=user, action=Action.INSPECT).filter(scheme=scheme)
        may_score = scoring.exists()
        base = scoring if may_score else selectors.result_list(actor=user).filter(scheme=scheme)
        editable = may_score and not scheme.is_published

        townships = self.townships(scheme, base)
        township = None
        if request.GET.get("township", "").isdigit():
            township = next((t for t in townships if t.pk == int(request.GET["township"])), None)
        incomplete = request.GET.get("incomplete") == "1"
        rows_qs = base
        if township is not None:
            rows_qs = rows_qs.filter(subtree_range_q("organization__path", township.path))
        if incomplete:
            rows_qs = rows_qs.filter(total__isnull=True)
        rows = list(rows_qs.order_by("organization__path"))
        ids = [r.pk for r in rows]
        scores = {
            (s.result_id, s.indicator_id): s
            for s in IndicatorScore.objects.filter(result_id__in=ids).annotate(n_evidence=Count("evidence"))
        }
        tallies = {(a.result_id, a.side): a for a in AppraisalTally.objects.filter(result_id__in=ids)}
        for row in rows:
            _row_data(row)
            row.cells = [
                _cell(
                    row, i, scores.get((row.pk, i.pk)), editable, getattr(scores.get((row.pk, i.pk)), "n_evidence", 0)
                )
                for i in indicators
            ]
            if scheme.appraisal_weight:
                row.vote_cells = [_vote_cell(row, s, label, tallies.get((row.pk, s)), editable) for s, label in SIDES]
        counts = base.aggregate(n=Count("id"), done=Count("total"))
        ctx = {
            "tab": "schemes",
            "may_manage": selectors.may_manage_county(user, scheme.county),
            "scheme": scheme,
            "indicators": indicators,
            "rows": rows,
            "editable": editable,
            "may_score": may_score,
            "sees_drafts": selectors.sees_drafts(user, scheme.county),
            "townships": townships,
            "township": township,
            "incomplete": incomplete,
            "n_all": counts["n"],
            "n_done": counts["done"],
            "n_left": counts["n"] - counts["done"],
            "sides": SIDES,
            "vote_fields": VOTE_FIELDS,
            "files_help": FILES_HELP,
            "indicator_share": 100 - scheme.appraisal_weight,
        }
        return render(request, self.template_name, ctx)

    @staticmethod
    def townships(scheme: Scheme, base) -> list[Organization]:
        """The county's townships (the level below the county) holding any of the rows."""
        width = len(scheme.county.path) + Organization.steplen
        prefixes = {p[:width] for p in base.values_list("organization__path", flat=True) if len(p) >= width}
        return list(Organization.objects.filter(path__in=prefixes).order_by("path"))


def _context_for(scheme: Scheme, result: Result) -> dict:
    return {"scheme": scheme, "row": result, "sides": SIDES, "vote_fields": VOTE_FIELDS}


def _answer(request, scheme, result: Result, parts: list[tuple[str, dict]]) -> HttpResponse:
    """The pieces of the sheet that changed: the first in place, the rest (hx-swap-oob) by their ids; then the
    row's totals, re-read from the database. The out-of-band pieces go inside <template>: table cells after a
    <div> (the evidence panel) would otherwise be dropped by the HTML parser before htmx sees them."""
    result = Result.objects.select_related("organization").get(pk=result.pk)
    _row_data(result)
    base = _context_for(scheme, result)
    (first, first_ctx), rest = parts[0], parts[1:]
    html = [render_to_string(first, {**base, **first_ctx}, request)]
    oob = [render_to_string(template, {**base, **ctx}, request) for template, ctx in rest]
    for template in ("assessments/scoring/_totals.html", "assessments/scoring/_mini_total.html"):
        oob.append(render_to_string(template, {**base, "oob": True}))
    html.append("<template>" + "".join(oob) + "</template>")
    return HttpResponse("".join(html))


class _CellView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def target(self, request, pk, result_id):
        """The scheme and the result the cell writes: 404 unless the result is the scheme's and the user may score
        it (a leader, or an inspector outside their assignment, finds nothing)."""
        scheme = selectors.scheme_get_for(request.user, id_from(pk))
        result = (
            selectors.result_list(actor=request.user, action=Action.INSPECT).filter(pk=result_id, scheme=scheme).first()
        )
        if result is None:
            raise NotInScope()
        return scheme, result

    def done(self, request, scheme, parts, result, *, ok: bool, errors: list[str], success: str):
        if request.headers.get("HX-Request"):
            return _answer(request, scheme, result, parts)
        for message in errors:
            messages.error(request, message)
        if ok:
            messages.success(request, success)
        return redirect(reverse("assessments:scoring", args=[scheme.pk]))


def _messages(exc: ValidationError) -> list[str]:
    return list(exc.messages)


class ScoreSaveView(_CellView):
    """One manual indicator of one organization: save the points (with the 扣分说明, and files), or clear it."""

    def post(self, request, pk):
        form = ScoreForm(request.POST, request.FILES)
        if not form.is_valid():
            return HttpResponseBadRequest("请求不完整。")
        data = form.cleaned_data
        scheme, result = self.target(request, pk, data["result"])
        indicator = Indicator.objects.filter(pk=data["indicator"], scheme=scheme).first()
        if indicator is None:
            raise NotInScope()
        files = data.get("files") or []
        score_text = (data["score"] or "").strip()
        errors: list[str] = []
        try:
            if not score_text and not files:
                services.score_clear(actor=request.user, result=result, indicator=indicator)
            else:
                services.score_set(
                    actor=request.user,
                    result=result,
                    indicator=indicator,
                    score=score_text,
                    note=data["note"],
                    files=files,
                )
        except ValidationError as exc:
            errors = _messages(exc)
        scheme.refresh_from_db()
        row = IndicatorScore.objects.filter(result=result, indicator=indicator).annotate(n=Count("evidence")).first()
        cell = _cell(result, indicator, row, _may_score(request.user, scheme, result), row.n if row else 0)
        from_panel = data["panel"] == "evidence"
        if not errors:
            cell.saved = True
        elif not from_panel:  # keep what they typed (from the panel, the panel says what was wrong with the files)
            cell.value, cell.note, cell.errors = score_text, data["note"], errors
        parts = [("assessments/scoring/_cell.html", {"cell": cell, "oob": from_panel})]
        if from_panel:
            panel = _evidence_context(request.user, scheme, result, indicator, errors=errors)
            parts.insert(0, ("assessments/scoring/_evidence.html", panel))
        success = f"{result.organization.name}“{indicator.name}”已保存。" if score_text else "已清除得分。"
        return self.done(request, scheme, parts, result, ok=not errors, errors=errors, success=success)


class AppraisalSaveView(_CellView):
    """One side's votes of one organization's duty-report appraisal."""

    def post(self, request, pk):
        form = AppraisalForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest("请求不完整。")
        data = form.cleaned_data
        scheme, result = self.target(request, pk, data["result"])
        votes = {name: (data[name] or "").strip() for name in AppraisalForm.VOTES}
        errors: list[str] = []
        try:
            services.appraisal_set(actor=request.user, result=result, side=data["side"], **votes)
        except ValidationError as exc:
            errors = _messages(exc)
        scheme.refresh_from_db()
        tally = AppraisalTally.objects.filter(result=result, side=data["side"]).first()
        label = dict(SIDES)[data["side"]]
        cell = _vote_cell(result, data["side"], label, tally, _may_score(request.user, scheme, result))
        if errors:
            cell.values, cell.errors = votes, errors
        else:
            cell.saved = True
        parts = [("assessments/scoring/_votes.html", {"vc": cell})]
        success = f"{result.organization.name}{label}票数已保存。"
        return self.done(request, scheme, parts, result, ok=not errors, errors=errors, success=success)


def _evidence_context(user, scheme, result, indicator, *, errors=()) -> dict:
    score = IndicatorScore.objects.filter(result=result, indicator=indicator).first()
    files = list(ScoreEvidence.objects.filter(score=score).order_by("uploaded_at", "id")) if score else []
    may_upload = indicator.method == IndicatorMethod.MANUAL and score is not None and _may_score(user, scheme, result)
    return {
        "scheme": scheme,
        "result": result,
        "indicator": indicator,
        "score": score,
        "files": files,
        "may_upload": may_upload and len(files) < EVIDENCE_LIMIT,
        "may_score": _may_score(user, scheme, result),
        "errors": list(errors),
        "files_help": FILES_HELP,
        "limit": EVIDENCE_LIMIT,
        "score_value": num(score.score) if score else "",
    }


class ScoreEvidenceView(LoginRequiredMixin, View):
    """The evidence panel of one score: its files (download links) and, for those who may score, an upload."""

    def get(self, request, pk):
        scheme = selectors.scheme_get_for(request.user, id_from(pk))
        result = (
            selectors.result_list(actor=request.user)
            .filter(pk=id_from(request.GET.get("result")), scheme=scheme)
            .select_related("organization")
            .first()
        )
        indicator = Indicator.objects.filter(pk=id_from(request.GET.get("indicator")), scheme=scheme).first()
        if result is None or indicator is None:
            raise NotInScope()
        ctx = _evidence_context(request.user, scheme, result, indicator)
        return render(request, "assessments/scoring/_evidence.html", ctx)


class ScoreFileView(LoginRequiredMixin, View):
    """A score's evidence file, to those who may read its result only."""

    def get(self, request, pk):
        readable = selectors.result_list(actor=request.user).values("pk")
        row = ScoreEvidence.objects.filter(pk=id_from(pk), score__result__in=readable).first()
        return file_response(row, download=bool(request.GET.get("download")))
