"""Privacy requests for integrators, agency-wide (`/api/v1/privacy-requests/`, mounted by
config.urls_public): find a person's items across the agency's clinics, carry a request out
with the checks of the page (`/agency/privacy/`), list the agency's log and read one request
with what was done. For the agency's owners and managers and its agency keys with `write`
(`clinics.access.privacy_requests_access`); a clinic key is refused."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from agency.models import PrivacyAction, PrivacyRequest
from agency.selectors import privacy_requests_for_agency
from clinics.access import privacy_requests_access
from clinics.models import Clinic
from core.api import (
    DayOrInstantField,
    PublicAPIView,
    paginated_response,
    query_params_validated,
)
from core.errors import ValidationFailed
from feeds.selectors import PRIVACY_PER_CLINIC, reviews_by_author_across
from feeds.services.privacy import (
    MAX_ITEMS,
    privacy_actions_left,
    privacy_request_carry_out,
    privacy_request_check,
    privacy_request_counts,
    privacy_request_url,
    privacy_search_problems,
)

# Every stored request was carried out whole when it was received (one transaction: nothing is
# ever stored half-done), so its status is `completed`; the webhooks say `received` first.
COMPLETED = "completed"
PRIVACY_REQUEST_STATUSES = [(COMPLETED, "Completed")]  # PrivacyRequestStatusEnum
# what every refused request says (the service's own refusals too): the fields say what to fix
NOTHING_REMOVED = "Nothing was removed: correct the fields marked."
UNKNOWN_CLINIC = "No such clinic in this agency."
AGENCY_HELP = (
    "The agency's slug: needed only by a person who manages several agencies (one that does "
    "not exist is a 400; another agency's, a 403)."
)


# --- input -------------------------------------------------------------------------------------


class PrivacyRequestItemInputSerializer(serializers.Serializer):
    clinic = serializers.SlugField(help_text="The clinic's slug.")
    review_id = serializers.IntegerField(
        min_value=1, help_text="The item's id in that clinic (`matches/`, or `GET reviews/`)."
    )


class PrivacyRequestInputSerializer(serializers.Serializer):
    agency = serializers.SlugField(required=False, help_text=AGENCY_HELP)
    author = serializers.CharField(
        max_length=200,
        allow_blank=True,
        help_text="The person's name or handle as the request gives it (the receipt names it).",
    )
    reason = serializers.CharField(
        allow_blank=True,
        help_text="The request's reference and why, in words (e.g. “Erasure request REQ-114 "
        "received by e-mail”); at most 1,000 characters.",
    )
    action = serializers.ChoiceField(
        choices=PrivacyAction.choices,
        error_messages={"invalid_choice": "Choose redact or delete."},
        help_text="`redact`: remove the author, the text, the link and every earlier version, "
        "keep that the item was posted (its date and rating count); `delete`: the same, and "
        "the items leave every list and figure.",
    )
    items = PrivacyRequestItemInputSerializer(
        many=True,
        allow_empty=True,
        max_length=MAX_ITEMS,
        help_text=f"The items to remove (1 to {MAX_ITEMS}), each in a clinic of the agency.",
    )


class PrivacyRequestFilterSerializer(serializers.Serializer):
    agency = serializers.SlugField(required=False, help_text=AGENCY_HELP)
    action = serializers.ChoiceField(choices=PrivacyAction.choices, required=False)
    clinic = serializers.SlugField(
        required=False,
        help_text="Only the requests that removed items of this clinic (slug): the clinic that "
        "has it now, or a deleted clinic that had it when no clinic has it now.",
    )
    author = serializers.CharField(
        required=False, max_length=200, help_text="The author contains these words (any case)."
    )
    # The log is agency-wide and agencies have no time zone of their own: its days are UTC
    # days, as the Privacy requests log page shows its times ("When (UTC)").
    created_from = DayOrInstantField(
        day_zone="UTC",
        required=False,
        help_text="Carried out from: a day (`2026-12-01`: from its start in UTC — the log is "
        "agency-wide, so its days are UTC days, not a clinic's) or an instant (ISO 8601 with "
        "its offset), inclusive.",
    )
    created_to = DayOrInstantField(
        day_zone="UTC",
        required=False,
        help_text="Carried out until: a day (`2026-12-01`: to its end in UTC, the whole day "
        "included) or an instant (ISO 8601 with its offset: carried out before it).",
    )

    date_ranges = (("created_from", "created_to"),)  # query_params_validated


class PrivacyMatchFilterSerializer(serializers.Serializer):
    agency = serializers.SlugField(required=False, help_text=AGENCY_HELP)
    author = serializers.CharField(
        max_length=200,
        help_text="The name or handle to find (contains, any case; a handle's leading @ is "
        "optional); 2 characters or more.",
    )
    text = serializers.BooleanField(
        required=False, default=False, help_text="true: also items whose text names it."
    )
    clinic = serializers.SlugField(required=False, help_text="Only this clinic (slug).")


# --- output ------------------------------------------------------------------------------------


class PrivacyRequestClinicOutputSerializer(serializers.Serializer):
    clinic = serializers.CharField(help_text="The clinic's slug (as it was then).")
    clinic_id = serializers.IntegerField(
        help_text="The clinic's id: it is never reused, unlike the slug of a deleted clinic."
    )
    name = serializers.CharField(help_text="The clinic's name (as it was then).")
    items = serializers.IntegerField(help_text="Items removed in this clinic.")
    reviews = serializers.IntegerField()
    comments = serializers.IntegerField()
    mentions = serializers.IntegerField()


class PrivacyRequestOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="This request in the API.")
    status = serializers.ChoiceField(
        choices=PRIVACY_REQUEST_STATUSES,
        help_text="`completed`: carried out whole when it was received (a request that fails "
        "is not stored at all).",
    )
    action = serializers.ChoiceField(choices=PrivacyAction.choices)
    author = serializers.CharField(help_text="The name or handle the request gave.")
    reason = serializers.CharField(help_text="The request's reference and why.")
    carried_out_by = serializers.CharField(
        help_text="The person (name), or the agency key (“API key CRM (cwk_ab12…)”)."
    )
    received_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField()
    items = serializers.IntegerField(help_text="Items removed, in every clinic.")
    reviews = serializers.IntegerField()
    comments = serializers.IntegerField()
    mentions = serializers.IntegerField()
    clinics = PrivacyRequestClinicOutputSerializer(
        many=True, help_text="What was removed where, by clinic name."
    )
    to_check = serializers.ListField(
        child=serializers.CharField(),
        help_text="What a person of the agency should still do (a reply already posted that "
        "names the author: edit it on the platform), each line starting with the clinic.",
    )


class PrivacyRequestItemOutputSerializer(serializers.Serializer):
    clinic = serializers.CharField(help_text="The clinic's slug (as it was then).")
    clinic_id = serializers.IntegerField(
        help_text="The clinic's id: it is never reused, unlike the slug of a deleted clinic."
    )
    review_id = serializers.IntegerField()
    kind = serializers.CharField(help_text="`review`, `comment` or `mention`.")
    source = serializers.CharField(help_text="The source kind (`google`, `yelp`, ...).")
    external_id = serializers.CharField(help_text="The platform's id of the item.")
    published_at = serializers.DateTimeField()
    rating = serializers.IntegerField(allow_null=True)


class PrivacyRequestDetailOutputSerializer(PrivacyRequestOutputSerializer):
    removed = PrivacyRequestItemOutputSerializer(
        many=True, help_text="Each item removed (never its text)."
    )
    receipt = serializers.CharField(help_text="The receipt to give the person, in words.")


class PrivacyMatchItemOutputSerializer(serializers.Serializer):
    review_id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    source = serializers.CharField(source="source.kind")
    external_id = serializers.CharField(help_text="The platform's id of the item.")
    author_name = serializers.CharField()
    text = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True)
    published_at = serializers.DateTimeField()
    redacted = serializers.SerializerMethodField(
        help_text="Already removed by an earlier request (its author and text are gone)."
    )
    is_deleted = serializers.BooleanField()
    actions = serializers.SerializerMethodField(
        help_text="What a request may still do with it: `redact` while it is not redacted, "
        "`delete` while it is not both redacted and deleted (an item only redacted may still "
        "be deleted); empty once an earlier request deleted it."
    )

    def get_redacted(self, review) -> bool:
        return review.redacted_at is not None

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=PrivacyAction.choices))
    )
    def get_actions(self, review) -> list[str]:
        return privacy_actions_left(
            redacted=review.redacted_at is not None, deleted=review.is_deleted
        )


class PrivacyMatchClinicOutputSerializer(serializers.Serializer):
    clinic = serializers.CharField(source="clinic.slug")
    name = serializers.CharField(source="clinic.name")
    capped = serializers.BooleanField(
        help_text=f"More than {PRIVACY_PER_CLINIC} items here: only the newest are listed; "
        "narrow the search with a longer name."
    )
    items = PrivacyMatchItemOutputSerializer(many=True, source="reviews")


class PrivacyMatchOutputSerializer(serializers.Serializer):
    found = serializers.IntegerField(help_text="Items listed, in every clinic.")
    clinics_read = serializers.IntegerField(help_text="Clinics searched.")
    clinics_more = serializers.IntegerField(
        help_text="Clinics not searched (over 200 at once): search them one by one (`clinic`)."
    )
    clinics = PrivacyMatchClinicOutputSerializer(
        many=True, source="groups", help_text="The clinics with items, by name."
    )


def privacy_request_json(row, *, detail: bool = False) -> dict:
    """A log row as the API shows it: totals, and what was removed in which clinic."""
    clinics: dict[int, dict] = {}  # by id: a deleted clinic's slug may be a new clinic's
    for item in row.items:
        clinics.setdefault(
            item["clinic_id"],
            {"slug": item["clinic_slug"], "name": item["clinic_name"], "items": []},
        )["items"].append(item)
    out = {
        "id": row.pk,
        "url": privacy_request_url(row.pk),
        "status": COMPLETED,
        "action": row.action,
        "author": row.author,
        "reason": row.reason,
        "carried_out_by": row.actor_name or row.actor_email,
        "received_at": row.created_at,
        "completed_at": row.created_at,
        **privacy_request_counts(row.items),
        "clinics": [
            {
                "clinic": found["slug"],
                "clinic_id": pk,
                "name": found["name"],
                **privacy_request_counts(found["items"]),
            }
            for pk, found in sorted(clinics.items(), key=lambda pair: (pair[1]["name"], pair[0]))
        ],
        "to_check": list(row.to_check),
    }
    if detail:
        out["removed"] = [
            {"clinic": item["clinic_slug"], "clinic_id": item["clinic_id"],
             "review_id": item["review_id"], "kind": item["kind"],
             "source": item["source"], "external_id": item["external_id"],
             "published_at": item["published_at"], "rating": item.get("rating")}
            for item in row.items
        ]  # fmt: skip
        out["receipt"] = row.receipt
    return out


# --- the endpoints -----------------------------------------------------------------------------


class _PrivacyRequestsApi(PublicAPIView):
    def agency_reached(self, request):
        """The agency whose requests the caller handles (`agency` of the query string or the
        body names it), checked before the input: a caller who may not gets 403 whatever it
        sent; one who may, naming an agency that does not exist, a 400 on `agency` (another
        agency that exists stays a 403)."""
        slug = request.query_params.get("agency")
        if slug is None and isinstance(request.data, dict):
            slug = request.data.get("agency")
        access = privacy_requests_access(self.actor, agency_slug=str(slug or ""))
        if access.unknown_agency:
            raise ValidationError({"agency": [access.refusal]})
        if access.agency is None:
            raise PermissionDenied(access.refusal)
        return access.agency


class _Listed(PrivacyRequestOutputSerializer):
    """A log row of a page of the list, shaped by `privacy_request_json`."""

    def to_representation(self, instance):
        return super().to_representation(privacy_request_json(instance))


def _clinic_known(agency, slug: str) -> bool:
    """Whether `slug` names one of the agency's clinics, now or in its log (a clinic's slug
    as it was when a request removed its items); another agency's reads as unknown."""
    return (
        Clinic.objects.filter(agency=agency, slug=slug).exists()
        or PrivacyRequest.objects.filter(
            agency_id=agency.pk, items__contains=[{"clinic_slug": slug}]
        ).exists()
    )


