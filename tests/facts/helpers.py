"""Filling in the default facts a clinic starts with: a default still reading as its suggested
wording is never sent to the clinic nor confirmed (`Fact.is_unfilled_default`)."""

from __future__ import annotations

from django.db.models import F, Value
from django.db.models.functions import Concat

from facts.models import Fact

FILLED = " Checked with the clinic."


def fill_in(*slugs: str) -> None:
    """The clinic's own words for these default facts (in the current schema): the suggested
    statement with a sentence added, so it no longer reads as the template."""
    Fact.objects.filter(slug__in=slugs).update(statement=Concat(F("statement"), Value(FILLED)))
