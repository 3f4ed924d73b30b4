"""The reviews read API: `GET reviews/` (filters, keyset cursors) and `GET reviews/<id>/` (with
the edit history), each review with its latest score."""

from __future__ import annotations

from functools import partial

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from core.api import ClinicAPIView, FeedPagination, query_params_validated
from feeds.models import Review, ReviewRevision, ReviewStatus, SourceKind
from inbox.selectors import review_detail_json, reviews_page_json, score_rounded


class ReviewOutputSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.kind", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True)
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

    def get_sentiment(self, review) -> dict | None:
        """The latest score: label, score (-1..1, 4 decimals, `score_rounded`), model, care
        topics (name, triggers and the topic's own sentiment label from the sentences that
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
            "topics": score.topics,
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
    source = serializers.ChoiceField(choices=SourceKind.choices, required=False)
    source_id = serializers.IntegerField(required=False, min_value=1)
    rating = serializers.IntegerField(required=False, min_value=1, max_value=5)
    rating_max = serializers.IntegerField(required=False, min_value=1, max_value=5)
    sentiment = serializers.ChoiceField(
        choices=["negative", "neutral", "positive", "unscored"], required=False
    )
    status = serializers.ChoiceField(choices=ReviewStatus.choices, required=False)
    published_from = serializers.DateTimeField(required=False)
    published_to = serializers.DateTimeField(required=False)
    q = serializers.CharField(required=False, max_length=200)
    include_deleted = serializers.BooleanField(required=False, default=False)


_FILTER_PARAMS = [
    OpenApiParameter(name, OpenApiTypes.STR, description=desc)
    for name, desc in [
        ("source", "Source kind (google, facebook, …)"),
        ("source_id", "Source id"),
        ("rating", "Exact rating 1–5"),
        ("rating_max", "Rating at most"),
        ("sentiment", "negative | neutral | positive | unscored"),
        ("status", "new | needs_reply | replied | ignored"),
        ("published_from", "ISO 8601"),
        ("published_to", "ISO 8601"),
        ("q", "Text search"),
        ("include_deleted", "Include items deleted on the platform"),
    ]
]


class ReviewListApi(ClinicAPIView):
    """Reviews and mentions of this clinic, newest first, with filters. Cursor-paginated:
    follow `next` (no total count: a clinic's history can be large)."""

    pagination_class = FeedPagination

    @extend_schema(parameters=_FILTER_PARAMS, responses=ReviewOutputSerializer(many=True))
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
