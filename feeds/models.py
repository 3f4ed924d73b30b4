"""Per-clinic data (lives in each clinic's schema): where reviews come from and the reviews."""

import json

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, IntegerField, Q
from django.db.models.functions import Upper

from core.models import BaseModel


class SourceKind(models.TextChoices):
    GOOGLE = "google", "Google Business Profile"
    FACEBOOK = "facebook", "Facebook page"
    YELP = "yelp", "Yelp"
    HEALTHGRADES = "healthgrades", "Healthgrades"
    INSTAGRAM = "instagram", "Instagram"
    X = "x", "X"
    CSV = "csv", "CSV import"
    WEBHOOK = "webhook", "Inbound webhook"
    API = "api", "API push"


# The kinds Carewatch reads on a schedule (`feeds.polling`); the others are sent to it (an
# inbound webhook, the API, a CSV upload) and are never "read every N minutes".
POLLED_KINDS = (SourceKind.GOOGLE, SourceKind.FACEBOOK, SourceKind.YELP)


def platform_name(kind: str) -> str:
    """A source kind as people name its platform: "Google Business Profile", "Facebook",
    "Yelp" (never a kind's code, never lowercased)."""
    if kind == SourceKind.FACEBOOK:
        return "Facebook"
    return SourceKind(kind).label if kind in SourceKind.values else kind


class Source(BaseModel):
    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    name = models.CharField(max_length=200)
    settings = models.JSONField(default=dict, blank=True)
    # Fernet token (core.crypto); never returned by the API, shown in pages or logged.
    credentials_encrypted = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=True)
    poll_interval_minutes = models.PositiveIntegerField(default=15)
    cursor = models.CharField(max_length=500, blank=True, default="")
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    consecutive_failures = models.PositiveIntegerField(default=0)
    is_healthy = models.BooleanField(default=True)
    # The last complete sweep for items deleted on the platform (`feeds.polling`: a platform
    # whose incremental listing cannot show a deletion is listed whole now and then).
    swept_at = models.DateTimeField(null=True, blank=True)
    # "We post replies on this channel by hand" (the Sources page): Carewatch never posts a
    # reply here, even when connected; approved replies go to the outbox's "To post by hand".
    replies_by_hand = models.BooleanField(default=False, db_default=False)
    # The backlog a source found when it started reading (`feeds.services.sources.
    # source_backlog_choose`, every kind: connected, added on the Sources page or through the
    # API): its items published before this are past reviews (`Review.imported_as_past`), as a
    # CSV import of "past reviews" makes them: no reply clock, no SLA breach, not in the
    # reports' on-time figures. None: every item counts (the person chose so, or never set).
    history_before = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def identity(self) -> tuple:
        return source_identity(self.kind, self.name, self.settings)


def source_identity(kind: str, name: str, settings: dict | None) -> tuple:
    """What makes two sources the same one: their kind, their name (in any case and spacing)
    and their settings (the location, page or business read). Two Facebook pages differ by
    their settings or their names; two sources alike in all three are one added twice."""
    return (
        kind,
        " ".join((name or "").split()).casefold(),
        json.dumps(settings or {}, sort_keys=True),
    )


class Platform(models.TextChoices):
    """Who a source is connected through with OAuth (the Instagram business account of a
    Facebook page is reached with that page's token)."""

    GOOGLE = "google", "Google Business Profile"
    FACEBOOK = "facebook", "Facebook / Instagram"


