"""Publishing through an outbox: every write to a platform is a row first.

- An approval stores one `OutboxItem` per write, under a unique idempotency key, in the same
  transaction; its delivery task is queued after commit (if the broker is down the sweeper
  queues it later).
- `outbox_deliver` claims the item under a row lock (`select_for_update(skip_locked)` and a
  status check, with a lease), so a task that runs twice, or two workers at once, send it
  once; the connector's own idempotency covers a retry after an ambiguous failure.
- The guard checks the text once more before it is sent.
- Rate limits and transient errors are retried with exponential backoff (MAX_ATTEMPTS);
  any other refusal fails at once with the platform's own message, for a person to retry.
  People hear of failures once per channel and burst, not once per item
  (`responses.services.delivery`, `failure_ref`).
- A platform that cannot take the write (Yelp; sources without a connector such as CSV, API
  push, webhooks, Healthgrades) gets a "post by hand" item: a person copies the text, posts
  it, and marks it posted. So does a reply on a channel the agency posts on by hand
  (`Source.replies_by_hand`), or on one that is not connected where connecting its platform
  is not set up on this server (nobody could connect it here): not a failure, nothing to
  retry. The people who post by hand are told once per channel (`responses.services.delivery`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.actors import Actor, user_id_of
from accounts.selectors import user_is_agency_staff
from clinics.access import ClinicAccess, people_who_can
from clinics.models import Clinic, Notification, clinic_zone
from clinics.notifications import notifications_close, notifications_retitle
from core.crypto import encrypt_json
from core.errors import Conflict, NotFound, ValidationFailed
from core.permissions import Permission
from core.queueing import enqueue_on_commit, tasks_enqueue
from core.rollup import figures_changed
from core.tenancy import current_clinic
from feeds.connectors import make_connector
from feeds.connectors.errors import (
    AnsweredElsewhere,
    AuthExpired,
    ConfigurationError,
    ConnectorError,
    NotSupported,
    RateLimited,
    TransientError,
)
from feeds.connectors.errors import NotFound as GoneOnPlatform
from feeds.connectors.facebook import FacebookConnector
from feeds.connectors.google import GoogleConnector
from feeds.connectors.yelp import YelpConnector
from feeds.models import Review, ReviewStatus, Source, SourceKind, platform_name
from feeds.selectors import source_connection_changed_at
from feeds.services import source_credentials
from feeds.services.connections import connecting_set_up
from feeds.services.ingest import reviews_taken_down
from responses.models import (
    WAITING_FOR_SOURCE,
    ApprovalStatus,
    AuditEntry,
    FailureKind,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    ReplyBatch,
    ReplyDraft,
    Statement,
    Verdict,
)
from responses.services.common import (
    SYSTEM,
    audit_record,
    require,
    review_named,
    webhook_emit,
)
from responses.services.guarding import guard_check
from responses.services.workflow import sent_back_close_settled

logger = logging.getLogger("responses.outbox")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
ST = OutboxStatus
FK = FailureKind
NOTIFY_TASK = "responses.tasks.outbox_failure_notify"
BY_HAND_TASK = "responses.tasks.outbox_by_hand_notify"
WRITER_TASK = "responses.tasks.reply_outcome_tell"
# Platform codes that mean "the connected account may not do this" (Facebook: 10 and 200-299
# are permission errors; Google answers PERMISSION_DENIED).
PERMISSION_CODES = frozenset({10, "10", "PERMISSION_DENIED"})
HANDS_ON = frozenset({ST.MANUAL, ST.FAILED})  # what waits for a person to post it by hand
# what a person may mark posted by hand: also what waits to be sent (held back by a rate limit
# or an outage, or waiting for its channel to be connected) when the team could not wait and
# posted it themselves; the row lock keeps it from being sent too (`_claim` skips a locked
# row, and never claims one posted). One being sent at this moment is refused.
MARKABLE = HANDS_ON | {ST.PENDING}


# --- what a platform can do --------------------------------------------------------------


def _capabilities(kind: str):
    """The connector's declared capabilities for a source kind, None without a connector."""

    classes = {"google": GoogleConnector, "facebook": FacebookConnector, "yelp": YelpConnector}
    cls = classes.get(kind)
    return cls.capabilities if cls else None


def _label(kind: str) -> str:
    return SourceKind(kind).label if kind in SourceKind.values else kind


def manual_reason_for_reply(kind: str) -> str | None:
    """Why a reply on this kind of source must be posted by hand (None: Carewatch posts it)."""
    caps = _capabilities(kind)
    if caps is None:
        return (
            f"{_label(kind)} has no publishing connector: copy the reply, post it there by "
            "hand, then mark it posted."
        )
    if not caps.can_reply:
        return (caps.read_only_reason or f"{_label(kind)} cannot take replies") + (
            ". Copy the reply, post it by hand, then mark it posted."
        )
    return None


def reply_by_hand_reason(source: Source) -> str | None:
    """Why a reply on this source goes to "To post by hand" (None: Carewatch posts it, or it
    waits for the channel to be connected): the platform takes no replies from Carewatch, the
    agency posts on this channel by hand, or the channel is not connected and connecting its
    platform is not set up on this server (`feeds.services.connections.connecting_set_up`),
    so nobody could connect it here."""
    if reason := manual_reason_for_reply(source.kind):
        return reason
    if source.replies_by_hand or _nobody_can_connect(source):
        return (
            f"{platform_name(source.kind)} replies are posted by hand here: copy the reply, "
            "post it, then mark it posted."
        )
    return None


def statement_by_hand_reason(item: OutboxItem) -> str | None:
    """Why a statement's post (or its unpinning) goes to "To post by hand": the channel is not
    connected and connecting its platform is not set up on this server, so nobody could
    connect it here (a reply there goes by hand too: `reply_by_hand_reason`). None: Carewatch
    posts it (a connected channel's failure is a failure, to retry)."""
    words = statement_by_hand_words(item.source)
    if words is None or item.kind != OutboxKind.STATEMENT_UNPIN:
        return words
    return (
        f"Carewatch cannot post on {platform_name(item.source.kind)} here (connecting it is not "
        "set up on this server): unpin the statement's post there by hand, then mark it done."
    )


def statement_by_hand_words(source: Source) -> str | None:
    """What posting a statement on `source` takes when nobody could connect it here (None:
    Carewatch posts and pins it, or it waits for the channel to be connected): the words of
    `statement_by_hand_reason`, for the plan shown before it is approved and published."""
    if not _nobody_can_connect(source):
        return None
    return (
        f"Carewatch cannot post on {platform_name(source.kind)} here (connecting it is not set "
        "up on this server): copy the statement, post it there and pin it to the top of the "
        "page, then mark it posted."
    )


def _nobody_can_connect(source: Source) -> bool:
    """The source is not connected and connecting its platform is not set up on this server
    (`connecting_set_up`): nobody could connect it here, so what Carewatch would post there is
    posted by hand (replies and statements alike)."""
    return not connecting_set_up(source.kind) and _not_connected(source)


def _not_connected(source: Source) -> bool:
    """Carewatch lacks what it needs to post on the source (its account, its token)."""
    try:
        _connector(source)
    except ConfigurationError:
        return True
    except ConnectorError:
        return False
    return False


