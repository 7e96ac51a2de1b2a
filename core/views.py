"""The one page mechanism: login required, scope through selectors, filters, pagination and Excel export."""

from __future__ import annotations

import tempfile
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views import View
from django.views.generic import ListView

from .audit import ACTION_LABELS, OBJECT_TYPES, SOURCE_LABELS, audit_describe, audit_log
from .bulk import chunked
from .filtersets import AuditEventFilterSet
from .forms import ExportJobForm, ImportUploadForm
from .queue import UNAVAILABLE, job_resend
from .scope import Action, scope_paths
from .selectors import audit_event_list, job_get_for, job_list
from .services import IMPORT_KIND, export_job_submit, import_job_submit
from .xlsx.exporter import ExportRefused, export_write
from .xlsx.registry import export_kinds, sheet_importers
from .xlsx.writer import ExportTable, write_table, write_template

EXPORT_CHUNK = 2000
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
    the same layout as the command's; `export_options()` gives the export's further arguments, such as the year the
    assessment exports need) or override `export_table()`.
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

    def export_options(self) -> dict:
        """Keyword arguments of the registered export beyond the rows (each also named in the file name)."""
        return {}

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
            options = self.export_options()
            try:
                export_write(kind=self.export_kind, actor=request.user, fp=fh, queryset=queryset, **options)
            except ExportRefused as exc:
                raise PermissionDenied(str(exc)) from exc
            filename = "-".join([self.export_kind, *(str(v) for v in options.values())]) + ".xlsx"
        return xlsx_response(fh, filename)


class ActionRequiredMixin(LoginRequiredMixin):
    """Pages for one kind of work (imports, audit): a user whose roles never allow `required_action` is refused."""

    required_action = Action.VIEW

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_superuser or scope_paths(user, self.required_action)):
            raise PermissionDenied("您的角色无权使用此功能。")
        return super().dispatch(request, *args, **kwargs)


class ImportView(ActionRequiredMixin, View):
    """The import centre: upload a workbook, download templates, see recent imports."""

    required_action = Action.MANAGE
    template_name = "core/import.html"

    def context(self, form):
        return {
            "form": form,
            "sheets": sheet_importers(),
            "jobs": job_list(actor=self.request.user).filter(kind=IMPORT_KIND)[:10],
        }

    def get(self, request):
        return render(request, self.template_name, self.context(ImportUploadForm()))

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, self.context(form))
        upload = form.cleaned_data["file"]
        job = import_job_submit(
            actor=request.user, filename=upload.name, content=upload.read(), dry_run=form.cleaned_data["dry_run"]
        )
        messages.info(request, f"已提交“{upload.name}”，正在处理。")
        return redirect("core:job", pk=job.pk)


class ImportTemplateView(ActionRequiredMixin, View):
    required_action = Action.MANAGE

    def get(self, request, sheet):
        importer = next((imp for imp in sheet_importers() if imp.name == sheet), None)
        if importer is None:
            raise Http404("没有这个工作表模板。")
        fh = tempfile.SpooledTemporaryFile()
        write_template(importer, fh)
        return xlsx_response(fh, f"导入模板-{importer.name}.xlsx")


class JobView(LoginRequiredMixin, View):
    """A job's progress and outcome; the status panel polls itself with htmx until the job finishes."""

    def get(self, request, pk):
        job = job_get_for(request.user, pk)
        template = "core/job_status.html" if request.headers.get("HX-Request") else "core/job.html"
        return render(request, template, {"job": job, "result": job.result or {}})


class JobListView(ScopedListView):
    """导入导出中心: the user's jobs and their subtree's (imports, exports, computations, reports, checks) with live
    progress, the finished files to download, and a background export of any registered kind."""

    template_name = "core/jobs.html"

    def get_base_queryset(self):
        return job_list(actor=self.request.user)

    def export_form(self, data=None) -> ExportJobForm:
        user = self.request.user
        may_unmask = user.is_superuser or bool(scope_paths(user, Action.VIEW_PERSONAL))
        return ExportJobForm(data, kinds=list(export_kinds()), may_unmask=may_unmask)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.setdefault("export_form", self.export_form())
        user = self.request.user
        ctx["may_import"] = user.is_superuser or bool(scope_paths(user, Action.MANAGE))
        ctx["tab"] = "jobs"
        return ctx

    def export_table(self, queryset):
        rows = (
            [j.pk, j.kind_label, j.get_status_display(), j.progress, j.message, j.created_by.username if j.created_by else "系统",
             j.created_at, j.finished_at]
            for j in queryset.iterator(chunk_size=EXPORT_CHUNK)
        )  # fmt: skip
        headers = ["编号", "类型", "状态", "进度", "当前步骤", "提交人", "提交时间", "完成时间"]
        return ExportTable("jobs", headers, rows, "后台任务.xlsx")

    def post(self, request):
        form = self.export_form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = export_job_submit(
                    actor=request.user, kind=data["kind"], year=data.get("year"), unmasked=bool(data.get("unmasked"))
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.info(request, f"已提交“{job.kind_label}”，完成后可在本页下载。")
                return redirect("core:jobs")
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(export_form=form))


