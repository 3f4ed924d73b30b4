"""Sources: create, change, and their decrypted credentials."""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import SecurityEventCode
from accounts.services import security_event_record
from clinics.history import settings_changed, value_words
from clinics.models import Clinic, clinic_zone
from core.crypto import decrypt_json, encrypt_json
from core.errors import Conflict, ValidationFailed
from core.pipeline import source_credentials_changed
from core.settings_history import Setting, SettingArea
from core.tenancy import current_clinic
from feeds.models import (
    POLLED_KINDS,
    Source,
    SourceConnection,
    SourceKind,
    platform_name,
)
from feeds.selectors import source_account, source_account_elsewhere
from feeds.services.outages import source_outages_sync
from feeds.source_settings import source_settings_problems

SOURCE_SECRET = SecurityEventCode.SOURCE_SECRET_CHANGED
# Who adds a source nobody added by hand: the first item pushed for a kind the clinic had none
# of (feeds.services.ingest), the demo's seed.
SOURCE_AUTO = Actor.of_system("feeds", "Carewatch")
# A settings key that names a secret is shown hidden in the settings history, in case one
# was put in `settings` rather than in `credentials`.
_SECRET_KEY = re.compile(r"secret|token|password|api_?key", re.I)


def source_settings_words(settings: dict | None) -> dict:
    """A source's `settings` as the settings history shows them, a secret-looking key hidden."""
    return {
        key: "(hidden)" if _SECRET_KEY.search(str(key)) else value
        for key, value in (settings or {}).items()
    }


def source_setting_names(source: Source) -> dict[str, Setting]:
    """How the settings history names each setting of `source`."""
    where = f"Source “{source.name}”"
    return {
        "added": Setting(SettingArea.SOURCES, where),
        "name": Setting(SettingArea.SOURCES, f"{where}: name"),
        "settings": Setting(SettingArea.SOURCES, f"{where}: settings"),
        "enabled": Setting(SettingArea.SOURCES, f"{where}: read by Carewatch"),
        "poll_interval_minutes": Setting(SettingArea.SOURCES, f"{where}: read every (minutes)"),
        "credentials": Setting(SettingArea.SOURCES, f"{where}: credentials (key or sign-in)"),
        "replies_by_hand": Setting(SettingArea.SOURCES, f"{where}: replies posted by hand"),
        "history_before": Setting(SettingArea.SOURCES, f"{where}: {BACKLOG_PAST}"),
    }


# ----------------------------------------------------------------------------- the backlog
# What a source brings in first was mostly written before the agency answered for the clinic:
# a platform's existing reviews (Google, Facebook, Instagram, Yelp), what a webhook or an
# integration pushes that was published before the source was added (a listening tool's
# back-fill). One rule for every kind: when a source starts reading from nothing, a person
# says whether what is already there is past reviews (`Source.history_before`: no reply clock,
# no SLA breach, not in the reports' on-time figures); the box is ticked unless they untick it.
# A CSV file is asked the same for each import ("past reviews"), so a CSV source is not.
BACKLOG_PAST = "the reviews already there are past reviews"
BACKLOG_KINDS = tuple(kind for kind in SourceKind.values if kind != SourceKind.CSV)


def backlog_words(history_before: datetime | None) -> str:
    """`Source.history_before` as the settings history shows it: "on (published before
    2026-12-06 09:30 EST)" in the clinic's time zone, or "off" (every item counts)."""
    if history_before is None:
        return "off"
    local = timezone.localtime(history_before, clinic_zone(current_clinic()))
    return f"on (published before {local:%Y-%m-%d %H:%M %Z})"