def source_connection(source: Source) -> str:
    """Why Carewatch cannot post on this source now ("" when it can): not connected (no
    credentials, or settings missing), disabled, or no publishing connector."""
    if _capabilities(source.kind) is None:
        return f"{_label(source.kind)} has no publishing connector: replies are posted by hand."
    if not source.enabled:
        return "The source is disabled."
    try:
        _connector(source)
    except ConnectorError as exc:
        return str(exc) or exc.__class__.__name__
    return ""


def channel_connectors(clinic: Clinic) -> list:
    """Who may connect the clinic's channels (its Sources page: `Permission.MANAGE`, its
    agency's owners and managers who reach it)."""
    return people_who_can(clinic, permission=Permission.MANAGE)


def channel_connectors_named(clinic: Clinic) -> str:
    """ "Ann Lee", "Ann Lee or Ben Ortiz", "Ann Lee, Ben Ortiz or Cy Wu" ("" for nobody)."""
    names = [u.full_name or u.email for u in channel_connectors(clinic)]
    return " or ".join(filter(None, [", ".join(names[:-1]), names[-1]])) if names else ""


BY_HAND_OR = "Or post it by hand and mark it posted."

# what connects a channel again, per FailureKind (the Sources page; its managers do it)
_CONNECT = {
    FK.NOT_CONNECTED: "connect {name}",
    FK.AUTH: "reconnect {name}",
    FK.PERMISSION: "reconnect {name} with an account that manages the page",
}


def connect_words(
    item: OutboxItem, *, may_connect: bool | None = None, connectors: str | None = None
) -> str:
    """What happens next for what waits for its channel (not connected, its connection
    expired, a permission missing), for the person reading it: connecting is for those who
    manage the clinic's sources (its agency's owners and managers, named), and a reader who
    may not is told whom to ask; meanwhile it can be posted by hand. `may_connect`: whether
    the reader may manage the sources (None: the API or a notice, for no one in particular:
    it says who may, without names). `connectors`: the names of those who may, for a reader
    who may not (read when not given)."""
    name = item.source.name
    verb = _CONNECT.get(item.failure_kind, _CONNECT[FK.NOT_CONNECTED]).format(name=name)
    if may_connect:
        return f"{verb[0].upper()}{verb[1:]} on the Sources page; it is then sent by itself. {BY_HAND_OR}"
    if may_connect is None:
        return (
            f"The agency's owners and managers can {verb} on the Sources page; it is then sent "
            f"by itself. {BY_HAND_OR}"
        )
    if connectors is None:
        connectors = channel_connectors_named(current_clinic())
    who = "the agency's owners and managers" + (f" ({connectors})" if connectors else "")
    return (
        f"Only {who} can {verb}: ask one of them; it is then sent by itself. Meanwhile, "
        "post it by hand and mark it posted."
    )


def retry_refusal(item: OutboxItem) -> str:
    """Why sending a failed item again cannot work now ("" when it may): it failed for want
    of its channel's connection and nothing changed on the channel since, so it would fail
    the same way. Not connected (no credentials, a page id missing): while the channel is
    still not connected. Its connection expired or was revoked, or the connected account may
    not post on the page: while the channel is not connected, or its connection was not
    made, renewed or changed after the item failed
    (`feeds.selectors.source_connection_changed_at`). Connecting the channel sends it again
    by itself (`outbox_retry_for_source`); what to do meanwhile is `connect_words`, beside
    this on the pages and after it in the refusal (`outbox_retry`). Other failures (an
    outage, a refusal, the guard) may be tried again."""
    name = item.source.name
    if item.failure_kind == FK.NOT_CONNECTED and source_connection(item.source):
        return f"Trying again cannot work: {name} is still not connected."
    if item.failure_kind in (FK.AUTH, FK.PERMISSION):
        failed_at = item.last_error_at or item.updated_at
        if source_connection(item.source) or source_connection_changed_at(item.source) <= failed_at:
            return (
                f"Trying again cannot work: {name} has not been reconnected since it failed, "
                "so it would fail the same way."
            )
    return ""


def pinning_sources() -> list[Source]:
    """The clinic's sources whose platform can publish and pin a post (Facebook pages)."""
    kinds = [
        kind
        for kind in SourceKind.values
        if (caps := _capabilities(kind)) and caps.can_publish_post and caps.can_pin
    ]
    return list(Source.objects.filter(enabled=True, kind__in=kinds).order_by("pk"))


# --- queueing ----------------------------------------------------------------------------


def outbox_queue(*, item_ids: list[int], schema_name: str, countdown: float | None = None) -> int:
    """Queue delivery tasks in the clinic's schema; 0 if the broker is unreachable (the
    sweeper queues them later: nothing is lost)."""
    from responses.tasks import outbox_deliver_task

    return tasks_enqueue(
        outbox_deliver_task,
        ((item_id,) for item_id in item_ids),
        schema_name=schema_name,
        countdown=countdown,
    )


def _queue_on_commit(item_ids: list[int], countdown: float | None = None) -> None:
    if not item_ids:
        return
    from responses.tasks import outbox_deliver_task  # the task module imports this one

    enqueue_on_commit(
        outbox_deliver_task, [(item_id,) for item_id in item_ids], countdown=countdown
    )


def _audit(item: OutboxItem, action: str, who: Actor, *, before: str, comment="", **detail) -> None:
    audit_record(
        object_type="outbox",
        object_id=item.pk,
        review_id=item.review_id,
        action=action,
        who=who,
        version=item.version,
        from_status=before,
        to_status=item.status,
        comment=comment,
        detail={"kind": item.kind, "source": item.source_id, **detail},
    )


def outbox_reply_enqueue(*, draft: ReplyDraft, who: Actor) -> OutboxItem:
    """The approved reply's outbox item (once per draft version). Runs in the approval's
    transaction."""
    review = Review.objects.select_related("source").get(pk=draft.review_id)
    from responses.services.replies import FLOW

    version = FLOW.current_version(draft)
    manual = reply_by_hand_reason(review.source)
    item, created = OutboxItem.objects.get_or_create(
        idempotency_key=f"reply:{draft.pk}:v{draft.version}",
        defaults={
            "kind": OutboxKind.REPLY,
            "status": ST.MANUAL if manual else ST.PENDING,
            "manual_reason": manual or "",
            "source": review.source,
            "review": review,
            "draft": draft,
            "version": draft.version,
            "text": version.text,
        },
    )
    if created:
        _audit(item, "queued", who, before="")
        if item.status == ST.PENDING:
            _queue_on_commit([item.pk])
        else:
            enqueue_on_commit(BY_HAND_TASK, [(item.pk,)])
    return item


def outbox_statement_enqueue(*, statement: Statement, who: Actor) -> list[OutboxItem]:
    """Post and pin the statement's published version on every source that can pin."""
    version = statement.published_version
    items = []
    for source in pinning_sources():
        item, created = OutboxItem.objects.get_or_create(
            idempotency_key=f"statement:{statement.pk}:v{version.number}:source:{source.pk}",
            defaults={
                "kind": OutboxKind.STATEMENT_POST,
                "source": source,
                "statement": statement,
                "version": version.number,
                "text": f"{version.title}\n\n{version.body}",
            },
        )
        if created:
            _audit(item, "queued", who, before="")
            items.append(item)
    _queue_on_commit([i.pk for i in items if i.status == ST.PENDING])
    return items


