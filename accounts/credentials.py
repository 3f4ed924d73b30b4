"""API credentials: per-clinic or per-agency API keys and personal tokens.

A secret looks like `cwk_<prefix>_<random>` (API key) or `cwt_<prefix>_<random>` (personal
token). Only the prefix (for lookup) and a SHA-256 digest of the whole secret are stored; the
secrets are 256-bit random, so a fast hash is the right one (no salt or KDF needed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.audit import security_event_record
from accounts.models import ApiKey, PersonalToken, RotationGrace, Scope, SecurityEventCode, User
from core import fastcache
from core.errors import Conflict, ValidationFailed
from core.text import control_problem

API_KEY_KIND = "cwk"
TOKEN_KIND = "cwt"  # noqa: S105 - a prefix, not a secret
_LAST_USED_RESOLUTION = timedelta(minutes=1)
_NAME_LOCK = -7420  # pg_advisory_xact_lock(key, place): creating a key in one place
# How long the old secret of a rotated key keeps working (`RotationGrace`)
ROTATION_GRACE_SPANS = {
    RotationGrace.NONE: timedelta(0),
    RotationGrace.HOUR: timedelta(hours=1),
    RotationGrace.DAY: timedelta(hours=24),
    RotationGrace.WEEK: timedelta(days=7),
}
ROTATION_GRACE_HELP = "Choose how long the old secret keeps working: none, 1h, 24h or 7d."


@dataclass(frozen=True)
class IssuedSecret:
    """What the caller shows once and never again."""

    secret: str
    prefix: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret(kind: str) -> IssuedSecret:
    prefix = secrets.token_hex(6)
    return IssuedSecret(secret=f"{kind}_{prefix}_{secrets.token_urlsafe(32)}", prefix=prefix)


def _split(secret: str) -> tuple[str, str] | None:
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] not in {API_KEY_KIND, TOKEN_KIND}:
        return None
    return parts[0], parts[1]


def _validate_scopes(scopes: list[str]) -> list[str]:
    allowed = set(Scope.values)
    unknown = [scope for scope in scopes if scope not in allowed]
    if unknown or not scopes:
        raise ValidationFailed(
            "Invalid scopes.",
            fields={"scopes": [f"Choose one or more of {', '.join(Scope.values)}."]},
        )
    return sorted(set(scopes), key=Scope.values.index)


@transaction.atomic
def api_key_create(
    *,
    agency,
    clinic=None,
    name: str,
    scopes: list[str],
    created_by: User | None = None,
    rotated_from: ApiKey | None = None,
) -> tuple[ApiKey, IssuedSecret]:
    """Create a key for `clinic` (or, without one, for the whole `agency`). The returned
    secret is the only copy: it cannot be read back later. A second working key with the same
    name (case aside) in the same place (the clinic, or the agency itself) is refused: a
    reloaded form or a double click must not leave two keys nobody can tell apart."""
    if clinic is not None and clinic.agency_id != agency.id:
        raise ValidationFailed("The clinic belongs to another agency.")
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationFailed("A name is required.", fields={"name": ["This field is required."]})
    if problem := control_problem(name, one_line=True):
        raise ValidationFailed("Invalid name.", fields={"name": [problem]})
    with connection.cursor() as cursor:
        # one creation at a time per place, so two at once cannot both pass the check below
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s::int, %s::int)",
            [_NAME_LOCK, clinic.pk if clinic is not None else -agency.pk],
        )
    # the old keys of rotations (still working in their grace period) carry the name too
    same_name = ApiKey.objects.working().filter(
        agency=agency, clinic=clinic, name__iexact=name, replaced_by__isnull=True
    )
    if rotated_from is not None:
        same_name = same_name.exclude(pk=rotated_from.pk)
    if same_name.exists():
        raise ValidationFailed(
            "A working key has this name already.",
            fields={"name": [f"A working key is named “{name}” already: choose another name."]},
        )
    issued = _new_secret(API_KEY_KIND)
    key = ApiKey.objects.create(
        agency=agency,
        clinic=clinic,
        name=name,
        prefix=issued.prefix,
        digest=_digest(issued.secret),
        scopes=_validate_scopes(scopes),
        created_by=created_by,
    )
    security_event_record(
        event=SecurityEventCode.API_KEY_ISSUED,
        actor=created_by,
        agency_id=agency.pk,
        clinic_id=clinic.pk if clinic is not None else None,
        clinic_name=clinic.name if clinic is not None else "",
        detail={
            "key_id": key.pk,
            "prefix": key.prefix,
            "name": key.name,
            "scopes": key.scopes,
            **({"rotated_from": rotated_from.prefix} if rotated_from is not None else {}),
        },
    )
    return key, issued


def _utc(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _clinic_name(api_key: ApiKey) -> str:
    """The name of the clinic a key is bound to, for the security log ("" for an agency key)."""
    return api_key.clinic.name if api_key.clinic_id is not None else ""


def _locked(api_key: ApiKey) -> ApiKey:
    """`api_key` with its state re-read under a row lock (two people, or a rotation and a
    revocation, acting on the same key at once)."""
    ApiKey.objects.select_for_update().filter(pk=api_key.pk).first()
    api_key.refresh_from_db(fields=["revoked_at", "expires_at", "replaced_by"])
    return api_key


def _successor_working(api_key: ApiKey, now) -> ApiKey | None:
    """The newest key of `api_key`'s rotations, when it still works."""
    successor = api_key.replaced_by
    while successor is not None and successor.replaced_by_id is not None:
        successor = successor.replaced_by
    return successor if successor is not None and successor.works(now) else None


