from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiKey, SecurityEvent, User
from agency.models import Agency, AgencyMembership, AgencyRole, PrivacyRequest
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
    """The agency's staff with what the people page shows of each: `two_factor_on` (a
    confirmed authenticator app), and on the user their lockout (`locked_until`) and last
    sign-in (`last_login`)."""
    return (
        AgencyMembership.objects.filter(agency=agency)
        .select_related("user")
        .annotate(
            two_factor_on=Exists(
                TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True)
            )
        )
        .order_by("user__full_name", "user__email")
    )


def api_keys_listed(keys: QuerySet[ApiKey], *, agency_id: int, staying=None) -> QuerySet[ApiKey]:
    """Key lists with their creator: `created_by` (select_related) and `creator_left`, True
    when the key's creator is gone or no longer on the agency's staff (nor in `staying`, an
    Exists() over the creator that a higher app adds: the people of the key's clinic).
    Rotating a key makes the rotating person its creator."""
    stays = Exists(
        AgencyMembership.objects.filter(agency_id=agency_id, user_id=OuterRef("created_by_id"))
    )
    if staying is not None:
        stays = stays | staying
    return keys.select_related("created_by").annotate(
        creator_left=Case(
            When(created_by__isnull=True, then=Value(True)),
            When(stays, then=Value(False)),
            default=Value(True),
            output_field=BooleanField(),
        )
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


def privacy_requests_for_agency(*, agency: Agency) -> QuerySet[PrivacyRequest]:
    """The agency's privacy requests log, newest first."""
    return PrivacyRequest.objects.filter(agency_id=agency.pk).order_by("-created_at", "-id")
