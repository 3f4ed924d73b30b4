from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from accounts.audit import (  # noqa: F401 - security_event_record is this module's service
    client_ip,
    security_event_record,
    security_request_bind,
    security_request_unbind,
)
from accounts.credentials import token_create
from accounts.models import PersonalToken, SecurityEventCode, User, WithdrawnInvitation
from accounts.selectors import (
    two_factor_reset_pending_since,
    user_has_confirmed_device,
    user_is_agency_staff,
    user_needs_otp,
)
from accounts.tokens import password_link_generator
from core import fastcache
from core.branding import person_brand
from core.errors import DomainError, ValidationFailed
from core.mail import Mail
from core.text import one_line_problem

logger = logging.getLogger(__name__)


def user_get_or_create(*, email: str, full_name: str, password: str | None = None) -> User:
    """The user with this e-mail (case-insensitive), created if missing. An existing user's
    password is never changed here. Two calls at once for a new e-mail get the same user."""
    email = (email or "").strip().lower()
    full_name = (full_name or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            "Invalid e-mail.", fields={"email": ["Enter a valid e-mail."]}
        ) from None
    problems = {}
    for field, value in (("email", email), ("full_name", full_name)):
        limit = User._meta.get_field(field).max_length
        if len(value) > limit:
            problems[field] = [f"At most {limit} characters (this is {len(value)})."]
    if problems:
        raise ValidationFailed("Too long.", fields=problems)
    if problem := one_line_problem(full_name):  # names reach e-mails' subjects and greetings
        raise ValidationFailed("Invalid name.", fields={"full_name": [problem]})
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on
            return User.objects.create_user(email, password, full_name=full_name)
    except IntegrityError:
        # the same person, created meanwhile by a request like this one (the unique e-mail)
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise
        return user


# --- sign-in: lockout, per-address limit --------------------------------------------------------

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SIGNIN_PER_IP = 20
SIGNIN_IP_WINDOW_SECONDS = 15 * 60
SIGN_IN_FAILED = (
    "E-mail or password is wrong, or the account is locked for 15 minutes after repeated failures "
    "(resetting the password unlocks it at once)."
)


class SignInFailed(DomainError):
    """Wrong e-mail, password or code, or a locked or inactive account: one answer for all."""

    status_code = 401
    code = "authentication_failed"


class SignInThrottled(DomainError):
    status_code = 429
    code = "throttled"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


class OtpRequired(ValidationFailed):
    code = "otp_required"


class OtpNotSetUp(DomainError):
    """The password was right, but the person must use two-factor sign-in and has no
    authenticator yet: a token needs one, and only the web sets one up."""

    status_code = 403
    code = "otp_not_set_up"


@lru_cache(maxsize=4)
def _dummy_hash(algorithm: str) -> str:
    return make_password("not the password of anyone", hasher=algorithm)


def _ip_counter(ip: str) -> str:
    return f"carewatch:throttle:signin-ip:{ip or 'unknown'}"