@transaction.atomic
def api_key_rotate(
    *, api_key: ApiKey, by: User | None, grace: str = RotationGrace.DAY
) -> tuple[ApiKey, IssuedSecret]:
    """Issue `api_key`'s successor: a new key (new id and secret) with the same binding, name
    and scopes, recorded as `api_key.replaced_by`. The old secret keeps working for `grace`
    (`RotationGrace`: none, 1h, 24h, 7d), until `api_key.expires_at`, which authentication
    checks (nothing needs to run when it passes); with none it is revoked at once. The new
    secret is issued to `by`, who rotated it: they are its creator and the security log's
    issuer (a key first created by someone who has left is not re-issued in their name). A
    bad `grace` (400 `grace`) or a key revoked or rotated already (409) changes nothing."""
    if not isinstance(grace, str) or grace not in ROTATION_GRACE_SPANS:
        raise ValidationFailed("Unknown grace period.", fields={"grace": [ROTATION_GRACE_HELP]})
    now = timezone.now()
    api_key = _locked(api_key)
    if not api_key.works(now):
        raise Conflict(_not_rotated_words(api_key, now), code="already_revoked")
    if api_key.replaced_by_id is not None:
        successor = _successor_working(api_key, now)
        detail = (
            f"This key was rotated already: its old secret works until {_utc(api_key.expires_at)}"
        )
        if successor is not None:
            detail += f"; rotate key {successor.pk} ({successor.prefix}…), which replaced it"
        raise Conflict(detail + ".", code="already_rotated")
    span = ROTATION_GRACE_SPANS[RotationGrace(grace)]
    if not span:
        api_key_revoke(api_key=api_key)
    new_key, issued = api_key_create(
        agency=api_key.agency,
        clinic=api_key.clinic,
        name=api_key.name,
        scopes=list(api_key.scopes),
        created_by=by,
        rotated_from=api_key,
    )
    api_key.replaced_by = new_key
    fields = ["replaced_by", "updated_at"]
    if span:
        api_key.expires_at = now + span
        fields.append("expires_at")
    api_key.save(update_fields=fields)
    ends = api_key.expires_at or api_key.revoked_at
    security_event_record(
        event=SecurityEventCode.API_KEY_ROTATED,
        actor=by,
        agency_id=api_key.agency_id,
        clinic_id=api_key.clinic_id,
        clinic_name=_clinic_name(api_key),
        detail={
            "key_id": api_key.pk,
            "prefix": api_key.prefix,
            "name": api_key.name,
            "new_prefix": new_key.prefix,
            "grace": str(grace),
            "old_secret_ends_at": ends.isoformat(),
        },
    )
    return new_key, issued