def outbox_statement_unpin(
    *, statement: Statement, who: Actor, keep_version: int | None = None
) -> list[OutboxItem]:
    """Take the statement's posts down from the top of their pages: unsent ones are
    cancelled, sent (or sending) ones get an unpin item."""
    unpins = []
    posts = OutboxItem.objects.select_for_update().filter(
        statement=statement, kind=OutboxKind.STATEMENT_POST
    )
    if keep_version is not None:
        posts = posts.exclude(version=keep_version)
    for post in posts:
        if post.status in (ST.PENDING, ST.FAILED, ST.MANUAL):
            before = post.status
            post.status = ST.CANCELLED
            post.save(update_fields=["status", "updated_at"])
            _audit(post, "cancelled", who, before=before)
            if before == ST.FAILED:
                _failure_notices_settle(post)  # no longer a failure to tell of
        elif post.status in (ST.SENT, ST.SENDING):
            item, created = OutboxItem.objects.get_or_create(
                idempotency_key=f"unpin:{post.pk}",
                defaults={
                    "kind": OutboxKind.STATEMENT_UNPIN,
                    "source_id": post.source_id,
                    "statement": statement,
                    "version": post.version,
                    "related": post,
                },
            )
            if created:
                _audit(item, "queued", who, before="")
                unpins.append(item)
    _queue_on_commit([i.pk for i in unpins])
    return unpins


# --- delivery ----------------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return (Q(status=ST.PENDING) & due) | Q(status=ST.SENDING, lease_until__lt=now)


def outbox_due(*, now: datetime | None = None) -> list[int]:
    """Items of this clinic that are due for delivery (pending and due, or abandoned)."""
    now = now or timezone.now()
    return list(OutboxItem.objects.filter(_claimable(now)).values_list("pk", flat=True))


def outbox_by_hand_untold(*, now: datetime | None = None) -> list[int]:
    """Replies to post by hand that nobody was told of a minute after (the notice's message
    was lost), and one reply of each channel whose replies wait for nobody now: no line of
    the channel (`by_hand_ref`) is open for an active person, as when the one person named
    to post them left the clinic or was switched off. The sweeper queues their notice again
    (`delivery.outbox_by_hand_notify` tells whom they wait for now)."""
    now = now or timezone.now()
    untold = list(
        OutboxItem.objects.filter(
            status=ST.MANUAL,
            kind=OutboxKind.REPLY,
            failure_notified_at__isnull=True,
            updated_at__lt=now - timedelta(minutes=1),
        ).values_list("pk", flat=True)
    )
    told = dict(
        OutboxItem.objects.filter(
            status=ST.MANUAL, kind=OutboxKind.REPLY, failure_notified_at__isnull=False
        )
        .order_by("-pk")
        .values_list("source_id", "pk")
    )  # a channel -> its first reply waiting
    if told:
        refs = Notification.objects.filter(
            clinic=current_clinic(),
            open=True,
            user__is_active=True,
            ref__startswith="outbox-source:",
            ref__contains=":by-hand",
        ).values_list("ref", flat=True)
        held = {int(ref.split(":")[1]) for ref in refs}
        untold += [pk for source_id, pk in told.items() if source_id not in held]
    return untold


def outbox_failures_untold(*, now: datetime | None = None) -> list[int]:
    """Failed items nobody was told of a minute after they failed (the notice's message was
    lost): the sweeper queues their notice again."""
    now = now or timezone.now()
    return list(
        OutboxItem.objects.filter(
            status=ST.FAILED,
            failure_notified_at__isnull=True,
            last_error_at__lt=now - timedelta(minutes=1),
        ).values_list("pk", flat=True)
    )


def _claim(item_id: int, now: datetime) -> OutboxItem | None:
    with transaction.atomic():
        item = (
            OutboxItem.objects.select_for_update(skip_locked=True)
            .filter(pk=item_id)
            .filter(_claimable(now))
            .first()
        )
        if item is None:
            return None
        item.status = ST.SENDING
        item.attempts += 1
        item.lease_until = now + LEASE
        item.save(update_fields=["status", "attempts", "lease_until", "updated_at"])
    return (
        OutboxItem.objects.select_related("source", "review", "draft", "statement", "related")
        .filter(pk=item_id)
        .first()
    )


@dataclass(frozen=True)
class _Sent:
    external_id: str
    url: str = ""


class _Retry(Exception):
    def __init__(self, message: str, wait: float = 0.0):
        super().__init__(message)
        self.wait = wait


def _connector(source: Source):
    return make_connector(
        source.kind,
        source.settings,
        source_credentials(source),
        base_url=settings.CONNECTOR_BASE_URLS.get(source.kind),
        **settings.CONNECTOR_HTTP_OPTIONS,
    )


def _guard_stop(item: OutboxItem) -> str | None:
    """The guard's last word before a text goes out: a reason to stop, or None."""
    if item.kind == OutboxKind.REPLY:
        owner, review = item.draft, item.review
    elif item.kind == OutboxKind.STATEMENT_POST:
        owner, review = item.statement, None
    else:
        return None
    purpose = "statement" if item.kind == OutboxKind.STATEMENT_POST else "reply"
    result = guard_check(item.text, clinic=current_clinic(), review=review, purpose=purpose)
    if result["verdict"] == Verdict.BLOCK and owner.override_version != item.version:
        found = "; ".join(f"“{f['text']}”: {f['message']}" for f in result["findings"])
        return f"The guard blocks this text ({found}). A legal override is needed, then retry."
    return None


def _send(item: OutboxItem) -> _Sent:
    connector = _connector(item.source)
    try:
        if item.kind == OutboxKind.REPLY:
            posted = connector.post_reply(
                item.review.external_id,
                item.text,
                idempotency_key=item.idempotency_key,
                may_replace=_ours(item),
            )
            return _Sent(posted.external_reply_id, posted.url or "")
        if item.kind == OutboxKind.STATEMENT_POST:
            if not item.external_id:
                posted = connector.publish_post(item.text, idempotency_key=item.idempotency_key)
                item.external_id = posted.external_reply_id
                # kept at once: a retry after a failed pin must not post the statement again
                OutboxItem.objects.filter(pk=item.pk).update(external_id=item.external_id)
            connector.pin(item.external_id, pinned=True)
            return _Sent(item.external_id)
        post = item.related
        if post.status == ST.SENDING:
            raise _Retry("The statement's post is still being published; unpinning after it.")
        if post.status == ST.SENT and post.external_id:
            connector.pin(post.external_id, pinned=False)
        return _Sent(post.external_id)
    finally:
        if getattr(connector, "updated_credentials", None):  # e.g. Google renewed its token
            Source.objects.filter(pk=item.source_id).update(
                credentials_encrypted=encrypt_json(connector.updated_credentials)
            )


def _ours(item: OutboxItem) -> list[str]:
    """What Carewatch wrote to the item's review before (any reply, any version: sent, posted
    by hand, or tried): a reply there with one of these texts is ours to replace with a newer
    version; any other is the business's own and is never erased (`AnsweredElsewhere`)."""
    return list(
        OutboxItem.objects.filter(kind=OutboxKind.REPLY, review_id=item.review_id)
        .exclude(pk=item.pk)
        .values_list("text", flat=True)
    )