def source_backlog_choose(source: Source, *, as_past: bool) -> tuple[dict, dict]:
    """The backlog rule, the one for every kind (BACKLOG_KINDS): a source whose next read
    starts from nothing (no cursor: a new source, one moved to another location or page)
    takes what was published before now as past reviews when `as_past`; otherwise every item
    counts. A source already read keeps its rule. Sets `source.history_before` (the caller
    saves it) and returns the settings history's before and after for it ({} and {} when the
    rule does not apply); a choice made for the first time reads "(none)" before."""
    if source.cursor or source.kind not in BACKLOG_KINDS:
        return {}, {}
    before = backlog_words(source.history_before) if source.history_before else None
    source.history_before = timezone.now() if as_past else None
    return {"history_before": before}, {"history_before": backlog_words(source.history_before)}


def backlog_added_words(after: dict) -> list[str]:
    """The backlog choice in a new source's "added" line ([] when it was not asked)."""
    if "history_before" not in after:
        return []
    return [f"{BACKLOG_PAST}: {after['history_before']}"]


def source_has_credentials(source: Source) -> bool:
    return bool(source.credentials_encrypted and decrypt_json(source.credentials_encrypted))


def source_create(
    *,
    kind: str,
    name: str,
    settings: dict | None = None,
    credentials: dict | None = None,
    poll_interval_minutes: int = 15,
    readable: bool = False,
    actor: Actor = SOURCE_AUTO,
    backlog_past: bool | None = None,
    refuse_same: bool = False,
) -> Source:
    """A new source. `readable`: a person adds it for Carewatch to read (the API, the Sources
    page), so it must have what reading needs (a Yelp business id and API key); a source
    created by its first pushed item, or a placeholder connected later, is not checked.
    `backlog_past`: the person's answer to "the reviews already there are past reviews"
    (`source_backlog_choose`); None where nobody was asked (a source created by its first
    pushed item, the demo): every item counts. The settings history records it as added by
    `actor` (Carewatch itself when nobody added it by hand), with its settings and that
    answer, never its credentials. `refuse_same` (the API and the Sources page): a source the
    clinic has already (`Source.identity`: the same kind, name and settings, turned off or
    not) is `SourceExists`, a 409 `source_exists` naming its id, and nothing is added."""
    if kind not in SourceKind.values:
        raise ValidationFailed(
            "Unknown source kind.", fields={"kind": [f"Choose {SourceKind.values}."]}
        )
    name = (name or "").strip() or SourceKind(kind).label
    _settings_check(kind, settings)
    if kind == SourceKind.YELP and readable:
        _check_yelp(settings or {}, credentials or {})
    source = Source(
        kind=kind,
        name=name[:200],
        settings=settings or {},
        credentials_encrypted=encrypt_json(credentials or {}),
        poll_interval_minutes=poll_interval_minutes,
    )
    _, backlog = (
        source_backlog_choose(source, as_past=backlog_past)
        if backlog_past is not None
        else ({}, {})
    )
    with transaction.atomic():
        if refuse_same:
            _same_source_refused(source)
        if credentials:
            source_account_claim(kind=kind, settings=settings, name=name)
        source.save()
        added = [SourceKind(kind).label]
        if kind in POLLED_KINDS:  # a webhook, the API or a CSV is sent to us, never read
            added.append(f"read every {poll_interval_minutes} minutes")
        if settings:
            added.append(value_words(source_settings_words(settings)))
        if credentials:
            added.append("credentials set (hidden)")
        added += backlog_added_words(backlog)
        settings_changed(
            actor=actor,
            settings=source_setting_names(source),
            before={"added": None},
            after={"added": "added: " + "; ".join(added)},
        )
        if credentials:
            security_event_record(
                event=SOURCE_SECRET, detail={"source_id": source.pk, "kind": kind}
            )
            source_credentials_changed(source.pk)
    return source


def account_elsewhere_words(name: str, other: Clinic, here: Clinic) -> str:
    """Why a source may not read an account another clinic reads (`other`); that clinic is
    named only to its own agency."""
    who = f"“{other.name}”" if other.agency_id == here.agency_id else "another clinic"
    return (
        f"{name} is read by {who} already: one location, page or business belongs to one "
        "clinic, or its reviews would land in both and each could answer the other's. "
        "Disconnect it there first, or choose another. Nothing was changed."
    )


