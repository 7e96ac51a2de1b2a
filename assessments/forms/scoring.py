"""Forms of the scoring sheet: one cell (an indicator's points, the 扣分说明, evidence files) and one side's
appraisal votes. The cells are small forms posted by htmx; points and counts stay text for the services to parse,
so the Chinese message names what is wrong."""

from __future__ import annotations

from django import forms

from meetings.forms import MultipleFileField, MultipleFileInput

from ..choices import Side
from ..services.scoring import EVIDENCE_LIMIT

FILES_HELP = f"照片（JPG、PNG）或 PDF，每个不超过 10 MB，每项得分最多 {EVIDENCE_LIMIT} 个。"


class ScoreForm(forms.Form):
    result = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    indicator = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    score = forms.CharField(label="得分", required=False, max_length=20)
    note = forms.CharField(label="扣分说明", required=False, max_length=2000)
    files = MultipleFileField(
        label="佐证材料",
        required=False,
        help_text=FILES_HELP,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )
    # Which piece of the page asked: the cell itself, or the evidence panel (its answer is the panel).
    panel = forms.CharField(required=False, widget=forms.HiddenInput)


class AppraisalForm(forms.Form):
    result = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    side = forms.ChoiceField(choices=Side.choices, widget=forms.HiddenInput)
    good = forms.CharField(label="好", required=False, max_length=7)
    fair = forms.CharField(label="较好", required=False, max_length=7)
    average = forms.CharField(label="一般", required=False, max_length=7)
    poor = forms.CharField(label="差", required=False, max_length=7)

    VOTES = ("good", "fair", "average", "poor")
