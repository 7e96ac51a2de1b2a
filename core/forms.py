from django import forms
from django.conf import settings


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
