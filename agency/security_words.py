"""The security log's details in words, for the owners' page (`/agency/security-log/`). The log
keeps them as data (`SecurityEvent.detail`, exported as JSON in the CSV); the page says them:
`{"reason": "locked", "channel": "web"}` reads "refused: the account is locked · via the web".
"""

from __future__ import annotations

from datetime import UTC, datetime

from accounts.models import SecurityEventCode as Code
from accounts.services import SIGNIN_IP_WINDOW_SECONDS

CHANNELS = {
    "web": "via the web",
    "api": "via the API",
    "password_link": "with the password just chosen through the e-mailed link",
}
REFUSALS = {
    "wrong_password": "refused: wrong password",
    "wrong_otp": "refused: wrong two-factor code",
    "locked": "refused: the account is locked",
    "inactive": "refused: the account is switched off",
    "unknown_account": "refused: no account has this e-mail",
}
TOKEN_REVOKED_BECAUSE = {
    "revoked": "revoked by its holder",
    "revoked_by_owner": "revoked by its holder",
    "membership_removed": "because the person lost their access",
    "deactivated": "because the account was switched off",
    "password_changed": "because the password was changed",
    "two_factor_reset": "because their two-factor sign-in was reset",
    "creator_removed": "because the person who created it was removed",
    "successor_revoked": "because the key that replaced it was revoked",
}
SIGNED_OUT_BECAUSE = {
    "membership_removed": "because they were removed (their access ended)",
    "two_factor_reset": "because their two-factor sign-in was reset",
    "deactivated": "because the account was switched off",
}
# How long the old secret of a rotated key kept working (`accounts.models.RotationGrace`)
GRACES = {
    "none": "the old secret stopped at once",
    "1h": "the old secret works 1 more hour",
    "24h": "the old secret works 24 more hours",
    "7d": "the old secret works 7 more days",
}
SECOND_FACTORS = {
    "authenticator": "with the authenticator app",
    "backup_code": "with a backup code",
}


