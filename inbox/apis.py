"""The reviews read API: `GET reviews/` (filters, keyset cursors) and `GET reviews/<id>/` (with
the edit history), each review with its latest score."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import (
    ClinicAPIView,
    DayOrInstantField,
    FeedPagination,
    OptionalBooleanField,
    Pagination,
    paginated_response,
    query_params_validated,
)
from feeds.models import Review, ReviewRevision, ReviewStatus, SourceKind
from inbox.selectors import (
    ORDERS,
    REPLY_STATES,
    review_detail_json,
    reviews_page_json,
    score_rounded,
)
from scoring.apis import (
    FLAG_CHOICES,
    TOPIC_CHOICES,
    ScoreFlagOutputSerializer,
    ScoreTopicOutputSerializer,
)
from scoring.claims.selectors import SORTS, cluster_get, cluster_reviews, clusters_list
from scoring.models import SentimentLabel
from scoring.selectors import topics_public


class ReviewSentimentOutputSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=SentimentLabel.choices)
    score = serializers.FloatField(help_text="-1..1, to 4 decimals.")
    model = serializers.CharField(help_text="The model version that scored it.")
    topics = ScoreTopicOutputSerializer(many=True)
    flags = ScoreFlagOutputSerializer(many=True)


class ReviewOutputSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.kind", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True)
    parent_id = serializers.IntegerField(read_only=True, allow_null=True)
    sentiment = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "source",
            "source_id",
            "source_name",
            "external_id",
            "kind",
            "author_name",
            "rating",
            "text",
            "language",
            "url",
            "published_at",
            "edited_at",
            "likes",
            "shares",
            "replies",
            "parent_id",
            "status",
            "imported_as_past",
            "sentiment",
            "created_at",
            "updated_at",
            "is_deleted",
            "deleted_at",
        ]
        read_only_fields = ["imported_as_past"]
        extra_kwargs = {
            "updated_at": {
                "help_text": "When the review last changed: its text, rating, status, likes, "
                "shares or replies, its parent, its deletion on the platform, or a new score "
                "(`sentiment`). `updated_after` lists what changed since."
            },
            "is_deleted": {
                "help_text": "Taken down on its platform (listed with `include_deleted=true`): "
                "an incremental sync (`updated_after`) reads a take-down here."
            },
            "deleted_at": {"help_text": "When Carewatch learnt it was taken down; null if not."},
            "imported_as_past": {
                "help_text": "A past review, imported as history (a CSV import of “past "
                "reviews”): no reply clock runs for it, and the reply target (SLA), the "
                "inbox's `sla=breached` and the monthly report's response times leave it out."
            },
        }

    @extend_schema_field(ReviewSentimentOutputSerializer(allow_null=True))
    def get_sentiment(self, review) -> dict | None:
        """The latest score: label, score (-1..1, 4 decimals, `score_rounded`), model, care
        topics (name, evidence and the topic's own sentiment label from the sentences that
        mention it, e.g. wait_time negative in a positive review) and risk flags; null until
        scored."""
        scores = getattr(review, "score_list", None)
        if not scores:
            return None
        score = scores[0]
        return {
            "label": score.label,
            "score": score_rounded(score.score),
            "model": score.model_version,
            "topics": topics_public(score.topics),
            "flags": score.flags,
        }


class RevisionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewRevision
        fields = ["kind", "text", "rating", "edited_at", "captured_at"]


class ReviewDetailSerializer(ReviewOutputSerializer):
    revisions = RevisionOutputSerializer(many=True, read_only=True)

    class Meta(ReviewOutputSerializer.Meta):
        fields = [*ReviewOutputSerializer.Meta.fields, "revisions"]


class ReviewFilterSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=SourceKind.choices, required=False, help_text="The platform."
    )
    source_id = serializers.IntegerField(required=False, min_value=1, help_text="One source.")
    rating = serializers.IntegerField(
        required=False, min_value=1, max_value=5, help_text="Exactly this rating."
    )
    rating_max = serializers.IntegerField(
        required=False, min_value=1, max_value=5, help_text="This rating or lower."
    )
    sentiment = serializers.ChoiceField(
        choices=["negative", "neutral", "positive", "unscored"],
        required=False,
        help_text="The latest score's label (`unscored`: not scored yet).",
    )
    status = serializers.ChoiceField(
        choices=ReviewStatus.choices, required=False, help_text="The triage status."
    )
    published_from = DayOrInstantField(
        required=False,
        help_text="A day (`2026-12-01`: from its start in the clinic's time zone) or an "
        "instant (ISO 8601 with its offset), inclusive.",
    )
    published_to = DayOrInstantField(
        required=False,
        help_text="A day (`2026-12-01`: to its end in the clinic's time zone, the whole day "
        "included) or an instant (ISO 8601 with its offset: published before it).",
    )
    updated_after = DayOrInstantField(
        required=False,
        help_text="Changed after, for an incremental sync (`updated_at`: its text, rating, "
        "status, likes, shares or replies, its deletion, or a new score): an instant (ISO 8601 "
        "with its offset: changed after it, exclusive; keep the newest `updated_at` you read "
        "and send it next time) or a day (`2026-12-01`: from its start in the clinic's time "
        "zone, the whole day included). With `include_deleted=true` a sync also sees what was "
        "deleted on its platform.",
    )
    q = serializers.CharField(required=False, max_length=200, help_text="Text search.")
    author = serializers.CharField(
        required=False,
        max_length=200,
        help_text="The author's name or handle contains this, in any case (`author=reese` finds "
        "“Reese B.”; a handle's leading `@` is optional).",
    )
    include_deleted = serializers.BooleanField(
        required=False, default=False, help_text="Include items deleted on the platform."
    )
    flag = serializers.ChoiceField(
        choices=FLAG_CHOICES, required=False, help_text="The latest score carries this risk flag."
    )
    topic = serializers.ChoiceField(
        choices=TOPIC_CHOICES,
        required=False,
        help_text="The latest score names this care topic (e.g. `wait_time`).",
    )
    topic_sentiment = serializers.ChoiceField(
        choices=["negative", "neutral", "positive"],
        required=False,
        help_text="The topic's own sentiment in the latest score (with `topic`: that topic, "
        "e.g. `topic=wait_time&topic_sentiment=negative`; alone: any topic).",
    )
    sla = serializers.ChoiceField(
        choices=[("breached", "Past the reply target")],
        required=False,
        help_text="`breached`: unanswered negative reviews past the clinic's reply target now "
        "(the dashboard's SLA breaches).",
    )
    cluster = serializers.IntegerField(
        required=False, min_value=1, help_text="Mentions of this claim (`claims/`)."
    )
    order = serializers.ChoiceField(
        choices=list(ORDERS.items()),
        required=False,
        default="newest",
        help_text="`newest` first (default), `oldest` first (the longest waiting), `rating` "
        "(the lowest first, unrated mentions last, then the newest) or most `reach` (likes + "
        "shares + replies) first.",
    )

    date_ranges = (("published_from", "published_to"),)  # query_params_validated


class InboxFilterSerializer(ReviewFilterSerializer):
    """The staff inbox's filters: the API's, and where a review's reply stands."""

    reply = serializers.ChoiceField(
        choices=list(REPLY_STATES.items()),
        required=False,
        help_text="Where its reply stands: none, drafted (in progress), approved, published.",
    )


