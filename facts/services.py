"""Changing the fact sheet. Every change takes the MANAGE permission (agency owners and
managers), is checked before anything is stored, and writes a `FactVersion` (who, when, what
changed, the fact as it then read): the fact sheet's history, viewable and restorable.

The clinic's say on its facts: staff ask the clinic to confirm drafts (`facts_ask_clinic`);
the clinic's people who give its approval at the client step (`clinic_attest_refusal`: the
rule of `clinics.access`, an approver of the clinic who is not staff of its agency) are told
once per request, in-app and by e-mail, and confirm each fact in the portal
(`fact_confirm_by_clinic`) or say what needs a change (`fact_change_request`: the agency is
told). Staff confirming a fact themselves stays possible; the fact then says it was the
agency, for the clinic (`Fact.confirmed_as`)."""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.actors import Actor, user_id_of
from accounts.models import User
from clinics.access import ClinicAccess, people_who_can, user_access
from clinics.notifications import notifications_close, notifications_retitle, people_notify
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.permissions import Permission
from core.pipeline import facts_changed
from core.tenancy import current_clinic
from core.text import control_problem, markup_problem, reason_problem, text_problem
from facts.defaults import DEFAULT_FACTS
from facts.models import (
    SETUP_NAME,
    SETUP_PART,
    ClinicReview,
    ConfirmedAs,
    Fact,
    FactAction,
    FactStatus,
    FactVersion,
)
from facts.selectors import facts_waiting_for_clinic

FACT_FIELDS = ("title", "statement", "source", "source_url", "verified_on", "topics", "is_active")
SNAPSHOT_FIELDS = (*FACT_FIELDS, "status")
STATEMENT_MAX_CHARS = 500
_VARIABLE = re.compile(r"[{}]")


def _require(access: ClinicAccess) -> Actor:
    if not access.can(Permission.MANAGE):
        raise PermissionDenied(access.refusal(Permission.MANAGE))
    return access.actor


def fact_problems(fact: Fact) -> dict[str, list[str]]:
    """The field messages of a fact that cannot be stored as it is (empty when it can)."""
    errors: dict[str, list[str]] = {}
    for name in ("title", "statement", "source", "source_url"):
        value = str(getattr(fact, name) or "")
        if problem := text_problem(value) or control_problem(value, one_line=name != "statement"):
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


def unfilled_refusal(fact: Fact) -> str | None:
    """Why `fact` may not be sent to the clinic nor confirmed as it reads, or None: it is a
    default fact still reading as its suggested wording (`Fact.is_unfilled_default`)."""
    if not fact.is_unfilled_default:
        return None
    hint = f" (to fill in: {fact.prompt})" if fact.prompt else ""
    return (
        f"“{fact.title}” still reads as the suggested wording of a default fact{hint}: "
        "write the clinic's own statement first."
    )