class AccountElsewhere(ValidationFailed):
    """The platform account a source would read is read by another clinic already
    (`source_account_claim`): a 400 on `settings` for the API; `text()` is the sentence a page
    shows, which names that clinic only to its own agency."""

    def __init__(self, sentence: str, other: Clinic | None = None):
        super().__init__("Another clinic reads this account.", fields={"settings": [sentence]})
        self.sentence = sentence
        self.other = other

    def text(self) -> str:
        return self.sentence


def source_account_claim(*, kind: str, settings: dict | None, name: str) -> None:
    """The one rule "one platform account belongs to one clinic", for every path that makes a
    source read an account (adding it, changing its settings, credentials or turning it on,
    connecting it): `AccountElsewhere` when another clinic reads the account `settings` name
    (`feeds.selectors.source_account_elsewhere`; a deactivated clinic holds none until it
    is reactivated: `sources_reclaim`); `name` is how the refusal calls it.

    Call it inside the transaction that saves the source, before saving: it takes a lock on
    the account (kind and id, in every clinic) held until that transaction ends, so a second
    clinic claiming the account at the same moment waits for this one to commit and is then
    refused, rather than both reading it. Several accounts in one transaction are claimed in
    one order (a page before its Instagram account)."""
    if not connection.in_atomic_block:
        raise RuntimeError("source_account_claim holds its lock until the transaction ends.")
    account = source_account(kind=kind, settings=settings)
    if not account:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('platform-account'), hashtext(%s))",
            [f"{kind}:{account}"],
        )
    here = current_clinic()
    other = source_account_elsewhere(kind=kind, settings=settings, clinic=here)
    if other is not None:
        raise AccountElsewhere(account_elsewhere_words(name, other, here), other=other)


def sources_reclaim(*, actor: Actor) -> list[tuple[Source, str]]:
    """The current clinic comes back (`clinics.lifecycle.clinic_reactivate`): while it was
    deactivated it read nothing, so the accounts its sources read were free
    (`source_account_elsewhere` passes over a deactivated clinic), and another clinic may have
    connected one. Each source that reads an account again (turned on, with credentials) claims
    it anew, under the claim's lock (`source_account_claim`); one whose account another clinic
    reads now is turned off, recorded in the settings history as `actor`'s, rather than the
    clinic being refused its return (it could not change its sources while deactivated, and the
    other clinic may be another agency's). Returns each source turned off with the sentence
    that says why and what to do. Call it inside the transaction that reactivates the clinic,
    after its row is active again: the locks are held until it commits."""
    here = current_clinic()
    reading = [
        source
        for source in Source.objects.filter(enabled=True)
        if source_account(kind=source.kind, settings=source.settings)
        and source_has_credentials(source)
    ]
    # one order for every transaction that claims several accounts (no deadlock)
    reading.sort(key=lambda s: (s.kind, source_account(kind=s.kind, settings=s.settings)))
    turned_off = []
    for source in reading:
        try:
            source_account_claim(kind=source.kind, settings=source.settings, name=source.name)
        except AccountElsewhere as exc:
            source_update(source=source, actor=actor, enabled=False)
            turned_off.append((source, reclaim_refused_words(source, exc.other, here)))
    return turned_off


def reclaim_refused_words(source: Source, other: Clinic | None, here: Clinic) -> str:
    """Why a source was turned off as its clinic came back (`sources_reclaim`); the other
    clinic is named only to its own agency."""
    who = (
        f"“{other.name}”"
        if other is not None and other.agency_id == here.agency_id
        else "another clinic"
    )
    return (
        f"{source.name} was turned off: {who} connected the same "
        f"{platform_name(source.kind)} account while {here.name} was deactivated, and one "
        "account is read by one clinic. Disconnect it there, then turn it on here on the "
        "Sources page."
    )


