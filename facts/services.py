"""Changing the fact sheet. Every change takes the MANAGE permission (agency owners and
managers), is checked before anything is stored, and writes a `FactVersion` (who, when, what
changed, the fact as it then read): the fact sheet's history, viewable and restorable."""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.actors import Actor
from clinics.access import ClinicAccess
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.permissions import Permission
from core.text import markup_problem, text_problem
from facts.defaults import DEFAULT_FACTS
from facts.models import Fact, FactAction, FactStatus, FactVersion

FACT_FIELDS = ("title", "statement", "source", "source_url", "verified_on", "topics", "is_active")
SNAPSHOT_FIELDS = (*FACT_FIELDS, "status")
STATEMENT_MAX_CHARS = 500
_VARIABLE = re.compile(r"[{}]")


def _require(access: ClinicAccess) -> Actor:
    if not access.can(Permission.MANAGE):
        raise PermissionDenied(
            f"Your role in this clinic does not allow this ({Permission.MANAGE.value})."
        )
    return access.actor


def fact_problems(fact: Fact) -> dict[str, list[str]]:
    """The field messages of a fact that cannot be stored as it is (empty when it can)."""
    errors: dict[str, list[str]] = {}
    for name in ("title", "statement", "source", "source_url"):
        value = str(getattr(fact, name) or "")
        if problem := text_problem(value):
            errors[name] = [problem]
        elif name != "source_url" and (problem := markup_problem(value)):
            errors[name] = [problem]  # a fact is quoted into public replies as it is
    if not (fact.title or "").strip():
        errors.setdefault("title", ["This field is required."])
    statement = (fact.statement or "").strip()
    if not statement:
        errors.setdefault("statement", ["State the fact: a statement cannot be empty."])
    elif len(statement) > STATEMENT_MAX_CHARS:
        errors.setdefault(
            "statement",
            [f"Keep a fact short: {STATEMENT_MAX_CHARS} characters at most ({len(statement)})."],
        )
    elif _VARIABLE.search(statement):
        errors.setdefault("statement", ["A fact is plain text: no {variables} or braces."])
    if isinstance(fact.verified_on, dt.date) and fact.verified_on > timezone.localdate():
        errors["verified_on"] = ["A fact cannot be verified in the future."]
    if fact.source_url and not fact.source_url.startswith(("https://", "http://")):
        errors.setdefault("source_url", ["Give a web address (https://…)."])
    return errors


def _check(fact: Fact) -> None:
    if errors := fact_problems(fact):
        raise ValidationFailed("Invalid fact.", fields=errors)


def _version(
    fact: Fact,
    action: str,
    who: Actor,
    *,
    changed: list[str] | None = None,
    restored_from: int | None = None,
) -> FactVersion:
    return FactVersion.objects.create(
        fact=fact,
        number=fact.version,
        action=action,
        changed=list(changed or []),
        restored_from=restored_from,
        actor_label=who.label,
        actor_name=who.name[:200],
        **{name: getattr(fact, name) for name in SNAPSHOT_FIELDS},
    )


def _locked(fact_id: int, expected_version: int | None) -> Fact:
    fact = Fact.objects.select_for_update().filter(pk=fact_id).first()
    if fact is None:
        raise NotFound("Not found.")
    if expected_version is not None and expected_version != fact.version:
        raise Conflict(
            f"This fact changed since you opened it (now version {fact.version}); "
            "reload it and apply your change again.",
            code="stale_version",
            fields={"expected_version": [f"The current version is {fact.version}."]},
        )
    return fact


def _stamp_confirmed(fact: Fact, who: Actor) -> None:
    fact.status = FactStatus.CONFIRMED
    fact.confirmed_by = who.name[:200]
    fact.confirmed_at = timezone.now()
    if fact.verified_on is None:
        fact.verified_on = timezone.localdate()


@transaction.atomic
def fact_create(
    *, access: ClinicAccess, slug: str = "", status: str = FactStatus.CONFIRMED, **data
) -> Fact:
    """A new fact, confirmed (cited from now on) unless `status="draft"`. A duplicate slug is a
    409; nothing is stored on any error."""
    who = _require(access)
    if status not in FactStatus.values:
        raise ValidationFailed(
            "Invalid fact.", fields={"status": [f"Choose {', '.join(FactStatus.values)}."]}
        )
    fact = Fact(
        slug=slugify(slug or data.get("title", ""))[:80],
        updated_by=who.name[:200],
        **{k: v for k, v in data.items() if k in FACT_FIELDS},
    )
    fact.topics = [t.strip() for t in fact.topics or [] if t and t.strip()]
    errors = fact_problems(fact)
    if not fact.slug:
        errors["slug"] = ["Give the fact a slug (letters, digits and hyphens)."]
    if errors:
        raise ValidationFailed("Invalid fact.", fields=errors)
    if status == FactStatus.CONFIRMED:
        _stamp_confirmed(fact, who)
    else:
        fact.status = FactStatus.DRAFT
    try:
        with transaction.atomic():
            fact.save()
    except IntegrityError:
        raise Conflict(
            f"A fact with the slug “{fact.slug}” exists.",
            code="duplicate_slug",
            fields={"slug": [f"“{fact.slug}” is taken: choose another slug."]},
        ) from None
    _version(fact, FactAction.CREATED, who, changed=[n for n in FACT_FIELDS if n in data])
    return fact


