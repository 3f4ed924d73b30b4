"""The staff inbox: every review with its latest score, filtered; bulk status changes; one
review with its history."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.views.generic.base import TemplateResponseMixin

from core.permissions import Permission
from core.views import ClinicView
from facts.selectors import facts_citable
from feeds.models import ReviewStatus, SourceKind
from feeds.services import reviews_status_set
from inbox.apis import ReviewFilterSerializer
from inbox.selectors import reviews_filtered
from scoring.claims.selectors import claims_to_answer, cluster_get
from scoring.ml.flags import FLAG_NAMES


class InboxView(TemplateResponseMixin, ClinicView):
    """The clinic's inbox: filters, pages of 50, bulk status changes."""

    template_name = "feeds/inbox.html"

    def get(self, request, *args, **kwargs):
        filters = ReviewFilterSerializer(
            data={k: v for k, v in request.GET.items() if v not in ("", None)}
        )
        valid = filters.is_valid()
        chosen = filters.validated_data if valid else {}
        qs = reviews_filtered(**chosen)
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
                "flags": [(f, f.replace("_", " ")) for f in FLAG_NAMES],
                "claims": claims_to_answer(),
                "claim": cluster_get(chosen["cluster"]) if chosen.get("cluster") else None,
                "facts": facts_citable(),
                "answer_url": f"/clinics/{self.clinic.slug}/replies/batches/new/",
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
