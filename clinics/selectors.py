from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.actors import Actor
from agency.selectors import api_keys_listed
from clinics.models import Clinic, ClinicMembership, Notification


def clinics_for_actor(actor: Actor) -> QuerySet[Clinic]:
    """Every clinic `actor` may reach: through an agency membership, a clinic membership, or
    the binding of its API key. The only way public code lists clinics."""
    qs = Clinic.objects.select_related("agency")
    if actor.api_key is not None:
        key = actor.api_key
        if key.revoked_at is not None:
            return qs.none()
        if key.clinic_id is not None:
            return qs.filter(pk=key.clinic_id, agency_id=key.agency_id)
        return qs.filter(agency_id=key.agency_id)
    if actor.user is None or not actor.user.is_active:
        return qs.none()
    return qs.filter(
        Q(agency__memberships__user=actor.user) | Q(memberships__user=actor.user)
    ).distinct()


def clinic_for_actor(actor: Actor, *, slug: str) -> Clinic | None:
    return clinics_for_actor(actor).filter(slug=slug).first()


def notifications_about(clinic: Clinic, refs) -> QuerySet[Notification]:
    """The in-app notifications sent about these things (`ref`s such as "reply:12"), oldest
    first, with their person."""
    return (
        Notification.objects.filter(clinic=clinic, ref__in=list(refs))
        .select_related("user")
        .order_by("created_at", "pk")
    )


def clinic_people(clinic: Clinic) -> list:
    """The clinic's own active people (approvers and viewers, crisis roles or not)."""
    return [
        m.user
        for m in ClinicMembership.objects.filter(clinic=clinic, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "pk")
    ]


NOTIFICATION_HISTORY_DAYS = 60


def notifications_history(user, clinic: Clinic, *, now=None, limit: int = 100) -> list:
    """What this person was told about this clinic in the last 60 days (in Carewatch or in
    their hourly digest), newest first: the messages still waiting and those done."""
    since = (now or timezone.now()) - timedelta(days=NOTIFICATION_HISTORY_DAYS)
    return list(
        Notification.objects.filter(user=user, clinic=clinic, created_at__gte=since).order_by(
            "-created_at", "-pk"
        )[:limit]
    )


def clinic_api_keys_listed(keys, *, agency_id: int):
    """A clinic's keys with their creator and `creator_left` (`agency.selectors.
    api_keys_listed`): a creator stays while on the agency's staff or one of the people of
    the key's clinic."""
    person = ClinicMembership.objects.filter(
        clinic_id=OuterRef("clinic_id"), user_id=OuterRef("created_by_id")
    )
    return api_keys_listed(keys, agency_id=agency_id, staying=Exists(person))
