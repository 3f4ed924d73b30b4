from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.services import user_get_or_create
from agency.models import Agency, AgencyMembership, AgencyRole
from core.errors import Conflict, ValidationFailed


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
    membership, _ = AgencyMembership.objects.update_or_create(
        agency=agency, user=user, defaults={"role": role}
    )
    return membership
