from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.views.generic.base import TemplateResponseMixin

from clinics.access import Permission
from core.views import ClinicView
from feeds.apis import ReviewFilterSerializer
from feeds.models import ImportJob, ReviewStatus, Source, SourceKind
from feeds.selectors import reviews_filtered
from feeds.services import reviews_status_set


class InboxView(TemplateResponseMixin, ClinicView):
    """The clinic's inbox: filters, pages of 50, bulk status changes."""

    template_name = "feeds/inbox.html"

    def get(self, request, *args, **kwargs):
        filters = ReviewFilterSerializer(
            data={k: v for k, v in request.GET.items() if v not in ("", None)}
        )
        valid = filters.is_valid()
        qs = reviews_filtered(**(filters.validated_data if valid else {}))
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "access": self.access,
                "page": page,
                "filters": request.GET,
                "filter_errors": {} if valid else filters.errors,
                "query": query.urlencode(),
                "sources": SourceKind.choices,
                "statuses": ReviewStatus.choices,
                "can_write": self.access.can(Permission.WRITE),
            }
        )

    def post(self, request, *args, **kwargs):
        ids = [int(i) for i in request.POST.getlist("review") if i.isdigit()]
        status = request.POST.get("status", "")
        if status not in ReviewStatus.values or not ids:
            messages.error(request, "Choose reviews and a status.")
        else:
            changed = reviews_status_set(review_ids=ids, status=status)
            messages.success(request, f"{changed} marked {ReviewStatus(status).label.lower()}.")
        return HttpResponseRedirect(request.get_full_path())


class ReviewDetailView(TemplateResponseMixin, ClinicView):
    template_name = "feeds/review_detail.html"

    def get(self, request, review_id: int, *args, **kwargs):
        review = (
            reviews_filtered(include_deleted=True)
            .prefetch_related("revisions")
            .filter(pk=review_id)
            .first()
        )
        if review is None:
            raise Http404("Not found.")
        score = review.score_list[0] if review.score_list else None
        return self.render_to_response({"clinic": self.clinic, "review": review, "score": score})


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
        from core.errors import ValidationFailed
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
