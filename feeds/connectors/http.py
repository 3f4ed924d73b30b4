"""A small JSON-over-HTTP client for the connectors (standard library only).

- timeouts on connect and read (`timeout`, seconds);
- 5xx, timeouts and connection errors: retried up to `max_retries` times with exponential
  backoff and jitter; a write that is not idempotent (POST) is retried only when it surely
  did not reach the platform (connection refused, 429), never after a timeout or a 5xx;
- 429 (or a platform's own rate-limit answer): retried after Retry-After when that is at most
  `max_retry_after` seconds (at most `max_retries` times); beyond the cap, or when the
  platform gave no delay at all, RateLimited is raised at once so that the caller's
  scheduler backs off (never hammering a throttled API);
- credentials never reach a log record or an exception message: Authorization headers, the
  `access_token` (and similar) query/form parameters and every secret value the client was
  given are replaced by "[REDACTED]".

Errors are classified by a per-platform function (see `Classifier`) that reads the
platform's own error JSON.
"""

from __future__ import annotations

import email.utils
import errno
import http.client
import json
import logging
import random
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from feeds.connectors.errors import (
    AuthExpired,
    ConnectorError,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
)

log = logging.getLogger("feeds.connectors.http")

REDACTED = "[REDACTED]"
MAX_BODY_BYTES = 20 * 1024 * 1024
# errno values of a network or host that cannot be reached (no route, network down)
_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_SECRET_PARAMS = (
    "access_token",
    "refresh_token",
    "client_secret",
    "appsecret_proof",
    "api_key",
    "apikey",
    "key",
    "token",
    "code",
    "password",
)
_PARAM_RE = re.compile(r"(?i)(?<![A-Za-z0-9_])(" + "|".join(_SECRET_PARAMS) + r")=([^&\s\"'#]+)")
_JSON_RE = re.compile(r"(?i)([\"'](?:" + "|".join(_SECRET_PARAMS) + r")[\"']\s*:\s*[\"'])([^\"']+)")
_AUTH_RE = re.compile(r"(?i)\b(bearer|oauth|basic)\s+([A-Za-z0-9._~+/=\-]{8,})")
_AUTH_HEADER_RE = re.compile(r"(?i)(authorization\s*[:=]\s*)[^\r\n,;}]+")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with credentials replaced: known secret values first, then anything shaped like
    one (Authorization headers, Bearer tokens, access_token=... parameters)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _AUTH_HEADER_RE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _AUTH_RE.sub(_auth_sub, text)
    text = _PARAM_RE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    return _JSON_RE.sub(lambda m: m.group(1) + REDACTED, text)


def _auth_sub(match: re.Match) -> str:
    # "Bearer ya29.a0Af..." is a token; "OAuth access token" in a message is not.
    token = match.group(2)
    if token.isalpha():
        return match.group(0)
    return f"{match.group(1)} {REDACTED}"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def network_problem_words(exc: BaseException) -> str:
    """What went wrong on the network, in words staff read on the sources page ("the address
    could not be found (DNS)"), never the exception's class name ("gaierror")."""
    if isinstance(exc, socket.gaierror):
        return "the address could not be found (DNS)"
    if isinstance(exc, TimeoutError):
        return "the wait for it ran out (timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(exc, http.client.RemoteDisconnected):  # a ConnectionResetError too
        return "the connection was closed without an answer"
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return "the connection was cut off"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "its security certificate could not be verified (TLS)"
    if isinstance(exc, ssl.SSLError):
        return "the secure connection failed (TLS)"
    if isinstance(exc, http.client.HTTPException):
        return "its answer could not be read"
    if getattr(exc, "errno", None) in _UNREACHABLE:
        return "the network could not reach it"
    return "a network error"


@dataclass(frozen=True)
class HttpErrorInfo:
    """What a classifier gets: the failed response, with the body parsed when it is JSON."""

    status: int
    headers: Mapping[str, str]  # lower-cased names
    data: Any  # parsed JSON or None
    text: str  # body as text, truncated, credentials redacted
    retry_after: float | None  # parsed Retry-After header
    request: str  # "METHOD url", credentials redacted


# classifier(platform, info) -> the error to raise (or retry on)
Classifier = Callable[[HttpErrorInfo], ConnectorError]


@dataclass
class HttpOptions:
    """Knobs of the client; `make_connector(..., **options)` passes them through."""

    timeout: float = 15.0
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    max_retry_after: float = 10.0
    user_agent: str = "Carewatch/1.0 (+reputation management)"
    sleep: Callable[[float], None] = time.sleep
    verify_tls: bool = True