def outbox_deliver(*, item_id: int, now: datetime | None = None) -> str:
    """Send one outbox item if it is due and nobody else is sending it. Returns what
    happened: skipped, sent, retry, failed or manual."""

    now = now or timezone.now()
    item = _claim(item_id, now)
    if item is None:
        return "skipped"
    if item.kind == OutboxKind.REPLY and item.review.is_deleted:
        # taken down, or deleted at its author's request, after the reply was approved
        _cancel_deleted(item, SYSTEM)
        return "cancelled"
    if item.kind == OutboxKind.REPLY and (by_hand := reply_by_hand_reason(item.source)):
        return _to_manual(item, by_hand)
    if item.kind != OutboxKind.REPLY and (by_hand := statement_by_hand_reason(item)):
        return _to_manual(item, by_hand)
    stop = _guard_stop(item)
    if stop:
        return _failed(item, stop, FK.GUARD)
    try:
        sent = _send(item)
    except NotSupported as exc:
        return _to_manual(item, f"{exc}. Copy the text, post it by hand, then mark it posted.")
    except RateLimited as exc:
        return _retry_later(item, str(exc), now, wait=exc.retry_after_seconds)
    except TransientError as exc:
        if exc.maybe_applied and item.kind == OutboxKind.STATEMENT_POST and not item.external_id:
            return _failed(
                item,
                f"{exc} The post may have gone through: check the page, then retry or mark it "
                "posted by hand.",
                FK.TRANSIENT,
            )
        return _retry_later(item, str(exc), now, wait=exc.retry_after_seconds or 0)
    except _Retry as exc:
        return _retry_later(item, str(exc), now, wait=exc.wait)
    except AnsweredElsewhere as exc:
        return _failed(
            item,
            f"{exc} If this reply should take its place, delete the reply on "
            f"{item.source.name} and try again; if the reply there answers the review, mark "
            "this one posted by hand with the review's link.",
            FK.REFUSED,
        )
    except GoneOnPlatform as exc:
        if item.kind == OutboxKind.REPLY and _review_gone(item):
            return "cancelled"
        return _failed(item, str(exc) or exc.__class__.__name__, failure_kind_of(exc))
    except ConnectorError as exc:  # expired credentials, refusals, missing settings
        return _failed(item, str(exc) or exc.__class__.__name__, failure_kind_of(exc))
    except ValueError as exc:  # e.g. the text is longer than the platform takes
        return _failed(item, str(exc), FK.REFUSED)
    return _sent(item, sent)


def _review_gone(item: OutboxItem) -> bool:
    """The platform answered "not found" for the review a reply was going to: when the
    channel itself answers (its location or page is there, the token works), the review was
    removed on the platform (by its author, or taken down). It is marked deleted as a poll or
    a push marking it so would (a deletion in its history, what waited on it withdrawn) and
    the reply is cancelled with the reason, its writer told: there is nothing to reply to,
    nothing to retry or to post by hand. Otherwise (the channel does not answer either: a
    wrong location or page) it is an ordinary failure. Returns whether it was gone."""
    try:
        _connector(item.source).check()
    except ConnectorError:
        return False
    with transaction.atomic():
        reviews_taken_down(source=item.source, reviews=[item.review])
        _cancel_deleted(item, SYSTEM)  # the sweep above leaves the item being sent
    logger.info("outbox item %s: its review is gone from the platform; cancelled", item.pk)
    return True


def failure_kind_of(exc: ConnectorError) -> str:
    """What a person does about a platform's refusal, as a FailureKind: connect the channel,
    renew its connection, get the right permission, or fix the cause."""
    if isinstance(exc, ConfigurationError):
        return FK.NOT_CONNECTED
    if isinstance(exc, AuthExpired):
        return FK.AUTH
    code = exc.platform_code
    if (
        exc.status == 403
        or code in PERMISSION_CODES
        or (isinstance(code, int) and 200 <= code <= 299)
    ):
        return FK.PERMISSION
    return FK.REFUSED


def _backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _locked(item: OutboxItem) -> OutboxItem:
    return OutboxItem.objects.select_for_update().get(pk=item.pk)


@transaction.atomic
def _retry_later(item: OutboxItem, message: str, now: datetime, *, wait: float) -> str:
    item = _locked(item)
    if item.attempts >= MAX_ATTEMPTS:
        return _failed(
            item, f"Gave up after {item.attempts} attempts. Last error: {message}", FK.TRANSIENT
        )
    delay = max(_backoff(item.attempts), timedelta(seconds=wait or 0))
    item.status = ST.PENDING
    item.next_attempt_at = now + delay
    item.lease_until = None
    item.last_error = message[:2000]
    item.last_error_at = now
    item.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "lease_until",
            "last_error",
            "last_error_at",
            "updated_at",
        ]
    )
    _audit(item, "send_failed", SYSTEM, before=ST.SENDING, comment=item.last_error, retry=True)
    _queue_on_commit([item.pk], countdown=delay.total_seconds())
    return "retry"


@transaction.atomic
def _failed(item: OutboxItem, message: str, failure_kind: str) -> str:
    """The item failed for good (until someone acts): the people who approved it and the
    agency's owners are told after commit (`outbox_failure_notify`), and the dashboard row
    and the incident room count it."""
    item = _locked(item)
    item.status = ST.FAILED
    item.lease_until = None
    item.next_attempt_at = None
    item.last_error = message[:2000]
    item.last_error_at = timezone.now()
    item.failure_kind = failure_kind
    item.save(
        update_fields=[
            "status",
            "lease_until",
            "next_attempt_at",
            "last_error",
            "last_error_at",
            "failure_kind",
            "updated_at",
        ]
    )
    _audit(
        item,
        "send_failed",
        SYSTEM,
        before=ST.SENDING,
        comment=item.last_error,
        retry=False,
        failure_kind=failure_kind,
    )
    # The reason stays on the item: it may quote the reply (a name the guard caught).
    logger.warning("outbox item %s failed (%s); the reason is on the item", item.pk, failure_kind)
    figures_changed()
    enqueue_on_commit(NOTIFY_TASK, [(item.pk,)])
    return "failed"


@transaction.atomic
def _to_manual(item: OutboxItem, reason: str) -> str:
    """A person posts it by hand: not a failure. The people who post by hand are told after
    commit, once per channel (`outbox_by_hand_notify`); a failure notice it had leaves."""
    item = _locked(item)
    item.status = ST.MANUAL
    item.manual_reason = reason
    item.lease_until = None
    item.failure_kind = ""
    item.failure_notified_at = None
    item.save(
        update_fields=[
            "status",
            "manual_reason",
            "lease_until",
            "failure_kind",
            "failure_notified_at",
            "updated_at",
        ]
    )
    _audit(item, "to_post_by_hand", SYSTEM, before=ST.SENDING, comment=reason)
    _failure_notices_settle(item)
    figures_changed()
    if item.kind == OutboxKind.REPLY:
        enqueue_on_commit(BY_HAND_TASK, [(item.pk,)])
    return "manual"


