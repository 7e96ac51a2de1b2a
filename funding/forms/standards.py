"""Forms of the standards pages: a standard to add or change (the rules are services.config's) and the filters of
the page of organizations below a standard."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from core.scope import Action
from organizations import selectors as org_selectors
from organizations.choices import Domain, OrgKind
from organizations.models import Organization

from ..choices import StandardBasis
from ..models import FundCategory, FundStandard
from .config import amount_field, money_text, number_field, style

ANY = [("", "不限")]


def org_choices(user) -> list[tuple[int, str]]:
    """The organizations the user sees at the top (the scope roots) and the level below them (townships and
    working committees, for county staff)."""
    roots = list(org_selectors.scope_roots(actor=user).order_by("code"))
    children = org_selectors.organization_list(actor=user, action=Action.VIEW).filter(parent__in=roots).order_by("code")
    by_parent: dict[int, list] = {}
    for child in children:
        by_parent.setdefault(child.parent_id, []).append(child)
    choices = []
    for root in roots:
        choices.append((root.pk, root.name))
        choices.extend((c.pk, f"　{c.name}") for c in by_parent.get(root.pk, []))
    return choices


def year_choices(today=None, *, back: int = 6, ahead: int = 1) -> list[tuple[int, str]]:
    year = (today or timezone.localdate()).year
    return [(y, f"{y}年") for y in range(year + ahead, year - back - 1, -1)]


class StandardForm(forms.Form):
    name = forms.CharField(label="标准名称", max_length=100)
    category = forms.ModelChoiceField(label="经费类别", queryset=FundCategory.objects.none(), empty_label="请选择")
    basis = forms.ChoiceField(label="标准依据", choices=StandardBasis.choices)
    amount = amount_field("最低金额（元）", required=False, help_text="按固定金额时填写：每年不少于多少元。")
    multiple = forms.CharField(
        label="收入倍数",
        max_length=10,
        required=False,
        help_text="按收入倍数时填写：不低于当年农村居民人均可支配收入的几倍，如 2.5。",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "如 2.5"}),
    )
    domain = forms.ChoiceField(label="所属领域", choices=ANY + list(Domain.choices), required=False)
    kind = forms.ChoiceField(label="组织类型", choices=ANY + list(OrgKind.choices), required=False)
    assessment_group = forms.ChoiceField(
        label="考核类别", required=False, help_text="如“村（社区）党组织”：只算村级党组织本身，不算村党总支下设的支部。"
    )
    members_min = number_field("党员人数不少于", required=False, help_text="空 = 不限；含本数。")
    members_max = number_field("党员人数不多于", required=False, help_text="空 = 不限；含本数。")
    year_from = number_field("起始年度", placeholder="如 2025")
    year_to = number_field("截止年度", required=False, help_text="空 = 长期有效。")
    active = forms.BooleanField(label="启用", required=False, initial=True)
    note = forms.CharField(label="文件依据", max_length=200, required=False, help_text="如：县委办〔2025〕3号。")

    def __init__(self, *args, standard: FundStandard | None = None, **kwargs):
        if standard is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": standard.name,
                "category": standard.category_id,
                "basis": standard.basis,
                "amount": money_text(standard.amount),
                "multiple": "" if standard.multiple is None else f"{standard.multiple.normalize():f}",
                "domain": standard.domain,
                "kind": standard.kind,
                "assessment_group": standard.assessment_group,
                "members_min": "" if standard.members_min is None else standard.members_min,
                "members_max": "" if standard.members_max is None else standard.members_max,
                "year_from": standard.year_from,
                "year_to": standard.year_to or "",
                "active": standard.active,
                "note": standard.note,
            }
        super().__init__(*args, **kwargs)
        categories = FundCategory.objects.filter(active=True)
        if standard is not None:  # a standard keeps its category even once the category is retired
            categories = FundCategory.objects.filter(active=True) | FundCategory.objects.filter(pk=standard.category_id)
        self.fields["category"].queryset = categories.order_by("order", "id")
        groups = set(
            Organization.objects.exclude(assessment_group="").values_list("assessment_group", flat=True).distinct()
        )
        if standard is not None and standard.assessment_group:
            groups.add(standard.assessment_group)
        self.fields["assessment_group"].choices = ANY + [(g, g) for g in sorted(groups)]
        if standard is None:
            del self.fields["active"]
            self.initial.setdefault("year_from", timezone.localdate().year)
        style(self)

    def values(self) -> dict:
        """What the service takes: blanks as None, the value of the other basis dropped."""
        data = dict(self.cleaned_data)
        for name in ("amount", "multiple", "members_min", "members_max", "year_to"):
            data[name] = data.get(name) or None
        if data.get("basis") == StandardBasis.FIXED:
            data["multiple"] = None
        elif data.get("basis") == StandardBasis.INCOME_MULTIPLE:
            data["amount"] = None
        return data


class StandardFilterForm(forms.Form):
    """The page's filters: the subtree, the year, one standard, the rows shown."""

    org = forms.TypedChoiceField(label="组织（含下级）", coerce=int, required=False, empty_value=None)
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False, empty_value=None)
    standard = forms.TypedChoiceField(label="保障标准", coerce=int, required=False, empty_value=None)
    view = forms.ChoiceField(
        label="显示", required=False, choices=[("", "低于标准的组织"), ("all", "标准覆盖的全部组织")]
    )

    def __init__(self, *args, user, selected=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = org_choices(user)
        if selected is not None and selected.pk not in {pk for pk, _ in choices}:
            choices.append((selected.pk, selected.name))  # an organization further down, reached by a link
        self.fields["org"].choices = choices
        self.fields["year"].choices = year_choices()
        self.fields["standard"].choices = [("", "全部标准")] + [
            (s.pk, s.name) for s in FundStandard.objects.order_by("category__order", "id")
        ]
        style(self, small=True)
