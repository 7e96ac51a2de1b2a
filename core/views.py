"""The one page mechanism: login required, scope through selectors, filters, pagination and Excel export."""

from __future__ import annotations

import tempfile
from urllib.parse import quote

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.views.generic import ListView

from .xlsx.exporter import ExportRefused, export_write
from .xlsx.writer import ExportTable, write_table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(fh, filename: str) -> FileResponse:
    fh.seek(0)
    response = FileResponse(fh, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def apply_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, on the field it names where the form has that field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ScopedListView(LoginRequiredMixin, ListView):
    """A list page: rows come from a selector that takes the actor; `?export=xlsx` downloads what the filters show.

    Subclasses implement `get_base_queryset()` (a selector call) and set either `export_kind` (a registered export,
    the same layout as the command's) or override `export_table()`.
    """

    paginate_by = 50
    filterset_class = None
    export_kind: str | None = None
    export_filename = "export.xlsx"

    def get_base_queryset(self):  # pragma: no cover - interface
        raise NotImplementedError

    def get_queryset(self):
        qs = self.get_base_queryset()
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(self.request.GET or None, queryset=qs, request=self.request)
            qs = self.filterset.qs if self.filterset.is_bound else qs
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filterset"] = getattr(self, "filterset", None)
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx["query_without_page"] = query.urlencode()
        export_query = query.copy()
        export_query["export"] = "xlsx"
        ctx["export_query"] = export_query.urlencode()
        return ctx

    def export_table(self, queryset) -> ExportTable | None:
        return None

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return self.export(request)
        return super().get(request, *args, **kwargs)

    def export(self, request):
        queryset = self.get_queryset()
        fh = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        table = self.export_table(queryset)
        if table is not None:
            write_table(table, fh)
            filename = table.filename or self.export_filename
        else:
            try:
                export_write(kind=self.export_kind, actor=request.user, fp=fh, queryset=queryset)
            except ExportRefused as exc:
                raise PermissionDenied(str(exc)) from exc
            filename = f"{self.export_kind}.xlsx"
        return xlsx_response(fh, filename)