class ReachPagination(FeedPagination):
    """The reviews most reach first: the cursor holds (reach, id)."""

    ordering = ("-reach", "-id")
    key_parsers = (int, int)


class OldestPagination(FeedPagination):
    """The reviews oldest first: the cursor holds (published_at, id)."""

    ordering = ("published_at", "id")


class RatingPagination(FeedPagination):
    """The reviews lowest rating first, then newest: the cursor holds (-rating, published_at,
    id), unrated as 6."""

    ordering = ("rating", "-published_at", "-id")
    key_parsers = (int, datetime.fromisoformat, int)


PAGINATIONS = {
    "newest": FeedPagination,
    "oldest": OldestPagination,
    "rating": RatingPagination,
    "reach": ReachPagination,
}


class ReviewListApi(ClinicAPIView):
    """Reviews and mentions of this clinic, newest first (or in `order`), with filters.
    Cursor-paginated: follow `next` (no total count: a clinic's history can be large). A
    parameter it does not know is a 400 naming it, as an unknown body field is for writes:
    a misspelt filter never answers the whole list (nor does `published_to` before
    `published_from`)."""

    pagination_class = FeedPagination

    @extend_schema(parameters=[ReviewFilterSerializer], responses=ReviewOutputSerializer(many=True))
    def get(self, request):
        filters = query_params_validated(ReviewFilterSerializer, request.query_params)
        paginator = PAGINATIONS[filters.get("order") or "newest"]()
        page = paginator.paginate(request, partial(reviews_page_json, filters))
        return paginator.get_raw_response(page)


