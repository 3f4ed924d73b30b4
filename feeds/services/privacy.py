"""Privacy requests: a person asks the agency to remove what they wrote. Their items, found
across the agency's clinics (`feeds.selectors.reviews_by_author_across`), are redacted (or
deleted) in each clinic's schema; every app above feeds clears what it keeps of them through
`core.privacy.reviews_redacted`; the request is appended to the agency's privacy requests log
with a receipt for the person.

Carrying a request out tells the clinic's approvers and legal people of each clinic it touched
(for their information, in-app and by e-mail as they chose: `privacy_request_clinic_tell`),
who read it in the portal (`privacy_receipt_for_clinic`: that clinic's items, what was done
and what is still to do, never another clinic's), and the agency's integrators too: in every
clinic it touched, the webhook events `privacy_request.received` and
`privacy_request.completed` (the request's id and that clinic's counts, nothing that names
anyone) are stored with the redaction and sent after it commits.

Redacting keeps that the item happened: its source, external id, date, rating, counts and
scores' labels stay, so figures and ratings hold, and the external id keeps the next sync
from bringing anything back (`reviews_upsert` leaves a redacted review as it is). Deleting also
marks it deleted: it leaves the lists and every figure."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.branding import brand_name
from agency.models import Agency, PrivacyAction, PrivacyRequest
from agency.services import privacy_request_record
from clinics.access import people_who_can, privacy_requests_refusal
from clinics.models import Clinic, clinic_zone
from clinics.notifications import people_notify
from core.errors import PermissionDenied, ValidationFailed
from core.http import positive_int
from core.permissions import Permission
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


def privacy_day(moment, clinic) -> str:
    """A day as the clinic's pages say it, in its time zone: "5 Dec 2026" (a datetime, or the
    ISO text an item is logged with)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    day = timezone.localtime(moment, clinic_zone(clinic))
    return f"{day.day} {day:%b %Y}"


def privacy_receipt(
    *,
    action: str,
    author: str,
    reason: str,
    at: datetime,
    clinics: list[tuple[Clinic, list[dict]]],
    to_check: list[str],
) -> str:
    """The receipt for the person: what was removed from which clinics' items (each dated as
    its clinic's pages date it), what stays, and what is still to do (`to_check`: replies
    whose posted text still names them on a platform, replies still public that answer a
    deleted item, e-mails that cannot be recalled)."""
    n = sum(len(items) for _, items in clinics)
    verb = "deleted" if action == PrivacyAction.DELETE else "removed"
    first = clinics[0][0] if clinics else None
    on = privacy_day(at, first) if first is not None else at.date().isoformat()
    lines = [
        f"On {on} we {verb} {n} item{'s' if n != 1 else ''} by “{author}” "
        f"from {_names_said([clinic.name for clinic, _ in clinics])}:"
    ]
    for clinic, items in clinics:
        for item in items:
            what = "review" if item["kind"] == "review" else item["kind"]
            lines.append(
                f"- {clinic.name}: {item['source_name']} {what} of "
                f"{privacy_day(item['published_at'], clinic)} (id {item['external_id']})"
            )
    lines.append(
        "Removed: the author's name or handle, the text, the link and every earlier version"
        "; what our analysis kept of the words; private follow-up messages and contact "
        "details; the author's name, first name and initials in every version of our replies "
        "to these items, in the copies waiting to be posted and in the notices our people "
        "received about them."
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
        "sync does not bring it back. A reply we posted there is changed only where it is "
        "listed below. E-mails sent before the request cannot be recalled."
    )
    if to_check:
        lines.append("Still to do by us:")
        lines += [f"- {line}" for line in to_check]
    lines.append(f"Reference: {reason}")
    return "\n".join(lines)


def privacy_receipt_for_clinic(request: PrivacyRequest, clinic: Clinic) -> dict:
    """One carried-out request as `clinic` reads it (the portal): its items there, what is
    still to do there and the receipt of that clinic's part, with nothing of the agency's
    other clinics (neither their names nor their items)."""
    items = [i for i in request.items if i.get("clinic_id") == clinic.pk]
    to_check = [
        line["text"] for line in request.to_check_by_clinic if line.get("clinic_id") == clinic.pk
    ]
    return {
        "id": request.pk,
        "at": request.created_at,
        "day": privacy_day(request.created_at, clinic),
        "action": request.action,
        "reason": request.reason,
        "items": [{**item, "day": privacy_day(item["published_at"], clinic)} for item in items],
        "to_check": to_check,
        "receipt": privacy_receipt(
            action=request.action,
            author=request.author,
            reason=request.reason,
            at=request.created_at,
            clinics=[(clinic, items)],
            to_check=to_check,
        ),
    }


def privacy_requests_for_clinic(clinic: Clinic) -> list[dict]:
    """The privacy requests carried out for `clinic`'s items, newest first, each as the clinic
    reads it (`privacy_receipt_for_clinic`): the portal's read-only page."""
    rows = PrivacyRequest.objects.filter(
        agency_id=clinic.agency_id, items__contains=[{"clinic_id": clinic.pk}]
    ).order_by("-created_at", "-id")
    return [privacy_receipt_for_clinic(row, clinic) for row in rows]


