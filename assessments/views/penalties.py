"""三个一律: a year's penalties per person with the county's rule parameters above them and each penalty's evidence
year by year (organization, group, rank among n, grade, score, moved up, bottom three), filtered by rule, with the
`penalties` export (`?export=xlsx`, IDs masked); one penalty's full why page; the rule parameters page (a form for
the county department, read-only for everyone else). Every read goes through the selectors: read-only users see a
year's penalties only once all its schemes are published."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from core.exceptions import id_from
from core.scope import subtree_range_q
from core.views import ScopedListView, apply_service_errors
from organizations.models import Organization
from organizations.selectors import organization_get_for

from .. import selectors
from ..choices import CONSEQUENCES, YEAR_WORDS, Grade, Rule, SchemeStatus, rule_label
from ..forms.rules import RuleSettingsForm
from ..models import Penalty, RuleSettings
from ..services.schemes import rule_settings_update
from .rankings import GRADE_CSS, MOVED_UP_TEXT, bottom_label

BLANK = "—"
RULES_REFUSED = "只有县委组织部可以修改“三个一律”参数。"
# The consequence as a sentence, for the year it applies in (or "次" for "the next year").
SENTENCES = {
    Rule.FAILED: "{year}年度内一律不得提拔重用",
    Rule.NOT_MOVED_UP: "{year}年一律不得评先评优",
    Rule.BOTTOM: "{year}年一律调整岗位或降职",
}
RULE_NUMBERS = {Rule.FAILED: "一", Rule.NOT_MOVED_UP: "二", Rule.BOTTOM: "三"}


def consequence_sentence(rule: int, year: int | None = None) -> str:
    return SENTENCES[Rule(rule)].format(year=year if year else "次")


def evidence_rows(penalty: Penalty) -> list[dict]:
    """The penalty's evidence, newest year first, as the pages show it."""
    out = []
    for e in sorted(penalty.evidence, key=lambda e: (-e["year"], e.get("code") or "")):
        grade = e.get("grade")
        out.append(
            {
                **e,
                "grade_label": Grade(grade).label if grade in Grade.values else BLANK,
                "grade_css": GRADE_CSS.get(grade, "none"),
                "moved_up_text": MOVED_UP_TEXT[e.get("moved_up")],
                "bottom_text": "是" if e.get("bottom") else "否",
                "prev_grade_label": Grade(e["prev_grade"]).label if e.get("prev_grade") in Grade.values else None,
                "url": reverse("assessments:result_detail", args=[e["result"]]) if e.get("result") else None,
            }
        )
    return out


def condition_text(penalty: Penalty, settings: RuleSettings) -> str:
    """The rule's condition in plain words, with the years it looked at."""
    y, n = penalty.year, penalty.years
    span = f"{y - n + 1}—{y}年" if n > 1 else f"{y}年"
    if penalty.rule == Rule.FAILED:
        return f"{y}年度任书记的组织考核等次为“差”（不合格）。"
    if penalty.rule == Rule.NOT_MOVED_UP:
        return f"{span}连续{YEAR_WORDS.get(n, n)}年，所任书记的组织均未晋位升级（上年无结果的年份不计，中断连续）。"
    return (
        f"{span}连续{YEAR_WORDS.get(n, n)}年，所任书记的组织均为{bottom_label(settings.bottom_n)}"
        f"（组织数超过 {settings.min_group_size} 个的考核类别才评）。"
    )


@dataclass
class PenaltyRow:
    penalty: Penalty
    label: str = ""
    consequence: str = ""
    sentence: str = ""
    evidence: list = field(default_factory=list)

    def __post_init__(self):
        p = self.penalty
        self.label = rule_label(p.rule, p.years)
        self.consequence = CONSEQUENCES[Rule(p.rule)]
        self.sentence = consequence_sentence(p.rule, p.year + 1)
        self.evidence = evidence_rows(p)


def settings_panel(county: Organization) -> dict:
    """The county's parameters of the three rules, as the penalties page and the rules page show them."""
    s = selectors.rule_settings(county)
    label = bottom_label(s.bottom_n)
    panel = {
        "county": county,
        "settings": s,
        "rules": [
            {
                "rule": Rule.FAILED,
                "label": rule_label(Rule.FAILED, 1),
                "on": s.failed_on,
                "condition": "当年考核等次为“差”",
            },
            {
                "rule": Rule.NOT_MOVED_UP,
                "label": rule_label(Rule.NOT_MOVED_UP, s.not_moved_up_years),
                "on": s.not_moved_up_on,
                "condition": f"连续 {s.not_moved_up_years} 年未晋位升级，上年无结果的年份中断连续",
            },
            {
                "rule": Rule.BOTTOM,
                "label": rule_label(Rule.BOTTOM, s.bottom_years),
                "on": s.bottom_on,
                "condition": f"连续 {s.bottom_years} 年{label}",
            },
        ],  # fmt: skip
        "bottom_text": f"{label}：倒数 {s.bottom_n} 名（得分严格低于本组织的少于 {s.bottom_n} 个）",
        "min_text": f"考核类别组织数不超过 {s.min_group_size} 个的不评{label}",
        "saved": s.pk is not None,
    }
    for rule in panel["rules"]:
        rule["number"] = RULE_NUMBERS[rule["rule"]]
        rule["sentence"] = consequence_sentence(rule["rule"])
    return panel


def year_from(request, years: list[int]) -> int | None:
    value = request.GET.get("year", "")
    if value.isdigit() and int(value) in years:
        return int(value)
    return years[0] if years else None