class SourceConnection(BaseModel):
    """How a source's credentials were obtained with OAuth ("Connect ..."), what they reach and
    when they must be renewed. The tokens themselves are in `Source.credentials_encrypted`; a
    source without this row has no credentials or had them entered by hand."""

    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="connection")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    account_ref = models.CharField(max_length=200)  # "accounts/1/locations/2", a page id, an IG id
    account_name = models.CharField(max_length=300)  # shown: location title and address, page name
    grantee = models.CharField(max_length=300, blank=True, default="")  # who signed in, shown
    # sha256 of "<platform>:<platform user id>": other sources on the same grant (a revoke at the
    # platform ends the grant for all of them, so it is revoked only with the last one).
    grant_ref = models.CharField(max_length=64, db_index=True)
    # An Instagram source connected through its Facebook page's source: renewed, warned about and
    # disconnected with it.
    via = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    connected_at = models.DateTimeField()
    connected_by_label = models.CharField(max_length=64, blank=True, default="")
    connected_by_name = models.CharField(max_length=200, blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)  # renewed before then
    # After this the platform needs a person to sign in again (Facebook's data access expiry).
    reconnect_by = models.DateTimeField(null=True, blank=True)
    next_refresh_at = models.DateTimeField(null=True, blank=True, db_index=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_failures = models.PositiveIntegerField(default=0)
    refresh_error = models.TextField(blank=True, default="")
    lost_at = models.DateTimeField(null=True, blank=True)  # the platform refused to renew
    warned = models.CharField(max_length=16, blank=True, default="")  # "7d", "1d": warnings sent

    def __str__(self) -> str:
        return f"{self.source_id} → {self.account_name}"


class AttemptStatus(models.TextChoices):
    STARTED = "started", "Waiting for the platform"
    CHOOSING = "choosing", "Choosing a location or page"
    CONNECTED = "connected", "Connected"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ConnectAttempt(BaseModel):
    """One run of the OAuth authorization-code flow. Its `state` (only the hash is kept) is
    bound to the clinic (this schema), the person and their session; it is used once and
    expires. Between the platform's answer and the choice of a location or page, the tokens
    wait here encrypted; they are erased when the attempt ends."""

    platform = models.CharField(max_length=16, choices=Platform.choices)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # reconnect this source (None: the choice decides)
    state_hash = models.CharField(max_length=64, unique=True)
    user_id = models.BigIntegerField()
    session_hash = models.CharField(max_length=64)
    redirect_uri = models.CharField(max_length=500)
    status = models.CharField(
        max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.STARTED
    )
    expires_at = models.DateTimeField()
    secrets_encrypted = models.TextField(blank=True, default="")  # PKCE verifier, then tokens
    choices = models.JSONField(default=list, blank=True)  # [{"id", "name", "detail", ...}]
    grantee = models.CharField(max_length=300, blank=True, default="")
    error = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.platform} {self.status}"


class ItemKind(models.TextChoices):
    REVIEW = "review", "Review"
    COMMENT = "comment", "Comment"
    MENTION = "mention", "Mention"


class ReviewStatus(models.TextChoices):
    NEW = "new", "New"
    NEEDS_REPLY = "needs_reply", "Needs reply"
    REPLIED = "replied", "Replied"
    IGNORED = "ignored", "Ignored"
    IN_FOLLOW_UP = "in_follow_up", "In private follow-up"
    RESOLVED = "resolved", "Resolved"


# The statuses of a review still waiting for a reply: any other (replied on the platform,
# ignored, followed up privately, resolved) answers it and stops its reply clock. The one rule
# of the dashboard's SLA (`inbox.selectors.reviews_awaiting_reply`) and of a reply's card
# (`responses.selectors.sla_for`).
AWAITING_REPLY_STATUSES = (ReviewStatus.NEW, ReviewStatus.NEEDS_REPLY)


def reach() -> models.Expression:
    """Likes + shares + replies: the "most reach first" order (an index reads it)."""
    return F("likes") + F("shares") + F("replies")


def rating_lowest_first() -> models.Expression:
    """The "lowest rating first" key, descending: -coalesce(rating, 6) (unrated mentions last),
    the very expression of the reviews API's keyset and of an index; the 6 is written in the
    SQL, never a parameter, so the planner can match the index."""
    return Func(
        F("rating"), template="(-coalesce(%(expressions)s, 6))", output_field=IntegerField()
    )