@transaction.atomic
def _sent(item: OutboxItem, sent: _Sent) -> str:
    item = _locked(item)
    before = item.status
    item.status = ST.SENT
    item.sent_at = timezone.now()
    item.external_id = sent.external_id[:255]
    item.external_url = (sent.url or "")[:1000]
    item.lease_until = None
    item.last_error = ""
    item.failure_kind = ""
    item.save()
    _audit(item, "sent", SYSTEM, before=before, external_id=item.external_id)
    _complete(item, SYSTEM)
    return "sent"


def _complete(item: OutboxItem, who: Actor) -> None:
    """The write is on the platform (sent, or posted by hand): finish what it was for, and a
    failure notice about it leaves everyone's banner."""
    now = timezone.now()
    _failure_notices_settle(item)
    figures_changed()
    if item.kind == OutboxKind.REPLY:
        # the writer hears it went out; a channel's "to post by hand" notice counts again
        enqueue_on_commit(WRITER_TASK, [(item.pk, "published")])
        if item.status == ST.POSTED_BY_HAND:
            by_hand_notice_settle(item)
            enqueue_on_commit(BY_HAND_TASK, [(item.pk,)])
        from responses.services.replies import reply_payload

        draft = ReplyDraft.objects.select_for_update().get(pk=item.draft_id)
        if draft.status == ApprovalStatus.PUBLISHED:
            return
        before = draft.status
        draft.status = ApprovalStatus.PUBLISHED
        draft.published_at = now
        draft.save(update_fields=["status", "published_at", "updated_at"])
        Review.objects.filter(pk=item.review_id).update(status=ReviewStatus.REPLIED, updated_at=now)
        figures_changed()
        sent_back_close_settled(review_ids=[item.review_id])
        audit_record(
            object_type="reply",
            object_id=draft.pk,
            review_id=draft.review_id,
            action="published",
            who=who,
            version=draft.version,
            from_status=before,
            to_status=draft.status,
            detail={"outbox": item.pk, "by_hand": item.status == ST.POSTED_BY_HAND},
        )
        webhook_emit("reply.published", reply_payload(draft, item=item))
    elif item.kind == OutboxKind.STATEMENT_POST:
        audit_record(
            object_type="statement",
            object_id=item.statement_id,
            # a person posted and pinned it and said so; no platform confirmed it
            action="pinned_by_hand" if item.status == ST.POSTED_BY_HAND else "pinned_on_platform",
            who=who,
            version=item.version,
            detail={"outbox": item.pk, "source": item.source_id, "post": item.external_id},
        )
    else:
        audit_record(
            object_type="statement",
            object_id=item.statement_id,
            action="unpinned_on_platform",
            who=who,
            version=item.version,
            detail={"outbox": item.pk, "source": item.source_id},
        )


# --- people ------------------------------------------------------------------------------


@transaction.atomic
def outbox_mark_posted(
    *, item_id: int, access: ClinicAccess, url: str = "", note: str = "", external_id: str = ""
) -> OutboxItem:
    """A person posted the text by hand (a platform without replies, or after a failure):
    the link and/or the platform's id they pasted are kept, and one of them is required for
    what puts something on the platform (a reply, a statement's post), so that it can be found
    (and `reply.published` says where): neither is a 400 naming `url` and `external_id`. An
    item already posted (sent, or marked before) is refused with 409 and nothing changes."""
    require(access, Permission.WRITE)
    who = access.actor
    item = OutboxItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFound("Not found.")
    if item.status in (ST.SENT, ST.POSTED_BY_HAND):
        raise Conflict(
            f"It is already posted ({item.get_status_display().lower()}"
            + (
                f", {item.external_url or item.external_id}"
                if item.external_url or item.external_id
                else ""
            )
            + "): nothing changed.",
            code="already_posted",
        )
    if item.status == ST.SENDING:
        raise Conflict(
            "It is being sent to the platform at this moment: see in a minute whether it was "
            "posted before marking it posted by hand."
        )
    if item.status not in MARKABLE:
        raise Conflict(
            f"Only items to post by hand, failed ones or ones waiting to be sent can be marked "
            f"posted (this one is “{item.get_status_display()}”)."
        )
    url, external_id = where_posted_check(item, url=url, external_id=external_id)
    if not (url or external_id or item.external_id) and item.kind != OutboxKind.STATEMENT_UNPIN:
        # either field is enough: each says so in the same words, said once on a page
        nowhere = "Give the link to the post or the platform's id of it: one is enough."
        raise ValidationFailed(
            "Nothing says where it was posted.",
            fields={"url": [nowhere], "external_id": [nowhere]},
        )
    before = item.status
    item.status = ST.POSTED_BY_HAND
    item.sent_at = timezone.now()
    item.external_url = url
    item.external_id = external_id or item.external_id
    item.failure_kind = ""
    item.next_attempt_at = None
    item.done_by_label = who.label
    item.done_by_name = who.name[:200]
    item.done_note = (note or "").strip()
    item.lease_until = None
    item.save()
    _audit(item, "posted_by_hand", who, before=before, comment=item.done_note)
    _complete(item, who)
    return item


MAX_URL = 1000  # as OutboxItem.external_url
MAX_EXTERNAL_ID = 255
# what a platform's id of a post is made of: Facebook "123_456", Google
# "accounts/1/locations/2/reviews/AbC-9", a Yelp or a forum's slug; never markup or spaces
EXTERNAL_ID_CHARS = re.compile(r"[A-Za-z0-9_.:/=+-]+")


def where_posted_check(item: OutboxItem, *, url: str, external_id: str) -> tuple[str, str]:
    """The link and the platform's id a person gives for a post made by hand, stripped, or a
    400 naming the field: a link that is not a web address or is longer than a link is kept
    (never cut), an id with characters no platform's id has, and a link or an id already
    recorded for another mention's reply (or another post): each post has its own."""
    url, external_id = (url or "").strip(), (external_id or "").strip()
    fields: dict[str, list[str]] = {}
    if url and not url.startswith(("https://", "http://")):
        fields["url"] = ["Give the post's web address (starting with https://)."]
    elif len(url) > MAX_URL:
        fields["url"] = [
            f"This link is {len(url)} characters long; a link to a post is at most {MAX_URL}. "
            "Copy the post's address again (without what follows it), or give the platform's "
            "id of the post instead."
        ]
    if len(external_id) > MAX_EXTERNAL_ID:
        fields["external_id"] = [f"At most {MAX_EXTERNAL_ID} characters."]
    elif external_id and not EXTERNAL_ID_CHARS.fullmatch(external_id):
        fields["external_id"] = [
            "A platform's id has only letters, digits and _ - . : / = +, without spaces "
            "(as 123456_789012): copy it again from the platform."
        ]
    if fields:
        raise ValidationFailed("Check where it was posted.", fields=fields)
    others = OutboxItem.objects.exclude(pk=item.pk).filter(status__in=(ST.SENT, ST.POSTED_BY_HAND))
    if item.review_id:  # an earlier version's reply to the same mention is the same post
        others = others.exclude(review_id=item.review_id)
    elif item.statement_id:
        others = others.exclude(statement_id=item.statement_id, source_id=item.source_id)
    for field, value, lookup in (
        ("url", url, "external_url"),
        ("external_id", external_id, "external_id"),
    ):
        taken = others.filter(**{lookup: value}).select_related("review__source", "statement")
        other = taken.first() if value else None
        if other is not None:
            fields[field] = [
                f"This {'link' if field == 'url' else 'id'} is already recorded for "
                f"{item_named(other, current_clinic())}: each post has its own. Give the "
                f"{'link' if field == 'url' else 'id'} of this one's post."
            ]
    if fields:
        raise ValidationFailed("Already recorded for another post.", fields=fields)
    return url, external_id


