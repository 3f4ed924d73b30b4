import logging
import zoneinfo
from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Avg, Case, Count, F, IntegerField, Q, Value, When
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.services import user_get_or_create, user_membership_changed, user_membership_removed
from agency.models import Agency, AgencyMembership, AgencyRole, ClinicSnapshot
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.queueing import tasks_enqueue

logger = logging.getLogger(__name__)


def agency_create(
    *,
    name: str,
    slug: str,
    support_email: str,
    display_name: str = "",
    primary_colour: str = "#1F6FEB",
) -> Agency:
    if Agency.objects.filter(slug=slug).exists():
        raise Conflict("An agency with this slug already exists.", fields={"slug": ["Taken."]})
    agency = Agency(
        name=name.strip(),
        slug=slug.strip().lower(),
        display_name=(display_name or name).strip(),
        support_email=support_email.strip(),
        primary_colour=primary_colour,
    )
    try:
        agency.full_clean()
    except ValidationError as exc:
        raise ValidationFailed("Invalid agency.", fields=exc.message_dict) from None
    agency.save()
    return agency


@transaction.atomic
def agency_member_add(
    *, agency: Agency, email: str, full_name: str, role: str, password: str | None = None
) -> AgencyMembership:
    if role not in AgencyRole.values:
        raise ValidationFailed("Invalid role.", fields={"role": [f"Choose {AgencyRole.values}."]})
    user = user_get_or_create(email=email, full_name=full_name, password=password)
    before = AgencyMembership.objects.filter(agency=agency, user=user).values("role").first()
    membership, _ = AgencyMembership.objects.update_or_create(
        agency=agency, user=user, defaults={"role": role}
    )
    user_membership_changed(user=user, agency_id=agency.pk, before=before, after={"role": role})
    return membership


def _owners_left_after(membership: AgencyMembership) -> int:
    return (
        AgencyMembership.objects.select_for_update()
        .filter(agency_id=membership.agency_id, role=AgencyRole.OWNER)
        .exclude(pk=membership.pk)
        .count()
    )


def _may_touch(*, acting_role: str, target_role: str, new_role: str | None = None) -> None:
    if AgencyRole.OWNER in (target_role, new_role) and acting_role != AgencyRole.OWNER:
        raise PermissionDenied("Only an owner grants, changes or removes the owner role.")


@transaction.atomic
def agency_member_role_set(
    *, membership: AgencyMembership, role: str, acting_role: str
) -> AgencyMembership:
    """Change a staff member's role. Only owners touch the owner role; the last owner stays."""
    if role not in AgencyRole.values:
        raise ValidationFailed("Invalid role.", fields={"role": [f"Choose {AgencyRole.values}."]})
    _may_touch(acting_role=acting_role, target_role=membership.role, new_role=role)
    if (
        membership.role == AgencyRole.OWNER
        and role != AgencyRole.OWNER
        and not _owners_left_after(membership)
    ):
        raise ValidationFailed(
            "The agency needs an owner.", fields={"role": ["This is the last owner."]}
        )
    if membership.role != role:
        before = {"role": membership.role}
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        user_membership_changed(
            user=membership.user,
            agency_id=membership.agency_id,
            before=before,
            after={"role": role},
        )
    return membership


@transaction.atomic
def agency_member_remove(*, membership: AgencyMembership, acting_role: str) -> None:
    """Remove a person from the agency's staff (their user and clinic memberships stay)."""
    _may_touch(acting_role=acting_role, target_role=membership.role)
    if membership.role == AgencyRole.OWNER and not _owners_left_after(membership):
        raise ValidationFailed(
            "The agency needs an owner.", fields={"membership": ["This is the last owner."]}
        )
    membership.delete()
    user_membership_removed(
        user=membership.user, agency_id=membership.agency_id, role=membership.role
    )


# --- The dashboard's rollup ----------------------------------------------------------------

SPARK_DAYS = 14
RATING_DAYS = 90
SLA_LOOKBACK_DAYS = 30  # older unanswered reviews (an imported history) are not "breaches"
SNAPSHOT_MAX_AGE = timedelta(minutes=15)
_DEBOUNCE_SECONDS = 15
_REFRESH_DELAY_SECONDS = 5