class PrivacyRequestListApi(_PrivacyRequestsApi):
    """The agency's privacy requests: POST carries one out (the items are redacted, or
    deleted, in every clinic named, at once; the checks and messages of the Privacy requests
    page; nothing changes when one fails); GET lists the log, newest first. For the agency's
    owners and managers, and agency keys with `write` (never a clinic key)."""

    @extend_schema(
        parameters=[PrivacyRequestFilterSerializer],
        responses=PrivacyRequestOutputSerializer(many=True),
    )
    def get(self, request):
        agency = self.agency_reached(request)
        filters = query_params_validated(PrivacyRequestFilterSerializer, request.query_params)
        filters.pop("agency", None)
        if (slug := filters.get("clinic")) and not _clinic_known(agency, slug):
            raise ValidationError({"clinic": [UNKNOWN_CLINIC]})
        if slug:  # the clinic that has the slug now, by its id: never a deleted one's requests
            filters["clinic_id"] = (
                Clinic.objects.filter(agency=agency, slug=slug).values_list("pk", flat=True).first()
            )
        rows = privacy_requests_for_agency(agency=agency, **filters)
        return paginated_response(self, rows, _Listed)

    def handle_exception(self, exc):
        """A request refused for its input says so in the service's words, whatever refused
        it (an unknown field, a value the serializer cannot read, the service's checks)."""
        if isinstance(exc, ValidationError) and self.request.method == "POST":
            detail = exc.detail if isinstance(exc.detail, dict) else {"items": exc.detail}
            exc = ValidationFailed(NOTHING_REMOVED, fields=detail)
        return super().handle_exception(exc)

    @extend_schema(
        request=PrivacyRequestInputSerializer,
        responses={201: PrivacyRequestDetailOutputSerializer},
    )
    def post(self, request):
        agency = self.agency_reached(request)
        data = PrivacyRequestInputSerializer(data=request.data)
        if not data.is_valid():
            _refused_in_one_round(agency, self.actor, request.data, data.errors)
        values = data.validated_data
        row = privacy_request_carry_out(
            agency=agency,
            actor=self.actor,
            author=values["author"],
            reason=values["reason"],
            action=values["action"],
            selected=[f"{item['clinic']}:{item['review_id']}" for item in values["items"]],
            item_paths=[f"items[{i}]" for i in range(len(values["items"]))],
        )
        return Response(
            PrivacyRequestDetailOutputSerializer(privacy_request_json(row, detail=True)).data,
            status=status.HTTP_201_CREATED,
        )