class Review(BaseModel):
    """A review or mention, as the platform last showed it. Earlier versions are kept in
    `ReviewRevision`; (source, external_id) identifies it across syncs."""

    # No index of its own: the unique (source, external_id) index serves source lookups, and a
    # second one lures the planner into scanning a whole source when statistics are stale.
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="reviews", db_index=False
    )
    external_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=ItemKind.choices, default=ItemKind.REVIEW)
    author_name = models.CharField(max_length=200, blank=True, default="")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True, default="")
    language = models.CharField(max_length=16, blank=True, default="")
    url = models.URLField(max_length=1000, blank=True, default="")
    published_at = models.DateTimeField(db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    likes = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # The parent's external id as the platform sent it: a comment often arrives before its
    # post (another poll, another batch); it is linked when the post arrives
    # (`feeds.services.ingest._link_parents`).
    parent_external_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.NEW, db_index=True
    )
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, default="")
    # Imported as a past review (a CSV import marked "these are past reviews"): written before
    # the agency answered for the clinic, so no reply clock runs for it and it is never an SLA
    # breach (`inbox.selectors.reviews_awaiting_reply`, `inbox.selectors.reply_clock`).
    imported_as_past = models.BooleanField(default=False, db_default=False)
    # Redacted at the author's request (a privacy request, `feeds.services.privacy`): the
    # author, text, URL and history are gone, the external id stays so that no later sync
    # brings them back (`reviews_upsert` leaves a redacted review as it is).
    redacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="review_source_external_unique"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="review_rating_1_to_5",
            ),
        ]
        # The inbox's and the API's sorts other than by date, each the exact ORDER BY they use
        # (a top-50 then reads 50 index entries, not every review), and the text search
        # (`icontains`: UPPER(text) LIKE UPPER('%...%')) through trigrams (pg_trgm, in public).
        indexes = [
            models.Index(
                reach().desc(),
                F("id").desc(),
                name="review_reach_order",
                condition=Q(is_deleted=False),
            ),
            models.Index(
                rating_lowest_first().desc(),
                F("published_at").desc(),
                F("id").desc(),
                name="review_rating_order",
                condition=Q(is_deleted=False),
            ),
            GinIndex(OpClass(Upper("text"), name="gin_trgm_ops"), name="review_text_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.external_id}"


class RevisionKind(models.TextChoices):
    EDIT = "edit", "Edited"
    DELETE = "delete", "Deleted"


class ReviewRevision(models.Model):
    """A version of a review before the platform changed or deleted it."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(max_length=8, choices=RevisionKind.choices)
    text = models.TextField(blank=True, default="")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    captured_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-captured_at"]

    def __str__(self) -> str:
        return f"{self.review_id} {self.kind} @ {self.captured_at:%Y-%m-%d %H:%M}"


class OutageKind(models.TextChoices):
    TURNED_OFF = "turned_off", "Turned off"
    DISCONNECTED = "disconnected", "Disconnected from its account"
    CONNECTION_LOST = "connection_lost", "Connection ended by the platform"
    FETCHES_FAILED = "fetches_failed", "Fetches kept failing"


class SourceOutage(models.Model):
    """A time a source that delivered stopped delivering (`feeds.services.outages`): turned
    off, disconnected, its connection ended by the platform, or its fetches failing until
    polling stopped. `ended_at` is set when it delivers again, or when the reason changes (the
    next outage then starts). The incident room, the post-crisis review and its timeline read
    these: a channel that was down mid-crisis is part of the story."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="outages")
    kind = models.CharField(max_length=16, choices=OutageKind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # who turned it off or disconnected it ("" for the platform or the fetches)
    started_by = models.CharField(max_length=200, blank=True, default="")
    # the platform's or the connector's words when it broke (the agency's copy only)
    detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["started_at"], name="outage_started")]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(ended_at__isnull=True),
                name="outage_one_open_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} from {self.started_at:%Y-%m-%d %H:%M}"


class IngestRequest(models.Model):
    """An API push remembered under its Idempotency-Key: a retry gets the first answer."""

    key = models.CharField(max_length=200, unique=True)
    request_hash = models.CharField(max_length=64)
    response = models.JSONField()
    # the answer as first written (jsonb reorders an object's keys): a replay is its bytes
    response_text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.key


class WebhookReceipt(models.Model):
    """A signed webhook delivery already accepted (replay protection)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=128)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "signature"], name="webhook_receipt_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.signature[:12]}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(BaseModel):
    """A CSV upload and its progress. The file is kept in the row (no shared disk needed)."""

    filename = models.CharField(max_length=255)
    content = models.TextField()
    status = models.CharField(
        max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    # [{"line": n, "error": "...", "fields": {field: [message]}}], first 1,000 (no `fields`
    # in jobs before 2026-12-03)
    errors = models.JSONField(default=list)
    error_count = models.PositiveIntegerField(default=0)
    # what the file has that the import does not read (["Not read: the column colour …"])
    warnings = models.JSONField(default=list)
    failure = models.TextField(blank=True, default="")
    created_by_id = models.BigIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # "These are past reviews": the reviews this import creates are `Review.imported_as_past`.
    past_reviews = models.BooleanField(default=False, db_default=False)

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
