from django.db.models import Q, QuerySet

from accounts.models import SecurityEvent, User
from agency.models import Agency, AgencyMembership, AgencyRole
from core.http import branded_for


def agencies_for_user(user) -> QuerySet[Agency]:
    if user is None or not user.is_authenticated:
        return Agency.objects.none()
    return Agency.objects.filter(memberships__user=user).distinct()


def agency_memberships_for_user(user) -> QuerySet[AgencyMembership]:
    return AgencyMembership.objects.filter(user=user).select_related("agency")


def agency_memberships_managing(user) -> QuerySet[AgencyMembership]:
    """The user's owner and manager memberships: who may create clinics and agency keys."""
    return (
        AgencyMembership.objects.filter(user=user, role__in=[AgencyRole.OWNER, AgencyRole.MANAGER])
        .select_related("agency")
        .order_by("pk")
    )


def agency_for_branding(request) -> Agency | None:
    """The clinic's agency inside a clinic; otherwise the (first) agency of the caller, or of
    the person a public page is about (a password link's: `core.http.branded_for`), reached
    as staff or through a clinic membership."""
    clinic = getattr(request, "clinic", None)
    if clinic is not None:
        return clinic.agency
    user = branded_for(request)
    if user is None:
        return None
    agency = agencies_for_user(user).order_by("pk").first()
    if agency is not None:
        return agency
    return Agency.objects.filter(clinics__memberships__user=user).order_by("pk").first()


def agency_for_staff(user, slug: str | None = None) -> tuple[Agency | None, str | None]:
    """The agency a staff page shows (by slug, else the user's first) and the user's role."""
    memberships = agency_memberships_for_user(user).order_by("agency__name", "pk")
    if slug:
        memberships = memberships.filter(agency__slug=slug)
    membership = memberships.first()
    if membership is None:
        return None, None
    return membership.agency, membership.role


def agency_people(*, agency: Agency):
    return (
        AgencyMembership.objects.filter(agency=agency)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


def security_events_for_agency(*, agency: Agency, event: str = "") -> QuerySet[SecurityEvent]:
    """The security log as the agency's owners see it: events in the agency or its clinics,
    and the personal events (sign-ins, two-factor, tokens) of its staff and its clinics'
    people. Events another agency recorded about a shared person stay with that agency."""
    staff = AgencyMembership.objects.filter(agency=agency).values("user_id")
    clients = User.objects.filter(clinic_memberships__clinic__agency=agency).values("pk")
    personal = Q(agency_id__isnull=True) & (
        Q(actor_id__in=staff)
        | Q(actor_id__in=clients)
        | Q(target_user_id__in=staff)
        | Q(target_user_id__in=clients)
    )
    events = SecurityEvent.objects.filter(Q(agency_id=agency.pk) | personal)
    if event:
        events = events.filter(event=event)
    return events.order_by("-created_at", "-id")