def _refused_in_one_round(agency, actor, body, errors) -> None:
    """Raise the serializer's `errors` together with the service's checks of every value it
    could read (the author, the reason, the items well formed: an unknown clinic or item at its
    path), so one answer names every problem rather than one round each."""
    fields = dict(errors)
    if isinstance(body, dict):
        # a value the serializer refused is left out: its message stands, and nothing is
        # checked against it (items "not by" an author too long to be one)
        text = {
            name: body.get(name) if isinstance(body.get(name), str) and name not in fields else ""
            for name in ("author", "reason", "action")
        }
        # the items' own problems come by index ({1: {...}}); a list is about the whole list
        problems = fields.get("items", {})
        per_item = isinstance(problems, dict) and all(isinstance(i, int) for i in problems)
        items = body.get("items") if isinstance(body.get("items"), list) and per_item else []
        readable = [
            (f"items[{i}]", item)
            for i, item in enumerate(items[:MAX_ITEMS])
            if PrivacyRequestItemInputSerializer(data=item).is_valid()
        ]
        try:
            privacy_request_check(
                agency=agency,
                actor=actor,
                author=text["author"],
                reason=text["reason"],
                action=text["action"],
                selected=[f"{item['clinic']}:{item['review_id']}" for _, item in readable],
                item_paths=[path for path, _ in readable],
            )
        except ValidationFailed as exc:
            item_errors = any(name.startswith("items") for name in fields)
            for name, messages in exc.fields.items():
                if name not in fields and not (name == "items" and item_errors):
                    fields[name] = messages
    raise ValidationError(fields)


