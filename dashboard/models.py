from django.db import models


class ClinicSnapshot(models.Model):
    """One row per clinic, in the public schema: what the agency dashboard shows, so that a
    page over hundreds of clinics is one query instead of one query set per clinic schema.

    Written only by `dashboard.services.clinic_snapshot_refresh`; marked stale by the code paths
    that change its figures (`core.rollup.figures_changed`) and refreshed soon after by a task, with a
    beat sweeper as the safety net."""

    clinic = models.OneToOneField(
        "clinics.Clinic", on_delete=models.CASCADE, primary_key=True, related_name="snapshot"
    )
    agency = models.ForeignKey("agency.Agency", on_delete=models.CASCADE, related_name="+")
    new_reviews = models.PositiveIntegerField(default=0)
    average_rating = models.FloatField(null=True, blank=True)  # the last 90 days
    rating_count = models.PositiveIntegerField(default=0)
    # Mean sentiment (-1..1) per day, oldest first, the last SPARK_DAYS days; null = no reviews.
    sentiment_daily = models.JSONField(default=list)
    # How many scored reviews each day's mean is of (same length; [] on rows from before).
    sentiment_counts = models.JSONField(default=list)
    # The last days' mean minus the first days', each weighted by reviews
    # (`dashboard.services.sentiment_trend`); null with too few reviews at either end.
    sentiment_trend = models.FloatField(null=True, blank=True)
    open_incidents = models.PositiveIntegerField(default=0)
    unacknowledged_incidents = models.PositiveIntegerField(default=0)
    top_incident_id = models.BigIntegerField(null=True, blank=True)
    top_incident_title = models.CharField(max_length=300, blank=True, default="")
    # The most severe active incident's severity (0 none, 1 low … 4 critical), the oldest
    # unacknowledged one's opening, and whether one was escalated: the default ranking.
    top_severity = models.PositiveSmallIntegerField(default=0)
    top_severity_label = models.CharField(max_length=8, blank=True, default="")
    oldest_unacknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated = models.BooleanField(default=False)
    # Texts waiting at any approval step: the total (sorted by) and each kind.
    awaiting_approval = models.PositiveIntegerField(default=0)
    awaiting_replies = models.PositiveIntegerField(default=0)
    awaiting_batches = models.PositiveIntegerField(default=0)
    awaiting_statements = models.PositiveIntegerField(default=0)
    failed_deliveries = models.PositiveIntegerField(default=0)  # outbox items that failed
    sla_breaches = models.PositiveIntegerField(default=0)
    # The next moment an unanswered negative review passes its reply target: the sweeper
    # refreshes the row then, so breaches appear without any write in the clinic.
    next_sla_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Reviews and mentions that arrived in the last 24 hours, and the negative ones among them
    # (`inbox.selectors.arrivals_figures`). The figure drops as items turn 24 hours old
    # without any write in the clinic: the sweeper refreshes the row at `arrived_changes_at`.
    arrived_24h = models.PositiveIntegerField(default=0)
    arrived_24h_negative = models.PositiveIntegerField(default=0)
    arrived_changes_at = models.DateTimeField(null=True, blank=True, db_index=True)
    refreshed_at = models.DateTimeField(db_index=True)
    stale_since = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["agency", "clinic"], name="snapshot_agency_clinic")]

    def __str__(self) -> str:
        return f"snapshot of clinic {self.clinic_id}"


class StartHere(models.Model):
    """A staff member's "Start here" panel on the dashboard (`dashboard.selectors.
    start_here_steps`): whether they put it away, and the steps they opened whose being done is
    having read them (`START_HERE_READ_STEPS`). One row per person, kept across sign-outs;
    written only by `dashboard.services` (`start_here_dismiss`, `_reopen`, `_opened`)."""

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    opened = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"start here of user {self.user_id}"
