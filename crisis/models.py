"""Per-clinic crisis data (lives in each clinic's schema): detector settings, incidents with
their append-only timeline, linked mentions and assignees, post-crisis reviews and the clinic's
versioned response plan."""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.models import BaseModel


class IncidentKind(models.TextChoices):
    SURGE = "surge", "Negative surge"
    RATING_DROP = "rating_drop", "Rating drop"
    VIRAL = "viral", "Viral post"
    MISINFORMATION = "misinformation", "Misinformation"
    WATCH_WORD = "watch_word", "Watch word"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESPONDING = "responding", "Responding"
    RESOLVED = "resolved", "Resolved"
    REVIEWED = "reviewed", "Reviewed"


# Statuses in which an incident is still running: new related mentions attach to it.
ACTIVE_STATUSES = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESPONDING)


def _pct(low: float, high: float):
    return [MinValueValidator(low), MaxValueValidator(high)]


class DetectorSettings(models.Model):
    """The clinic's detector thresholds: one row per clinic schema (pk 1). A clinic without a
    row runs on the defaults below."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    enabled = models.BooleanField(default=True)
    baseline_days = models.PositiveSmallIntegerField(
        default=28, validators=[MinValueValidator(14), MaxValueValidator(56)]
    )
    escalation_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    # The incident room's clocks: minutes from opening to each target.
    ack_target_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    response_target_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)]
    )
    statement_target_minutes = models.PositiveIntegerField(
        default=180, validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)]
    )
    # A new incident about a false claim that an incident resolved at most this long ago held
    # continues it (`Incident.continues`): a second wave of one crisis, not a new one. Three
    # days: past the misinformation detector's two-day window, so a wave that comes back after
    # the first one has left the detectors' sight is still linked to it. 0: never. (A
    # statement published for the claim counts for any later incident about it, linked or not:
    # `crisis.selectors.statements_answering_claims`.)
    new_wave_hours = models.PositiveIntegerField(
        default=72, validators=[MinValueValidator(0), MaxValueValidator(30 * 24)]
    )
    # negative surge
    surge_enabled = models.BooleanField(default=True)
    surge_window_minutes = models.PositiveIntegerField(
        default=120, validators=[MinValueValidator(15), MaxValueValidator(24 * 60)]
    )
    surge_min_count = models.PositiveIntegerField(default=5, validators=[MinValueValidator(2)])
    # The detectors look every few minutes at overlapping windows: ~12 independent 2-hour
    # windows a day, so p ≤ 1e-4 pages a calm clinic about once in years, not once a month.
    surge_p_value = models.FloatField(default=0.0001, validators=_pct(1e-9, 0.05))
    surge_min_ratio = models.FloatField(default=1.5, validators=_pct(1.0, 100.0))
    # rating drop
    rating_enabled = models.BooleanField(default=True)
    rating_window_hours = models.PositiveIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(7 * 24)]
    )
    # Calibrated on bench/detect/backtest.py (calm clinic-quarters of real review text): a
    # minimum effect size as well as significance, so a few unhappy reviews on a quiet day
    # (5 ratings at 1.6★ against 4.2★) do not page anyone.
    rating_min_count = models.PositiveIntegerField(default=8, validators=[MinValueValidator(2)])
    rating_min_low = models.PositiveIntegerField(
        default=6,
        validators=[MinValueValidator(1)],
        help_text="How many of the window's ratings must be 1 or 2 stars.",
    )
    rating_min_baseline = models.PositiveIntegerField(default=10, validators=[MinValueValidator(3)])
    rating_drop = models.FloatField(default=1.2, validators=_pct(0.1, 4.0))
    # viral post
    viral_enabled = models.BooleanField(default=True)
    viral_min_engagement = models.PositiveIntegerField(
        default=250, validators=[MinValueValidator(5)]
    )
    viral_growth_factor = models.FloatField(default=10.0, validators=_pct(1.5, 1000.0))
    viral_max_age_hours = models.PositiveIntegerField(
        default=72, validators=[MinValueValidator(1), MaxValueValidator(30 * 24)]
    )
    # misinformation
    misinformation_enabled = models.BooleanField(default=True)
    misinformation_window_hours = models.PositiveIntegerField(
        default=48, validators=[MinValueValidator(1), MaxValueValidator(14 * 24)]
    )
    misinformation_min_mentions = models.PositiveIntegerField(
        default=3, validators=[MinValueValidator(2)]
    )
    misinformation_similarity = models.FloatField(default=0.25, validators=_pct(0.05, 1.0))
    misinformation_min_reach = models.PositiveIntegerField(
        default=250,
        validators=[MinValueValidator(10)],
        help_text="A single false claim with at least this many likes, shares and replies opens "
        "an incident, however few mentions repeat it.",
    )
    # watch words
    watch_words = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    watch_window_hours = models.PositiveIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(14 * 24)]
    )
    watch_min_mentions = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    watch_skip_positive = models.BooleanField(
        default=True, help_text="Ignore mentions scored positive (“Dr. Lee was wonderful”)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "detector settings"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="detector_settings_single")]

    def __str__(self) -> str:
        return "Detector settings"


# DetectorSettings' fields in words: (plain label with its unit, what raising or lowering it
# does), for the thresholds page (crisis.forms adds the default from the model, so the text
# cannot drift from it) and the settings history.
THRESHOLD_WORDS: dict[str, tuple[str, str]] = {
    "enabled": ("Detectors on",
                "Off: no detector opens an incident for this clinic."),
    "baseline_days": ("Usual level learnt from the last (days)",
                      "More days: a steadier idea of normal, slower to follow a real change."),
    "escalation_minutes": ("Escalate an unacknowledged incident after (minutes)",
                           "Lower: the next people are told sooner."),
    "ack_target_minutes": ("Target to acknowledge (minutes)",
                           "The incident room's clock from opening to acknowledging."),
    "response_target_minutes": ("Target for the first public response (minutes)",
                                "The incident room's clock from opening to the first reply."),
    "statement_target_minutes": ("Target for a statement (minutes)",
                                 "The incident room's clock from opening to a statement."),
    "new_wave_hours": ("A new wave of a resolved false claim follows up its incident for "
                       "(hours after resolving)",
                       "Within this time, a new incident about the same claim, or of the same "
                       "kind (a surge back after it was resolved), is opened as the follow-up "
                       "of the one resolved, linked to it. 0: never."),
    "surge_enabled": ("Watch for a surge of negative mentions", ""),
    "surge_window_minutes": ("Count negative mentions over (minutes)",
                             "Longer: slower surges are caught, a sharp one a little later."),
    "surge_min_count": ("At least this many negative mentions",
                        "Higher: small clusters of complaints no longer open an incident."),
    "surge_p_value": ("Chance it is only bad luck, at most (probability, 0–0.05)",
                      "Lower (e.g. 0.00001): only a clearer surge opens one; higher: more "
                      "false alarms on a calm clinic."),
    "surge_min_ratio": ("At least this many times the usual number (×)",
                        "Higher: the surge must stand further above the clinic's usual level."),
    "rating_enabled": ("Watch for a rating drop", ""),
    "rating_window_hours": ("Compare the ratings of the last (hours)",
                            "Longer: slower drops are caught, later."),
    "rating_min_count": ("At least this many ratings in that time",
                         "Higher: a few unhappy reviews on a quiet day do not open one."),
    "rating_min_low": ("Of them, at least this many 1–2★",
                       "Higher: more low ratings are needed before it opens."),
    "rating_min_baseline": ("At least this many earlier ratings to compare with",
                            "Higher: a clinic with little history is not judged on it."),
    "rating_drop": ("Average down by at least (stars)",
                    "Higher (e.g. 1.5): only a steeper drop opens one; lower: smaller dips do."),
    "viral_enabled": ("Watch for a viral post", ""),
    "viral_min_engagement": ("At least this many likes, shares and replies",
                             "Higher: only bigger posts count as viral."),
    "viral_growth_factor": ("Growing at least this many times faster than usual (×)",
                            "Higher: only a faster-spreading post opens one."),
    "viral_max_age_hours": ("Only posts younger than (hours)",
                            "Longer: older posts that take off again are watched too."),
    "misinformation_enabled": ("Watch for misinformation", ""),
    "misinformation_window_hours": ("Look back over (hours)",
                                    "Longer: a claim repeated slowly is still caught."),
    "misinformation_min_mentions": ("The same false claim at least (mentions)",
                                    "Higher: a claim must be repeated more before it opens one."),
    "misinformation_similarity": ("Words two mentions must share to be one claim (0.05–1)",
                                  "Share of words in common: higher (e.g. 0.4) groups only "
                                  "close wordings; lower groups looser ones."),
    "misinformation_min_reach": ("Or one false claim reaching at least (likes + shares + replies)",
                                 "Lower: a single widely seen false claim opens one sooner."),
    "watch_window_hours": ("Count watch words over (hours)",
                           "Longer: mentions further apart add up."),
    "watch_min_mentions": ("At least this many mentions of a watch word",
                           "Higher: one passing mention does not open one."),
    "watch_skip_positive": ("Ignore mentions scored positive",
                            "e.g. “Dr. Lee was wonderful” when “Dr. Lee” is a watch word."),
}  # fmt: skip


class Incident(BaseModel):
    """A crisis in the making. At most one active incident per (kind, key): later related
    mentions attach to it instead of opening another (the key is the watch word for watch-word
    incidents and empty otherwise)."""

    kind = models.CharField(max_length=16, choices=IncidentKind.choices)
    key = models.CharField(max_length=100, blank=True, default="")
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN, db_index=True
    )
    # {"kind", "explanation", "numbers": {...}} as the detector saw it when it opened.
    trigger = models.JSONField(default=dict)
    last_evaluation = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(db_index=True)
    last_detected_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=200, blank=True, default="")
    responding_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The resolved incident this one follows up: a new wave of a false claim that incident
    # held, within the clinic's `new_wave_hours` of its resolution (crisis.services.detection).
    continues = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="followed_by"
    )
    mentions = models.ManyToManyField(
        "feeds.Review", through="IncidentMention", related_name="incidents"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=Q(status__in=["open", "acknowledged", "responding"]),
                name="incident_one_active_per_kind_key",
            ),
        ]
        indexes = [models.Index(fields=["status", "escalated_at", "opened_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class IncidentMention(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    review = models.ForeignKey("feeds.Review", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "review"], name="incident_mention_unique")
        ]

    def __str__(self) -> str:
        return f"incident {self.incident_id} ← review {self.review_id}"


class IncidentStatement(models.Model):
    """An official statement (responses.Statement) drafted from an incident: it belongs to that
    incident. The link lives here because crisis sits above responses (docs/architecture.md)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="statement_links")
    statement = models.OneToOneField(
        "responses.Statement", on_delete=models.CASCADE, related_name="incident_link"
    )
    added_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"incident {self.incident_id} ← statement {self.statement_id}"


class EventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    MENTIONS_ADDED = "mentions_added", "Mentions linked"
    SEVERITY_RAISED = "severity_raised", "Severity raised"
    ALSO_DETECTED = "also_detected", "Also detected"
    NOTIFIED = "notified", "Notified"
    NOTIFY_FAILED = "notify_failed", "Notification failed"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    STATUS_CHANGED = "status_changed", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    NOTE = "note", "Note"
    ESCALATED = "escalated", "Escalated"
    REVIEW_DRAFTED = "review_drafted", "Review drafted"
    REVIEW_EDITED = "review_edited", "Review edited"
    PLAN_UPDATED = "plan_updated", "Response plan updated"
    STATEMENT_DRAFTED = "statement", "Statement drafted"
    REVIEW_SENT = "review_sent", "Review sent to the clinic"
    FOLLOW_UP = "follow_up", "Private follow-up"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The incident timeline is append-only.")

    def delete(self):
        raise TypeError("The incident timeline is append-only.")


class IncidentEvent(models.Model):
    """One line of an incident's timeline. Append-only: rows are never changed or deleted
    (a correction is a new note)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    message = models.TextField()
    actor = models.CharField(max_length=200, default="system")
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)
    # A note is the agency's own unless its writer shares it: only shared notes reach the
    # clinic (its portal, the review sent to it). Other kinds follow the client's rule in
    # `crisis.selectors.incident_events_for_client`.
    shared_with_clinic = models.BooleanField(default=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}: {self.message[:60]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The incident timeline is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The incident timeline is append-only.")


class IncidentAssignment(BaseModel):
    """Who handles the incident for one crisis role (a person of the clinic or agency, by the
    id of their user in the public schema)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(max_length=16)  # clinics.models.CrisisRole
    user_id = models.BigIntegerField()
    user_label = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "role"], name="incident_assignment_unique")
        ]


