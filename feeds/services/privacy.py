"""Privacy requests: a person asks the agency to remove what they wrote. Their items, found
across the agency's clinics (`feeds.selectors.reviews_by_author_across`), are redacted (or
deleted) in each clinic's schema; every app above feeds clears what it keeps of them through
`core.privacy.reviews_redacted`; the request is appended to the agency's privacy requests log
with a receipt for the person.

Carrying a request out tells the agency's integrators too: in every clinic it touched, the
webhook events `privacy_request.received` and `privacy_request.completed` (the request's id
and that clinic's counts, nothing that names anyone) are stored with the redaction and sent
after it commits.

Redacting keeps that the item happened: its source, external id, date, rating, counts and
scores' labels stay, so figures and ratings hold, and the external id keeps the next sync
from bringing anything back (`reviews_upsert` leaves a redacted review as it is). Deleting also
marks it deleted: it leaves the lists and every figure."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.models import Agency, PrivacyAction, PrivacyRequest
from agency.services import privacy_request_record
from clinics.access import privacy_requests_refusal
from clinics.models import Clinic
from core.errors import PermissionDenied, ValidationFailed
from core.privacy import REDACTED_TEXT, Redacted, reviews_redacted
from core.rollup import figures_changed
from core.settled import reviews_settled
from core.text import reason_problem
from feeds.models import Review, ReviewRevision, platform_name
from feeds.selectors import AUTHOR_MIN_CHARS, author_term, reviews_by_author
from webhooks.models import WebhookEvent
from webhooks.services import webhook_event_emit

PRIVACY_REQUEST = Actor.of_system("privacy", "Privacy request")
MAX_ITEMS = 500  # items one request may name (the search lists at most 50 per clinic)
MAX_REASON = 1000
REDACTED_FIELDS = {"author_name": "", "text": REDACTED_TEXT, "url": "", "language": ""}


@dataclass
class ClinicDone:
    clinic: Clinic
    items: list[dict]
    redacted: Redacted = field(default_factory=Redacted)


@transaction.atomic
def reviews_redact(*, review_ids: list[int], delete: bool = False) -> tuple[list[dict], Redacted]:
    """Redact reviews of the current clinic at their author's request: the author's name or
    handle, the text, the link and the language are replaced (`REDACTED_TEXT`), the edit
    history is deleted, and the apps above clear their copies (`core.privacy`). With `delete`,
    the items are also marked deleted (out of every list and figure). Already redacted items
    are redacted again (nothing left to find). Returns each item as the log keeps it (no
    text: its source, external id and date) and what the apps cleared."""
    reviews = list(
        Review.objects.select_for_update(of=("self",))
        .select_related("source")
        .filter(pk__in=review_ids)
        .order_by("published_at", "pk")
    )
    now = timezone.now()
    names = sorted({r.author_name for r in reviews if r.author_name.strip()})
    items = [
        {
            "review_id": r.pk,
            "kind": r.kind,
            "source": r.source.kind,
            "source_name": platform_name(r.source.kind),
            "external_id": r.external_id,
            "published_at": r.published_at.isoformat(),
            "rating": r.rating,
        }
        for r in reviews
    ]
    for review in reviews:
        for name, value in REDACTED_FIELDS.items():
            setattr(review, name, value)
        review.redacted_at = review.redacted_at or now
        if delete and not review.is_deleted:
            review.is_deleted, review.deleted_at = True, now
        review.updated_at = now
    Review.objects.bulk_update(
        reviews, [*REDACTED_FIELDS, "redacted_at", "is_deleted", "deleted_at", "updated_at"]
    )
    ReviewRevision.objects.filter(review_id__in=[r.pk for r in reviews]).delete()
    # deleted at the author's request: nothing waits on them any more (first, so that what
    # the apps say of their replies below is where they stand now: withdrawn, not waiting)
    reviews_settled(
        review_ids=[r.pk for r in reviews if r.is_deleted],
        who=PRIVACY_REQUEST,
        how="deleted at its author's request",
    )
    done = reviews_redacted(review_ids=[r.pk for r in reviews], author_names=names)
    if reviews:
        figures_changed()
    return items, done


def _names_said(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _receipt(
    *, action: str, author: str, reason: str, done: list[ClinicDone], now, to_check: list[str]
) -> str:
    n = sum(len(d.items) for d in done)
    verb = "deleted" if action == PrivacyAction.DELETE else "removed"
    lines = [
        f"On {now.date().isoformat()} we {verb} {n} item{'s' if n != 1 else ''} by “{author}” "
        f"from {_names_said([d.clinic.name for d in done])}:"
    ]
    for d in done:
        for item in d.items:
            what = "review" if item["kind"] == "review" else item["kind"]
            lines.append(
                f"- {d.clinic.name}: {item['source_name']} {what} of "
                f"{item['published_at'][:10]} (id {item['external_id']})"
            )
    lines.append(
        "Removed: the author's name or handle, the text, the link and every earlier version"
        "; what our analysis kept of the words; private follow-up messages and contact "
        "details; the author's name in our replies."
    )
    if action == PrivacyAction.DELETE:
        lines.append("The items are deleted: they no longer count in any figure.")
    else:
        lines.append(
            "That the items were posted stays (their date and star rating count in the "
            "clinics' figures), without anything that names the author."
        )
    lines.append(
        "What the platforms show is the platforms': we no longer store it, and a later "
        "sync does not bring it back."
    )
    if to_check:
        lines.append("Still to do by us:")
        lines += [f"- {line}" for line in to_check]
    lines.append(f"Reference: {reason}")
    return "\n".join(lines)


def _selection_parsed(agency: Agency, selected: list[str], errors: dict) -> dict[Clinic, list[int]]:
    """`["<clinic slug>:<review id>", ...]` as {clinic of `agency`: [ids]}; a clinic of another
    agency reads as unknown (never "not yours")."""
    wanted: dict[str, list[int]] = {}
    for raw in selected:
        slug, _, pk = str(raw).partition(":")
        if not slug or not pk.isdigit():
            errors.setdefault("items", []).append(f"Not an item: “{str(raw)[:60]}”.")
            continue
        wanted.setdefault(slug, []).append(int(pk))
    clinics = {c.slug: c for c in Clinic.objects.filter(agency=agency, slug__in=list(wanted))}
    for slug in wanted:
        if slug not in clinics:
            errors.setdefault("items", []).append(f"No clinic “{slug[:60]}” in this agency.")
    return {clinics[slug]: sorted(set(ids)) for slug, ids in wanted.items() if slug in clinics}


def _removed_already(agency: Agency, action: str, items) -> list[str]:
    """A message per item that a request of `action` would change nothing of, naming the
    earlier request that removed it (the first one; for a deletion, the first that deleted
    it) and its day (UTC, as receipts say it): a request sent twice is refused, not carried
    out and announced again."""
    wanted = Q()
    for clinic, pk, _ in items:
        wanted |= Q(items__contains=[{"clinic_id": clinic.pk, "review_id": pk}])
    earlier = list(
        PrivacyRequest.objects.filter(wanted, agency_id=agency.pk).order_by("created_at", "id")
    )
    messages = []
    for clinic, pk, redacted_at in items:
        rows = [
            row
            for row in earlier
            if any(i.get("clinic_id") == clinic.pk and i.get("review_id") == pk for i in row.items)
        ]
        if action == PrivacyAction.DELETE:
            rows = [row for row in rows if row.action == PrivacyAction.DELETE] or rows
        row = rows[0] if rows else None
        verb = "deleted" if action == PrivacyAction.DELETE else "removed"
        when = (row.created_at if row is not None else redacted_at).date().isoformat()
        by = f" by request {row.pk}" if row is not None else ""
        messages.append(
            f"Item #{pk} at {clinic.name} was already {verb} on {when}{by}: leave it out."
        )
    return messages


def privacy_search_problems(*, agency: Agency, author: str, clinic_slug: str = "") -> dict:
    """What is wrong with a search for a person's items (the page's and the API's), as
    messages per field: a name or handle too short, a clinic that is not one of `agency`'s
    (another agency's reads as unknown). Empty when it may run."""
    errors: dict[str, list[str]] = {}
    if len(author_term(author)) < AUTHOR_MIN_CHARS:
        errors["author"] = [
            f"Give the author's name or handle ({AUTHOR_MIN_CHARS} characters or more)."
        ]
    if clinic_slug and not Clinic.objects.filter(agency=agency, slug=clinic_slug).exists():
        errors["clinic"] = ["No such clinic in this agency."]
    return errors


def privacy_request_check(
    *, agency: Agency, actor: Actor, author: str, reason: str, action: str, selected: list[str]
) -> dict[Clinic, list[int]]:
    """Everything `privacy_request_carry_out` checks before it changes anything, for the
    page's confirmation step too: the agency's owners and managers, or its agency key with
    `write` (`clinics.access.privacy_requests_access`; else PermissionDenied); a name
    or handle (`author`), a reason in words, `redact` or `delete`, at least one item, every
    clinic one of `agency`'s (another agency's reads as unknown), every item in its clinic
    and the person's: by them or naming them, as the search finds it, and none that the action
    would change nothing of (redacted already, or deleted already for a deletion: the message
    names the earlier request) (else ValidationFailed with a message per field). Returns
    {clinic: [review ids]}."""
    if refusal := privacy_requests_refusal(actor, agency):
        raise PermissionDenied(refusal)
    errors: dict[str, list[str]] = {}
    if len(author_term(author)) < AUTHOR_MIN_CHARS:
        errors["author"] = [
            f"Give the author's name or handle ({AUTHOR_MIN_CHARS} characters or more)."
        ]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["Give the request's reference and why (e.g. “Erasure request …”)."]
    elif problem := reason_problem(reason):
        errors["reason"] = [problem]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [f"At most {MAX_REASON} characters."]
    if action not in PrivacyAction.values:
        errors["action"] = ["Choose redact or delete."]
    if not selected:
        errors["items"] = ["Choose the items to remove."]
    elif len(selected) > MAX_ITEMS:
        errors["items"] = [f"At most {MAX_ITEMS} items at once."]
    wanted = (
        _selection_parsed(agency, selected, errors) if selected and "items" not in errors else {}
    )
    term = author_term(author)
    already: list[tuple[Clinic, int, datetime]] = []
    for clinic, ids in wanted.items():
        with schema_context(clinic.schema_name):
            found = set(Review.objects.filter(pk__in=ids).values_list("pk", flat=True))
            # what this action would change nothing of: redacted already (to redact), or
            # redacted and deleted already (to delete; a redacted item may still be deleted)
            done_before = dict(
                Review.objects.filter(pk__in=ids, redacted_at__isnull=False)
                .filter(Q(is_deleted=True) if action == PrivacyAction.DELETE else Q())
                .values_list("pk", "redacted_at")
            )
            # an item is the person's when the search finds it (their name or handle, or a
            # text naming them), or when it is redacted already (nothing of it left to find)
            theirs = set(
                Review.objects.filter(pk__in=ids)
                .filter(
                    Q(pk__in=reviews_by_author(author, with_text=True).values("pk"))
                    | Q(redacted_at__isnull=False)
                )
                .values_list("pk", flat=True)
            )
        for pk in ids:
            if pk not in found:
                errors.setdefault("items", []).append(f"No item #{pk} at {clinic.name}.")
            elif pk in done_before:
                already.append((clinic, pk, done_before[pk]))
            elif pk not in theirs and term:
                errors.setdefault("items", []).append(
                    f"Item #{pk} at {clinic.name} is not by “{term[:60]}” and does not name "
                    "them: choose among the items the search for them finds."
                )
    if already:
        errors.setdefault("items", []).extend(_removed_already(agency, action, already))
    if errors:
        raise ValidationFailed("Nothing was removed: correct the fields marked.", fields=errors)
    return wanted


def privacy_request_carry_out(
    *,
    agency: Agency,
    actor: Actor,
    author: str,
    reason: str,
    action: str,
    selected: list[str],
) -> PrivacyRequest:
    """Carry out a privacy request: redact (or, with `action="delete"`, also delete) the
    `selected` items (`"<clinic slug>:<review id>"`) of `agency`'s clinics, found by
    `author`, for `reason` (the request's reference and why, in words). Checked first by
    `privacy_request_check` (nothing changes when it refuses); then every clinic's items are
    redacted, the request appended to the log and its webhook events stored in each clinic it
    touched (`privacy_request_events_emit`), in one transaction: a failure leaves nothing
    redacted, logged or sent. Returns the log row (with its receipt)."""
    author = " ".join((author or "").split())
    reason = (reason or "").strip()
    wanted = privacy_request_check(
        agency=agency, actor=actor, author=author, reason=reason, action=action, selected=selected
    )
    now = timezone.now()
    with transaction.atomic():
        done = []
        for clinic in sorted(wanted, key=lambda c: (c.name, c.pk)):
            with schema_context(clinic.schema_name):
                items, redacted = reviews_redact(
                    review_ids=wanted[clinic], delete=action == PrivacyAction.DELETE
                )
            done.append(ClinicDone(clinic=clinic, items=items, redacted=redacted))
        to_check = [f"{d.clinic.name}: {line}" for d in done for line in d.redacted.to_check]
        logged = [
            {"clinic_id": d.clinic.pk, "clinic_slug": d.clinic.slug, "clinic_name": d.clinic.name,
             **item}
            for d in done
            for item in d.items
        ]  # fmt: skip
        row = privacy_request_record(
            agency=agency,
            actor=actor,
            action=action,
            author=author,
            reason=reason,
            items=logged,
            to_check=to_check,
            receipt=_receipt(
                action=action, author=author, reason=reason, done=done, now=now, to_check=to_check
            ),
        )
        privacy_request_events_emit(request=row, done=done)
    return row


# --- webhooks: what integrators are told ------------------------------------------------------

PRIVACY_EVENT_STATUS = {
    WebhookEvent.PRIVACY_REQUEST_RECEIVED: "received",
    WebhookEvent.PRIVACY_REQUEST_COMPLETED: "completed",
}


def privacy_request_url(request_id: int) -> str:
    """Where an integrator reads the request (`GET /api/v1/privacy-requests/<id>/`)."""
    return f"{settings.PUBLIC_BASE_URL}/api/v1/privacy-requests/{request_id}/"


def privacy_request_counts(items: list[dict]) -> dict[str, int]:
    """How many items, and of each kind, a list of logged items holds."""
    kinds = Counter(item.get("kind") for item in items)
    return {
        "items": len(items),
        "reviews": kinds["review"],
        "comments": kinds["comment"],
        "mentions": kinds["mention"],
    }


def privacy_request_events_emit(*, request: PrivacyRequest, done: list[ClinicDone]) -> int:
    """In each clinic a carried-out request touched, in the caller's transaction: the webhook
    events `privacy_request.received` and `privacy_request.completed`, each holding the
    request's id, its link in the API, the action and this clinic's counts (items, by kind,
    and the lines a person still has to check), never the author, the reason, the texts or
    the ids of the items. Returns the number of deliveries stored."""
    stored = 0
    for clinic_done in done:
        counts = privacy_request_counts(clinic_done.items)
        with schema_context(clinic_done.clinic.schema_name):
            for event, status in PRIVACY_EVENT_STATUS.items():
                completed = status == "completed"
                payload = {
                    "id": request.pk,
                    "url": privacy_request_url(request.pk),
                    "status": status,
                    "action": request.action,
                    "received_at": request.created_at,
                    "completed_at": request.created_at if completed else None,
                    **counts,
                    "to_check": len(clinic_done.redacted.to_check) if completed else None,
                }
                stored += webhook_event_emit(event=event, payload={"privacy_request": payload})
    return stored
