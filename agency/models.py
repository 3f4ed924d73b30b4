from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from core.models import BaseModel, HeardQuerySet

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1F6FEB.")


class Agency(BaseModel):
    """A healthcare marketing agency: owns clinics, employs staff, brands the client portal."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    display_name = models.CharField(max_length=200, help_text="Shown in the client portal.")
    logo = models.ImageField(upload_to="agency-logos/", blank=True)
    primary_colour = models.CharField(max_length=7, default="#1F6FEB", validators=[hex_colour])
    support_email = models.EmailField()

    objects = HeardQuerySet.as_manager()  # an update() is heard by `clinics.routes`

    class Meta:
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name

    @property
    def logo_url(self) -> str:
        """Where pages load the logo from (agency.views.brand_logo); the file's name changes
        with its content, so a new logo is never hidden by a cached old one."""
        if not self.logo or not self.logo.name:
            return ""
        return f"/brand/{self.slug}/logo?v={self.logo.name.rsplit('/', 1)[-1]}"


class AgencyRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    WRITER = "writer", "Writer"
    ANALYST = "analyst", "Analyst"


EVERY_CLINIC = "every clinic the agency looks after"
# What each role may do: the staff page says it beside its role pickers, and the e-mails about
# a person's role say the same ("Your role: - Writer: drafts replies ...").
AGENCY_ROLE_HELP = {
    AgencyRole.OWNER: "runs the agency's work for every clinic it looks after (replies, "
    "approvals, settings, people and API keys); only owners grant the owner role or switch an "
    "approval step off.",
    AgencyRole.MANAGER: "writes replies and gives the agency's approval, and manages the "
    f"settings, people and API keys of {EVERY_CLINIC}.",
    AgencyRole.WRITER: f"drafts replies to reviews and sorts the incoming reviews of {EVERY_CLINIC}.",
    AgencyRole.ANALYST: f"sees the reviews, incidents and reports of {EVERY_CLINIC}, without "
    "changing them.",
}


def agency_roles_explained() -> list[tuple[str, str, str]]:
    """Every staff role as (value, label, what it may do), in the pickers' order."""
    return [(value, label, AGENCY_ROLE_HELP[value]) for value, label in AgencyRole.choices]


# The roles whose clinics may be chosen (`AgencyMembership.all_clinics`). Owners and managers
# always reach every clinic of the agency: they manage its people (their own clinics too, so a
# limit would hold nobody), create its clinics, manage every clinic's settings, people and keys,
# give the agency's approval and are whom an incident escalates to when nobody acknowledges it.
CLINIC_SCOPED_ROLES = (AgencyRole.WRITER, AgencyRole.ANALYST)


def agency_role_may_touch(
    *, acting_role: str, target_role: str, new_role: str | None = None
) -> bool:
    """Whether someone whose role is `acting_role` may change a staff member who holds
    `target_role` (to `new_role`), or remove them (`new_role` None): only an owner grants,
    changes or removes the owner role. The one rule: the services refuse by it and the staff
    page offers only what it allows."""
    return acting_role == AgencyRole.OWNER or AgencyRole.OWNER not in (target_role, new_role)


def agency_role_may_reset_sign_in(*, acting_role: str) -> bool:
    """Whether someone whose role is `acting_role` may reset a staff member's two-factor
    sign-in or lift their sign-in lockout: only an owner (a manager could otherwise take over an
    owner's account). The one rule: the services refuse by it, and the staff page offers the
    buttons and refuses a posted request by it before any confirmation is shown."""
    return acting_role == AgencyRole.OWNER


# Tiers of powers: an owner holds every power of a manager, a manager every power of a writer
# or analyst; a writer and an analyst each hold powers the other lacks.
_ROLE_TIER = {
    AgencyRole.OWNER: 3,
    AgencyRole.MANAGER: 2,
    AgencyRole.WRITER: 1,
    AgencyRole.ANALYST: 1,
}


def agency_role_loses_powers(*, before: str, after: str) -> bool:
    """Whether going from role `before` to `after` takes away something `before` could do."""
    return before != after and _ROLE_TIER[after] <= _ROLE_TIER[before]


class AgencyMembership(BaseModel):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="agency_memberships"
    )
    role = models.CharField(max_length=16, choices=AgencyRole.choices)
    # True: every clinic of the agency, today's and those added later. False (writers and
    # analysts only): only the clinics of its `StaffClinic` rows, none once they are all gone
    # (a deleted clinic never widens a limit). `clinics.access.clinic_access` decides by it;
    # written only by `agency.services.agency_member_clinics_set`.
    all_clinics = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "user"], name="agency_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.agency} · {self.role}"

    @property
    def clinics_limited(self) -> bool:
        """Whether this staff member reaches only the clinics chosen for them."""
        return not self.all_clinics and self.role in CLINIC_SCOPED_ROLES


class StaffClinic(BaseModel):
    """One clinic chosen for a staff member who reaches only chosen clinics
    (`AgencyMembership.all_clinics` False): always a clinic of the membership's agency."""

    membership = models.ForeignKey(
        AgencyMembership, on_delete=models.CASCADE, related_name="chosen_clinics"
    )
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "clinic"], name="staff_clinic_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} · clinic {self.clinic_id}"


class PrivacyAction(models.TextChoices):
    REDACT = "redact", "Redacted"
    DELETE = "delete", "Deleted"


class PrivacyRequest(models.Model):
    """One privacy request carried out (a person asked the agency to remove what they wrote):
    who did it, when, why (the request's reference) and which items of which clinics were
    redacted or deleted, with the receipt given to the staff. Append-only (a database trigger
    refuses UPDATE and DELETE; migration 0004). Agency, people and clinics are kept as plain ids
    and names, as in the security log: removing a clinic or a person rewrites nothing here.
    Holds no text of the items: only their sources, external ids and dates. Written only by
    `agency.services.privacy_request_record`."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    agency_id = models.BigIntegerField(db_index=True)
    action = models.CharField(max_length=8, choices=PrivacyAction.choices)
    # The name or handle the items were found by, as the request gave it (what the receipt
    # names; the items themselves no longer hold it).
    author = models.CharField(max_length=200)
    reason = models.TextField()  # the request's reference and why, as staff wrote it
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    # [{"clinic_id", "clinic_slug", "clinic_name", "review_id", "source", "external_id",
    #   "published_at"}]
    items = models.JSONField(default=list)
    # What a person should still look at: replies already posted that named the author, ...
    # as the agency reads it, each line starting with the clinic's name.
    to_check = models.JSONField(default=list, blank=True)
    # The same lines as each clinic reads them, by clinic id (names are not unique within an
    # agency): [{"clinic_id", "text"}].
    to_check_by_clinic = models.JSONField(default=list, blank=True)
    receipt = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {len(self.items)} item(s)"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("The privacy requests log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The privacy requests log is append-only.")
