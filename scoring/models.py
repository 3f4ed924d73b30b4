"""Per-clinic scores. One score per review and model version (a database constraint), so a
task that runs twice cannot score twice."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models


class SentimentLabel(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class ReviewSentiment(models.TextChoices):
    """A review's sentiment as people read it: the model's overall label, or "mixed" where the
    review both praises and complains (`review_sentiment`)."""

    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"
    MIXED = "mixed", "Mixed"


def review_sentiment(label: str | None, topics: list[dict] | None) -> ReviewSentiment | None:
    """The one rule for the sentiment a page shows beside a review: "mixed" where the overall
    label and the care topics' own sentiments (`topics[].sentiment`) hold both a positive and a
    negative ("the staff were lovely, the bill was wrong"), else the overall label; None while
    unscored. A topic's sentiment differs from the overall label only where its sentences read
    so clearly (scoring.ml.engine.topic_sentiments), so one such topic is enough. The stored
    label itself stays the model's: detectors, counts, filters and the API read it."""
    if not label:
        return None
    said = {label, *(t.get("sentiment") for t in topics or [] if isinstance(t, dict))}
    if {SentimentLabel.POSITIVE.value, SentimentLabel.NEGATIVE.value} <= said:
        return ReviewSentiment.MIXED
    return ReviewSentiment(label)


class ReviewScore(models.Model):
    # No index of its own: `score_review_model_unique` and `score_review_latest` start with it.
    review = models.ForeignKey(
        "feeds.Review", on_delete=models.CASCADE, related_name="scores", db_index=False
    )
    model_version = models.CharField(max_length=200)
    label = models.CharField(max_length=8, choices=SentimentLabel.choices)
    score = models.FloatField(help_text="-1 (very negative) … 1 (very positive)")
    confidence = models.FloatField(default=0)
    topics = models.JSONField(default=list)  # [{"name", "triggers": [...]}]
    flags = models.JSONField(default=list)  # [{"name", "evidence": [...], "probability"?}]
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "model_version"], name="score_review_model_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=-1, score__lte=1), name="score_in_range"
            ),
        ]
        indexes = [
            models.Index(fields=["model_version", "label"]),
            # The latest score of a review (`scoring.selectors`: newest first by created_at,
            # then id) is this index's first entry for the review: no sort per review.
            models.Index(fields=["review", "-created_at", "-id"], name="score_review_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.review_id} {self.label} {self.score:+.2f} ({self.model_version})"


class LatestScore(models.Model):
    """A review's latest score (`scoring.selectors`' rule: newest by `created_at`, then by
    `id`), stored with what the filters on it read (the inbox's and the reviews API's
    sentiment, topic and flag): one row per review to join, instead of finding each review's
    newest score. Kept by `scoring.services.latest_scores_refresh`, the one place that
    writes it, whenever scores are written; a review with no score has no row (deleting a
    score deletes its row). The topics and flags keep their names (and a topic's sentiment)
    only, never the words of the review, so a redaction leaves them as they are."""

    review = models.OneToOneField(
        "feeds.Review", primary_key=True, on_delete=models.CASCADE, related_name="score_latest"
    )
    score = models.OneToOneField(ReviewScore, on_delete=models.CASCADE, related_name="latest_of")
    label = models.CharField(max_length=8, choices=SentimentLabel.choices)
    topics = models.JSONField(default=list)  # [{"name", "sentiment"?}] of the score's topics
    flags = models.JSONField(default=list)  # [{"name"}] of the score's flags

    class Meta:
        indexes = [
            # `@>` of a flag or a topic: the reviews carrying a rare one, without a full scan
            GinIndex(OpClass("flags", name="jsonb_path_ops"), name="latest_score_flags"),
            GinIndex(OpClass("topics", name="jsonb_path_ops"), name="latest_score_topics"),
        ]

    def __str__(self) -> str:
        return f"review {self.review_id}: score {self.score_id} {self.label}"


class ScoringFailure(models.Model):
    """A review whose scoring failed or killed its worker: retried up to a limit, then parked
    with its error so that it stops taking the rest of its batch down with it."""

    review = models.OneToOneField(
        "feeds.Review", on_delete=models.CASCADE, related_name="scoring_failure"
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    parked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.review_id}: {self.attempts} attempts"


class ClaimCluster(models.Model):
    """One claim made by many mentions: near-duplicates and paraphrases grouped as they are
    scored (`scoring.claims.services.claims_cluster`). Count, reach and first seen are read
    live from the member reviews (`scoring.claims.selectors`), so an edited or deleted mention
    never leaves a stale figure; what comes from the text (title, key phrases, flags, the fact
    contradicted, the centroid) is kept here."""

    title = models.CharField(max_length=300, help_text="The claim as its first mention put it.")
    key_phrases = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    # Sum of the member embeddings (float32 bytes); its direction is the cluster's centroid.
    centroid = models.BinaryField(null=True, blank=True, editable=False)
    flags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    misinformation = models.BooleanField(default=False, db_index=True)
    # The best evidence from the members' misinformation flags:
    # {"kind": "fact"|"myth", "slug", "statement", "similarity"}.
    contradicts = models.JSONField(default=dict, blank=True)
    fact = models.ForeignKey(
        "facts.Fact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_joined_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_joined_at", "-id"]

    def __str__(self) -> str:
        return f"claim {self.pk}: {self.title[:60]}"


class ClaimMention(models.Model):
    """A review or mention's place in a claim cluster: one per review."""

    review = models.OneToOneField(
        "feeds.Review", on_delete=models.CASCADE, related_name="claim_mention"
    )
    cluster = models.ForeignKey(ClaimCluster, on_delete=models.CASCADE, related_name="mentions")
    claim = models.CharField(max_length=500, blank=True, default="")
    similarity = models.FloatField(help_text="Encoder cosine to the cluster when it joined.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["cluster", "review"])]

    def __str__(self) -> str:
        return f"review {self.review_id} in claim {self.cluster_id}"