class JobResendView(LoginRequiredMixin, View):
    """重新提交: a job whose task could not reach the queue, sent again by whoever may see it."""

    def post(self, request, pk):
        job = job_get_for(request.user, pk)
        if not job.queue_unavailable:
            messages.info(request, "该任务已在队列中或已完成，无需重新提交。")
        elif job_resend(job):
            audit_log(actor=request.user, action="update", obj=job, org_path=job.org_path, note="重新提交到任务队列")
            messages.success(request, "已重新提交，任务将很快开始。")
        else:
            messages.error(request, UNAVAILABLE)
        return redirect("core:job", pk=job.pk)


class JobRowView(LoginRequiredMixin, View):
    """One row of the centre, polled with htmx until its job finishes."""

    def get(self, request, pk):
        return render(request, "core/_job_row.html", {"job": job_get_for(request.user, pk)})


class JobDownloadView(LoginRequiredMixin, View):
    """A finished export's file. An unmasked one goes only to its submitter: the disclosure was audited as theirs."""

    def get(self, request, pk):
        job = job_get_for(request.user, pk)
        if not job.output_file or job.status != job.Status.SUCCEEDED:
            raise Http404("该任务没有可下载的文件。")
        if job.params.get("unmasked") and job.created_by_id != request.user.pk:
            raise PermissionDenied("未脱敏的导出文件只能由提交人下载。")
        return xlsx_response(job.output_file.open("rb"), (job.result or {}).get("filename") or f"export-{job.pk}.xlsx")


class JobProblemsView(LoginRequiredMixin, View):
    """The problems of a failed import as a workbook, so the clerk can fix the file row by row."""

    def get(self, request, pk):
        job = job_get_for(request.user, pk)
        problems = (job.result or {}).get("problems", [])
        rows = ([p["sheet"], p["row"], p["column"], p["reason"]] for p in problems)
        fh = tempfile.SpooledTemporaryFile()
        write_table(ExportTable("错误报告", ["工作表", "行号", "列", "问题"], rows), fh)
        return xlsx_response(fh, f"导入错误报告-{job.pk}.xlsx")


class AuditListView(ActionRequiredMixin, ScopedListView):
    required_action = Action.MANAGE_ACCOUNTS
    template_name = "core/audit_list.html"
    filterset_class = AuditEventFilterSet

    def get_base_queryset(self):
        return audit_event_list(actor=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object_list"] = audit_describe(ctx["object_list"])
        ctx["action_labels"] = ACTION_LABELS
        ctx["object_types"] = OBJECT_TYPES
        return ctx

    def export_table(self, queryset):
        def rows():
            # Described a chunk at a time: the names of a chunk's foreign keys come in one query per related model.
            for chunk in chunked(queryset.iterator(chunk_size=EXPORT_CHUNK), EXPORT_CHUNK):
                for e in audit_describe(chunk):
                    yield [
                        e.at,
                        e.actor_name,
                        SOURCE_LABELS.get(e.source, e.source),
                        e.ip,
                        ACTION_LABELS.get(e.action, e.action),
                        OBJECT_TYPES.get(e.object_type, e.object_type),
                        e.object_id,
                        e.object_repr,
                        e.before_text,
                        e.after_text,
                        e.note,
                    ]

        headers = ["时间", "操作人", "来源", "地址", "操作", "对象类型", "对象编号", "对象", "变更前", "变更后", "说明"]
        return ExportTable("audit", headers, rows(), "audit.xlsx")


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; answer with our own icon (resolved at request time)."""
    return redirect(static("favicon.svg"), permanent=True)