def _ip_count(ip: str, *, email: str, channel: str) -> None:
    """Count a sign-in attempt from `ip`; SignInThrottled beyond SIGNIN_PER_IP a window. Fails
    open when Redis is unreachable (the per-account lockout, in PostgreSQL, still holds)."""
    key = _ip_counter(ip)
    try:
        count = fastcache.count(key, ttl=SIGNIN_IP_WINDOW_SECONDS)
    except Exception:  # noqa: BLE001 - see the docstring
        return
    if count <= SIGNIN_PER_IP:
        return
    try:
        retry_after = max(int(fastcache.client().ttl(key)), 1)
    except Exception:  # noqa: BLE001
        retry_after = SIGNIN_IP_WINDOW_SECONDS
    if count == SIGNIN_PER_IP + 1:  # once per window, not once per refused attempt
        security_event_record(
            event=SecurityEventCode.LOGIN_THROTTLED,
            actor_email=email,
            detail={"channel": channel, "limit": SIGNIN_PER_IP},
        )
    minutes = -(-retry_after // 60)
    raise SignInThrottled(
        f"Too many sign-in attempts from your network. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}.",
        retry_after=retry_after,
    )


_RESERVE_SQL = """
UPDATE {table} SET
    failed_login_count = CASE WHEN locked_until <= %(now)s THEN 1 ELSE failed_login_count + 1 END,
    locked_until = CASE WHEN locked_until <= %(now)s THEN NULL ELSE locked_until END
WHERE id = %(id)s
RETURNING failed_login_count, locked_until
"""


@dataclass(frozen=True)
class _Attempt:
    user: User | None
    slot: int
    may_evaluate: bool


def _attempt_reserve(user: User | None) -> _Attempt:
    """Count the attempt before looking at the password: one atomic UPDATE, so however many
    arrive at once, only attempts 1..MAX_FAILED_LOGINS of a lockout period are evaluated (an
    expired lock starts a new period). An unknown account does the same statement."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _RESERVE_SQL.format(table=User._meta.db_table),
            {"now": now, "id": user.pk if user is not None else 0},
        )
        row = cursor.fetchone()
    if user is None or row is None:
        return _Attempt(user=None, slot=0, may_evaluate=False)
    slot, locked_until = row
    if locked_until is not None and locked_until > now:
        return _Attempt(user=user, slot=slot, may_evaluate=False)
    if slot > MAX_FAILED_LOGINS:
        _lock(user, now)  # the attempt that reached the limit is still being evaluated
        return _Attempt(user=user, slot=slot, may_evaluate=False)
    return _Attempt(user=user, slot=slot, may_evaluate=True)


def _lock(user: User, now) -> bool:
    """Lock for LOCKOUT; the count starts again (attempts meanwhile are refused by the lock,
    and clearing `locked_until` by hand unlocks at once)."""
    locked = (
        User.objects.filter(pk=user.pk)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(locked_until=now + LOCKOUT, failed_login_count=0)
    )
    if locked:
        security_event_record(
            event=SecurityEventCode.LOGIN_LOCKED,
            actor=user,
            detail={"minutes": int(LOCKOUT.total_seconds() // 60)},
        )
        lockout_notice(user=user, until=now + LOCKOUT)
    return bool(locked)


def lockout_notice(*, user: User, until) -> None:
    """Tell the person, once per lockout (`_lock` locks once a period), that their account was
    locked: what happened, when it unlocks, the reset link that unlocks it at once, and what
    to do when it was not them (someone is guessing their password)."""
    minutes = int(LOCKOUT.total_seconds() // 60)
    security_change_notice(
        user=user,
        subject="Your {brand} account is locked for 15 minutes",
        what=f"Your account was locked after {MAX_FAILED_LOGINS} wrong passwords or codes in a "
        f"row. It unlocks by itself at {until:%Y-%m-%d %H:%M} UTC ({minutes} minutes); "
        "resetting your password unlocks it at once",
        not_you="If this was not you, someone is trying to guess your password: reset it now "
        "(the link above) and tell your agency's owner. Nobody signed in: a locked account "
        "accepts no password.",
    )


def _attempt_failed(attempt: _Attempt) -> None:
    if attempt.user is not None and attempt.may_evaluate and attempt.slot >= MAX_FAILED_LOGINS:
        _lock(attempt.user, timezone.now())


def _attempt_succeeded(attempt: _Attempt) -> None:
    # Only when no other attempt was counted meanwhile: concurrent guesses keep their count.
    User.objects.filter(pk=attempt.user.pk, failed_login_count=attempt.slot).update(
        failed_login_count=0, locked_until=None
    )


def _attempt_release(attempt: _Attempt) -> None:
    """The password was right but the request was incomplete (no code): not a guess."""
    User.objects.filter(pk=attempt.user.pk).update(
        failed_login_count=Greatest(F("failed_login_count") - 1, 0)
    )


def user_authenticate(
    *,
    email: str,
    password: str,
    ip: str = "",
    channel: str = "web",
    otp: str | None = None,
    otp_now: bool = False,
) -> User:
    """The active user with this e-mail and password, or SignInFailed; SignInThrottled when
    `ip` made more than SIGNIN_PER_IP attempts in the window.

    An unknown account, a locked one, an inactive one and a wrong password do the same work
    (one password hash, the same statements) and give the same answer. With `otp_now` (the
    token API: there is no later step) people who must use two-factor also need `otp`, a
    current code or a backup code: OtpRequired without one, SignInFailed for a wrong one,
    which counts towards the lockout like a wrong password (its message says when the code was
    right but already used), and OtpNotSetUp when they have no authenticator yet (only after
    the right password, so it tells a guesser nothing)."""
    email = (email or "").strip()
    _ip_count(ip, email=email, channel=channel)
    user = User.objects.filter(email__iexact=email).first() if email else None
    attempt = _attempt_reserve(user)
    if attempt.may_evaluate:
        ok = user.check_password(password or "") and user.is_active
        reason = "wrong_password" if user.is_active else "inactive"
    else:
        check_password(password or "", _dummy_hash(get_hasher().algorithm))
        ok = False
        reason = "locked" if user is not None else "unknown_account"
    code_used = False
    if ok and otp_now and user_needs_otp(user):
        if not user_has_confirmed_device(user):
            # not a guess (the password was right) and nothing to guess: no code can pass
            _attempt_release(attempt)
            setup = settings.PUBLIC_BASE_URL + reverse(
                "accounts:otp-setup", urlconf=settings.PUBLIC_SCHEMA_URLCONF
            )
            raise OtpNotSetUp(
                f"Set up two-factor sign-in on the web first: {setup} (sign in there, add an "
                "authenticator app), then send its current code as otp.",
                fields={"otp": [f"You have no authenticator app yet: set one up at {setup}."]},
            )
        if not (otp or "").strip():
            _attempt_release(attempt)
            raise OtpRequired(
                "A two-factor code is required.",
                fields={
                    "otp": ["Enter the current code of your authenticator app, or a backup code."]
                },
            )
        if otp_verify(user=user, token=otp) is None:
            ok, reason = False, "wrong_otp"
            code_used = otp_already_used(user=user, token=otp)
    if not ok:
        _attempt_failed(attempt)
        security_event_record(
            event=SecurityEventCode.LOGIN_FAILED,
            actor=user,
            actor_email=email,
            detail={"channel": channel, "reason": reason},
        )
        if reason == "wrong_otp" and code_used:
            raise SignInFailed(
                "That two-factor code was already used: wait for the next code (a new one "
                "comes every 30 seconds).",
                code="otp_invalid",
                fields={"otp": ["Already used: wait for the next code of your app."]},
            )
        if reason == "wrong_otp":
            raise SignInFailed(
                "The two-factor code is not right (or you tried too often: wait a little).",
                code="otp_invalid",
                fields={"otp": ["That code is not right. Enter the current code."]},
            )
        raise SignInFailed(SIGN_IN_FAILED)
    code_to_follow = not otp_now and user_needs_otp(user)
    if code_to_follow:
        # a right password is not a guess: its own count goes, but it does not clear the
        # count of wrong codes (the code step that follows does). Five sign-ins left at the
        # code step locked the account although nothing wrong was typed
        _attempt_release(attempt)
    else:
        _attempt_succeeded(attempt)
    fastcache.uncount(_ip_counter(ip))  # a successful sign-in does not use up the budget
    security_event_record(
        event=SecurityEventCode.LOGIN_PASSWORD_OK if code_to_follow
        else SecurityEventCode.LOGIN_SUCCEEDED,
        actor=user,
        detail={"channel": channel},
    )  # fmt: skip
    return user


def user_is_locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > timezone.now())


def user_unlock(*, user: User) -> None:
    """Clear the failed-login lockout (after a password reset proved the mailbox)."""
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)


def user_unlock_by(*, user: User, by: User, agency_id: int | None = None) -> bool:
    """Someone who may (an agency owner, see `agency.services`) lifts `user`'s lockout at once
    (the person asked, and it was them). Audited; returns False when nothing was locked."""
    if not user_is_locked(user):
        return False
    user_unlock(user=user)
    user.failed_login_count, user.locked_until = 0, None
    security_event_record(
        event=SecurityEventCode.LOGIN_UNLOCKED, actor=by, target=user, agency_id=agency_id
    )
    return True


# --- personal tokens ---------------------------------------------------------------------------

TOKEN_TTL = timedelta(days=30)


def user_token_issue(*, user: User, name: str):
    """A new personal token for `user` (valid TOKEN_TTL); returns (token, issued secret)."""
    token, issued = token_create(user=user, name=name, ttl=TOKEN_TTL)
    security_event_record(
        event=SecurityEventCode.TOKEN_ISSUED,
        actor=user,
        detail={"token_id": token.pk, "prefix": token.prefix, "name": token.name},
    )
    security_change_notice(
        user=user,
        subject="A personal token was issued for your {brand} account",
        what=f"A personal token “{token.name}” (cwt_{token.prefix}_…) was issued with your "
        "password; it can read and act as you through the API until it expires or is revoked",
    )
    return token, issued


def user_token_revoke(*, token: PersonalToken, reason: str = "revoked") -> PersonalToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        security_event_record(
            event=SecurityEventCode.TOKEN_REVOKED,
            target=token.user,
            detail={"token_id": token.pk, "prefix": token.prefix, "reason": reason},
        )
    return token


def user_tokens_revoke(*, user: User, reason: str) -> int:
    """Revoke every personal token of `user` that still works (password changed or reset,
    removed from the agency or their last clinic, deactivated). Returns how many."""
    now = timezone.now()
    ids = list(
        PersonalToken.objects.filter(user=user, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("pk", flat=True)
    )
    if ids:
        PersonalToken.objects.filter(pk__in=ids).update(revoked_at=now, updated_at=now)
        security_event_record(
            event=SecurityEventCode.TOKEN_REVOKED,
            target=user,
            detail={"token_ids": ids, "reason": reason},
        )
    return len(ids)


def user_membership_removed(
    *,
    user: User,
    agency_id: int | None = None,
    clinic_id: int | None = None,
    clinic_name: str = "",
    role: str = "",
    last: bool = True,
) -> None:
    """Called by agency and clinics when a person loses a membership: logs it, and when it
    was their way in (`last`: removed from the agency's staff, or from their last clinic)
    revokes every personal token they hold, so none keeps reaching the clinics."""
    security_event_record(
        event=SecurityEventCode.MEMBER_REMOVED,
        target=user,
        agency_id=agency_id,
        clinic_id=clinic_id,
        clinic_name=clinic_name,
        detail={"role": role},
    )
    if last:
        user_tokens_revoke(user=user, reason="membership_removed")
        user_sessions_end(user=user, reason="membership_removed")


def user_membership_changed(
    *,
    user: User,
    agency_id: int | None = None,
    clinic_id: int | None = None,
    clinic_name: str = "",
    before: dict | None = None,
    after: dict,
) -> None:
    """Called by agency and clinics when a person is added or their roles change: logs an
    addition (`before` None), a role change and a change of crisis roles, as they apply."""
    where = {
        "target": user,
        "agency_id": agency_id,
        "clinic_id": clinic_id,
        "clinic_name": clinic_name,
    }
    if before is None:
        security_event_record(event=SecurityEventCode.MEMBER_ADDED, detail=after, **where)
        return
    if before.get("role") != after.get("role"):
        detail = {"from": before.get("role"), "to": after.get("role")}
        security_event_record(event=SecurityEventCode.MEMBER_ROLE_CHANGED, detail=detail, **where)
    if sorted(before.get("crisis_roles") or []) != sorted(after.get("crisis_roles") or []):
        detail = {"from": before.get("crisis_roles") or [], "to": after.get("crisis_roles") or []}
        security_event_record(event=SecurityEventCode.CRISIS_ROLES_CHANGED, detail=detail, **where)


def invitation_withdraw(*, user: User, agency_id: int, place: str) -> None:
    """The person's invitation to `place` (a clinic of agency `agency_id`, being deleted)
    stops working: a new unusable password (a new random marker) voids every invitation link
    they hold, and the one they held is remembered (`WithdrawnInvitation`), so its page says
    the invitation was withdrawn and whom to ask instead of a bare "does not work"."""
    WithdrawnInvitation.objects.create(
        user=user, agency_id=agency_id, place=place[:200], marker=user.password
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Switch the account off: it cannot sign in, and its personal tokens are revoked."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    security_event_record(event=SecurityEventCode.USER_DEACTIVATED, target=user)
    user_tokens_revoke(user=user, reason="deactivated")


@transaction.atomic
def password_link_use(*, user_id: int, token: str | None, password: str) -> User | None:
    """Set `password` through a password link (an invitation's first password, or a reset)
    once: the person's row is locked and the link checked again under the lock, so of two
    submissions of one link (two tabs, two browsers, at the same moment or one after the
    other) only the first sets a password; the others get None and change nothing. Then as
    `user_password_changed`."""
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or not password_link_generator(user).check_token(user, token):
        return None
    first = not user.has_usable_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    user_password_changed(user=user, first=first)
    return user


def user_password_changed(*, user: User, first: bool = False) -> None:
    """After a password reset by link: lift the lockout, end every personal token, and tell
    the person (not for the first password an invitation lets them choose, which the log
    calls an accepted invitation)."""
    user_unlock(user=user)
    security_event_record(
        event=SecurityEventCode.INVITATION_ACCEPTED if first else SecurityEventCode.PASSWORD_RESET,
        target=user,
    )
    user_tokens_revoke(user=user, reason="password_changed")
    if first:
        return
    security_change_notice(
        user=user,
        subject="Your {brand} password was reset",
        what="Your password was reset by e-mail link, and every other signed-in browser was "
        "signed out",
    )


def _session_epoch_bump(user: User) -> None:
    """Every signed-in session of `user` ends at its next request: the session epoch is part
    of the session hash."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def user_sessions_end(*, user: User, reason: str) -> None:
    """End every signed-in session of `user` at its next request (a removal, a two-factor
    reset), as "sign out everywhere else" does, and nobody's session is kept. Logged with
    the reason."""
    _session_epoch_bump(user)
    security_event_record(
        event=SecurityEventCode.SESSIONS_ENDED, target=user, detail={"reason": reason}
    )


def sessions_end_elsewhere(*, user: User) -> None:
    """Every other signed-in session of `user` ends at its next request (the caller keeps
    its own with `update_session_auth_hash`); personal tokens are separate and stay."""
    _session_epoch_bump(user)
    security_event_record(event=SecurityEventCode.SESSIONS_ENDED, actor=user)
    security_change_notice(
        user=user,
        subject="You were signed out of {brand} everywhere else",
        what="Every signed-in browser but the one used for this was signed out",
    )


def password_change(*, user: User, new_password: str) -> None:
    """The signed-in person chose a new password (the form checked the old one and the rules):
    every other session ends (the session hash follows the password), personal tokens are
    revoked, the lockout is lifted, and they are e-mailed that it changed."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_unlock(user=user)
    user_tokens_revoke(user=user, reason="password_changed")
    security_event_record(event=SecurityEventCode.PASSWORD_CHANGED, actor=user)
    security_change_notice(
        user=user,
        subject="Your {brand} password was changed",
        what="Your password was changed, and every other signed-in browser was signed out",
    )


def security_change_notice(*, user: User, subject: str, what: str, not_you: str = "") -> None:
    """Tell the person a security setting of theirs changed, so a change they did not make is
    noticed (after commit; a mail failure is logged, never raised). `not_you` replaces the
    closing "if this was not you" advice (the reset link always comes with it). In the brand
    the person knows (`core.branding.person_brand`): `{brand}` in `subject` names it, and it
    sends the mail, so a clinic's people never read "Carewatch"."""
    brand = person_brand(user)
    reset = f"{settings.PUBLIC_BASE_URL}/password-reset/"
    closing = (
        [f"Reset your password: {reset}", "", not_you]
        if not_you
        else [f"If this was not you, reset your password now and tell your agency's owner: {reset}"]
    )
    body = "\n".join([
        f"Hello {user.full_name or user.email},", "",
        f"{what} ({timezone.now():%Y-%m-%d %H:%M} UTC).", "",
        *closing,
    ])  # fmt: skip
    message = Mail(
        subject=subject.format(brand=brand.name),
        body=body + "\n",
        from_email=brand.sender,
        to=[user.email],
        reply_to=list(brand.reply_to) or None,
    )

    def send() -> None:
        try:
            message.send()
        except Exception:  # noqa: BLE001 - the change stands; the log has it
            logger.warning("security notice to user %s failed", user.pk, exc_info=True)

    transaction.on_commit(send)


# --- two-factor sign-in (django-otp) ---------------------------------------------------------

TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODES = 10
REAUTH_FIELD = "otp_token"


def totp_device_pending(*, user: User):
    """The user's unconfirmed TOTP device (the one being enrolled), created if missing: its
    key is what the QR code carries until the user proves they stored it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def two_factor_reauthenticate(*, user: User, token: str | None) -> None:
    """A fresh code (TOTP or backup code) for an action that weakens or replaces the second
    factor, entered in the same request. Raises ValidationFailed (field `otp_token`) when it
    is missing or wrong; a wrong one counts towards the sign-in lockout."""
    if not (token or "").strip():
        raise ValidationFailed(
            "A current two-factor code is required.",
            code="otp_required",
            fields={REAUTH_FIELD: ["Enter the current code of your app, or a backup code."]},
        )
    if otp_check(user=user, token=token) is None:
        raise ValidationFailed(
            "Wrong code.",
            code="otp_invalid",
            fields={REAUTH_FIELD: [otp_refusal(user=user, token=token)]},
        )


REAUTH_WINDOW = timedelta(minutes=15)
PASSWORD_FIELD = "password"  # noqa: S105 - a form field name


def enrolment_needs_password(*, user: User, password_at: datetime | None, now=None) -> bool:
    """Whether setting up an authenticator app must ask for the password again: after an
    owner reset the person's two-factor sign-in (`two_factor_reset_for`), the first enrolment
    needs the password typed in this session after the reset and within REAUTH_WINDOW
    (`password_at`, which the sign-in page keeps in the session). A session that just signed
    in with the password enrols at once; any other is asked for it."""
    since = two_factor_reset_pending_since(user)
    if since is None:
        return False
    now = now or timezone.now()
    return password_at is None or password_at < since or now - password_at > REAUTH_WINDOW


def password_reauthenticate(*, user: User, password: str | None) -> None:
    """The person's password, entered again in this request. ValidationFailed (field
    `password`) when it is missing or wrong; a wrong one counts towards the lockout, and a
    locked account passes no password."""
    if not (password or ""):
        raise ValidationFailed(
            "Your password is required.",
            code="password_required",
            fields={PASSWORD_FIELD: ["Enter your password to set up the new app."]},
        )
    attempt = _attempt_reserve(user)
    if not (attempt.may_evaluate and user.check_password(password)):
        _attempt_failed(attempt)
        security_event_record(
            event=SecurityEventCode.LOGIN_FAILED,
            actor=user,
            detail={"channel": "web", "reason": "wrong_password" if attempt.may_evaluate
                    else "locked"},
        )  # fmt: skip
        raise ValidationFailed(
            "Wrong password.",
            code="password_invalid",
            fields={PASSWORD_FIELD: [SIGN_IN_FAILED]},
        )
    _attempt_release(attempt)


def totp_device_confirm(
    *,
    user: User,
    token: str,
    current_token: str | None = None,
    password_needed: bool = False,
    password: str | None = None,
):
    """Confirm the pending device with a code from the app; replaces any earlier device,
    which needs `current_token`, a code of the device in use (re-authentication). A first
    enrolment after an owner's reset may need the password again (`password_needed`, from
    `enrolment_needs_password`). Returns the device, or raises ValidationFailed (nothing
    changes)."""
    replacing = user_has_confirmed_device(user)
    if replacing:
        two_factor_reauthenticate(user=user, token=current_token)
    elif password_needed:
        password_reauthenticate(user=user, password=password)
    device = _totp_device_confirm(user=user, token=token)
    if not replacing:
        # a first enrolment proves the person holds the app: earlier counts are not guesses
        User.objects.filter(pk=user.pk, locked_until__isnull=True).update(failed_login_count=0)
    security_event_record(
        event=SecurityEventCode.OTP_RESET if replacing else SecurityEventCode.OTP_ENROLLED,
        actor=user,
    )
    if replacing:
        security_change_notice(
            user=user,
            subject="Your two-factor sign-in moved to another app",
            what="Your two-factor sign-in was moved to another authenticator app; the codes of "
            "the app you used before no longer work",
        )
    else:
        security_change_notice(
            user=user,
            subject="Two-factor sign-in turned on for your {brand} account",
            what="Two-factor sign-in was turned on for your account: from now on signing in "
            "asks for a code of the authenticator app that was set up",
        )
    return device


@transaction.atomic
def _totp_device_confirm(*, user: User, token: str):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    token = (token or "").strip().replace(" ", "")
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None:
        raise ValidationFailed(
            "Start the set-up again.", fields={"otp_token": ["The set-up expired; reload."]}
        )
    allowed, _ = device.verify_is_allowed()
    if not token.isdigit() or not allowed or not device.verify_token(token):
        raise ValidationFailed(
            "Wrong code.",
            fields={"otp_token": ["That code is not right. Enter the current 6-digit code."]},
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


_OTP_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]")


def otp_token_normalize(token: str | None) -> str:
    """A code as typed, as the devices compare it: spaces and dashes left out (a backup code
    copied as "tovg 5zdh" or "TOVG-5ZDH"), letters in lower case (backup codes are made in
    lower case; a phone keyboard capitalises), so a backup code is accepted however it is
    written. An app's code is digits, unchanged by this."""
    return _OTP_SEPARATORS.sub("", token or "").lower()


@transaction.atomic
def otp_verify(*, user: User, token: str):
    """The confirmed device (TOTP, or a single-use backup code) that accepts `token`, or None.
    Each device throttles its own failures (django-otp's exponential back-off)."""
    from django_otp import devices_for_user

    token = otp_token_normalize(token)
    if not token or len(token) > 16:
        return None
    for device in devices_for_user(user, confirmed=True, for_verify=True):
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            return device
    return None


def otp_already_used(*, user: User, token: str) -> bool:
    """Whether `token` is a code of the user's authenticator app for now that was already
    accepted once (django-otp takes each 30-s code only once): the refusal can then say "wait
    for the next code" rather than "not right". Only asked after the password passed."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    token = otp_token_normalize(token)
    if not token.isdigit() or len(token) > 10:
        return False
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        if totp.verify(int(token), device.tolerance) and totp.t() <= device.last_t:
            return True
    return False


OTP_NOT_RIGHT = (
    "That code is not right (or you tried too often: wait a little). "
    "Enter the current code, or one of your backup codes."
)
OTP_ALREADY_USED = (
    "That code was already used: wait for the next code of your app (a new one comes every "
    "30 seconds)."
)


def otp_refusal(*, user: User, token: str) -> str:
    """What the code step (sign-in, re-authentication) says when `otp_check` refused `token`:
    "already used: wait for the next code" when it is the app's current code, already taken
    (signing in on a second device within the same 30 s), unless the account is locked (no
    code passes then, the next one neither)."""
    locked = User.objects.filter(pk=user.pk, locked_until__gt=timezone.now()).exists()
    if not locked and otp_already_used(user=user, token=token):
        return OTP_ALREADY_USED
    return OTP_NOT_RIGHT


def otp_check(*, user: User, token: str):
    """The second-factor step of a signed-in person (the sign-in's code step, or
    re-authentication): the device that accepts `token`, or None. A locked account passes no
    code; a wrong code counts towards the lockout like a wrong password."""
    attempt = _attempt_reserve(user)
    device = otp_verify(user=user, token=token) if attempt.may_evaluate else None
    if device is None:
        _attempt_failed(attempt)
        security_event_record(
            event=SecurityEventCode.OTP_FAILED,
            actor=user,
            detail={"reason": "wrong_otp" if attempt.may_evaluate else "locked"},
        )
        return None
    _attempt_succeeded(attempt)
    return device


def sign_in_by_password_link(*, user: User) -> bool:
    """`user` chose their password through their link (an invitation or a reset) and is
    signed in with it in that browser, as the sign-in page would: the link proved their
    e-mail and they typed the password. The security log says so; returns whether the
    two-factor step still follows (agency staff and anyone with a device: `user_needs_otp`),
    which the browser then passes or sets up before anything else opens."""
    code_to_follow = user_needs_otp(user)
    security_event_record(
        event=SecurityEventCode.LOGIN_PASSWORD_OK if code_to_follow
        else SecurityEventCode.LOGIN_SUCCEEDED,
        actor=user,
        detail={"channel": "password_link"},
    )  # fmt: skip
    return code_to_follow


def sign_in_completed(*, user: User, device) -> None:
    """The code step of a sign-in passed: the security log says "Signed in", and with what."""
    from django_otp.plugins.otp_static.models import StaticDevice

    kind = "backup_code" if isinstance(device, StaticDevice) else "authenticator"
    security_event_record(
        event=SecurityEventCode.LOGIN_SUCCEEDED,
        actor=user,
        detail={"channel": "web", "second_factor": kind},
    )


def backup_codes_create(*, user: User, otp_token: str | None) -> list[str]:
    """New single-use backup codes (the old ones stop working). Shown once. Needs a fresh
    code (re-authentication): a session that only knows the password must not mint codes."""
    two_factor_reauthenticate(user=user, token=otp_token)
    codes = _backup_codes_create(user=user)
    security_event_record(event=SecurityEventCode.BACKUP_CODES_CREATED, actor=user)
    security_change_notice(
        user=user,
        subject="New backup codes for your {brand} sign-in",
        what="New backup codes were created for your two-factor sign-in; the earlier ones no "
        "longer work",
    )
    return codes


def backup_codes_on_enrolment(*, user: User, device) -> list[str]:
    """The first backup codes, in the request that just confirmed `device` (the person proved
    they hold the app a moment ago, so no second code is asked for). Refused once the person
    has backup codes (returns []: new ones then need `backup_codes_create`'s fresh code)."""
    from django_otp.plugins.otp_static.models import StaticDevice

    if device.user_id != user.pk or not device.confirmed:
        raise ValidationFailed("Confirm the app first.", fields={"otp_token": ["Confirm first."]})
    if StaticDevice.objects.filter(user=user).exists():
        return []
    codes = _backup_codes_create(user=user)
    security_event_record(event=SecurityEventCode.BACKUP_CODES_CREATED, actor=user)
    return codes


@transaction.atomic
def _backup_codes_create(*, user: User) -> list[str]:
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_disable(*, user: User, otp_token: str | None) -> None:
    """Remove the user's devices; needs a fresh code (re-authentication). Refused for agency
    staff, who must keep two-factor on."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if user_is_agency_staff(user):
        raise ValidationFailed("Agency staff must keep two-factor sign-in on.")
    two_factor_reauthenticate(user=user, token=otp_token)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    security_event_record(event=SecurityEventCode.OTP_DISABLED, actor=user)
    security_change_notice(
        user=user,
        subject="Two-factor sign-in turned off for your {brand} account",
        what="Two-factor sign-in was turned off for your account: signing in now asks for "
        "the password only, and the authenticator app and backup codes no longer work",
    )


def two_factor_reset_for_check(*, user: User, by: User) -> None:
    """`ValidationFailed` when `by` may not reset `user`'s two-factor sign-in whatever their
    role: not for oneself (with the phone at hand, one moves two-factor on the account page)."""
    if user.pk == by.pk:
        raise ValidationFailed(
            "Not for your own account.",
            fields={
                "membership": [
                    "Move two-factor to another app on your account page, or "
                    "sign in with a backup code."
                ]
            },  # fmt: skip
        )


def two_factor_reset_for(*, user: User, by: User, agency_id: int | None = None) -> None:
    """Someone who may (an agency owner, see `agency.services`) removes `user`'s authenticator
    app and backup codes after a lost phone. Every session of theirs ends and every personal
    token is revoked (as a password change does); they sign in again with their password and
    set up an app, and an enrolment that follows a reset needs the password typed in that
    session after the reset (`enrolment_needs_password`). Not for oneself: with the phone at
    hand, one moves two-factor on the account page."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    two_factor_reset_for_check(user=user, by=by)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        security_event_record(
            event=SecurityEventCode.OTP_RESET_FOR, actor=by, target=user, agency_id=agency_id
        )
        # the reset is done because a device (and maybe the laptop beside it) is lost: no
        # session or token of theirs may go on, or enrol a new app without the password
        user_sessions_end(user=user, reason="two_factor_reset")
        user_tokens_revoke(user=user, reason="two_factor_reset")


# --- password reset --------------------------------------------------------------------------

RESET_PER_ADDRESS_PER_HOUR = 3
RESET_PER_IP_PER_HOUR = 10


def _hit(key: str) -> int:
    from django.core.cache import cache

    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return 1


def password_reset_throttle(*, ip: str, email: str) -> str | None:
    """Count a reset request. Returns None when it may go ahead, "ip" when this address asked
    too often (the page says so), "email" when this e-mail address had its share this hour
    (the mail is silently not sent, so nobody learns whether the address exists)."""
    if _hit(f"pwreset:ip:{ip}") > RESET_PER_IP_PER_HOUR:
        return "ip"
    digest = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    if _hit(f"pwreset:email:{digest}") > RESET_PER_ADDRESS_PER_HOUR:
        return "email"
    return None