@transaction.atomic
def outbox_retry(*, item_id: int, access: ClinicAccess) -> OutboxItem:
    """Send a failed item again (after fixing the source, or after a legal override)."""
    require(access, Permission.WRITE)
    who = access.actor
    item = OutboxItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFound("Not found.")
    if item.status != ST.FAILED:
        raise Conflict(f"Only failed items can be retried (this one is “{item.status}”).")
    if why := retry_refusal(item):
        # why, and what to do instead for this reader (who may reconnect it, named)
        what = connect_words(item, may_connect=access.can(Permission.MANAGE))
        raise Conflict(f"{why} {what}", code="retry_cannot_work")
    _requeue(item)
    _audit(item, "retry_requested", who, before=ST.FAILED)
    _queue_on_commit([item.pk])
    return item


# what of a reply may still go out, and so is cancelled once its review is deleted
UNSENT = (ST.PENDING, ST.SENDING, ST.FAILED, ST.MANUAL)
DELETED_REVIEW = (
    "Not published: its review was deleted (at its author's request, or taken down by its "
    "platform), so there is nothing to reply to."
)


def outbox_replies_cancel_deleted(*, review_ids, who: Actor = SYSTEM) -> int:
    """Approved replies to reviews that were deleted (a privacy request, or taken down by
    their platform) are never published: each of their outbox items not yet sent (waiting,
    failed, to post by hand) is cancelled with the reason, its reply is discarded, the
    notices about its delivery count it no more, and its writer is told. An item being sent
    at this moment is cancelled by its delivery (`outbox_deliver` checks the review first).
    Called when reviews are settled (`responses.services.settling.reviews_settled_close`).
    Returns how many were cancelled."""
    items = list(
        OutboxItem.objects.select_for_update(of=("self",))
        .filter(
            kind=OutboxKind.REPLY,
            review_id__in=list(review_ids),
            review__is_deleted=True,
            status__in=[ST.PENDING, ST.FAILED, ST.MANUAL],
        )  # fmt: skip
        .select_related("source", "review", "draft")
        .order_by("pk")
    )
    for item in items:
        _cancel_deleted(item, who)
    return len(items)


@transaction.atomic
def _cancel_deleted(item: OutboxItem, who: Actor) -> None:
    """Cancel one reply's delivery, its review deleted (`outbox_replies_cancel_deleted`)."""
    item = (
        OutboxItem.objects.select_for_update(of=("self",))
        .select_related("source", "review")
        .get(pk=item.pk)
    )
    if item.status not in UNSENT:
        return
    before = item.status
    item.status = ST.CANCELLED
    item.lease_until = None
    item.next_attempt_at = None
    item.last_error = DELETED_REVIEW
    item.save(
        update_fields=["status", "lease_until", "next_attempt_at", "last_error", "updated_at"]
    )
    _audit(item, "cancelled", who, before=before, comment=DELETED_REVIEW)
    if before == ST.FAILED:
        _failure_notices_settle(item)
    if before == ST.MANUAL:
        by_hand_notice_settle(item)
        enqueue_on_commit(BY_HAND_TASK, [(item.pk,)])  # the channel's count of what waits
    draft = ReplyDraft.objects.select_for_update().get(pk=item.draft_id)
    if draft.status == ApprovalStatus.APPROVED:
        draft.status = ApprovalStatus.DISCARDED
        draft.save(update_fields=["status", "updated_at"])
        audit_record(
            object_type="reply", object_id=draft.pk, review_id=draft.review_id,
            action="publish_cancelled", who=who, version=draft.version,
            from_status=ApprovalStatus.APPROVED, to_status=draft.status,
            comment=DELETED_REVIEW, detail={"outbox": item.pk},
        )  # fmt: skip
    figures_changed()
    enqueue_on_commit(WRITER_TASK, [(item.pk, "cancelled")])


def _requeue(item: OutboxItem) -> None:
    item.status = ST.PENDING
    item.attempts = 0
    item.next_attempt_at = None
    item.failure_kind = ""
    item.failure_notified_at = None
    item.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "failure_kind",
            "failure_notified_at",
            "updated_at",
        ]
    )
    figures_changed()


@transaction.atomic
def outbox_retry_for_source(*, source_id: int) -> list[int]:
    """The source's credentials changed (connected, reconnected, token renewed): send again
    every item that failed waiting for it (not connected, connection expired, no permission).
    Other failures stay for a person. Call it in the clinic's schema; the OAuth flow and the
    source settings page do (through `core.pipeline.source_credentials_changed`). Returns the
    ids queued."""
    items = list(
        OutboxItem.objects.select_for_update(skip_locked=True).filter(
            source_id=source_id, status=ST.FAILED, failure_kind__in=WAITING_FOR_SOURCE
        )
    )
    for item in items:
        _requeue(item)
        _audit(item, "retry_requested", SYSTEM, before=ST.FAILED, comment="Channel reconnected.")
    _queue_on_commit([i.pk for i in items])
    return [i.pk for i in items]


def _failure_notices_settle(item: OutboxItem) -> None:
    """The item no longer fails (posted, to post by hand, cancelled): each notice that told
    of it counts what still fails there and leaves everyone's banner once nothing does — its
    batch's notice on its channel, its channel's "not connected" notice (what waits for the
    channel, `waiting_notice`) and its channel's notice of failures (what it told of)."""
    clinic = current_clinic()
    # a notice of one item, as they were told before failures were told per channel
    notifications_close(clinic=clinic, ref=f"outbox:{item.pk}")
    failed = (
        OutboxItem.objects.filter(source_id=item.source_id, status=ST.FAILED)
        .exclude(pk=item.pk)
        .select_related("source", "review__source", "statement", "draft")
        .order_by("pk")
    )
    batch_id = item_batch_id(item)
    if batch_id:
        ref = f"outbox-batch:{batch_id}:source:{item.source_id}"
        still = list(failed.filter(draft__batch_id=batch_id))
        if not still:
            notifications_close(clinic=clinic, ref=ref)
        else:
            batch = ReplyBatch.objects.select_related("cluster").get(pk=batch_id)
            notifications_retitle(
                clinic=clinic,
                ref=ref,
                title=batch_failed_title(batch, item.source.name, len(still)),
            )
    ref = source_failure_ref(item.source_id)
    waiting = list(failed.filter(failure_kind__in=WAITING_FOR_SOURCE))
    if not waiting:
        notifications_close(clinic=clinic, ref=ref)
    elif Notification.objects.filter(clinic=clinic, ref=ref, open=True).exists():
        title, url = waiting_notice(waiting, clinic)
        notifications_retitle(clinic=clinic, ref=ref, title=title, url=url)
    # the "post them by hand" line counts the replies still to post, and closes with the last
    ref = post_by_hand_ref(item.source_id)
    if not (to_post := [i for i in waiting if i.kind == OutboxKind.REPLY]):
        notifications_close(clinic=clinic, ref=ref)
    else:
        title, url = post_by_hand_notice(to_post, clinic)
        notifications_retitle(clinic=clinic, ref=ref, title=title, url=url)
    ref = source_failures_ref(item.source_id)
    if not Notification.objects.filter(clinic=clinic, ref=ref, open=True).exists():
        return
    # what the notice told of and still fails (one that fails again after a retry is added
    # to it by its own notice: it is never counted twice)
    still = list(channel_failures(item.source_id).exclude(failure_notified_at=None))
    if not still:
        notifications_close(clinic=clinic, ref=ref)
    else:
        notifications_retitle(
            clinic=clinic,
            ref=ref,
            title=channel_failures_title(item.source.name, still),
            url=f"/clinics/{clinic.slug}/outbox/#group-failed",
        )


