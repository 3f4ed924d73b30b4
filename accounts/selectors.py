from __future__ import annotations

from django.db.models import QuerySet
from django_otp import devices_for_user

from accounts.models import (
    PersonalToken,
    SecurityEvent,
    SecurityEventCode,
    User,
    WithdrawnInvitation,
)
from accounts.tokens import invitation_signed_before


def user_is_agency_staff(user: User) -> bool:
    """Whether `user` works for an agency (any agency membership) or is a superuser: these
    people must use two-factor sign-in."""
    if user.is_superuser:
        return True
    # The reverse relation of agency.AgencyMembership.user: agency sits above accounts.
    return user.agency_memberships.exists()


def user_agency_ids(user: User) -> set[int]:
    """Every agency `user` belongs to: as its staff, or as one of the people of one of its
    clinics (reverse relations of agency.AgencyMembership and clinics.ClinicMembership, which
    sit above accounts). An account is one person's across agencies: what one agency does to
    the account itself (its second factor, its tokens and sessions) reaches the others."""
    staff = user.agency_memberships.values_list("agency_id", flat=True)
    clinics = user.clinic_memberships.values_list("clinic__agency_id", flat=True)
    return set(staff) | set(clinics)


def user_belongs_elsewhere(user: User, *, agency_id: int) -> bool:
    """Whether `user` also belongs to an agency other than `agency_id` (staff or clinic
    people)."""
    return bool(user_agency_ids(user) - {agency_id})


def user_has_confirmed_device(user: User) -> bool:
    return next(devices_for_user(user, confirmed=True), None) is not None


def user_needs_otp(user: User) -> bool:
    """Two-factor is required of agency staff and of anyone who enrolled a device."""
    return user_has_confirmed_device(user) or user_is_agency_staff(user)


def user_half_signed_in(user) -> bool:
    """Signed in with the password, the second factor still owed in this session: such a
    person reaches only the code step (accounts.middleware) and is shown nothing of the
    agency's work — no clinics, no incident banner, no counts."""
    if user is None or not user.is_authenticated:
        return False
    verified = getattr(user, "is_verified", None)
    return verified is not None and not verified() and user_needs_otp(user)


def user_tokens_active(*, user: User, now) -> QuerySet[PersonalToken]:
    """`user`'s personal tokens that still work, newest first."""
    return PersonalToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=now
    ).order_by("-created_at", "-pk")


def two_factor_reset_pending_since(user: User):
    """When an owner last reset `user`'s two-factor sign-in, while they have not set up an
    app since (None otherwise). Read from the security log, which records both."""
    reset_at = (
        SecurityEvent.objects.filter(event=SecurityEventCode.OTP_RESET_FOR, target_user_id=user.pk)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if reset_at is None:
        return None
    enrolled_since = SecurityEvent.objects.filter(
        event__in=[SecurityEventCode.OTP_ENROLLED, SecurityEventCode.OTP_RESET],
        actor_id=user.pk,
        created_at__gt=reset_at,
    ).exists()
    return None if enrolled_since else reset_at


def invitation_withdrawn_for(user, token) -> WithdrawnInvitation | None:
    """The withdrawn invitation (`WithdrawnInvitation`) whose link `token` is, newest first;
    None for any other link (made up, mistyped, or not one of this person's invitations)."""
    if user is None or not token:
        return None
    for row in WithdrawnInvitation.objects.filter(user=user).order_by("-created_at", "-pk"):
        if invitation_signed_before(user, token, row.marker):
            return row
    return None