class SourceExists(Conflict):
    """The clinic has the source being added already (`Source.identity`); `source` is the one
    it has. The message is the API's; a page says it in its own words from `source`."""

    code = "source_exists"

    def __init__(self, source: Source):
        self.source = source
        state, change = ("", "Change it") if source.enabled else (", turned off", "Turn it on")
        super().__init__(
            f"This clinic has this source already: id {source.pk} (“{source.name}”, "
            f"{source.kind}{state}). {change} with PATCH sources/{source.pk}/, or give the new "
            "one another name."
        )


def _same_source_refused(source: Source) -> None:
    """`SourceExists` (409 `source_exists`) when the clinic has a source like `source` already
    (one at a time: two calls adding the same source cannot both pass)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':sources'))")
    same = next(
        (s for s in Source.objects.filter(kind=source.kind) if s.identity == source.identity),
        None,
    )
    if same is not None:
        raise SourceExists(same)


def _settings_check(kind: str, settings) -> None:
    """A source's new `settings`, as a person sent them (the API, the Sources page): a key
    its kind does not take, or a value of the wrong type, is refused by name with the keys it
    takes (`source_settings_problems`), and nothing is stored."""
    if problems := source_settings_problems(kind, settings or {}):
        raise ValidationFailed(
            "These settings are not the settings of this kind of source: nothing was changed.",
            fields=problems,
        )


def _check_yelp(settings: dict, credentials: dict) -> None:
    """A Yelp source is read with a business id and an API key and nothing else (no sign-in
    connects it): without them it could never work, so it is refused rather than stored."""
    from feeds.connectors.base import make_connector
    from feeds.connectors.errors import ConfigurationError

    try:
        make_connector("yelp", settings, credentials)
    except ConfigurationError as exc:
        field = "settings" if "business" in str(exc) or "limit" in str(exc) else "credentials"
        raise ValidationFailed(
            "This Yelp source could not read anything.", fields={field: [str(exc)]}
        ) from None


def webhook_url(clinic, source: Source) -> str:
    """The address an inbound webhook source receives at, absolute (PUBLIC_BASE_URL)."""
    return f"{django_settings.PUBLIC_BASE_URL}/hooks/{clinic.slug}/{source.pk}/"


SOURCE_EDITABLE = ("name", "settings", "enabled", "poll_interval_minutes")


def source_update(*, source: Source, actor: Actor, **changes) -> Source:
    """Change a source's name, settings, reading (on/off, how often) or credentials; each
    change is recorded in the settings history as `actor`'s (credentials only as set,
    replaced or removed). New `settings` are checked against the kind's
    (`feeds.source_settings`); the stored ones are not, so a change of name or reading
    never fails on a key stored before that check."""
    if "settings" in changes:
        _settings_check(source.kind, changes["settings"])
    if source.kind == SourceKind.YELP and ({"settings", "credentials"} & changes.keys()):
        _check_yelp(
            changes.get("settings", source.settings) or {},
            changes["credentials"] if "credentials" in changes else source_credentials(source),
        )
    names = source_setting_names(source)  # as it was called before a rename
    before = {name: getattr(source, name) for name in SOURCE_EDITABLE}
    before["settings"] = source_settings_words(source.settings)
    before["credentials"] = source_has_credentials(source)
    fields = []
    for name in SOURCE_EDITABLE:
        if name in changes:
            setattr(source, name, changes[name])
            fields.append(name)
    if "credentials" in changes:
        source.credentials_encrypted = encrypt_json(changes["credentials"] or {})
        fields.append("credentials_encrypted")
    if changes.get("enabled") or "credentials" in changes:
        source.is_healthy, source.consecutive_failures, source.next_poll_at = True, 0, None
        fields += ["is_healthy", "consecutive_failures", "next_poll_at"]
    reads_now = source.enabled and (
        bool(changes["credentials"]) if "credentials" in changes else source_has_credentials(source)
    )
    claims = reads_now and bool({"settings", "credentials", "enabled"} & changes.keys())
    after = {name: getattr(source, name) for name in SOURCE_EDITABLE if name in changes}
    if "settings" in after:
        after["settings"] = source_settings_words(source.settings)
    if "credentials" in changes:
        after["credentials"] = bool(changes["credentials"])
    with transaction.atomic():
        if claims:
            source_account_claim(kind=source.kind, settings=source.settings, name=source.name)
        source.save(update_fields=[*fields, "updated_at"])
        settings_changed(
            actor=actor,
            settings=names,
            before=before,
            after=after,
            hidden=("credentials",),
        )
        if "credentials" in changes:
            # Entered by hand: whatever an OAuth connection said about the tokens is void now.
            SourceConnection.objects.filter(source=source).delete()
            security_event_record(event=SOURCE_SECRET, detail={"source_id": source.pk})
            if changes["credentials"]:
                source_credentials_changed(source.pk)
        source_outages_sync([source.pk], by=actor.name)
    return source


def source_replies_by_hand_set(*, source: Source, by_hand: bool, actor: Actor) -> Source:
    """The agency posts replies on this channel by hand (or no longer does). Turned on, the
    outbox is told as for new credentials (`core.pipeline.source_credentials_changed`): what
    failed waiting for the channel to be connected is sent again and, this channel being
    posted by hand now, goes to "To post by hand". Turned off, replies approved from then on
    are posted by Carewatch; those already to post by hand stay there. The settings history
    records the change as `actor`'s."""
    if source.replies_by_hand == by_hand:
        return source
    with transaction.atomic():
        source.replies_by_hand = by_hand
        source.save(update_fields=["replies_by_hand", "updated_at"])
        settings_changed(
            actor=actor,
            settings=source_setting_names(source),
            before={"replies_by_hand": not by_hand},
            after={"replies_by_hand": by_hand},
        )
        if by_hand:
            source_credentials_changed(source.pk)
    return source


