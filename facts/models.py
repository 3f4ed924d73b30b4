"""The clinic's fact sheet: what the clinic states as true, with where it comes from.

It sits low (above clinics, below feeds and scoring) because several floors read it: scoring
matches claims in mentions against it, responses cites it in replies and statements, crisis
shows the fact a false claim contradicts."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from core.models import BaseModel


class Fact(BaseModel):
    """A verified fact of the clinic's fact sheet, with where it comes from and when it was
    last verified. Corrections and statements quote it as `{fact:<slug>}`."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    statement = models.TextField()
    source = models.CharField(max_length=300)
    source_url = models.URLField(max_length=1000, blank=True, default="")
    verified_on = models.DateField()
    # scoring topic names this fact answers (e.g. "cleanliness", "vaccines_misinformation")
    topics = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    updated_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.slug
