"""Scores out to integrators: every stored score of a clinic's reviews, oldest first, so an
integrator can follow the feed with the cursor in `next` and never miss or repeat one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers

from clinics.selectors import changed_after
from core.api import (
    ClinicAPIView,
    DayOrInstantField,
    ResumableCursorPagination,
    deprecation_mark,
    query_params_validated,
)
from scoring.ml.flags import FLAG_NAMES
from scoring.ml.topics import TOPIC_LEXICON
from scoring.models import ReviewScore, SentimentLabel
from scoring.selectors import topics_public

# What a `flag` or `topic` filter may name (the scores feed's and the reviews list's).
FLAG_CHOICES = list(FLAG_NAMES)
TOPIC_CHOICES = [(name, label) for name, (label, _) in TOPIC_LEXICON.items()]


class ScoreTopicOutputSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="A care topic, e.g. `wait_time`.")
    evidence = serializers.ListField(
        child=serializers.CharField(), help_text="The words of the review that raised it."
    )
    triggers = serializers.ListField(
        child=serializers.CharField(),
        help_text="Deprecated: `evidence` (the same words; sent until the next release).",
    )
    sentiment = serializers.ChoiceField(
        choices=SentimentLabel.choices,
        required=False,
        allow_null=True,
        help_text="The topic's own sentiment, from the sentences that mention it (a five-star "
        "review can still complain about the wait); null for scores made before model 1.2.0.",
    )


class ScoreFlagOutputSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="A risk flag, e.g. `patient_safety`, `legal_threat`.")
    evidence = serializers.ListField(
        child=serializers.CharField(), help_text="The words of the review that raised it."
    )


class ScoreOutputSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_version")
    topics = serializers.SerializerMethodField()
    flags = ScoreFlagOutputSerializer(many=True, read_only=True)
    scored_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ReviewScore
        fields = ["id", "review_id", "model", "label", "score", "confidence", "topics", "flags",
                  "scored_at"]  # fmt: skip

    @extend_schema_field(ScoreTopicOutputSerializer(many=True))
    def get_topics(self, score) -> list[dict]:
        return ScoreTopicOutputSerializer(topics_public(score.topics), many=True).data


class ScoreFilterSerializer(serializers.Serializer):
    review_id = serializers.IntegerField(required=False, min_value=1, help_text="One review's.")
    sentiment = serializers.ChoiceField(
        choices=SentimentLabel.choices, required=False, help_text="The score's label."
    )
    label = serializers.ChoiceField(
        choices=SentimentLabel.choices,
        required=False,
        help_text="Deprecated: `sentiment` (answered with a `Deprecation` header).",
    )
    model = serializers.CharField(required=False, max_length=100, help_text="A model version.")
    scored_after = DayOrInstantField(
        required=False,
        help_text="Only scores stored after this instant (ISO 8601 with its offset), or from "
        "the start of this day in the clinic's time zone (`2026-12-01`), as `updated_after` "
        "of `reviews/` reads them.",
    )
    flag = serializers.ChoiceField(
        choices=FLAG_CHOICES, required=False, help_text="Only scores raising this risk flag."
    )
    topic = serializers.ChoiceField(
        choices=TOPIC_CHOICES, required=False, help_text="Only scores naming this care topic."
    )


class ScorePagination(ResumableCursorPagination):
    """Oldest first and stable under inserts: a feed to follow, resumable from its last page."""

    ordering = ("created_at", "id")
    page_size = 100


_EXAMPLE = {
    "id": 9120,
    "review_id": 311,
    "model": "carewatch-sentiment-1.2.0+c325275a",
    "label": "negative",
    "score": -0.93,
    "confidence": 0.95,
    "topics": [
        {
            "name": "wait_time",
            "evidence": ["waited", "2 hours"],
            "triggers": ["waited", "2 hours"],
            "sentiment": "negative",
        }
    ],
    "flags": [{"name": "legal_threat", "evidence": ["my lawyer"]}],
    "scored_at": "2026-11-29T06:41:07.512Z",
}


class ScoreListApi(ClinicAPIView):
    """Sentiment, care topics and risk flags of this clinic's reviews, one entry per review
    and model version, in the order they were stored. Follow `next`; keep the last page's
    `next` to resume later (`scored_after` also works for a first sync). A value it cannot
    read, a parameter it does not know or a cursor it did not give is a 400 naming it."""

    pagination_class = ScorePagination

    @extend_schema(
        parameters=[ScoreFilterSerializer],
        responses=ScoreOutputSerializer(many=True),
        examples=[OpenApiExample("A negative score", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        data = query_params_validated(ScoreFilterSerializer, request.query_params)
        qs = ReviewScore.objects.all()
        if "review_id" in data:
            qs = qs.filter(review_id=data["review_id"])
        sentiment = data.get("sentiment", data.get("label"))
        if sentiment is not None:
            qs = qs.filter(label=sentiment)
        if "model" in data:
            qs = qs.filter(model_version=data["model"])
        if "scored_after" in data:
            qs = qs.filter(changed_after("created_at", data["scored_after"]))
        if "flag" in data:
            qs = qs.filter(flags__contains=[{"name": data["flag"]}])
        if "topic" in data:
            qs = qs.filter(topics__contains=[{"name": data["topic"]}])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        answer = paginator.get_paginated_response(ScoreOutputSerializer(page, many=True).data)
        deprecation_mark(answer, used=["label"] if "label" in request.query_params else [])
        return answer