def source_credentials(source: Source) -> dict:
    """The source's credentials, decrypted; for a source connected with OAuth, with what the
    connector needs from the agency's app (client id and secret, token address) added from
    the server's settings."""
    return app_credentials(source, decrypt_json(source.credentials_encrypted))


# What the connectors need besides the stored tokens comes from the server's settings, so a
# rotated app secret applies to every source at once and is never copied into a clinic.
def app_credentials(source: Source, stored: dict) -> dict:
    """`stored` plus what the connector needs from the agency's app (OAuth-connected sources)."""
    if not stored or source.kind not in (SourceKind.GOOGLE, SourceKind.FACEBOOK):
        return stored
    if source.kind == SourceKind.GOOGLE and stored.get("refresh_token") and stored.get("oauth"):
        return {
            **stored,
            "client_id": django_settings.GOOGLE_OAUTH_CLIENT_ID,
            "client_secret": django_settings.GOOGLE_OAUTH_CLIENT_SECRET,
            "token_uri": django_settings.GOOGLE_OAUTH_TOKEN_URL,
        }
    if (
        source.kind == SourceKind.FACEBOOK
        and stored.get("oauth")
        and django_settings.FACEBOOK_APP_SECRET
    ):
        return {**stored, "app_secret": django_settings.FACEBOOK_APP_SECRET}
    return stored


APP_FIELDS = ("client_id", "client_secret", "token_uri", "app_secret")


def source_credentials_renewed(*, source_id: int, credentials: dict) -> None:
    """A connector renewed the source's token on its own (Google, on a 401): store it,
    without the app's fields that `source_credentials` added."""
    kept = dict(credentials)
    if kept.get("oauth"):  # the app's fields come from the settings; only the tokens are kept
        kept = {k: v for k, v in kept.items() if k not in APP_FIELDS}
    # updated_at: the connection changed, so a retry of what failed for it may work now
    # (`feeds.selectors.source_connection_changed_at`)
    Source.objects.filter(pk=source_id).update(
        credentials_encrypted=encrypt_json(kept), updated_at=timezone.now()
    )
    source_credentials_changed(source_id)
