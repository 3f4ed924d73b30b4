"""What a connector raises. Every error carries the platform's own message (`message`), safe
to show to users: credentials are redacted from it before it is raised.

How the caller should react, by class:

- RateLimited: the platform throttles us. Retry after `retry_after_seconds` (always a
  number: what the platform asked for, or DEFAULT_RATE_LIMIT_WAIT when it did not say -
  `retry_after_hinted` tells which).
- AuthExpired: token expired, revoked or invalid. Mark the source "needs reconnect"; do
  not retry.
- TransientError: 5xx, timeout, connection error. Retry later with backoff; for a write,
  `maybe_applied` tells whether it may have gone through.
- PermanentError: any other 4xx (bad request, permission, ...). Do not retry; show
  `message`. Subclasses: NotFound (the item is gone: e.g. mark the review deleted),
  AlreadyReplied (the platform allows one reply of this kind and it was made: treat as
  done if an earlier try was ambiguous), ConfigurationError (settings or credentials
  missing or malformed: fix the source).
- NotSupported: the platform cannot do this at all. Tell the user, plainly (`message`).
"""

from __future__ import annotations

from typing import ClassVar


class ConnectorError(Exception):
    """Base class. `platform` ("google", "facebook", "yelp"), `status` (HTTP status or None),
    `platform_code` (the platform's own error code, e.g. 190 or "TOKEN_INVALID"), `request`
    ("GET /path?..." with credentials redacted)."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        platform: str | None = None,
        status: int | None = None,
        platform_code: int | str | None = None,
        request: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.status = status
        self.platform_code = platform_code
        self.request = request

    def __str__(self) -> str:
        return self.message  # the platform's own words, fit to show; repr() has the rest

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, platform={self.platform!r}, "
            f"status={self.status!r}, platform_code={self.platform_code!r}, "
            f"request={self.request!r})"
        )


DEFAULT_RATE_LIMIT_WAIT = 60.0


class RateLimited(ConnectorError):
    """The platform throttles us. `retry_after_seconds`: what the platform asked for (the
    Retry-After header or its own usage headers) or, when it did not say,
    DEFAULT_RATE_LIMIT_WAIT with `retry_after_hinted` False."""

    retryable = True

    def __init__(self, message: str, *, retry_after_seconds: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after_hinted = retry_after_seconds is not None
        self.retry_after_seconds = (
            float(retry_after_seconds)
            if retry_after_seconds is not None
            else DEFAULT_RATE_LIMIT_WAIT
        )

    def __repr__(self) -> str:
        return (
            super().__repr__()[:-1] + f", retry_after_seconds={self.retry_after_seconds!r}, "
            f"retry_after_hinted={self.retry_after_hinted!r})"
        )


class AuthExpired(ConnectorError):
    """The token is expired, revoked or invalid: the source needs reconnecting. Not retried."""


class TransientError(ConnectorError):
    """5xx, timeout or connection error. `maybe_applied`: for a write, the request may have
    reached the platform (a timeout or 5xx after sending), so blindly resending could post
    twice; connectors guard against that (see each `post_reply`)."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        maybe_applied: bool = False,
        retry_after_seconds: float | None = None,
        **kw,
    ) -> None:
        super().__init__(message, **kw)
        self.maybe_applied = maybe_applied
        self.retry_after_seconds = retry_after_seconds


class PermanentError(ConnectorError):
    """Any other refusal (4xx): retrying will not help. `message` is the platform's own."""


class NotFound(PermanentError):
    """The item (review, comment, post) does not exist any more on the platform."""


class AlreadyReplied(PermanentError):
    """The platform allows one reply of this kind and it has been made (Facebook private
    replies: one per comment)."""


class AnsweredElsewhere(PermanentError):
    """The platform keeps one reply per item and it already holds one the caller did not
    post (the business answered on the platform itself): replacing it would erase those
    words, so nothing was written. `existing_text`: the reply that is there."""

    def __init__(self, message: str, *, existing_text: str = "", **kw) -> None:
        super().__init__(message, **kw)
        self.existing_text = existing_text


class ConfigurationError(PermanentError):
    """The source's settings or credentials are missing or malformed."""


class NotSupported(ConnectorError):
    """The platform cannot do this at all (e.g. any write on Yelp Fusion)."""
