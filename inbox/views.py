"""The staff inbox: every review with its latest score, filtered; bulk status changes; one
review with its history."""

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.views.generic.base import TemplateResponseMixin

from agency.models import AgencyRole
from core.days import date_ranges_reversed
from core.http import positive_int
from core.incidents import incident_running
from core.paging import page_get
from core.permissions import Permission
from core.text import duration_prose
from core.views import ClinicView
from feeds.models import Review, ReviewStatus, SourceKind
from feeds.services import reviews_status_set
from inbox.apis import InboxFilterSerializer
from inbox.selectors import (
    ORDERS,
    REPLY_STATES,
    SLA_LOOKBACK_DAYS,
    answer_menus,
    reply_state_is,
    reviews_filtered,
    with_reply_state,
)
from scoring.claims.selectors import claims_to_answer, cluster_get
from scoring.ml.flags import FLAG_LABELS, FLAG_NAMES
from scoring.ml.topics import TOPIC_LEXICON

# What the inbox's address may carry besides its filters.
INBOX_PARAMS_OTHER = ("page",)
# The filters of the inbox's form (folded on a phone: "Filters (2 active)"); the claim and the
# reply-target filter have their own line above the list, the sort is no filter.
FORM_FILTERS = ("source", "rating", "sentiment", "status", "published_from", "published_to",
                "flag", "reply", "topic", "topic_sentiment", "q", "author")  # fmt: skip
UNKNOWN_FILTER = "Unknown filter: the inbox has no such filter."
# The labels of the form's fields, as the line that says what cannot be read names them (a
# parameter without a field of the form is named as given).
FILTER_WORDS = {
    "source": "Source", "rating": "Rating", "sentiment": "Sentiment", "status": "Status",
    "published_from": "From", "published_to": "To", "flag": "Flag", "reply": "Reply",
    "topic": "Topic", "topic_sentiment": "Said of the topic", "order": "Sort", "q": "Text",
    "author": "Author",
}  # fmt: skip


def filters_named(params, *, claim=None, sla: str | None = None) -> str:
    """The inbox's active filters in a few words, for the page's title ("Topic: Billing,
    Flag: Legal threat"): two tabs or two history entries of the inbox tell themselves apart.
    `params`: the address's filters, read already (each value one the form offers)."""
    labels = {
        "source": dict(SourceKind.choices),
        "sentiment": {"negative": "Negative", "neutral": "Neutral", "positive": "Positive",
                      "unscored": "Not scored yet"},
        "status": dict(ReviewStatus.choices),
        "flag": FLAG_LABELS,
        "reply": REPLY_STATES,
        "topic": {name: label for name, (label, _) in TOPIC_LEXICON.items()},
        "topic_sentiment": {"negative": "Negative", "neutral": "Neutral",
                            "positive": "Positive"},
    }  # fmt: skip
    words = []
    if claim is not None:
        words.append(f"Claim: {claim.title[:60]}")
    if sla == "breached":
        words.append("Past the reply target")
    for name in FORM_FILTERS:
        value = params.get(name)
        if not value:
            continue
        if name == "rating":
            value = f"{value}★"
        elif name in ("q", "author"):
            value = f"“{value[:40]}”"
        else:
            value = labels.get(name, {}).get(value, value)
        words.append(f"{FILTER_WORDS[name]}: {value}")
    return ", ".join(words)


class InboxView(TemplateResponseMixin, ClinicView):
    """The clinic's inbox: filters, pages of 50, bulk status changes."""

    template_name = "feeds/inbox.html"

    def get(self, request, *args, **kwargs):
        filters = InboxFilterSerializer(
            data={k: v for k, v in request.GET.items() if v not in ("", None)}
        )
        valid = filters.is_valid()
        errors = {} if valid else dict(filters.errors)
        # From after To lists nothing: said on the To field, as the API says it
        errors.update(
            date_ranges_reversed(InboxFilterSerializer, filters.validated_data, errors=errors)
        )
        # a misspelt or unknown filter is named, never dropped while the rest is listed
        known = {*filters.fields, *INBOX_PARAMS_OTHER}
        errors.update({name: [UNKNOWN_FILTER] for name in request.GET if name not in known})
        valid = not errors
        chosen = dict(filters.validated_data) if valid else {}
        sla = chosen.get("sla")
        reply = chosen.pop("reply", None)
        if not valid:  # a filter it cannot read lists nothing, not every review
            qs = Review.objects.none()
        else:
            qs = reviews_filtered(**chosen)
            if reply:
                qs = qs.filter(reply_state_is(reply))
        # the reply state of the 50 rows shown only: the COUNT and the claims read `qs`
        page = page_get(request, with_reply_state(qs), 50)
        # the claims among the items listed (none when a filter cannot be read)
        narrowed = (
            not valid
            or reply is not None
            or any(v for k, v in chosen.items() if k not in ("order", "include_deleted"))
        )
        # a calm clinic's ordinary complaints alike are no claim to answer as one: unflagged
        # ones come forward only while an incident runs
        claims = claims_to_answer(within=qs if narrowed else None, unflagged=incident_running())
        menus = answer_menus(claims)
        query = request.GET.copy()
        query.pop("page", None)
        without_sla = request.GET.copy()
        for key in ("sla", "page"):
            without_sla.pop(key, None)
        claim = cluster_get(chosen["cluster"]) if chosen.get("cluster") else None
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "access": self.access,
                "page": page,
                "filters": request.GET,
                "filter_errors": errors,
                "filter_error_lines": [
                    (FILTER_WORDS.get(name, name), " ".join(map(str, problems)))
                    for name, problems in errors.items()
                ],
                "filters_active": sum(1 for name in FORM_FILTERS if request.GET.get(name)),
                "query": query.urlencode(),
                "sources": SourceKind.choices,
                "statuses": ReviewStatus.choices,
                "can_write": self.access.can(Permission.WRITE),
                "flags": [(f, FLAG_LABELS[f]) for f in FLAG_NAMES],
                "topics": [(name, label) for name, (label, _) in TOPIC_LEXICON.items()],
                "topic_sentiments": [
                    ("negative", "Negative"),
                    ("neutral", "Neutral"),
                    ("positive", "Positive"),
                ],  # fmt: skip
                "orders": list(ORDERS.items()),
                "claims": claims,
                "claims_narrowed": narrowed,
                "claim": claim,
                # only filters that were read: one that could not be lists nothing
                "title_filters": filters_named(request.GET, claim=claim, sla=sla) if valid else "",
                **menus,
                "answer_url": f"/clinics/{self.clinic.slug}/replies/batches/new/",
                "sla": sla,
                "reply_states": list(REPLY_STATES.items()),
                "sla_lookback_days": SLA_LOOKBACK_DAYS,
                "sla_target": duration_prose(self.clinic.reply_target_minutes),
                "without_sla": without_sla.urlencode(),
            },
            status=200 if valid else 400,
        )

    def post(self, request, *args, **kwargs):
        ids = [pk for pk in map(positive_int, request.POST.getlist("review")) if pk]
        status = request.POST.get("status", "")
        if status not in ReviewStatus.values or not ids:
            messages.error(request, "Choose reviews and a status.")
        else:
            changed = reviews_status_set(review_ids=ids, status=status, who=self.access.actor)
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
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "review": review,
                "score": score,
                # privacy requests (/agency/privacy/) are the agency's owners' and managers'
                "can_remove": self.access.agency_role in (AgencyRole.OWNER, AgencyRole.MANAGER),
            }
        )
