"""Scores out to integrators: every stored score of a clinic's reviews, oldest first, so an
integrator can follow the feed with the cursor in `next` and never miss or repeat one."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.pagination import CursorPagination

from core.api import ClinicAPIView
from scoring.models import ReviewScore, SentimentLabel


class TopicOutputSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Care topic, e.g. wait_time, staff_attitude.")
    triggers = serializers.ListField(
        child=serializers.CharField(), help_text="The words in the text that raised the topic."
    )
    sentiment = serializers.ChoiceField(
        choices=SentimentLabel.choices,
        required=False,
        allow_null=True,
        help_text="The topic's own sentiment, from the sentences that mention it (a five-star "
        "review can still complain about the wait); null for scores made before model 1.2.0.",
    )


@extend_schema_field(TopicOutputSerializer(many=True))
class TopicsField(serializers.JSONField):
    """The stored topics as they are (JSON passthrough), documented as TopicOutput items."""


class ScoreOutputSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_version")
    topics = TopicsField(read_only=True)
    scored_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ReviewScore
        fields = ["id", "review_id", "model", "label", "score", "confidence", "topics", "flags",
                  "scored_at"]  # fmt: skip


class ScoreFilterSerializer(serializers.Serializer):
    review_id = serializers.IntegerField(required=False, min_value=1)
    label = serializers.ChoiceField(choices=SentimentLabel.choices, required=False)
    model = serializers.CharField(required=False, max_length=100)
    scored_after = serializers.DateTimeField(required=False)
    flag = serializers.CharField(
        required=False, max_length=40, help_text="Only scores raising this risk flag."
    )
    topic = serializers.CharField(required=False, max_length=40)


class ScorePagination(CursorPagination):
    """Oldest first and stable under inserts: a feed to follow."""

    ordering = ("created_at", "id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


_EXAMPLE = {
    "id": 9120,
    "review_id": 311,
    "model": "carewatch-sentiment-1.2.0+c325275a",
    "label": "negative",
    "score": -0.93,
    "confidence": 0.95,
    "topics": [{"name": "wait_time", "triggers": ["waited", "2 hours"], "sentiment": "negative"}],
    "flags": [{"name": "legal_threat", "evidence": ["my lawyer"]}],
    "scored_at": "2026-11-29T06:41:07.512Z",
}


class ScoreListApi(ClinicAPIView):
    """Sentiment, care topics and risk flags of this clinic's reviews, one entry per review
    and model version, in the order they were stored. Follow `next`; keep the last page's
    `next` to resume later (`scored_after` also works for a first sync)."""

    pagination_class = ScorePagination

    @extend_schema(
        parameters=[
            OpenApiParameter("review_id", OpenApiTypes.INT, description="One review's scores"),
            OpenApiParameter(
                "label", OpenApiTypes.STR, description="negative | neutral | positive"
            ),
            OpenApiParameter("model", OpenApiTypes.STR, description="Model version"),
            OpenApiParameter("scored_after", OpenApiTypes.DATETIME, description="ISO 8601"),
            OpenApiParameter("flag", OpenApiTypes.STR, description="e.g. patient_safety"),
            OpenApiParameter("topic", OpenApiTypes.STR, description="e.g. wait_time"),
        ],
        responses=ScoreOutputSerializer(many=True),
        examples=[OpenApiExample("A negative score", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        filters = ScoreFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        qs = ReviewScore.objects.all()
        if "review_id" in data:
            qs = qs.filter(review_id=data["review_id"])
        if "label" in data:
            qs = qs.filter(label=data["label"])
        if "model" in data:
            qs = qs.filter(model_version=data["model"])
        if "scored_after" in data:
            qs = qs.filter(created_at__gt=data["scored_after"])
        if "flag" in data:
            qs = qs.filter(flags__contains=[{"name": data["flag"]}])
        if "topic" in data:
            qs = qs.filter(topics__contains=[{"name": data["topic"]}])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ScoreOutputSerializer(page, many=True).data)
