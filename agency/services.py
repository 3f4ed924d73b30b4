import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from accounts.services import user_get_or_create, user_membership_changed, user_membership_removed
from agency.models import Agency, AgencyMembership, AgencyRole
from core.errors import Conflict, PermissionDenied, ValidationFailed

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
    # the mirror of clinic_member_add's rule: one of a client clinic's people made staff would
    # lose their clinic and crisis roles without a word (staff hold none), and the clinic its
    # approver
    clinics = list(
        User.objects.filter(
            email__iexact=(email or "").strip(), clinic_memberships__clinic__agency=agency
        ).values_list("clinic_memberships__clinic__name", flat=True)
    )
    if clinics:
        raise ValidationFailed(
            "Clinic people cannot be agency staff.",
            fields={
                "email": [
                    f"This person is one of {', '.join(sorted(set(clinics)))}'s people: agency "
                    "staff hold no clinic or crisis roles, so the clinic would lose them "
                    "(separation of duties). Remove them from the clinic first, or use another "
                    "e-mail."
                ]
            },
        )
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