class PenaltyListView(ScopedListView):
    """`?year=` (default the latest assessment year), `?rule=1|2|3`, `?organization=<id>` (the penalties of its
    subtree's organizations: a dashboard's drill-down), `?export=xlsx` (the `penalties` export of what the filters
    show)."""

    template_name = "assessments/penalties/list.html"
    paginate_by = 50
    export_kind = "penalties"

    def years(self) -> list[int]:
        if not hasattr(self, "_years"):
            user = self.request.user
            found = set(selectors.penalty_list(actor=user).order_by().values_list("year", flat=True).distinct())
            found |= {s.year for s in selectors.readable_schemes(actor=user)}
            self._years = sorted(found, reverse=True)
        return self._years

    def rule(self) -> int | None:
        value = self.request.GET.get("rule", "")
        return int(value) if value.isdigit() and int(value) in Rule.values else None

    def get_base_queryset(self):
        year = year_from(self.request, self.years())
        qs = selectors.penalty_list(actor=self.request.user)
        qs = qs.filter(year=year) if year else qs.none()
        if self.rule():
            qs = qs.filter(rule=self.rule())
        if self.request.GET.get("organization"):
            org = organization_get_for(self.request.user, id_from(self.request.GET["organization"]))
            qs = qs.filter(subtree_range_q("organization__path", org.path))
        return qs.order_by("person__name", "rule", "pk")

    def export_options(self) -> dict:
        year = year_from(self.request, self.years())
        if year is None:
            raise Http404("暂无可导出的处理记录。")
        return {"year": year}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        year = year_from(self.request, self.years())
        counties = selectors.counties_for(user)
        unpublished = 0
        drafts = any(selectors.sees_drafts(user, c) for c in counties)
        if year:
            unpublished = (
                selectors.scheme_list(actor=user).filter(year=year).exclude(status=SchemeStatus.PUBLISHED).count()
            )
        rules_query = {"year": year} if year else {}
        if self.request.GET.get("organization"):
            rules_query["organization"] = self.request.GET["organization"]
        counts = dict(
            selectors.penalty_list(actor=user).filter(year=year).order_by().values_list("rule").annotate(n=Count("pk"))
        )
        ctx.update(
            {
                "tab": "penalties",
                "may_manage": any(selectors.may_manage_county(user, c) for c in counties),
                "year": year,
                "years": self.years(),
                "rule": self.rule(),
                "rule_choices": [
                    {
                        "value": r.value,
                        "label": r.label,
                        "count": counts.get(r.value, 0),
                        "query": urlencode({**rules_query, "rule": r.value}),
                    }
                    for r in Rule
                ],
                "all_count": sum(counts.values()),
                "all_rules_query": urlencode(rules_query),
                "rows": [PenaltyRow(p) for p in ctx["object_list"]],
                "panels": [settings_panel(c) for c in counties],
                "unpublished": unpublished,
                "sees_drafts": drafts,
                "consequence_year": year + 1 if year else None,
            }
        )
        return ctx


class PenaltyDetailView(LoginRequiredMixin, View):
    """One penalty: who, which rule and consequence (in the year after), the condition, and each year's evidence."""

    template_name = "assessments/penalties/detail.html"

    def get(self, request, pk):
        user = request.user
        penalty = selectors.penalty_get_for(user, id_from(pk))
        settings = selectors.rule_settings(penalty.county)
        others = [
            PenaltyRow(p)
            for p in selectors.penalty_list(actor=user).filter(person=penalty.person).exclude(pk=penalty.pk)
        ]
        ctx = {
            "tab": "penalties",
            "may_manage": selectors.may_manage_county(user, penalty.county),
            "row": PenaltyRow(penalty),
            "penalty": penalty,
            "condition": condition_text(penalty, settings),
            "panel": settings_panel(penalty.county),
            "others": others,
            "list_query": urlencode({"year": penalty.year}),
        }
        return render(request, self.template_name, ctx)


class RuleSettingsView(LoginRequiredMixin, View):
    """三个一律参数 of a county (`?county=` where the user reads several): the county department changes them; they take
    effect at the next computation."""

    template_name = "assessments/penalties/rules.html"

    def county(self, request) -> Organization:
        counties = selectors.counties_for(request.user)
        if not counties:
            raise Http404("您的账号没有可查看的县。")
        raw = request.GET.get("county") or request.POST.get("county")
        if raw:
            pk = id_from(raw)
            found = next((c for c in counties if c.pk == pk), None)
            if found is None:
                raise Http404("未找到该县，或您无权访问。")
            return found
        return counties[0]

    def context(self, request, county: Organization, form=None) -> dict:
        user = request.user
        may_manage = selectors.may_manage_county(user, county)
        settings = selectors.rule_settings(county)
        if may_manage and form is None:
            form = RuleSettingsForm(settings=settings)
        return {
            "tab": "rules",
            "may_manage": may_manage,
            "county": county,
            "counties": selectors.counties_for(user),
            "panel": settings_panel(county),
            "form": form if may_manage else None,
        }

    def get(self, request):
        county = self.county(request)
        return render(request, self.template_name, self.context(request, county))

    def post(self, request):
        county = self.county(request)
        if not selectors.may_manage_county(request.user, county):
            raise PermissionDenied(RULES_REFUSED)
        form = RuleSettingsForm(request.POST)
        if form.is_valid():
            try:
                rule_settings_update(actor=request.user, county=county, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "已保存“三个一律”参数，下次计算时生效：请重新计算有关年度。")
                return redirect(f"{reverse('assessments:rule_settings')}?{urlencode({'county': county.pk})}")
        return render(request, self.template_name, self.context(request, county, form), status=400)
