from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context

from agency.models import Agency, PrivacyRequest
from clinics.models import Clinic
from core.crypto import decrypt_json
from core.tenancy import clinic_schemas_select
from feeds.connectors.facebook import FacebookConnector
from feeds.connectors.google import GoogleConnector
from feeds.models import (
    Review,
    ReviewStatus,
    Source,
    SourceConnection,
    SourceOutage,
    platform_name,
)


def review_status_counts() -> dict[str, int]:
    rows = Review.objects.filter(is_deleted=False).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def review_figures(*, now: datetime, rating_days: int) -> dict:
    """The current clinic's new (untriaged) reviews, and its mean rating and rating count over
    the last `rating_days` days."""
    new_reviews = Review.objects.filter(status=ReviewStatus.NEW, is_deleted=False).count()
    rating = Review.objects.filter(
        is_deleted=False, rating__isnull=False, published_at__gte=now - timedelta(rating_days)
    ).aggregate(avg=Avg("rating"), n=Count("id"))
    return {"new_reviews": new_reviews, "rating_mean": rating["avg"], "rating_count": rating["n"]}


OUTAGES_SHOWN_DAYS = 30  # the sources page's "down N times in the last 30 days"


def sources_with_connections(now: datetime | None = None) -> list[Source]:
    """The clinic's sources for the sources page, each with its OAuth connection as `conn`
    (None: not connected with OAuth), `link` (connection_state: what the API says),
    `takes_replies` (Carewatch can post replies there), `platform` (its plain name), `idle`
    (turned off or not connected: nothing can arrive, whatever its fetches said) and its
    outages (`SourceOutage`): `outage_now` (the one going on, or None), `last_outage` (the
    latest ended within OUTAGES_SHOWN_DAYS, or None) and `outages_recent` (how many began or
    went on within them)."""
    since = (now or timezone.now()) - timedelta(days=OUTAGES_SHOWN_DAYS)
    recent: dict[int, list[SourceOutage]] = {}
    for outage in SourceOutage.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=since)
    ).order_by("started_at", "pk"):
        recent.setdefault(outage.source_id, []).append(outage)
    sources = list(Source.objects.select_related("connection").order_by("name", "pk"))
    for source in sources:
        source.conn = connection_of(source)
        source.link = connection_state(source)
        source.takes_replies = replies_postable(source.kind)
        source.platform = platform_name(source.kind)
        # nothing arrives from a source turned off or not connected: "healthy" (no fetch
        # failed) would say it delivers
        source.idle = not source.enabled or source.link["state"] == "not_connected"
        mine = recent.get(source.pk, [])
        source.outage_now = next((o for o in mine if o.ended_at is None), None)
        source.last_outage = next((o for o in reversed(mine) if o.ended_at is not None), None)
        source.outages_recent = len(mine)
    return sources


def replies_postable(kind: str) -> bool:
    """Whether Carewatch can post replies on a source of this kind (its connector takes
    replies): only there is "we post replies on this channel by hand" a choice; elsewhere
    replies are always posted by hand."""
    connector = {"google": GoogleConnector, "facebook": FacebookConnector}.get(kind)
    return connector is not None and connector.capabilities.can_reply


def connection_of(source: Source) -> SourceConnection | None:
    """The source's OAuth connection, None when it has none (read once with
    `select_related("connection")` to spare a query a source)."""
    try:
        return source.connection
    except SourceConnection.DoesNotExist:
        return None


# The setting that names the platform account a source reads: one location, page, Instagram
# account or Yelp business is one clinic's, and reading it in two clinics puts its reviews in both.
ACCOUNT_SETTING = {
    "google": "location_id",
    "facebook": "page_id",
    "instagram": "instagram_account_id",
    "yelp": "business_id",
}


def _bare_account(kind: str, value: object) -> str:
    value = str(value or "").strip().strip("/")
    if kind == "google":  # "accounts/1/locations/2", "locations/2" and "2" are one location
        value = value.rsplit("locations/", 1)[-1].strip("/")
    return value


def source_account(*, kind: str, settings: dict | None) -> str:
    """The platform account a source of `kind` with `settings` reads (`ACCOUNT_SETTING`), as
    one id whichever way it is written; "" when it names none or `kind` reads no such
    account."""
    key = ACCOUNT_SETTING.get(kind)
    return _bare_account(kind, (settings or {}).get(key)) if key else ""