class ReviewDetailApi(ClinicAPIView):
    @extend_schema(responses=ReviewDetailSerializer)
    def get(self, request, review_id: int):
        found = review_detail_json(review_id)
        if found is None:
            raise NotFound()
        return HttpResponse(found.encode(), content_type="application/json")


# --- claims: mentions that make the same claim ------------------------------------------------


class WrongDetailOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["price", "time", "day", "duration"])
    post = serializers.CharField(
        help_text="What the mention says, e.g. `$350`, `closes at 4`, `open on Sunday`, `14 days`."
    )
    fact = serializers.CharField(help_text="What the fact says instead.")


class ContradictsOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["fact", "myth"])
    slug = serializers.CharField()
    statement = serializers.CharField()
    similarity = serializers.FloatField()
    detail = WrongDetailOutputSerializer(
        required=False,
        help_text="Present when the mention states a price, opening time, opening day or span of "
        "time the fact says otherwise.",
    )


class ClaimOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(help_text="The claim as its first mention put it.")
    key_phrases = serializers.ListField(child=serializers.CharField())
    mentions = serializers.IntegerField(source="mention_count")
    reach = serializers.IntegerField(help_text="Likes + shares + replies of its mentions.")
    first_seen_at = serializers.DateTimeField(allow_null=True)
    last_seen_at = serializers.DateTimeField(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())
    misinformation = serializers.BooleanField()
    contradicts = serializers.SerializerMethodField()
    fact_id = serializers.IntegerField(allow_null=True)

    @extend_schema_field(ContradictsOutputSerializer(allow_null=True))
    def get_contradicts(self, cluster) -> dict | None:
        """The fact of the clinic's fact sheet (or the common myth) the claim contradicts."""
        return cluster.contradicts or None


class ClaimDetailOutputSerializer(ClaimOutputSerializer):
    reviews = serializers.SerializerMethodField()

    @extend_schema_field(ReviewOutputSerializer(many=True))
    def get_reviews(self, cluster) -> list[dict]:
        """Its mentions, most reach first, each with its latest score."""
        return ReviewOutputSerializer(cluster_reviews(cluster.pk), many=True).data


class ClaimFilterSerializer(serializers.Serializer):
    flag = serializers.ChoiceField(
        choices=FLAG_CHOICES, required=False, help_text="A mention of it carries this flag."
    )
    misinformation = OptionalBooleanField(help_text="Flagged as misinformation.")
    min_mentions = serializers.IntegerField(
        required=False, min_value=1, max_value=10_000, default=2,
        help_text="At least this many mentions (default 2; 1 includes single mentions).",
    )  # fmt: skip
    sort = serializers.ChoiceField(
        choices=list(SORTS), required=False, default="reach", help_text="Most reach first."
    )


class ClaimListApi(ClinicAPIView):
    """Claims: near-duplicate and paraphrased mentions grouped as they are scored, each with
    its number of mentions, total reach, first and last seen, the flags of its mentions and
    the fact it contradicts. Most reach first."""

    pagination_class = Pagination

    @extend_schema(parameters=[ClaimFilterSerializer], responses=ClaimOutputSerializer(many=True))
    def get(self, request):
        filters = query_params_validated(ClaimFilterSerializer, request.query_params)
        return paginated_response(self, clusters_list(**filters), ClaimOutputSerializer)


class ClaimDetailApi(ClinicAPIView):
    """One claim with its mentions (most reach first)."""

    @extend_schema(responses=ClaimDetailOutputSerializer)
    def get(self, request, claim_id: int):
        cluster = cluster_get(claim_id)
        if cluster is None:
            raise NotFound()
        return Response(ClaimDetailOutputSerializer(cluster).data)
