"""Forms of the findings pages: registering a finding, correcting one, and one step of its rectification. The rules
(deadlines, who may do which step) are the services'; these only shape the input."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from meetings.forms import MultipleFileField, MultipleFileInput

from ..choices import FindingCategory, FindingSource, FindingStep, Severity
from ..services.findings import FILES_PER_STEP

MANUAL_SOURCES = [c for c in FindingSource.choices if c[0] != FindingSource.SYSTEM]
FILES_HELP = f"照片（JPG、PNG）或 PDF，每个不超过 10 MB，最多 {FILES_PER_STEP} 个。"
DATE = {"type": "date"}


def _files_field(label: str) -> MultipleFileField:
    return MultipleFileField(
        label=label,
        required=False,
        help_text=FILES_HELP,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, (forms.HiddenInput, forms.CheckboxInput)):
            continue
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


class OrganizationChoiceField(forms.ModelChoiceField):
    """Organizations indented by their depth below the shallowest one offered."""

    def __init__(self, *args, top_depth: int = 1, **kwargs):
        self.top_depth = top_depth
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        return "　" * max(obj.depth - self.top_depth, 0) + obj.name


class FindingCreateForm(forms.Form):
    organization = OrganizationChoiceField(label="责任组织", queryset=None, empty_label="请选择组织")
    source = forms.ChoiceField(label="问题来源", choices=MANUAL_SOURCES)
    category = forms.ChoiceField(label="问题类别", choices=FindingCategory.choices)
    severity = forms.ChoiceField(label="严重程度", choices=Severity.choices, initial=Severity.MINOR)
    description = forms.CharField(label="问题描述", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    responsible = forms.CharField(label="责任人", max_length=50, required=False, help_text="不填则为该组织现任书记。")
    found_on = forms.DateField(label="发现日期", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    deadline = forms.DateField(label="整改时限", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    files = _files_field("问题佐证材料")

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        field.queryset = organizations
        first = organizations.order_by("depth").first()
        field.top_depth = first.depth if first is not None else 1
        if not self.is_bound:
            self.initial.setdefault("found_on", timezone.localdate())
        _style(self)


class FindingUpdateForm(forms.Form):
    category = forms.ChoiceField(label="问题类别", choices=FindingCategory.choices)
    severity = forms.ChoiceField(label="严重程度", choices=Severity.choices)
    description = forms.CharField(label="问题描述", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    responsible = forms.CharField(label="责任人", max_length=50, required=False)
    deadline = forms.DateField(label="整改时限", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))

    def __init__(self, *args, finding, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "category": finding.category,
                "severity": finding.severity,
                "description": finding.description,
                "responsible": finding.responsible,
                "deadline": finding.deadline,
            },
        )
        super().__init__(*args, **kwargs)
        if finding.source == FindingSource.SYSTEM:
            # A system check's category follows from the check (the service refuses a change).
            self.fields["category"].disabled = True
            self.fields["category"].help_text = "系统检查问题的类别由检查项目决定。"
        _style(self)

    def changed_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if not self.fields[name].disabled}


# The label of each step's note, and whether the step takes evidence files.
STEP_NOTE_LABELS = {
    FindingStep.START: "整改措施",
    FindingStep.REPORT: "整改完成情况",
    FindingStep.SIGN_OFF: "销号意见（可不填）",
    FindingStep.SEND_BACK: "退回原因",
    FindingStep.NOTE: "补充说明",
}
STEPS_WITH_FILES = (FindingStep.REPORT, FindingStep.NOTE)
# Several step forms share a page: each gets its own element ids.
STEP_SLUGS = {
    FindingStep.START: "start",
    FindingStep.REPORT: "report",
    FindingStep.SIGN_OFF: "signoff",
    FindingStep.SEND_BACK: "sendback",
    FindingStep.NOTE: "note",
}


class FindingStepForm(forms.Form):
    """One step: the step's name, a note (the service says which steps need one) and, for some, evidence files."""

    step = forms.ChoiceField(choices=[(s, s) for s in STEP_NOTE_LABELS], widget=forms.HiddenInput)
    note = forms.CharField(label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    files = _files_field("佐证材料")

    def __init__(self, *args, step: str | None = None, **kwargs):
        kwargs.setdefault("auto_id", f"id_{STEP_SLUGS.get(step, 'step')}_%s")
        super().__init__(*args, **kwargs)
        if step is not None:
            self.initial["step"] = step
            self.fields["note"].label = STEP_NOTE_LABELS.get(step, "说明")
            if step not in STEPS_WITH_FILES:
                del self.fields["files"]
        _style(self)
