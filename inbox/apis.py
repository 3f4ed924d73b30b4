"""The reviews read API: `GET reviews/` (filters, keyset cursors) and `GET reviews/<id>/` (with
the edit history), each review with its latest score."""

from __future__ import annotations

from functools import partial

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from core.api import ClinicAPIView, FeedPagination, query_params_validated
from feeds.models import Review, ReviewRevision, ReviewStatus, SourceKind
from inbox.selectors import review_detail_json, reviews_page_json, score_rounded
from scoring.apis import ScoreFlagOutputSerializer, ScoreTopicOutputSerializer
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
            "sentiment",
            "created_at",
            "updated_at",
        ]

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
        fields = [*ReviewOutputSerializer.Meta.fields, "is_deleted", "deleted_at", "revisions"]


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
    published_from = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive.")
    published_to = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive.")
    q = serializers.CharField(required=False, max_length=200, help_text="Text search.")
    include_deleted = serializers.BooleanField(
        required=False, default=False, help_text="Include items deleted on the platform."
    )


class ReviewListApi(ClinicAPIView):
    """Reviews and mentions of this clinic, newest first, with filters. Cursor-paginated:
    follow `next` (no total count: a clinic's history can be large)."""

    pagination_class = FeedPagination

    @extend_schema(parameters=[ReviewFilterSerializer], responses=ReviewOutputSerializer(many=True))
    def get(self, request):
        filters = query_params_validated(ReviewFilterSerializer, request.query_params)
        paginator = self.pagination_class()
        page = paginator.paginate(request, partial(reviews_page_json, filters))
        return paginator.get_raw_response(page)


class ReviewDetailApi(ClinicAPIView):
    @extend_schema(responses=ReviewDetailSerializer)
    def get(self, request, review_id: int):
        found = review_detail_json(review_id)
        if found is None:
            raise NotFound()
        return HttpResponse(found.encode(), content_type="application/json")