class JsonHttpClient:
    def __init__(
        self,
        base_url: str,
        *,
        platform: str,
        classify: Classifier,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        options: HttpOptions | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL")
        self.base_url = base_url.rstrip("/") + "/"
        self.platform = platform
        self.classify = classify
        self.headers = dict(headers or {})
        self.secrets: set[str] = {s for s in secrets if s}
        self.options = options or HttpOptions()
        self._random = random.Random()  # noqa: S311 - jitter, not security

    # ------------------------------------------------------------------ public
    def add_secret(self, value: str) -> None:
        if value:
            self.secrets.add(value)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        classify: Classifier | None = None,
    ) -> Any:
        """Send, retry as the module docstring says, and return the parsed JSON body (`{}` for
        an empty one). `path` is relative to the base URL, or an absolute URL."""
        method = method.upper()
        url = self._url(path, params)
        body, send_headers = self._body(json_body, form)
        send_headers = {
            "Accept": "application/json",
            "User-Agent": self.options.user_agent,
            **self.headers,
            **send_headers,
            **(headers or {}),
        }
        safe = method in _IDEMPOTENT if idempotent is None else idempotent
        shown = self.redact(f"{method} {url}")
        attempt = 0
        while True:
            try:
                return self._once(method, url, body, send_headers, shown, classify)
            except RateLimited as exc:
                wait = exc.retry_after_seconds
                if not exc.retry_after_hinted or wait > self.options.max_retry_after:
                    raise
                if attempt >= self.options.max_retries:
                    raise
            except TransientError as exc:
                if attempt >= self.options.max_retries or (exc.maybe_applied and not safe):
                    raise
                wait = self._backoff(attempt, exc.retry_after_seconds)
            attempt += 1
            log.warning(
                "%s: retrying %s in %.2fs (retry %d of %d)",
                self.platform,
                shown,
                wait,
                attempt,
                self.options.max_retries,
            )
            self.options.sleep(wait)

    # ----------------------------------------------------------------- helpers
    def _url(self, path: str, params: Mapping[str, Any] | None) -> str:
        url = (
            path
            if path.startswith(("http://", "https://"))
            else urljoin(self.base_url, path.lstrip("/"))
        )
        if params:
            query = urlencode([(k, _param(v)) for k, v in params.items() if v is not None])
            url += ("&" if "?" in url else "?") + query
        return url

    @staticmethod
    def _body(json_body: Any, form: Mapping[str, Any] | None) -> tuple[bytes | None, dict]:
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            return data, {"Content-Type": "application/json; charset=utf-8"}
        if form is not None:
            data = urlencode([(k, _param(v)) for k, v in form.items() if v is not None]).encode()
            return data, {"Content-Type": "application/x-www-form-urlencoded"}
        return None, {}

    def _backoff(self, attempt: int, hinted: float | None) -> float:
        if hinted is not None and hinted <= self.options.max_retry_after:
            return hinted
        delay = min(self.options.backoff_max, self.options.backoff_base * (2**attempt))
        return delay / 2 + self._random.uniform(0, delay / 2)

    def _connection(self, url: str) -> tuple[http.client.HTTPConnection, str]:
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        if parts.scheme == "https":
            context = ssl.create_default_context()
            if not self.options.verify_tls:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=self.options.timeout, context=context
            )
        else:
            conn = http.client.HTTPConnection(
                parts.hostname, parts.port, timeout=self.options.timeout
            )
        return conn, target

    def _once(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict,
        shown: str,
        classify: Classifier | None,
    ) -> Any:
        started = time.monotonic()
        conn, target = self._connection(url)
        try:
            try:
                conn.connect()
            except OSError as exc:  # nothing was sent: always safe to retry
                raise TransientError(
                    f"Could not connect to {self.platform}: {network_problem_words(exc)}",
                    platform=self.platform,
                    request=shown,
                ) from None
            try:
                conn.request(method, target, body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read(MAX_BODY_BYTES + 1)
            except (OSError, http.client.HTTPException) as exc:
                raise TransientError(
                    f"{self.platform} did not answer: {network_problem_words(exc)}",
                    platform=self.platform,
                    request=shown,
                    maybe_applied=True,
                ) from None
        finally:
            conn.close()
        status = response.status
        elapsed_ms = (time.monotonic() - started) * 1000
        log.debug("%s: %s -> %s in %.0f ms", self.platform, shown, status, elapsed_ms)
        resp_headers = {k.lower(): v for k, v in response.getheaders()}
        text = raw[:MAX_BODY_BYTES].decode("utf-8", errors="replace")
        data: Any
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            data = None
        if 200 <= status < 300:
            if data is None:
                raise TransientError(
                    f"{self.platform} answered {status} with a body that is not JSON",
                    platform=self.platform,
                    status=status,
                    request=shown,
                )
            return data
        info = HttpErrorInfo(
            status=status,
            headers=resp_headers,
            data=data,
            text=self.redact(text[:500]),
            retry_after=parse_retry_after(resp_headers.get("retry-after")),
            request=shown,
        )
        error = (classify or self.classify)(info)
        error.message = self.redact(error.message)
        error.args = (error.message,)
        error.platform = error.platform or self.platform
        error.status = error.status if error.status is not None else status
        error.request = shown
        if isinstance(error, TransientError):
            error.maybe_applied = method not in ("GET", "HEAD", "OPTIONS")
            if error.retry_after_seconds is None:
                error.retry_after_seconds = info.retry_after
        log.info("%s: %s failed: %r", self.platform, shown, error)
        raise error


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def generic_error(
    info: HttpErrorInfo,
    message: str,
    *,
    platform: str,
    platform_code: int | str | None = None,
) -> ConnectorError:
    """The default mapping by HTTP status, for platforms whose error body said nothing more
    specific: 401 -> AuthExpired, 404 -> NotFound, 429 -> RateLimited, 5xx -> Transient,
    other -> Permanent."""
    kw = {"platform": platform, "status": info.status, "platform_code": platform_code}
    if info.status == 401:
        return AuthExpired(message, **kw)
    if info.status == 404:
        return NotFound(message, **kw)
    if info.status == 429:
        return RateLimited(message, retry_after_seconds=info.retry_after, **kw)
    if info.status >= 500:
        return TransientError(message, **kw)
    return PermanentError(message, **kw)
