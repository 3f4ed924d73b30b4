import zoneinfo
from functools import cache

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from core.models import BaseModel


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())  # walks the tz database: slow, so once


def validate_timezone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(f"{value!r} is not a time zone name (for example Europe/London).")


class Clinic(TenantMixin, BaseModel):
    """A clinic: the tenant. Its reviews, replies and incidents live in its own schema
    (`schema_name`); this row, in the public schema, is the registry entry."""

    agency = models.ForeignKey("agency.Agency", on_delete=models.PROTECT, related_name="clinics")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=50, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    specialties = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    # Public channels for taking a conversation private. Never a patient's details.
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    contact_url = models.URLField(blank=True)
    reply_target_minutes = models.PositiveIntegerField(
        default=24 * 60, validators=[MinValueValidator(5)]
    )

    # The row, its schema and its domain are created in one transaction by
    # `clinics.services.clinic_create`, never as a save() side effect.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    """How requests find the clinic. With path routing the "domain" is the path segment after
    /clinics/ (the slug); a clinic may also have real host names for a future host router."""


class ClinicRole(models.TextChoices):
    APPROVER = "approver", "Approver"
    VIEWER = "viewer", "Viewer"


class CrisisRole(models.TextChoices):
    COMMS = "comms", "Comms / PR"
    LEGAL = "legal", "Legal / compliance"
    CLINICIAN = "clinician", "Clinician"
    SOCIAL = "social", "Social media manager"


class ClinicMembership(BaseModel):
    """One of the clinic's people: an approver or viewer in the portal, and any number of
    crisis-team roles."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="clinic_memberships"
    )
    role = models.CharField(max_length=16, choices=ClinicRole.choices)
    crisis_roles = ArrayField(
        models.CharField(max_length=16, choices=CrisisRole.choices), default=list, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "user"], name="clinic_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.clinic} · {self.role}"
