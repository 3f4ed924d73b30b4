"""Writes of the Leaving tab that reach past the clinic's own row."""

from __future__ import annotations

from django.db import transaction

from accounts.actors import Actor
from clinics.lifecycle import clinic_reactivate
from clinics.models import Clinic
from feeds.models import Source
from feeds.services.sources import sources_reclaim


@transaction.atomic
def clinic_reactivate_with_sources(
    *, clinic: Clinic, actor: Actor, request=None
) -> tuple[Clinic, list[tuple[Source, str]]]:
    """Reactivate `clinic` (`clinics.lifecycle.clinic_reactivate`, its rules and refusals) and,
    in the same transaction, have its sources claim their platform accounts again
    (`feeds.services.sources.sources_reclaim`): one that another clinic connected meanwhile is
    turned off. Returns the clinic and each source turned off with why. Called in the clinic's
    schema (its API or its Leaving tab)."""
    clinic = clinic_reactivate(clinic=clinic, actor=actor, request=request)
    return clinic, sources_reclaim(actor=actor)
