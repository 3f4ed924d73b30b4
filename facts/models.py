"""The clinic's fact sheet: what the clinic states as true, with where it comes from.

It sits low (above clinics, below feeds and scoring) because several floors read it: scoring
matches claims in mentions against it, responses cites it in replies and statements, crisis
shows the fact a false claim contradicts.

A fact is versioned: every change (created, edited, confirmed, deactivated, reactivated,
restored) writes a `FactVersion` with who, when, what changed and the fact as it then read.
A fact starts as a *draft* ("to be confirmed", the default clinic-safety facts every new
clinic gets) or *confirmed*; only active, confirmed facts are ever cited or matched."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from core.models import BaseModel


class FactStatus(models.TextChoices):
    DRAFT = "draft", "To be confirmed"
    CONFIRMED = "confirmed", "Confirmed"


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
    def is_citable(self) -> bool:
        return self.is_active and self.status == FactStatus.CONFIRMED

    @property
    def placeholder(self) -> str:
        return "{fact:" + self.slug + "}"


class FactAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Edited"
    CONFIRMED = "confirmed", "Confirmed"
    DEACTIVATED = "deactivated", "Deactivated"
    REACTIVATED = "reactivated", "Reactivated"
    RESTORED = "restored", "Restored"


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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["fact", "number"], name="fact_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.fact_id} v{self.number}"