def api_key_revoke(*, api_key: ApiKey, reason: str = "") -> ApiKey:
    """Revoke a working key, and with it the old secrets of its rotations still in their grace
    period (revoking a key ends every secret of it at once). On the old key of a rotation
    (still in its grace period) this stops the old secret now: the key that replaced it keeps
    working (the security log says "old secret stopped early"). A key that no longer works
    (revoked, rotated without grace, or past its grace period) is a 409 `already_revoked` that
    names its successor, if rotation made one: revoking the old id never stops the key that
    replaced it, and the caller must learn that."""
    now = timezone.now()
    with transaction.atomic():
        api_key = _locked(api_key)
        if not api_key.works(now):
            raise Conflict(_ended_words(api_key, now), code="already_revoked")
        api_key.revoked_at = now
        fields = ["revoked_at", "updated_at"]
        if api_key.expires_at is not None:  # an old secret stopped early: it ends now, not then
            api_key.expires_at = now
            fields.append("expires_at")
        api_key.save(update_fields=fields)
        early = api_key.replaced_by_id is not None
        security_event_record(
            event=SecurityEventCode.API_KEY_OLD_ENDED
            if early
            else SecurityEventCode.API_KEY_REVOKED,
            agency_id=api_key.agency_id,
            clinic_id=api_key.clinic_id,
            clinic_name=_clinic_name(api_key),
            detail={
                "key_id": api_key.pk,
                "prefix": api_key.prefix,
                "name": api_key.name,
                **({"new_prefix": api_key.replaced_by.prefix} if early else {}),
                **({"reason": reason} if reason else {}),
            },
        )
        for older in ApiKey.objects.working(now).filter(replaced_by=api_key):
            api_key_revoke(api_key=older, reason="successor_revoked")
    return api_key


def _not_rotated_words(api_key: ApiKey, now) -> str:
    """Why a key that no longer works cannot be rotated, and what to rotate instead."""
    if api_key.replaced_by_id is None:
        return (
            f"This key was revoked ({_utc(api_key.revoked_at)}): it cannot be rotated. Create a "
            "new key instead."
        )
    successor = _successor_working(api_key, now)
    stopped = f"This key was rotated and its old secret stopped working ({_utc(api_key.ended_at)})"
    if successor is None:
        return f"{stopped}; the keys that replaced it are revoked too. Create a new key instead."
    return f"{stopped}: rotate key {successor.pk} ({successor.prefix}…), which replaced it."


def _ended_words(api_key: ApiKey, now) -> str:
    """Why a key that no longer works cannot be revoked, naming the key that still works."""
    if api_key.replaced_by_id is None:
        return f"This key was already revoked ({_utc(api_key.revoked_at)})."
    when = _utc(api_key.replaced_by.created_at)
    successor = _successor_working(api_key, now)
    if successor is None:
        return f"This key was rotated ({when}) and its successors are revoked too."
    return (
        f"This key was rotated ({when}) and its old secret stopped working "
        f"({_utc(api_key.ended_at)}): key {successor.pk} ({successor.prefix}…) replaced it and "
        "still works. Revoke that one to stop access."
    )


def token_create(*, user: User, name: str, ttl: timedelta) -> tuple[PersonalToken, IssuedSecret]:
    """A personal token; every token expires (`ttl`). Callers go through
    `accounts.services.user_token_issue`, which logs it."""
    issued = _new_secret(TOKEN_KIND)
    token = PersonalToken.objects.create(
        user=user,
        name=(name or "API token")[:100],
        prefix=issued.prefix,
        digest=_digest(issued.secret),
        expires_at=timezone.now() + ttl,
    )
    return token, issued


