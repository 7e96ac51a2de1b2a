from django import forms
from django.conf import settings

from .xlsx.registry import EXPORT_LABELS


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")
    dry_run = forms.BooleanField(label="只检查，不写入", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".xlsx"})
        self.fields["dry_run"].widget.attrs["class"] = "form-check-input"

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的 Excel 文件（旧版 .xls 请先另存为 .xlsx）。")
        limit = settings.XLSX_MAX_BYTES
        if f.size > limit:
            raise forms.ValidationError(
                f"文件过大（{f.size / 1024 / 1024:.1f} MB），上限为 {limit // 1024 // 1024} MB。"
            )
        if f.size == 0:
            raise forms.ValidationError("文件是空的。")
        return f


class ExportJobForm(forms.Form):
    """The import/export centre's background export: one registered kind, its year where it needs one."""

    kind = forms.ChoiceField(label="导出内容")
    year = forms.IntegerField(label="年度", required=False, min_value=1949, max_value=2100)
    unmasked = forms.BooleanField(label="完整显示身份证号和手机号码（记入审计日志）", required=False)

    def __init__(self, *args, kinds=(), may_unmask=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, EXPORT_LABELS.get(k, k)) for k in kinds]
        if not may_unmask:
            del self.fields["unmasked"]
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-control form-control-sm"
            if isinstance(field, forms.ChoiceField):
                css = "form-select form-select-sm"
            field.widget.attrs["class"] = css
        self.fields["year"].widget.attrs["placeholder"] = "按年度的导出必填，如 2025"