def source_account_elsewhere(*, kind: str, settings: dict | None, clinic: Clinic) -> Clinic | None:
    """Another clinic (of any agency) with a source that reads the platform account `settings`
    names (`ACCOUNT_SETTING`: a Google location, a Facebook page, an Instagram account, a Yelp
    business) and is turned on with credentials (connected, or entered by hand); None when
    there is none, or `kind` reads no such account. A deactivated clinic reads nothing, so it
    holds no account: its sources claim theirs again when it is reactivated
    (`feeds.services.sources.sources_reclaim`). Read in every other clinic's schema at once
    (`core.tenancy.clinic_schemas_select`); the credentials are only tested for being there."""
    account = source_account(kind=kind, settings=settings)
    if not account:
        return None
    key = ACCOUNT_SETTING[kind]
    rows = clinic_schemas_select(
        "SELECT settings ->> %s, credentials_encrypted FROM {table} "
        "WHERE kind = %s AND enabled AND strpos(settings ->> %s, %s) > 0",
        [key, kind, key, account],
        table=Source._meta.db_table,
        exclude={
            clinic.schema_name,
            connection.schema_name,
            *Clinic.objects.filter(deactivated_at__isnull=False).values_list(
                "schema_name", flat=True
            ),
        },
    )
    found = sorted(
        schema
        for schema, value, credentials in rows
        if _bare_account(kind, value) == account and _has_credentials(credentials)
    )
    if not found:
        return None
    return Clinic.objects.filter(schema_name=found[0]).first()


def _has_credentials(token: str) -> bool:
    try:
        return bool(decrypt_json(token))
    except ValueError:  # stored under a key this server lacks: something is stored
        return bool(token)


# Kinds that post through a platform account (OAuth, or Yelp's API key entered by hand).
CONNECTABLE_KINDS = frozenset({"google", "facebook", "instagram", "yelp"})


def connection_state(source: Source) -> dict:
    """Whether `source` can read and post through its platform, as the sources page and the API
    show it. `state`: connected (OAuth), lost (the platform refused to renew: reconnect),
    by_hand (credentials entered through the API, no OAuth connection), not_connected, or
    not_applicable (CSV, webhook and other kinds that need no account)."""
    conn = connection_of(source)
    out = {
        "state": "not_applicable",
        "account_name": "",
        "grantee": "",
        "connected_at": None,
        "connected_by": "",
        "access_ends_at": None,
        "renewal_failures": 0,
        "error": "",
    }
    if conn is not None:
        out.update(
            state="lost" if conn.lost_at else "connected",
            account_name=conn.account_name,
            grantee=conn.grantee,
            connected_at=conn.connected_at,
            connected_by=conn.connected_by_name,
            access_ends_at=None if conn.lost_at else conn.reconnect_by,
            renewal_failures=conn.refresh_failures,
            error=conn.refresh_error if (conn.lost_at or conn.refresh_failures) else "",
        )
    elif source.kind in CONNECTABLE_KINDS:
        out["state"] = "by_hand" if source.credentials_encrypted else "not_connected"
    return out


def source_connection_changed_at(source: Source) -> datetime:
    """When what Carewatch posts on `source` with last changed: the source saved by a person
    (credentials entered or removed, its page or settings, replies by hand: `updated_at`),
    its OAuth connection made or renewed (`SourceConnection.connected_at`, `refreshed_at`),
    or a token its connector renewed by itself (`source_credentials_renewed` saves
    `updated_at`). What reading the platform writes (cursor, health) is none of these. The
    outbox compares it with when an item failed for want of the connection
    (`responses.services.outbox.retry_refusal`)."""
    conn = connection_of(source)
    times = [source.updated_at]
    if conn is not None:
        times += [t for t in (conn.connected_at, conn.refreshed_at) if t]
    return max(times)


# What `source_delivery_problem` says, named for the callers that act on which it is.
TURNED_OFF = "turned off"
NOT_CONNECTED = "not connected to its account"
CONNECTION_LOST = "its connection was lost: reconnect it"
FETCHES_FAILED = "its last fetches failed"
NEVER_FETCHED = "no fetch has worked yet"