class EngagementSample(models.Model):
    """A post's engagement (likes + shares + replies) as the detectors saw it: how fast a post
    grows is measured between samples."""

    review = models.ForeignKey("feeds.Review", on_delete=models.CASCADE, related_name="+")
    engagement = models.PositiveIntegerField()
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["review", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"review {self.review_id}: {self.engagement} @ {self.at:%Y-%m-%d %H:%M}"


class PostCrisisReview(BaseModel):
    """Drafted when an incident is resolved. Metrics are computed live until the review is
    first sent to the clinic (or the incident is marked reviewed, if that comes first), then
    frozen in `metrics` (`crisis.services.reviews.review_send`, `review_freeze`)."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    lessons = models.TextField(blank=True, default="")
    prevention = models.TextField(blank=True, default="")
    metrics = models.JSONField(default=dict, blank=True)
    metrics_frozen_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.CharField(max_length=200, blank=True, default="")
    plan_version = models.PositiveIntegerField(null=True, blank=True)
    # Sent to the clinic: from then on its people read it in the portal.
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.CharField(max_length=200, blank=True, default="")
    # the person who sent it (public-schema user id): the clinic's questions go to them
    sent_by_user_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Review of incident #{self.incident_id}"


class ResponsePlanVersion(models.Model):
    """The clinic's crisis response plan, one row per version (the newest is current)."""

    version = models.PositiveIntegerField(unique=True)
    text = models.TextField()
    note = models.CharField(max_length=300, blank=True, default="")
    author = models.CharField(max_length=200, default="system")
    from_review = models.ForeignKey(
        PostCrisisReview, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Response plan v{self.version}"


class AckChannel(models.TextChoices):
    EMAIL = "email", "e-mail link"
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"
    PORTAL = "portal", "client portal"
    WEB = "web", "incident room"
    IN_APP = "in_app", "in-app banner"
    API = "api", "API"


class AckTokenUse(models.Model):
    """A one-click acknowledge link that was used: the link is signed (it cannot be forged)
    and this row makes it single-use."""

    nonce = models.CharField(max_length=32, unique=True)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=AckChannel.choices)
    user_id = models.BigIntegerField(null=True, blank=True)
    used_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"ack link {self.nonce} ({self.channel})"


class ReviewQuestion(BaseModel):
    """A question or correction the clinic sent the agency about a post-crisis review it
    received, kept with the review, and the agency's answer (`crisis.services.review_questions`).
    People are kept by the id of their user in the public schema and by name as shown then."""

    review = models.ForeignKey(PostCrisisReview, on_delete=models.CASCADE, related_name="questions")
    asked_by_id = models.BigIntegerField()
    asked_by_name = models.CharField(max_length=200)
    text = models.TextField()
    answer = models.TextField(blank=True, default="")
    answered_by_id = models.BigIntegerField(null=True, blank=True)
    answered_by_name = models.CharField(max_length=200, blank=True, default="")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"question {self.pk} on review {self.review_id}"