@transaction.atomic
def fact_update(
    *, fact_id: int, access: ClinicAccess, expected_version: int | None = None, **changes
) -> Fact:
    """Change a fact's fields; a change that changes nothing writes no version. Switching
    `is_active` alone is recorded as deactivated / reactivated."""
    who = _require(access)
    fact = _locked(fact_id, expected_version)
    if "topics" in changes and changes["topics"] is not None:
        changes["topics"] = [t.strip() for t in changes["topics"] if t and t.strip()]
    changed = [k for k in FACT_FIELDS if k in changes and getattr(fact, k) != changes[k]]
    if not changed:
        return fact
    for name in changed:
        setattr(fact, name, changes[name])
    _check(fact)
    fact.updated_by = who.name[:200]
    fact.version += 1
    fact.save()
    action = FactAction.UPDATED
    if changed == ["is_active"]:
        action = FactAction.REACTIVATED if fact.is_active else FactAction.DEACTIVATED
    _version(fact, action, who, changed=changed)
    return fact


@transaction.atomic
def fact_confirm(
    *, fact_id: int, access: ClinicAccess, expected_version: int | None = None, **changes
) -> Fact:
    """Confirm a fact (with any last edits in `changes`): from now on replies may cite it and
    scoring matches claims against it."""
    who = _require(access)
    fact = _locked(fact_id, expected_version)
    changed = [k for k in FACT_FIELDS if k in changes and getattr(fact, k) != changes[k]]
    for name in changed:
        setattr(fact, name, changes[name])
    if fact.status == FactStatus.CONFIRMED and not changed:
        return fact
    _check(fact)
    _stamp_confirmed(fact, who)
    fact.updated_by = who.name[:200]
    fact.version += 1
    fact.save()
    _version(fact, FactAction.CONFIRMED, who, changed=changed)
    return fact


@transaction.atomic
def fact_delete(*, fact_id: int, access: ClinicAccess) -> None:
    """Deactivate a fact: it is no longer cited or matched, and it keeps its history (a
    reactivation or a restore brings it back). Replies and statements already written keep the
    fact's words (they store their text)."""
    fact_update(fact_id=fact_id, access=access, is_active=False)


@transaction.atomic
def fact_restore(
    *, fact_id: int, number: int, access: ClinicAccess, expected_version: int | None = None
) -> Fact:
    """Make a fact read again as it did in version `number`; written as a new version."""
    who = _require(access)
    fact = _locked(fact_id, expected_version)
    old = fact.versions.filter(number=number).first()
    if old is None:
        raise NotFound(f"This fact has no version {number}.")
    changed = [k for k in SNAPSHOT_FIELDS if getattr(fact, k) != getattr(old, k)]
    if not changed:
        return fact
    for name in changed:
        setattr(fact, name, getattr(old, name))
    _check(fact)
    if fact.status == FactStatus.CONFIRMED and "status" in changed:
        _stamp_confirmed(fact, who)
    fact.updated_by = who.name[:200]
    fact.version += 1
    fact.save()
    _version(fact, FactAction.RESTORED, who, changed=changed, restored_from=number)
    return fact


def fact_defaults_ensure(*, who: Actor | None = None) -> list[Fact]:
    """Add the default clinic-safety facts (drafts, to be confirmed) that the current clinic's
    fact sheet lacks (by slug). Returns the facts added."""
    who = who or Actor.of_system("onboarding", "Onboarding")
    existing = set(Fact.objects.values_list("slug", flat=True))
    added = []
    for default in DEFAULT_FACTS:
        if default["slug"] in existing:
            continue
        with transaction.atomic():
            fact = Fact.objects.create(
                status=FactStatus.DRAFT, updated_by=who.name[:200], **default
            )
            _version(fact, FactAction.CREATED, who, changed=["title", "statement", "topics"])
        added.append(fact)
    return added