def source_delivery_problem(source: Source) -> str:
    """Why reviews and mentions do not arrive from `source` now, in plain words ("" when
    they do): it is turned off, its platform account is not connected (no credentials) or the
    platform ended the connection, or its last fetches failed and polling stopped, or it has
    never fetched and its first tries failed (one failure leaves it "healthy", but nothing
    has arrived). Having delivered once says nothing about now."""
    if not source.enabled:
        return TURNED_OFF
    state = connection_state(source)["state"]
    if state == "not_connected":
        return NOT_CONNECTED
    if state == "lost":
        return CONNECTION_LOST
    if not source.is_healthy:
        return FETCHES_FAILED
    if source.last_success_at is None and source.last_error:
        return NEVER_FETCHED
    return ""


def outages_between(start: datetime, end: datetime) -> list[SourceOutage]:
    """The current clinic's channel outages (`SourceOutage`) that overlap [start, end]: begun
    before `end` and not ended before `start` (still open counts as not ended), oldest first,
    each with its `source`."""
    return list(
        SourceOutage.objects.select_related("source")
        .filter(started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .order_by("started_at", "pk")
    )


def open_outages() -> dict[int, SourceOutage]:
    """The current clinic's outages going on now, by source id."""
    return {o.source_id: o for o in SourceOutage.objects.filter(ended_at__isnull=True)}


# --- privacy requests: a person's items, across the agency's clinics ------------------------

AUTHOR_MIN_CHARS = 2
PRIVACY_PER_CLINIC = 50  # items listed per clinic; more is said, and narrowed by a longer name
PRIVACY_CLINICS_MAX = 200  # clinics read by one search; more is said, and narrowed by clinic


def author_term(author: str | None) -> str:
    """An author search as typed: trimmed, a handle's leading "@" dropped ("@reese_b" finds
    "reese_b" and "@reese_b")."""
    return " ".join((author or "").split()).lstrip("@").strip()


def reviews_by_author(author: str, *, with_text: bool = False) -> QuerySet[Review]:
    """The current clinic's items whose author name or handle contains `author` (any case;
    with `with_text`, also those whose text names it), deleted ones included: the one
    definition behind the inbox's `author=` filter and the privacy requests search."""
    term = author_term(author)
    match = Q(author_name__icontains=term)
    if with_text:
        match |= Q(text__icontains=term)
    return Review.objects.filter(match)


def _removed_by_requests_for(*, agency: Agency, author: str) -> dict[int, set[int]]:
    """{clinic id: ids of the items} that the agency's earlier privacy requests for a name or
    handle containing `author` (any case) removed."""
    removed: dict[int, set[int]] = {}
    rows = PrivacyRequest.objects.filter(
        agency_id=agency.pk, author__icontains=author_term(author)
    ).values_list("items", flat=True)
    for items in rows:
        for item in items:
            removed.setdefault(item["clinic_id"], set()).add(item["review_id"])
    return removed


def reviews_by_author_across(
    *, agency: Agency, author: str, with_text: bool = False, clinic_slug: str = ""
) -> dict:
    """The privacy requests search: the items of `author` in every clinic of `agency` (or in
    its clinic `clinic_slug`), read clinic by clinic in its schema, newest first, at most
    PRIVACY_PER_CLINIC per clinic and PRIVACY_CLINICS_MAX clinics. Items an earlier request of
    the agency removed for a name that contains `author` are found too (nothing of theirs names
    the person any more; one only redacted may still be deleted). Returns {"groups": [{"clinic",
    "reviews", "capped"}] (clinics with items, by name), "clinics_read", "clinics_more",
    "found"}."""
    clinics = Clinic.objects.filter(agency=agency).order_by("name", "pk")
    if clinic_slug:
        clinics = clinics.filter(slug=clinic_slug)
    total = clinics.count()
    removed = _removed_by_requests_for(agency=agency, author=author)
    groups, found = [], 0
    for clinic in clinics[:PRIVACY_CLINICS_MAX]:
        with schema_context(clinic.schema_name):
            matching = reviews_by_author(author, with_text=with_text)
            if removed.get(clinic.pk):
                matching = matching | Review.objects.filter(pk__in=removed[clinic.pk])
            newest = matching.select_related("source").order_by("-published_at", "-pk")
            rows = list(newest[: PRIVACY_PER_CLINIC + 1])
        if rows:
            capped = len(rows) > PRIVACY_PER_CLINIC
            rows = rows[:PRIVACY_PER_CLINIC]
            found += len(rows)
            groups.append({"clinic": clinic, "reviews": rows, "capped": capped})
    read = min(total, PRIVACY_CLINICS_MAX)
    return {"groups": groups, "clinics_read": read, "clinics_more": total - read, "found": found}