def item_batch_id(item: OutboxItem) -> int | None:
    """The batch whose reply the item carries (None for a reply of its own or a statement)."""
    return item.draft.batch_id if item.kind == OutboxKind.REPLY else None


def source_failure_ref(source_id: int) -> str:
    """The notice that a channel is not connected (or its connection expired, or lacks a
    permission) and what was approved for it waits: one per channel while it stays so."""
    return f"outbox-source:{source_id}:waiting"


def post_by_hand_ref(source_id: int) -> str:
    """The "waiting for you" line asking the people who post by hand to post the replies that
    failed for want of their channel (not connected, connection expired, a permission
    missing): open while any still fails so there; closed once each is posted, by hand or by
    Carewatch once the channel is connected (`_failure_notices_settle`)."""
    return f"outbox-source:{source_id}:post-failed-by-hand"


def post_by_hand_notice(items: list[OutboxItem], clinic: Clinic) -> tuple[str, str]:
    """The title and link of `post_by_hand_ref`'s line, from the replies that wait now (failed
    on one channel for a reason in WAITING_FOR_SOURCE): how many, and where they are posted
    from (their batch's page when they are one batch's replies, else the outbox)."""
    source = items[0].source
    replies = "1 reply" if len(items) == 1 else f"{len(items)} replies"
    title = (
        f"Post by hand: {replies} not posted on {source.name} (not connected) "
        f"{'waits' if len(items) == 1 else 'wait'} for you"
    )
    batch_ids = {item_batch_id(i) for i in items}
    if len(batch_ids) == 1 and None not in batch_ids:
        return title, f"/clinics/{clinic.slug}/replies/batches/{batch_ids.pop()}/#batch-posted"
    if len(items) == 1:
        return title, f"/clinics/{clinic.slug}/outbox/#item-{items[0].pk}"
    return title, f"/clinics/{clinic.slug}/outbox/#group-failed"


def by_hand_ref(source_id: int, user_id: int | None = None) -> str:
    """The notice that replies wait to be posted by hand on a channel: open while any waits.
    With `user_id`, the line of the one person named to post them (`by_hand_owners`); without,
    the channel's line to everyone who posts by hand, for the replies nobody is named for."""
    ref = f"outbox-source:{source_id}:by-hand"
    return ref if user_id is None else f"{ref}:user:{user_id}"


def by_hand_title(source_name: str, waiting: int, *, for_you: bool = False) -> str:
    """`by_hand_ref`'s title: how many replies wait to be posted by hand on the channel (for
    the person named to post them, `for_you`)."""
    replies = "1 reply waits" if waiting == 1 else f"{waiting} replies wait"
    if for_you:
        return f"{replies} for you to post by hand on {source_name}"
    return f"{replies} to be posted by hand on {source_name}"


def by_hand_posters(clinic: Clinic) -> list:
    """Who posts replies by hand: the agency's people who may write in the clinic (they mark
    them posted in the outbox); never the clinic's own people."""
    return [
        u for u in people_who_can(clinic, permission=Permission.WRITE) if user_is_agency_staff(u)
    ]


@dataclass(frozen=True)
class ByHandOwner:
    """The one person named to post a reply by hand, and why them (`by_hand_owners`)."""

    user: object  # accounts.models.User
    why: str  # "wrote" | "approved"

    @property
    def words(self) -> str:
        return "its writer" if self.why == "wrote" else "who approved it for the agency"


def by_hand_owners(items: list[OutboxItem], *, posters: list) -> dict[int, ByHandOwner | None]:
    """Whom each reply to post by hand waits for, so that one person posts it rather than
    everyone told at once: its writer (a batch's writer for a reply of a batch), who knows
    the review and the text; else, where she no longer posts by hand here, the person who
    approved it for the agency; else nobody (`None`: everyone who posts by hand is told). Only
    people among `posters` (`by_hand_posters`) are named. Anyone who posts by hand may still
    post it: the outbox refuses a second post (`outbox_mark_posted`). Two queries for all."""
    by_id = {u.pk: u for u in posters}
    replies = [i for i in items if i.kind == OutboxKind.REPLY and i.draft_id]
    owners: dict[int, ByHandOwner | None] = {i.pk: None for i in items}
    texts = {}  # item pk -> (object type, id, version) of what was approved
    for item in replies:
        batch = item.draft.batch if item.draft.batch_id else None
        writer = user_id_of((batch or item.draft).author_label)
        if writer in by_id:
            owners[item.pk] = ByHandOwner(by_id[writer], "wrote")
        elif batch is not None:
            texts[item.pk] = ("reply_batch", batch.pk, batch.version)
        else:
            texts[item.pk] = ("reply", item.draft_id, item.version)
    if texts:
        wanted = Q()
        for object_type, object_id, version in set(texts.values()):
            wanted |= Q(object_type=object_type, object_id=object_id, version=version)
        approvers = {
            (e.object_type, e.object_id, e.version): user_id_of(e.actor_label)
            for e in AuditEntry.objects.filter(wanted, action="approved", detail__step="agency")
            .only("object_type", "object_id", "version", "actor_label")
            .order_by("id")
        }  # fmt: skip
        for pk, text in texts.items():
            if (approver := approvers.get(text)) in by_id:
                owners[pk] = ByHandOwner(by_id[approver], "approved")
    return owners


def by_hand_waiting(source_id: int) -> list[OutboxItem]:
    """The replies that wait to be posted by hand on a channel, with what `by_hand_owners`
    and their notices read."""
    return list(
        OutboxItem.objects.select_related("draft__batch", "review__source", "source")
        .filter(source_id=source_id, kind=OutboxKind.REPLY, status=ST.MANUAL)
        .order_by("pk")
    )


def by_hand_groups(
    waiting: list[OutboxItem], owners: dict[int, ByHandOwner | None]
) -> dict[int | None, list[OutboxItem]]:
    """`waiting` by the person named to post them (user id; None: nobody named)."""
    groups: dict[int | None, list[OutboxItem]] = {}
    for item in waiting:
        owner = owners.get(item.pk)
        groups.setdefault(owner.user.pk if owner else None, []).append(item)
    return groups