def _touch(obj) -> None:
    now = timezone.now()
    if obj.last_used_at is None or now - obj.last_used_at > _LAST_USED_RESOLUTION:
        type(obj).objects.filter(pk=obj.pk).update(last_used_at=now)
        obj.last_used_at = now
        if isinstance(obj, ApiKey):
            fastcache.set_object(_api_key_cache_key(obj.prefix), obj, ttl=API_KEY_CACHE_SECONDS)


# Active API keys are cached in Redis by prefix: the lookup ran on every integrator request.
# Any save or delete of a key (revoke, rotate) drops its entry at once and again at commit,
# so a revoked key stops working on every web process immediately. Personal tokens are not
# cached (a user's deactivation must end them at once too).
API_KEY_CACHE_SECONDS = 300


def _api_key_cache_key(prefix: str) -> str:
    return f"carewatch:api-key:{prefix}"


def _api_key_active(
    prefix: str, counter: tuple[str, int] | None
) -> tuple[ApiKey | None, int | None]:
    """The active key of `prefix` (Redis, else the database), and the count of `counter` when
    one is given, in the same Redis round trip."""
    key = _api_key_cache_key(prefix)
    if counter is None:
        obj, count = fastcache.get_object(key), None
    else:
        obj, count = fastcache.get_object_and_count(key, counter[0], ttl=counter[1])
    if obj is not None:
        return obj, count
    obj = (
        ApiKey.objects.select_related("agency", "clinic")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if obj is not None and not transaction.get_connection().in_atomic_block:
        fastcache.set_object(key, obj, ttl=API_KEY_CACHE_SECONDS)
    return obj, count


def _api_key_forget(sender, instance, **_kwargs) -> None:
    key = _api_key_cache_key(instance.prefix)
    fastcache.delete(key)
    transaction.on_commit(lambda: fastcache.delete(key))


post_save.connect(_api_key_forget, sender=ApiKey, dispatch_uid="api-key-forget-save")
post_delete.connect(_api_key_forget, sender=ApiKey, dispatch_uid="api-key-forget-delete")


def api_key_prefix(secret: str) -> str | None:
    """The prefix of what looks like an API key (not verified), else None."""
    split = _split(secret.strip())
    return split[1] if split is not None and split[0] == API_KEY_KIND else None


def credential_authenticate(
    secret: str, *, counter: tuple[str, int] | None = None
) -> ApiKey | PersonalToken | None:
    """The active API key or personal token for `secret`, or None. Constant-time compare.

    With `counter` (a rate counter of the API key whose prefix `secret` carries, and its
    lifetime), the key's lookup also counts this request, in the same Redis round trip; the
    count is on the returned key as `rate_counted`, and is taken back when `secret` turns out
    not to be a valid key."""
    split = _split(secret.strip())
    if split is None:
        return None
    kind, prefix = split
    now = timezone.now()
    count = None
    if kind == API_KEY_KIND:
        obj, count = _api_key_active(prefix, counter)
        if obj is not None and obj.expires_at is not None and obj.expires_at <= now:
            obj = None  # the old secret of a rotation, past its grace period: as revoked
    else:
        obj = (
            PersonalToken.objects.select_related("user")
            .filter(prefix=prefix, revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if obj is not None and (obj.expires_at is None or obj.expires_at <= now):
            obj = None  # every token expires (tokens made before expiry was required, too)
    if obj is None or not hmac.compare_digest(obj.digest, _digest(secret.strip())):
        if count is not None:
            fastcache.uncount(counter[0])  # not this key's request
        return None
    _touch(obj)
    if count is not None:
        obj.rate_counted = (counter[0], count)
    return obj
