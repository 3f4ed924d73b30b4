"""Per-clinic scores. One score per review and model version (a database constraint), so a
task that runs twice cannot score twice."""

from django.db import models


class SentimentLabel(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class ReviewScore(models.Model):
    review = models.ForeignKey("feeds.Review", on_delete=models.CASCADE, related_name="scores")
    model_version = models.CharField(max_length=100)
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
        indexes = [models.Index(fields=["model_version", "label"])]

    def __str__(self) -> str:
        return f"{self.review_id} {self.label} {self.score:+.2f} ({self.model_version})"


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
