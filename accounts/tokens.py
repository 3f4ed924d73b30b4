"""The two kinds of password link, both single-use: a reset (short: PASSWORD_RESET_TIMEOUT,
an hour) and an invitation's first password (INVITATION_TIMEOUT, days: the person may read
the mail the next morning). Each is signed with its own salt, so one never passes for the
other, and each stops working once a password is set (the hash covers the password)."""

from __future__ import annotations

import copy

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token with its own salt and lifetime (INVITATION_TIMEOUT)."""

    key_salt = "accounts.tokens.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        # Django's check_token hard-codes PASSWORD_RESET_TIMEOUT: the same checks, own lifetime
        made_at = _signed_at(self, user, token)
        if made_at is None:
            return False
        return (self._num_seconds(self._now()) - made_at) <= settings.INVITATION_TIMEOUT


def _signed_at(generator: PasswordResetTokenGenerator, user, token) -> int | None:
    """When `generator` made `token` for `user` as they are now (its timestamp), or None when
    its signature does not hold (made up, mistyped, or used: the password changed since)."""
    if user is None or not isinstance(token, str) or not token:
        return None
    try:
        ts_b36, _ = token.split("-")
        ts = base36_to_int(ts_b36)
    except ValueError:
        return None
    signed = any(
        constant_time_compare(generator._make_token_with_timestamp(user, ts, secret), token)
        for secret in [generator.secret, *generator.secret_fallbacks]
    )
    return ts if signed else None


invitation_token_generator = InvitationTokenGenerator()


def password_link_generator(user) -> PasswordResetTokenGenerator:
    """The generator of the link a person holds: an invitation's while they have never had a
    password (the reset form skips such accounts), a reset's otherwise."""
    if user is not None and not user.has_usable_password():
        return invitation_token_generator
    return default_token_generator


def password_link_signed(user, token) -> bool:
    """Whether `token` is a password link Carewatch made for `user` as they are now (its
    signature holds), however old: an expired invitation still is, a made-up, mistyped or used
    one (the password changed since) is not. Only a signed link may say whose it is (its
    page carries their agency's brand); Django's `check_token` adds the age."""
    return _signed_at(password_link_generator(user), user, token) is not None


def lifetime_words(seconds: int) -> str:
    """ "7 days", "an hour", "3 hours", "45 minutes": how long a link works."""
    days, rest = divmod(int(seconds), 86400)
    if days and not rest:
        return "a day" if days == 1 else f"{days} days"
    hours, rest = divmod(int(seconds), 3600)
    if hours and not rest:
        return "an hour" if hours == 1 else f"{hours} hours"
    minutes = max(1, int(seconds) // 60)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def invitation_lifetime() -> str:
    return lifetime_words(settings.INVITATION_TIMEOUT)


def reset_lifetime() -> str:
    return lifetime_words(settings.PASSWORD_RESET_TIMEOUT)


def invitation_signed_before(user, token, marker: str) -> bool:
    """Whether `token` is an invitation link Carewatch made for `user` while their password
    field was `marker` (before it was replaced to stop the link: a withdrawn invitation)."""
    if user is None:
        return False
    then = copy.copy(user)
    then.password = marker
    return _signed_at(invitation_token_generator, then, token) is not None
