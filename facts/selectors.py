"""Reading the fact sheet. Only *citable* facts (active and confirmed) are ever quoted in a
reply or matched against a claim: a draft "to be confirmed" is shown to staff, never cited."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from facts.defaults import TEMPLATE_STATEMENTS
from facts.models import ClinicReview, Fact, FactStatus, FactVersion

CITABLE = Q(is_active=True, status=FactStatus.CONFIRMED)


def _unfilled_default() -> Q:
    """The drafts that still read as a default fact's suggested wording
    (`Fact.is_unfilled_default`)."""
    q = Q(pk__in=[])
    for slug, statements in TEMPLATE_STATEMENTS.items():
        q |= Q(slug=slug, statement__in=sorted(statements))
    return q & Q(status=FactStatus.DRAFT)


def facts_list(*, active_only: bool = False) -> QuerySet[Fact]:
    """Every fact (the fact sheet as staff manage it), or with `active_only` only the citable
    ones: active and confirmed."""
    qs = Fact.objects.all()
    return qs.filter(CITABLE) if active_only else qs


def facts_citable() -> QuerySet[Fact]:
    return Fact.objects.filter(CITABLE).order_by("title")


def facts_to_confirm() -> QuerySet[Fact]:
    """Active facts still waiting for someone to fill them in and confirm them."""
    return Fact.objects.filter(is_active=True, status=FactStatus.DRAFT).order_by("title")


def facts_waiting_for_clinic() -> QuerySet[Fact]:
    """Active drafts the agency asked the clinic to confirm, oldest request first."""
    return Fact.objects.filter(
        is_active=True, status=FactStatus.DRAFT, clinic_review=ClinicReview.WAITING
    ).order_by("clinic_asked_at", "title", "pk")


def facts_askable() -> QuerySet[Fact]:
    """Drafts the agency may ask the clinic to confirm: active, filled in with a statement of
    the clinic's own (not a default's suggested wording), not already waiting for the clinic."""
    return (
        facts_to_confirm()
        .exclude(statement="")
        .exclude(clinic_review=ClinicReview.WAITING)
        .exclude(_unfilled_default())
    )


def facts_unfilled_defaults() -> QuerySet[Fact]:
    """Active default facts still reading as their suggested wording, not waiting for the
    clinic: left out of "ask the clinic to confirm all drafts" until they are filled in."""
    return (
        facts_to_confirm().filter(_unfilled_default()).exclude(clinic_review=ClinicReview.WAITING)
    )


def fact_get(fact_id: int) -> Fact | None:
    return Fact.objects.filter(pk=fact_id).first()


def fact_citable_by_slug(slug: str) -> Fact | None:
    return Fact.objects.filter(CITABLE, slug=slug).first() if slug else None


def facts_citable_by_slugs(slugs: Iterable[str]) -> dict[str, Fact]:
    slugs = [s for s in slugs if s]
    if not slugs:
        return {}
    return {f.slug: f for f in Fact.objects.filter(CITABLE, slug__in=slugs)}


def facts_for_topics(topics: Iterable[str]) -> list[Fact]:
    """Citable facts that answer any of these scoring topics."""
    topics = [t for t in topics if t]
    if not topics:
        return []
    return list(facts_citable().filter(topics__overlap=topics))


def fact_versions(fact_id: int) -> QuerySet[FactVersion]:
    """A fact's history, newest first."""
    return FactVersion.objects.filter(fact_id=fact_id).order_by("-number")