def _utc_words(value) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _roles(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return str(value) if value else "none"


def _plural(count: int, one: str) -> str:
    return f"{count} {one}{'' if count == 1 else 's'}"


def _names(value, most: int = 10) -> str:
    """Clinic names as a short list: the first `most`, then how many more."""
    names = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    if len(names) > most:
        return ", ".join(names[:most]) + f" and {len(names) - most} more"
    return ", ".join(names)


def _clinics_only(event: str, detail: dict) -> bool:
    """A change of a staff member's clinics logged, before `member.clinics_changed` existed,
    as a role change with the clinics before and after and no role before and after (the log
    is append-only: those lines stay as they were written)."""
    return (
        event == Code.MEMBER_ROLE_CHANGED
        and ("clinics_from" in detail or "clinics_to" in detail)
        and "from" not in detail
        and "to" not in detail
    )


def event_words(event: str, detail: dict | None, actor: str = "") -> str:
    """What happened, as the page's first column says it: the event's name, except that a
    change of the clinics someone works on is not called a role change, and that sessions
    someone else ended (a removal, a two-factor reset: `reason` set) were not the person's own
    "signed out everywhere else" but a sign-out by `actor` (the one who acted)."""
    detail = dict(detail or {})
    if _clinics_only(event, detail):
        return "Clinics changed"
    if event == Code.SESSIONS_ENDED and detail.get("reason"):
        return f"Signed out everywhere by {actor}" if actor else "Signed out everywhere"
    try:
        return str(Code(event).label)
    except ValueError:
        return event


def detail_words(event: str, detail: dict | None) -> str:
    """`detail` of an event `event` as one short line of words ("" when there is none). Keys
    this does not know are said as "key: value", never as Python or JSON text."""
    detail = dict(detail or {})
    words: list[str] = []
    clinics_only = _clinics_only(event, detail)

    def take(key: str, default=None):
        return detail.pop(key, default)

    reason = take("reason")
    if reason is not None:
        if event == Code.SESSIONS_ENDED:
            words.append(SIGNED_OUT_BECAUSE.get(reason, f"reason: {reason}"))
        elif event in (
            Code.TOKEN_REVOKED,
            Code.API_KEY_REVOKED,
            Code.API_KEY_OLD_ENDED,
        ):
            words.append(TOKEN_REVOKED_BECAUSE.get(reason, f"reason: {reason}"))
        else:
            words.append(REFUSALS.get(reason, f"refused: {str(reason).replace('_', ' ')}"))
    channel = take("channel")
    if channel is not None:
        words.append(CHANNELS.get(channel, f"via {channel}"))
    second = take("second_factor")
    if second is not None:
        words.append(SECOND_FACTORS.get(second, f"with {second}"))
    limit = take("limit")
    if limit is not None:
        window = _plural(SIGNIN_IP_WINDOW_SECONDS // 60, "minute")
        words.append(f"more than {limit} sign-ins from this address within {window}")
    minutes = take("minutes")
    if minutes is not None:
        words.append(f"for {_plural(int(minutes), 'minute')}")

    name, prefix = take("name"), take("prefix")
    key_id, token_id = take("key_id"), take("token_id")
    if key_id is not None:
        words.insert(0, f"key “{name}” (cwk_{prefix}_…)" if name else f"key cwk_{prefix}_…")
    elif token_id is not None:
        words.insert(0, f"token “{name}” (cwt_{prefix}_…)" if name else f"token cwt_{prefix}_…")
    scopes = take("scopes")
    if scopes is not None:
        words.append(f"scopes: {_roles(scopes)}")
    token_ids = take("token_ids")
    if token_ids is not None:
        words.insert(0, _plural(len(token_ids), "token"))

    if event in (Code.MEMBER_ROLE_CHANGED, Code.CRISIS_ROLES_CHANGED) and (
        "from" in detail or "to" in detail
    ):
        before, after = take("from"), take("to")
        what = "crisis roles" if event == Code.CRISIS_ROLES_CHANGED else "role"
        words.append(f"{what} from {_roles(before)} to {_roles(after)}")
    clinics_from, clinics_to = take("clinics_from"), take("clinics_to")
    take("clinic_ids")  # the CSV keeps them; the page names the clinics
    take("clinic_name")  # the page's Clinic column names it (the CSV's `clinic` too)
    if clinics_from is not None or clinics_to is not None:
        words.append(f"clinics from {clinics_from or 'none'} to {clinics_to or 'none'}")
    if event == Code.MEMBER_CLINICS_CHANGED:
        added, removed = take("added"), take("removed")
        if added:
            words.append(f"added: {_names(added)}")
        if removed:
            words.append(f"removed: {_names(removed)}")
    role = take("role")
    crisis = take("crisis_roles")
    if role is not None:
        if event == Code.MEMBER_REMOVED:
            words.append(f"was {role}")
        elif clinics_only:
            words.append(f"role unchanged: {role}")
        else:
            words.append(f"as {role}")
    if crisis is not None:
        words.append(f"crisis roles: {_roles(crisis)}")

    source = take("source_id")
    if source is not None:
        kind = take("kind")
        words.insert(0, f"{kind} source {source}" if kind else f"source {source}")
    if take("via") == "oauth":
        words.append("connected by signing in to the platform")
    if take("disconnected"):
        words.append("disconnected")
    subscription = take("subscription_id")
    if subscription is not None:
        words.insert(0, f"webhook subscription {subscription}")
    rotated_from = take("rotated_from")
    if rotated_from is not None:
        words.append(f"rotated from cwk_{rotated_from}_…")
    new_prefix = take("new_prefix")
    if new_prefix is not None:
        words.append(f"new key cwk_{new_prefix}_…")
    grace, ends = take("grace"), take("old_secret_ends_at")
    if grace is not None:
        words.append(GRACES.get(grace, f"grace: {grace}"))
    if ends is not None and grace != "none":
        words.append(f"until {_utc_words(ends)}")
    if take("rotated"):
        words.append("secret rotated")
    mailed = take("mailed")
    if mailed is not None:
        words.append("e-mail sent" if mailed else "the e-mail could not be sent")

    for key, value in detail.items():
        shown = _roles(value) if isinstance(value, list | tuple) else value
        words.append(f"{str(key).replace('_', ' ')}: {shown}")
    return " · ".join(words)
