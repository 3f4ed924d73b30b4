"""The clinic's fact sheet: what the clinic states as true, with where it comes from.

It sits low (above clinics, below feeds and scoring) because several floors read it: scoring
matches claims in mentions against it, responses cites it in replies and statements, crisis
shows the fact a false claim contradicts.

A fact is versioned: every change (created, edited, confirmed, deactivated, reactivated,
restored) writes a `FactVersion` with who, when, what changed and the fact as it then read.
A fact starts as a *draft* ("to be confirmed", the default clinic-safety facts every new
clinic gets) or *confirmed*; only active, confirmed facts are ever cited or matched.

The clinic attests its own facts: staff ask it to confirm drafts (`clinic_review` "waiting",
with who asked and when); the clinic's approvers confirm each in the portal or say it needs a
change (with a comment). A fact records whether the clinic confirmed it itself or the agency
did for the clinic (`confirmed_as`)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from core.models import BaseModel
from facts.defaults import TEMPLATE_STATEMENTS


class FactStatus(models.TextChoices):
    DRAFT = "draft", "To be confirmed"
    CONFIRMED = "confirmed", "Confirmed"


class ClinicReview(models.TextChoices):
    NONE = "", "Not asked"
    WAITING = "waiting", "Waiting for the clinic"
    CHANGE_REQUESTED = "change_requested", "The clinic asks for a change"


class ConfirmedAs(models.TextChoices):
    CLINIC = "clinic", "By the clinic"
    AGENCY = "agency", "By the agency for the clinic"


class Fact(BaseModel):
    """A fact of the clinic's fact sheet, with where it comes from and when it was last
    verified. Corrections and statements quote it as `{fact:<slug>}` once it is confirmed."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    statement = models.TextField(blank=True, default="")
    source = models.CharField(max_length=300, blank=True, default="")
    source_url = models.URLField(max_length=1000, blank=True, default="")
    verified_on = models.DateField(null=True, blank=True)
    # scoring topic names this fact answers (e.g. "cleanliness", "vaccines_misinformation")
    topics = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    status = models.CharField(
        max_length=16, choices=FactStatus.choices, default=FactStatus.CONFIRMED
    )
    # what a default fact asks the clinic to state (shown while it is a draft)
    prompt = models.CharField(max_length=300, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    updated_by = models.CharField(max_length=200, blank=True, default="")
    confirmed_by = models.CharField(max_length=200, blank=True, default="")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # who confirmed it: the clinic itself (one of its approvers, in the portal) or the agency's
    # staff for the clinic (they may hold its written attestation); "" before it is confirmed
    confirmed_as = models.CharField(
        max_length=8, choices=ConfirmedAs.choices, blank=True, default=""
    )
    # asking the clinic to confirm it: whether it waits for the clinic (or the clinic answered
    # that it needs a change), who asked and when, and the clinic's last comment
    clinic_review = models.CharField(
        max_length=16, choices=ClinicReview.choices, blank=True, default=""
    )
    clinic_asked_at = models.DateTimeField(null=True, blank=True)
    clinic_asked_by = models.CharField(max_length=200, blank=True, default="")
    clinic_asked_by_label = models.CharField(max_length=120, blank=True, default="")
    clinic_comment = models.TextField(blank=True, default="")
    clinic_comment_by = models.CharField(max_length=200, blank=True, default="")
    clinic_comment_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="confirmed") | ~models.Q(statement=""),
                name="fact_confirmed_has_statement",
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def waits_for_clinic(self) -> bool:
        return (
            self.is_active
            and self.status == FactStatus.DRAFT
            and self.clinic_review == ClinicReview.WAITING
        )

    @property
    def is_unfilled_default(self) -> bool:
        """A default fact still reading as its suggested wording (`facts.defaults`): a draft
        the agency has not filled in with the clinic's own words yet. It is never sent to the
        clinic to confirm nor confirmed as it reads."""
        return self.status == FactStatus.DRAFT and (self.statement or "").strip() in (
            TEMPLATE_STATEMENTS.get(self.slug, frozenset())
        )

    @property
    def confirmed_words(self) -> str:
        """ "Confirmed by Dr. Ada Lee (clinic)", "Confirmed by Max Manager for the clinic", or ""."""
        if self.status != FactStatus.CONFIRMED or not self.confirmed_by:
            return ""
        if self.confirmed_as == ConfirmedAs.CLINIC:
            return f"Confirmed by {self.confirmed_by} (clinic)"
        if self.confirmed_as == ConfirmedAs.AGENCY:
            return f"Confirmed by {self.confirmed_by} for the clinic"
        return f"Confirmed by {self.confirmed_by}"

    @property
    def is_citable(self) -> bool:
        return self.is_active and self.status == FactStatus.CONFIRMED

    @property
    def placeholder(self) -> str:
        return "{fact:" + self.slug + "}"


# Who writes the default facts at a clinic's set-up (`facts.services.fact_defaults_ensure`):
# Carewatch, named as its parts are (`accounts.actors.Actor.of_system`), so the clinic's people
# read the agency's brand instead (`core.branding.as_brand`); its history says "suggested".
SETUP_PART = "onboarding"
SETUP_NAME = "Carewatch at set-up"


class FactAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Edited"
    CONFIRMED = "confirmed", "Confirmed"
    DEACTIVATED = "deactivated", "Deactivated"
    REACTIVATED = "reactivated", "Reactivated"
    RESTORED = "restored", "Restored"
    ASKED = "asked_clinic", "Sent to the clinic to confirm"
    CHANGE_REQUESTED = "change_requested", "Sent back by the clinic"


class FactVersion(models.Model):
    """One change of a fact: the fact as it read after the change, who made it and when.
    Append-only: nothing updates or deletes a version (a restore writes a new one)."""

    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=FactAction.choices)
    changed = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    statement = models.TextField(blank=True, default="")
    source = models.CharField(max_length=300, blank=True, default="")
    source_url = models.URLField(max_length=1000, blank=True, default="")
    verified_on = models.DateField(null=True, blank=True)
    topics = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    is_active = models.BooleanField()
    status = models.CharField(max_length=16, choices=FactStatus.choices)
    actor_label = models.CharField(max_length=120)
    actor_name = models.CharField(max_length=200)
    # the clinic's own person made this change (a confirmation or a "needs a change")
    by_clinic = models.BooleanField(default=False)
    comment = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["fact", "number"], name="fact_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.fact_id} v{self.number}"

    @property
    def suggested(self) -> bool:
        """The first version of a default fact, as set-up wrote it: a suggestion, not a fact
        anyone stated."""
        return self.action == FactAction.CREATED and self.actor_label == f"system:{SETUP_PART}"