def privacy_request_clinic_tell(*, request: PrivacyRequest, done: list[ClinicDone]) -> None:
    """Tell the approvers and legal people of each clinic the request touched
    (`Permission.PRIVACY_REQUESTS`), for their information (their history, and an e-mail as
    they chose for such notices), without naming the author: how many items, what is still to
    do, and where to read it in the portal."""
    for clinic_done in done:
        clinic, n = clinic_done.clinic, len(clinic_done.items)
        verb = "deleted" if request.action == PrivacyAction.DELETE else "redacted"
        left = len(clinic_done.redacted.to_check)
        people_notify(
            users=people_who_can(clinic, permission=Permission.PRIVACY_REQUESTS),
            clinic=clinic,
            kind="privacy_request",
            ref=f"privacy_request:{request.pk}",
            title=f"A privacy request was carried out: {n} item{'s' if n != 1 else ''} "
            f"{verb} at the author's request",
            url=f"/clinics/{clinic.slug}/portal/privacy/#request-{request.pk}",
            detail="Read what was removed, what is still to do"
            + (f" ({left} line{'s' if left != 1 else ''})" if left else "")
            + " and the receipt in the portal's Privacy requests page"
            + (
                f" once {brand_name(clinic.agency)} reopens the portal (it is paused now: "
                "ask them for the receipt until then)"
                if clinic.deactivated_at is not None
                else ""
            )
            + ". Nothing for you to do.",
            waits=False,
        )


def _selection_parsed(
    agency: Agency, selected: list[str], errors: dict, paths: dict
) -> dict[Clinic, list[int]]:
    """`["<clinic slug>:<review id>", ...]` as {clinic of `agency`: [ids]}; a clinic of another
    agency reads as unknown (never "not yours"). `paths` ((slug, id) -> the items' paths in the
    body, `privacy_request_check`'s `item_paths`) is filled in as they are read."""
    wanted: dict[str, list[int]] = {}
    for raw, path in selected:
        slug, _, text = str(raw).partition(":")
        pk = positive_int(text)
        if not slug or pk is None:
            _item_error(errors, [path], "", f"Not an item: “{str(raw)[:60]}”.")
            continue
        wanted.setdefault(slug, []).append(pk)
        paths.setdefault((slug, pk), []).append(path)
    clinics = {c.slug: c for c in Clinic.objects.filter(agency=agency, slug__in=list(wanted))}
    for slug, ids in wanted.items():
        if slug not in clinics:
            where = [path for pk in dict.fromkeys(ids) for path in paths[(slug, pk)]]
            _item_error(errors, where, "clinic", f"No clinic “{slug[:60]}” in this agency.")
    return {clinics[slug]: sorted(set(ids)) for slug, ids in wanted.items() if slug in clinics}


def _item_error(errors: dict, paths: list, field: str, message: str) -> None:
    """`message` about an item, at its path in the body (`items[0].clinic`: the API), or once
    under `items` when it has none (the page's selection)."""
    keys = [f"{path}.{field}" if field else path for path in paths if path] or ["items"]
    for key in dict.fromkeys(keys):
        errors.setdefault(key, []).append(message)