class PrivacyRequestDetailApi(_PrivacyRequestsApi):
    """One privacy request: its status, what was removed in which clinic (never the items'
    text), what a person should still do, and the receipt. Another agency's is 404."""

    @extend_schema(
        parameters=[OpenApiParameter("agency", str, required=False, description=AGENCY_HELP)],
        responses=PrivacyRequestDetailOutputSerializer,
    )
    def get(self, request, request_id: int):
        agency = self.agency_reached(request)
        row = privacy_requests_for_agency(agency=agency).filter(pk=request_id).first()
        if row is None:
            raise NotFound()
        shown = privacy_request_json(row, detail=True)
        return Response(PrivacyRequestDetailOutputSerializer(shown).data)


class PrivacyMatchesApi(_PrivacyRequestsApi):
    """Find a person's items in every clinic of the agency, as the Privacy requests page
    does: the newest 50 per clinic, with their text, to choose what a request removes."""

    @extend_schema(
        parameters=[PrivacyMatchFilterSerializer], responses=PrivacyMatchOutputSerializer
    )
    def get(self, request):
        agency = self.agency_reached(request)
        filters = query_params_validated(
            PrivacyMatchFilterSerializer, request.query_params, also=("format",)
        )
        problems = privacy_search_problems(
            agency=agency, author=filters["author"], clinic_slug=filters.get("clinic", "")
        )
        if problems:
            raise ValidationFailed("Nothing to search: correct the fields marked.", fields=problems)
        found = reviews_by_author_across(
            agency=agency,
            author=filters["author"],
            with_text=filters["text"],
            clinic_slug=filters.get("clinic", ""),
        )
        return Response(PrivacyMatchOutputSerializer(found).data)
