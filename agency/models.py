from django.core.validators import RegexValidator
from django.db import models

from core.models import BaseModel

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1F6FEB.")


class Agency(BaseModel):
    """A healthcare marketing agency: owns clinics, employs staff, brands the client portal."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    display_name = models.CharField(max_length=200, help_text="Shown in the client portal.")
    logo = models.ImageField(upload_to="agency-logos/", blank=True)
    primary_colour = models.CharField(max_length=7, default="#1F6FEB", validators=[hex_colour])
    support_email = models.EmailField()

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


class AgencyMembership(BaseModel):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="agency_memberships"
    )
    role = models.CharField(max_length=16, choices=AgencyRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "user"], name="agency_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.agency} · {self.role}"