def _removed_already(agency: Agency, action: str, items) -> list[str]:
    """A message per item that a request of `action` would change nothing of, naming the
    earlier request that removed it (the first one; for a deletion, the first that deleted
    it) and its day (the clinic's, as receipts say it): a request sent twice is refused, not carried
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
        when = privacy_day(row.created_at if row is not None else redacted_at, clinic)
        by = f" by request {row.pk}" if row is not None else ""
        messages.append(
            f"Item #{pk} at {clinic.name} was already {verb} on {when}{by}: leave it out."
        )
    return messages


def privacy_actions_left(*, redacted: bool, deleted: bool) -> list[str]:
    """The actions a privacy request may still take on an item: `redact` while it is not
    redacted, `delete` while it is not both redacted and deleted (an item only redacted may
    still be deleted; one deleted otherwise, taken down by its platform, still holds what names
    its author). The one rule of the Privacy requests page (which items it offers),
    the API (`matches/`'s `actions`) and `privacy_request_check` (which refuses an item the
    request's action would change nothing of)."""
    left = []
    if not redacted:
        left.append(PrivacyAction.REDACT.value)
    if not (redacted and deleted):
        left.append(PrivacyAction.DELETE.value)
    return left


def privacy_search_problems(*, agency: Agency, author: str, clinic_slug: str = "") -> dict:
    """What is wrong with a search for a person's items (the page's and the API's), as
    messages per field: a name or handle too short, a clinic that is not one of `agency`'s
    (another agency's reads as unknown). Empty when it may run. `privacy_request_check`
    starts from it, so a request's author follows the search's rule."""
    errors: dict[str, list[str]] = {}
    if len(author_term(author)) < AUTHOR_MIN_CHARS:
        errors["author"] = [
            f"Give the author's name or handle ({AUTHOR_MIN_CHARS} characters or more)."
        ]
    if clinic_slug and not Clinic.objects.filter(agency=agency, slug=clinic_slug).exists():
        errors["clinic"] = ["No such clinic in this agency."]
    return errors


def privacy_request_check(
    *,
    agency: Agency,
    actor: Actor,
    author: str,
    reason: str,
    action: str,
    selected: list[str],
    item_paths: list[str] | None = None,
) -> dict[Clinic, list[int]]:
    """Everything `privacy_request_carry_out` checks before it changes anything, for the
    page's confirmation step too: the agency's owners and managers, or its agency key with
    `write` (`clinics.access.privacy_requests_access`; else PermissionDenied); a name
    or handle (`author`), a reason in words, `redact` or `delete`, at least one item, every
    clinic one of `agency`'s (another agency's reads as unknown), every item in its clinic
    and the person's: by them or naming them, as the search finds it, and none that the action
    would change nothing of (redacted already, or deleted already for a deletion: the message
    names the earlier request) (else ValidationFailed with a message per field: an item's
    under its path in `item_paths`, one per selected item — `items[0].clinic`,
    `items[0].review_id`, as the API names them — or under `items`). Returns
    {clinic: [review ids]}."""
    if refusal := privacy_requests_refusal(actor, agency):
        raise PermissionDenied(refusal)
    errors = privacy_search_problems(agency=agency, author=author)  # the search's rule
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
    paths: dict[tuple[str, int], list] = {}
    listed = list(zip(selected or [], item_paths or [None] * len(selected or []), strict=True))
    wanted = _selection_parsed(agency, listed, errors, paths) if not errors.get("items") else {}
    term = author_term(author)
    already: list[tuple[Clinic, int, datetime]] = []
    for clinic, ids in wanted.items():
        with schema_context(clinic.schema_name):
            rows = list(
                Review.objects.filter(pk__in=ids).values_list("pk", "redacted_at", "is_deleted")
            )
            found = {pk for pk, _, _ in rows}
            # what this action would change nothing of (`privacy_actions_left`): removed
            # already, by an earlier request
            done_before = {
                pk: redacted_at
                for pk, redacted_at, deleted in rows
                if action in PrivacyAction.values
                and action not in privacy_actions_left(redacted=bool(redacted_at), deleted=deleted)
            }
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
            where = paths[(clinic.slug, pk)]
            if pk not in found:
                _item_error(errors, where, "review_id", f"No item #{pk} at {clinic.name}.")
            elif pk in done_before:
                already.append((clinic, pk, done_before[pk]))
            elif pk not in theirs and term:
                _item_error(
                    errors,
                    where,
                    "review_id",
                    f"Item #{pk} at {clinic.name} is not by “{term[:60]}” and does not name "
                    "them: choose among the items the search for them finds.",
                )
    if already:
        messages = _removed_already(agency, action, already)
        for (clinic, pk, _), message in zip(already, messages, strict=True):
            _item_error(errors, paths[(clinic.slug, pk)], "review_id", message)
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
    item_paths: list[str] | None = None,
) -> PrivacyRequest:
    """Carry out a privacy request: redact (or, with `action="delete"`, also delete) the
    `selected` items (`"<clinic slug>:<review id>"`) of `agency`'s clinics, found by
    `author`, for `reason` (the request's reference and why, in words). Checked first by
    `privacy_request_check` (nothing changes when it refuses; `item_paths` names the items in
    its messages); then every clinic's items are
    redacted, the request appended to the log and its webhook events stored in each clinic it
    touched (`privacy_request_events_emit`), in one transaction: a failure leaves nothing
    redacted, logged or sent. One request of an agency is carried out at a time, checked once
    the one before has ended: the same request sent twice at once is carried out once, the
    second refused as when it is sent after (its items removed already). Returns the log row
    (with its receipt)."""
    author = " ".join((author or "").split())
    reason = (reason or "").strip()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext('privacy-request'), %s)", [agency.pk]
            )
        wanted = privacy_request_check(
            agency=agency,
            actor=actor,
            author=author,
            reason=reason,
            action=action,
            selected=selected,
            item_paths=item_paths,
        )
        now = timezone.now()
        done = []
        for clinic in sorted(wanted, key=lambda c: (c.name, c.pk)):
            with schema_context(clinic.schema_name):
                items, redacted = reviews_redact(
                    review_ids=wanted[clinic], delete=action == PrivacyAction.DELETE
                )
            done.append(ClinicDone(clinic=clinic, items=items, redacted=redacted))
        to_check = [f"{d.clinic.name}: {line}" for d in done for line in d.redacted.to_check]
        to_check_by_clinic = [
            {"clinic_id": d.clinic.pk, "text": line} for d in done for line in d.redacted.to_check
        ]
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
            to_check_by_clinic=to_check_by_clinic,
            receipt=privacy_receipt(
                action=action,
                author=author,
                reason=reason,
                at=now,
                clinics=[(d.clinic, d.items) for d in done],
                to_check=to_check,
            ),
        )
        privacy_request_events_emit(request=row, done=done)
        privacy_request_clinic_tell(request=row, done=done)
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