_SENTIMENT_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (s.review_id) s.review_id, s.score
    FROM scoring_reviewscore s JOIN feeds_review r ON r.id = s.review_id
    WHERE r.published_at >= %(start)s AND NOT r.is_deleted
    ORDER BY s.review_id, s.created_at DESC, s.id DESC
)
SELECT (r.published_at AT TIME ZONE %(tz)s)::date AS day, avg(l.score)
FROM latest l JOIN feeds_review r ON r.id = l.review_id
GROUP BY 1
"""

# Unanswered negative reviews: a latest score that is negative or a rating of 1-2, no
# published reply, not marked replied or ignored.
_SLA_SQL = """
SELECT
    count(*) FILTER (WHERE r.published_at + make_interval(mins => %(target)s) < %(now)s),
    min(r.published_at + make_interval(mins => %(target)s))
        FILTER (WHERE r.published_at + make_interval(mins => %(target)s) >= %(now)s)
FROM feeds_review r
LEFT JOIN LATERAL (
    SELECT s.label FROM scoring_reviewscore s WHERE s.review_id = r.id
    ORDER BY s.created_at DESC, s.id DESC LIMIT 1
) l ON true
WHERE NOT r.is_deleted
  AND r.status IN ('new', 'needs_reply')
  AND r.published_at >= %(since)s
  AND (l.label = 'negative' OR r.rating <= 2)
  AND NOT EXISTS (
      SELECT 1 FROM responses_replydraft d WHERE d.review_id = r.id AND d.status = 'published'
  )