def by_hand_lines_open(clinic: Clinic, source_id: int) -> dict[int, str]:
    """The open lines of the people named to post a channel's replies: user id -> ref."""
    prefix = by_hand_ref(source_id, 0)[:-1]
    rows = Notification.objects.filter(clinic=clinic, ref__startswith=prefix, open=True)
    return {int(ref[len(prefix) :]): ref for ref in rows.values_list("ref", flat=True).distinct()}


def by_hand_notice_settle(item: OutboxItem) -> None:
    """A reply left "To post by hand" (posted by hand, one or a batch's, or cancelled): the
    channel's notices (`by_hand_ref`: everyone's, and the line of each person named to post
    them) count what still waits for them, or close, in the caller's transaction, so the
    banner says so on the very next page rather than once the notice's task has run
    (`delivery.outbox_by_hand_notify`, queued too, tells whom it must)."""
    clinic = current_clinic()
    waiting = by_hand_waiting(item.source_id)
    groups = by_hand_groups(waiting, by_hand_owners(waiting, posters=by_hand_posters(clinic)))
    name = item.source.name
    ref = by_hand_ref(item.source_id)
    if not groups.get(None):
        notifications_close(clinic=clinic, ref=ref)
    else:
        notifications_retitle(clinic=clinic, ref=ref, title=by_hand_title(name, len(groups[None])))
    for user_id, ref in by_hand_lines_open(clinic, item.source_id).items():
        if not groups.get(user_id):
            notifications_close(clinic=clinic, ref=ref)
        else:
            title = by_hand_title(name, len(groups[user_id]), for_you=True)
            notifications_retitle(clinic=clinic, ref=ref, title=title)


def source_failures_ref(source_id: int) -> str:
    """The notice that deliveries failed on a channel (an outage, refusals, the guard): one
    per channel while any it told of still fails; a burst of them is one notice."""
    return f"outbox-source:{source_id}:failed"


def failure_ref(item: OutboxItem) -> str:
    """The notification reference of an item's failure (closed once it is posted). What
    waits for its channel to be connected (or reconnected) shares the channel's: a person
    hears once while the channel stays so, not once per reply. The replies of one batch on
    one channel share one: a person hears once per channel that the batch's replies fail
    there, not once per mention, and a second channel's failure is not taken for the
    first's. Any other failure shares its channel's notice of failures
    (`source_failures_ref`): a platform's outage that fails 30 replies is one notice, not
    30."""
    if item.failure_kind in WAITING_FOR_SOURCE:
        return source_failure_ref(item.source_id)
    batch_id = item_batch_id(item)
    if batch_id:
        return f"outbox-batch:{batch_id}:source:{item.source_id}"
    return source_failures_ref(item.source_id)


def channel_failures(source_id: int) -> QuerySet[OutboxItem]:
    """What failed on a channel and is told in its notice of failures
    (`source_failures_ref`): neither what waits for the channel to be connected (its own
    notice) nor a batch's replies (the batch's notice on the channel)."""
    return (
        OutboxItem.objects.filter(source_id=source_id, status=ST.FAILED)
        .exclude(failure_kind__in=WAITING_FOR_SOURCE)
        .filter(~Q(kind=OutboxKind.REPLY) | Q(draft__batch__isnull=True))
        .order_by("pk")
    )


def items_counted(items: list[OutboxItem]) -> str:
    """ "3 replies", "1 statement", "2 replies and 1 statement"."""
    replies = sum(1 for i in items if i.kind == OutboxKind.REPLY)
    others = len(items) - replies
    parts = []
    if replies:
        parts.append("1 reply" if replies == 1 else f"{replies} replies")
    if others:
        parts.append("1 statement" if others == 1 else f"{others} statements")
    return " and ".join(parts)


def channel_failures_title(source_name: str, items: list[OutboxItem]) -> str:
    """The channel's notice of failures, counting them and why ("Not posted on Google
    Business Profile: 30 replies (platform unavailable)")."""
    kinds = {i.failure_kind for i in items}
    why = FailureKind(kinds.pop()).label.lower() if len(kinds) == 1 else "several reasons"
    return f"Not posted on {source_name}: {items_counted(items)} ({why})"


def item_named(item: OutboxItem, clinic: Clinic) -> str:
    """What the item puts on its channel, as a notice names it: "the reply to Harper M.'s 1★
    Google review of 4 Dec 2026", "the statement “…”", "unpinning the statement “…”"."""
    if item.kind == OutboxKind.REPLY:
        return f"the reply to {review_named(item.review, tz=clinic_zone(clinic))}"
    if item.kind == OutboxKind.STATEMENT_POST:
        return f"the statement “{item.statement.title}”"
    return f"unpinning the statement “{item.statement.title}”"


CLAIM_WORDS = 80


def batch_to(batch: ReplyBatch) -> str:
    """ "to the claim “… reuses needles”": the claim as people know it (never a number)."""
    claim = batch.cluster.title.strip() if batch.cluster_id and batch.cluster else ""
    if len(claim) > CLAIM_WORDS:
        claim = "…" + claim[-(CLAIM_WORDS - 1) :].lstrip()
    return f"to the claim “{claim}”" if claim else "of one answer to many mentions"


def batch_failed_title(batch: ReplyBatch, source_name: str, failed: int) -> str:
    """ "3 replies to the claim “… reuses needles” were not posted on Google Business
    Profile": how many, and the claim as people know it (never a batch number)."""
    replies = "1 reply" if failed == 1 else f"{failed} replies"
    return (
        f"{replies} {batch_to(batch)} {'was' if failed == 1 else 'were'} not posted on "
        f"{source_name}"
    )


# what a channel that is not connected (or lost its connection) waits for, per FailureKind
UNTIL = {
    FK.NOT_CONNECTED: "until it is connected",
    FK.AUTH: "until it is reconnected",
    FK.PERMISSION: "until it is reconnected with an account that may post there",
}


def waiting_notice(
    items: list[OutboxItem], clinic: Clinic, *, newest: OutboxItem | None = None
) -> tuple[str, str]:
    """The title and link of a channel's notice of what waits for it to be connected
    (`source_failure_ref`), from what waits there now (`items`, failed on one channel for a
    reason in WAITING_FOR_SOURCE): the one item while it is alone, the claim's words while
    they are all one batch's replies, else how many wait and until what (`newest`'s reason:
    "Not posted on Sunrise Facebook page: 4 replies wait until it is connected")."""
    newest = newest or max(items, key=lambda i: (i.last_error_at or i.updated_at, i.pk))
    source = newest.source
    batch_ids = {item_batch_id(i) for i in items}
    if len(batch_ids) == 1 and None not in batch_ids:
        batch = ReplyBatch.objects.select_related("cluster").get(pk=batch_ids.pop())
        return (
            batch_failed_title(batch, source.name, len(items)),
            f"/clinics/{clinic.slug}/replies/batches/{batch.pk}/",
        )
    if len(items) == 1:
        return (
            f"Not posted on {source.name}: {item_named(items[0], clinic)}",
            f"/clinics/{clinic.slug}/outbox/#item-{items[0].pk}",
        )
    return (
        f"Not posted on {source.name}: {items_counted(items)} wait "
        f"{UNTIL.get(newest.failure_kind, 'for it')}",
        f"/clinics/{clinic.slug}/outbox/#group-failed",
    )
