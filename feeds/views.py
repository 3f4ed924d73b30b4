from django.contrib import messages
from django.http import HttpResponseRedirect
from django.views.generic.base import TemplateResponseMixin

from core.errors import ValidationFailed
from core.permissions import Permission
from core.views import ClinicView
from feeds.models import ImportJob, Source


class SourcesView(TemplateResponseMixin, ClinicView):
    """Each source's health: last success, last error, failures in a row."""

    template_name = "feeds/sources.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            {"clinic": self.clinic, "sources": Source.objects.order_by("name", "pk")}
        )


class ImportsView(TemplateResponseMixin, ClinicView):
    """Upload a CSV and watch it import."""

    template_name = "feeds/imports.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "jobs": ImportJob.objects.order_by("-created_at")[:20],
                "can_write": self.access.can(Permission.WRITE),
            }
        )


class ImportUploadView(ClinicView):
    """The upload form's target: stores the file, queues the import, back to the list."""

    def post(self, request, *args, **kwargs):
        from feeds.services import csv_text, import_job_create

        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a CSV file.")
        else:
            try:
                job = import_job_create(
                    filename=upload.name,
                    text=csv_text(upload.read()),
                    created_by_id=request.user.pk,
                )
                messages.success(request, f"{job.filename}: import queued ({job.total_rows} rows).")
            except ValidationFailed as exc:
                messages.error(request, f"{upload.name}: {exc.detail}")
        return HttpResponseRedirect(request.path.rsplit("upload/", 1)[0])