def _version(
    fact: Fact,
    action: str,
    who: Actor,
    *,
    changed: list[str] | None = None,
    restored_from: int | None = None,
    by_clinic: bool = False,
    comment: str = "",
) -> FactVersion:
    return FactVersion.objects.create(
        fact=fact,
        number=fact.version,
        action=action,
        changed=list(changed or []),
        restored_from=restored_from,
        actor_label=who.label,
        actor_name=who.name[:200],
        by_clinic=by_clinic,
        comment=comment,
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


def _stamp_confirmed(fact: Fact, who: Actor, *, by_clinic: bool = False) -> None:
    fact.status = FactStatus.CONFIRMED
    fact.confirmed_by = who.name[:200]
    fact.confirmed_at = timezone.now()
    fact.confirmed_as = ConfirmedAs.CLINIC if by_clinic else ConfirmedAs.AGENCY
    fact.clinic_review = ClinicReview.NONE
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
    if "is_active" in changed:
        _clinic_told_sync()  # a deactivated fact no longer waits for the clinic
    if fact.status == FactStatus.CONFIRMED and fact.is_active and "statement" in changed:
        facts_changed()  # the running claims are checked against the new words
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
    if refusal := unfilled_refusal(fact):
        raise ValidationFailed(
            "Fill in the fact before confirming it.",
            code="unfilled_default",
            fields={"statement": [refusal]},
        )
    _stamp_confirmed(fact, who)
    fact.updated_by = who.name[:200]
    fact.version += 1
    fact.save()
    _version(fact, FactAction.CONFIRMED, who, changed=changed)
    _answered(fact)
    facts_changed()  # the running claims are checked against it (`core.pipeline`)
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
    _clinic_told_sync()
    return fact


def fact_defaults_ensure(*, who: Actor | None = None) -> list[Fact]:
    """Add the default clinic-safety facts (drafts, to be confirmed) that the current clinic's
    fact sheet lacks (by slug). Returns the facts added."""
    who = who or Actor.of_system(SETUP_PART, SETUP_NAME)
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


# --- the clinic's say on its facts --------------------------------------------------------

CLINIC_REF = "facts:confirm"  # the clinic's one notification: facts wait for its confirmation
ASK_MAX = 200


def _change_ref(fact: Fact) -> str:
    return f"fact:{fact.pk}:change_requested"


def clinic_attest_refusal(access: ClinicAccess) -> str | None:
    """Why `access` may not confirm facts for the clinic, or None: the rule of the clinic's
    approval step (`ClinicAccess.speaks_for_the_clinic` with the client-step permission): one
    of the clinic's approvers who is not staff of its agency. The agency confirms on the fact
    sheet instead, where the fact then says it was the agency."""
    if access.can(Permission.APPROVE_CLIENT) and access.speaks_for_the_clinic:
        return None
    return (
        "Only the clinic's own approvers (not its agency's staff) confirm its facts here; "
        "the agency confirms them on the fact sheet."
    )


def clinic_attesters(clinic) -> list[User]:
    """The people who may confirm the clinic's facts (whom to ask): those who give its
    approval at the client step, by the same rule."""
    return [
        user
        for user in people_who_can(clinic, permission=Permission.APPROVE_CLIENT)
        if (found := user_access(user, clinic)) is not None and clinic_attest_refusal(found) is None
    ]


def _waiting_title(waiting: int) -> str:
    """The clinic's notification, as many facts as wait for it."""
    return (
        f"{waiting} fact{'s' if waiting != 1 else ''} of your fact sheet "
        f"wait{'' if waiting != 1 else 's'} for your confirmation"
    )


def _clinic_told_sync() -> None:
    """The clinic's notification follows the facts that still wait for it: it says how many
    (the banner, the badge, the notification history), and closes once none does."""
    waiting = facts_waiting_for_clinic().count()
    if waiting == 0:
        notifications_close(clinic=current_clinic(), ref=CLINIC_REF)
    else:
        notifications_retitle(
            clinic=current_clinic(), ref=CLINIC_REF, title=_waiting_title(waiting)
        )


def _answered(fact: Fact) -> None:
    """`fact` no longer waits for the clinic (confirmed, or the clinic asked for a change):
    the agency's "needs a change" notice of it closes once it is confirmed, and the clinic's
    notification once nothing waits."""
    if fact.status == FactStatus.CONFIRMED:
        notifications_close(clinic=current_clinic(), ref=_change_ref(fact))
    _clinic_told_sync()


def _ask_problems(facts: dict[int, Fact], ids: list[int]) -> list[str]:
    problems = []
    for fid in ids:
        fact = facts.get(fid)
        if fact is None:
            problems.append(f"Fact {fid}: there is no such fact on this clinic's fact sheet.")
            continue
        name = f"Fact {fid} (“{fact.title}”)"
        if not fact.is_active:
            problems.append(f"{name} is deactivated: reactivate it first.")
        elif fact.status == FactStatus.CONFIRMED:
            problems.append(f"{name} is already confirmed.")
        elif not (fact.statement or "").strip():
            problems.append(f"{name} has no statement yet: fill it in before asking the clinic.")
        elif fact_problems(fact):
            problems.append(f"{name} cannot be confirmed as it reads: correct it first.")
        elif refusal := unfilled_refusal(fact):
            problems.append(f"Fact {fid}: {refusal}")
        elif fact.clinic_review == ClinicReview.WAITING:
            since = timezone.localtime(fact.clinic_asked_at).strftime("%Y-%m-%d %H:%M")
            problems.append(f"{name} already waits for the clinic (since {since}).")
    return problems


@transaction.atomic
def facts_ask_clinic(*, fact_ids: list[int], access: ClinicAccess) -> tuple[list[Fact], dict]:
    """Ask the clinic to confirm these drafts: each records who asked and when (a version
    "sent to the clinic to confirm"), and the clinic's approvers are told once for the whole
    request, in-app and by e-mail (`CLINIC_REF`, with the number of facts that wait). Every id
    must be an active draft with a statement of the clinic's own (not a default's suggested
    wording, `unfilled_refusal`) that does not already wait: otherwise a 400
    naming each, and nothing is stored or sent; 409 `nobody_to_ask` when the clinic has no
    approver. Returns the facts and whom it told (user id -> channels)."""
    who = _require(access)
    ids = list(dict.fromkeys(int(i) for i in fact_ids))
    if not ids:
        raise ValidationFailed(
            "Choose the facts to ask about.", fields={"fact_ids": ["Give at least one fact id."]}
        )
    if len(ids) > ASK_MAX:
        raise ValidationFailed(
            "Too many facts at once.", fields={"fact_ids": [f"At most {ASK_MAX} at once."]}
        )
    facts = {f.pk: f for f in Fact.objects.select_for_update().filter(pk__in=ids)}
    if problems := _ask_problems(facts, ids):
        raise ValidationFailed(
            "The clinic was not asked: nothing was changed.", fields={"fact_ids": problems}
        )
    clinic = current_clinic()
    people = clinic_attesters(clinic)
    if not people:
        raise Conflict(
            "No person of the clinic may confirm its facts: add an approver of the clinic in "
            "its people settings (agency staff confirm on the fact sheet).",
            code="nobody_to_ask",
        )
    now = timezone.now()
    asked = []
    for fid in ids:
        fact = facts[fid]
        fact.clinic_review = ClinicReview.WAITING
        fact.clinic_asked_at = now
        fact.clinic_asked_by = who.name[:200]
        fact.clinic_asked_by_label = who.label[:120]
        fact.updated_by = who.name[:200]
        fact.version += 1
        fact.save()
        _version(fact, FactAction.ASKED, who)
        notifications_close(clinic=clinic, ref=_change_ref(fact))
        asked.append(fact)
    waiting = facts_waiting_for_clinic().count()
    # one message per request: the earlier one (if still open) gives way to this one
    notifications_close(clinic=clinic, ref=CLINIC_REF)
    told = people_notify(
        users=people,
        clinic=clinic,
        kind="facts",
        ref=CLINIC_REF,
        title=_waiting_title(waiting),
        detail=f"{who.name or 'Your agency'} asks you to confirm what the clinic states as true "
        "before replies cite it. Confirm each fact, or say what needs a change.",
        url=f"/clinics/{clinic.slug}/portal/facts/",
    )
    return asked, told


def _locked_waiting(fact_id: int, expected_version: int | None) -> Fact:
    fact = _locked(fact_id, expected_version)
    if not fact.waits_for_clinic:
        raise Conflict(
            f"“{fact.title}” no longer waits for the clinic's confirmation.", code="not_waiting"
        )
    return fact


def _require_clinic(access: ClinicAccess) -> Actor:
    if refusal := clinic_attest_refusal(access):
        raise PermissionDenied(refusal)
    return access.actor


@transaction.atomic
def fact_confirm_by_clinic(
    *, fact_id: int, access: ClinicAccess, expected_version: int | None = None
) -> Fact:
    """The clinic confirms a fact that waits for it, as it reads (`expected_version`: the
    version the person read; 409 when it changed since): cited from now on, "Confirmed by
    <name> (clinic)"."""
    who = _require_clinic(access)
    fact = _locked_waiting(fact_id, expected_version)
    _check(fact)
    if fact.is_unfilled_default:
        raise Conflict(
            f"“{fact.title}” cannot be confirmed: your agency has not filled it in yet (it still "
            "reads as a suggested wording). Say what needs a change, or wait for the agency.",
            code="unfilled_default",
        )
    _stamp_confirmed(fact, who, by_clinic=True)
    fact.updated_by = who.name[:200]
    fact.version += 1
    fact.save()
    _version(fact, FactAction.CONFIRMED, who, by_clinic=True)
    _answered(fact)
    facts_changed()  # the running claims are checked against it (`core.pipeline`)
    return fact


@transaction.atomic
def fact_change_request(
    *, fact_id: int, access: ClinicAccess, comment: str, expected_version: int | None = None
) -> tuple[Fact, dict]:
    """The clinic says a fact that waits for it needs a change (`comment`, required): it stays
    a draft, never cited, and the agency is told (the person who asked and the clinic's
    managers, with a link to the fact). Returns the fact and whom it told."""
    who = _require_clinic(access)
    comment = (comment or "").strip()
    # the rule of the clinic's comment on a reply it sends back (`core.text.reason_problem`,
    # empty included): "no" tells the agency nothing
    problem = text_problem(comment) or reason_problem(comment) or markup_problem(comment)
    if not problem and len(comment) > 2000:
        problem = "Keep it under 2,000 characters."
    if problem:
        raise ValidationFailed(
            "Say what needs a change, in words: the clinic's comment goes to the agency.",
            fields={"comment": [problem]},
        )
    fact = _locked_waiting(fact_id, expected_version)
    fact.clinic_review = ClinicReview.CHANGE_REQUESTED
    fact.clinic_comment = comment
    fact.clinic_comment_by = who.name[:200]
    fact.clinic_comment_at = timezone.now()
    fact.updated_by = who.name[:200]
    fact.version += 1
    fact.save()
    _version(fact, FactAction.CHANGE_REQUESTED, who, by_clinic=True, comment=comment)
    _answered(fact)
    clinic = current_clinic()
    users = {u.pk: u for u in people_who_can(clinic, permission=Permission.MANAGE)}
    if (asker_id := user_id_of(fact.clinic_asked_by_label)) is not None:
        asker = User.objects.filter(pk=asker_id, is_active=True).first()
        if (
            asker is not None
            and (found := user_access(asker, clinic))
            and found.can(Permission.MANAGE)
        ):
            users[asker.pk] = asker
    told = people_notify(
        users=users.values(),
        clinic=clinic,
        kind="fact_change",
        ref=_change_ref(fact),
        title=f"The clinic asks for a change to the fact “{fact.title}”",
        detail=f"{who.name or 'The clinic'} says: “{comment}”",
        url=f"/clinics/{clinic.slug}/facts/{fact.pk}/",
    )
    return fact, told