"""


def _figures(clinic, now: datetime) -> dict:
    """The dashboard's figures for `clinic`, read in its schema."""
    from crisis.models import ACTIVE_STATUSES, Incident, IncidentStatus
    from feeds.models import Review, ReviewStatus
    from responses.models import ApprovalStatus, ReplyDraft

    tz = zoneinfo.ZoneInfo(clinic.timezone or "UTC")
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=SPARK_DAYS - 1)
    start = datetime.combine(first_day, time.min, tzinfo=tz)
    with schema_context(clinic.schema_name), connection.cursor() as cursor:
        new_reviews = Review.objects.filter(status=ReviewStatus.NEW, is_deleted=False).count()
        rating = Review.objects.filter(
            is_deleted=False, rating__isnull=False, published_at__gte=now - timedelta(RATING_DAYS)
        ).aggregate(avg=Avg("rating"), n=Count("id"))
        cursor.execute(_SENTIMENT_SQL, {"start": start, "tz": clinic.timezone or "UTC"})
        by_day = {day: float(mean) for day, mean in cursor.fetchall()}
        active = Incident.objects.filter(status__in=ACTIVE_STATUSES)
        incidents = active.aggregate(
            n=Count("id"), unacknowledged=Count("id", filter=Q(status=IncidentStatus.OPEN))
        )
        top = (
            active.annotate(
                rank=Case(
                    *(When(severity=s, then=Value(r)) for s, r in _SEVERITY_RANK.items()),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
            .order_by("-rank", "-opened_at", "-id")
            .values("id", "title")
            .first()
        )
        awaiting = ReplyDraft.objects.filter(
            status__in=[
                ApprovalStatus.PENDING_AGENCY,
                ApprovalStatus.PENDING_LEGAL,
                ApprovalStatus.PENDING_CLINICIAN,
                ApprovalStatus.PENDING_CLIENT,
            ]
        ).count()
        cursor.execute(
            _SLA_SQL,
            {
                "target": clinic.reply_target_minutes,
                "now": now,
                "since": now - timedelta(days=SLA_LOOKBACK_DAYS),
            },
        )
        breaches, next_due = cursor.fetchone()
    daily = [
        round(by_day[d], 3) if (d := first_day + timedelta(days=i)) in by_day else None
        for i in range(SPARK_DAYS)
    ]
    return {
        "new_reviews": new_reviews,
        "average_rating": round(rating["avg"], 2) if rating["avg"] is not None else None,
        "rating_count": rating["n"],
        "sentiment_daily": daily,
        "sentiment_trend": _trend(daily),
        "open_incidents": incidents["n"],
        "unacknowledged_incidents": incidents["unacknowledged"],
        "top_incident_id": top["id"] if top else None,
        "top_incident_title": (top["title"] if top else "")[:300],
        "awaiting_approval": awaiting,
        "sla_breaches": breaches or 0,
        "next_sla_due_at": next_due,
    }


_SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _mean(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _trend(daily: list) -> float | None:
    """Mean sentiment of the last 7 days minus that of the 7 days before (None without both)."""
    recent, before = _mean(daily[-7:]), _mean(daily[-14:-7])
    if recent is None or before is None:
        return None
    return round(recent - before, 3)


def clinic_snapshot_refresh(*, clinic, now: datetime | None = None) -> ClinicSnapshot:
    """Recompute `clinic`'s dashboard row from its schema and store it. A mark of staleness
    set while this ran survives, so the sweeper refreshes the row again."""
    now = now or timezone.now()
    figures = _figures(clinic, now)
    with schema_context("public"):
        snapshot, _ = ClinicSnapshot.objects.update_or_create(
            clinic=clinic,
            defaults={**figures, "agency_id": clinic.agency_id, "refreshed_at": now},
        )
        ClinicSnapshot.objects.filter(clinic=clinic, stale_since__lte=now).update(stale_since=None)
    return snapshot


def _current_clinic_id() -> int | None:
    tenant = getattr(connection, "tenant", None)
    pk = getattr(tenant, "pk", None)
    if pk is not None and getattr(tenant, "schema_name", None) == connection.schema_name:
        return pk
    from clinics.models import Clinic

    return (
        Clinic.objects.filter(schema_name=connection.schema_name)
        .values_list("pk", flat=True)
        .first()
    )


def clinic_snapshot_stale(*, clinic_id: int | None = None) -> None:
    """Say that a figure of the dashboard changed in a clinic (the current one by default):
    the row is marked stale in the caller's transaction, and a refresh is queued after commit,
    at most once per few seconds per clinic. Never fails the caller: if Redis is away, the
    beat sweeper refreshes stale rows within a minute."""
    from agency.tasks import clinic_snapshot_refresh_task

    if clinic_id is None:
        clinic_id = _current_clinic_id()
        if clinic_id is None:
            return
    ClinicSnapshot.objects.filter(clinic_id=clinic_id, stale_since__isnull=True).update(
        stale_since=timezone.now()
    )
    try:
        first = cache.add(f"snapshot-refresh:{clinic_id}", 1, timeout=_DEBOUNCE_SECONDS)
    except Exception:  # noqa: BLE001 - the sweeper covers it
        logger.warning("snapshot debounce unavailable; the sweeper refreshes clinic %s", clinic_id)
        return
    if first:
        transaction.on_commit(
            lambda: tasks_enqueue(
                clinic_snapshot_refresh_task,
                [(clinic_id,)],
                schema_name="public",
                countdown=_REFRESH_DELAY_SECONDS,
            )
        )


def clinic_snapshots_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Clinics whose row is stale, missing, older than SNAPSHOT_MAX_AGE, or past the moment a
    review breaches its reply target: the sweeper's work list."""
    from clinics.models import Clinic

    now = now or timezone.now()
    return list(
        Clinic.objects.filter(
            Q(snapshot__isnull=True)
            | Q(snapshot__stale_since__isnull=False)
            | Q(snapshot__next_sla_due_at__lte=now)
            | Q(snapshot__refreshed_at__lt=now - SNAPSHOT_MAX_AGE)
        )
        .exclude(schema_name="public")
        .order_by(F("snapshot__refreshed_at").asc(nulls_first=True))
        .values_list("pk", flat=True)[:limit]
    )


# --- Inviting people added without a password ------------------------------------------------


def user_invite_send(*, user, place: str, invited_by: str) -> bool:
    """E-mail a person who has no password yet a link to choose one (the password-reset
    confirmation page: it works once, for PASSWORD_RESET_TIMEOUT). "Forgot your password?"
    cannot help them, since Django's reset form skips accounts without a usable password.
    Returns False (and logs) when the mail could not be sent; the caller says so."""
    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if user.has_usable_password():
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = f"{settings.PUBLIC_BASE_URL}/password-reset/{uid}/{default_token_generator.make_token(user)}/"
    try:
        send_mail(
            subject=f"You have been added to {place} on Carewatch",
            message=(
                f"Hello {user.full_name or user.email},\n\n{invited_by} added you to {place} on "
                f"Carewatch. Choose your password here (the link works once):\n\n{link}\n\n"
                "If you did not expect this, you can ignore this message.\n"
            ),
            from_email=None,
            recipient_list=[user.email],
        )
    except Exception:  # noqa: BLE001 - reported to the person who added them
        logger.warning("invite mail to user %s failed", user.pk, exc_info=True)
        return False
    return True
