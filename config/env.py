"""Every setting that comes from the environment is read here, and only here.

Local defaults work on a developer's machine (PostgreSQL and Redis on 127.0.0.1). In
production (`CAREWATCH_ENV=production`) the secrets have no default: a missing one stops the
process at start with the variable's name, instead of running with an insecure value.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


def _str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Set the environment variable {name}.")
        return default
    return value


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from None


def _json(name: str, default: dict) -> dict:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a JSON object.") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object.")
    return value


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in _str(name, default).split(",") if item.strip()]


@dataclass(frozen=True)
class Env:
    production: bool
    secret_key: str
    debug: bool
    database_url: str
    redis_url: str
    cache_url: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    conn_max_age: int
    migrate_processes: int
    health_queue_warn: int
    clinic_spare_schemas: int
    email_backend: str
    default_from_email: str
    email_file_path: str
    session_idle_minutes: int
    invitation_days: int
    credentials_key: str
    log_json: bool
    log_level: str
    sentiment_model: str
    public_base_url: str
    connector_base_urls: dict
    api_rate_limit: str
    oauth: dict
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from_number: str
    twilio_api_base: str
    followup_reply_domain: str
    followup_email_inbound_secret: str
    notice_burst_minutes: int = 5


def load() -> Env:
    production = _str("CAREWATCH_ENV", "development") == "production"
    insecure_default = None if production else "dev-only-insecure-key-" + "x" * 40
    return Env(
        production=production,
        secret_key=_str("SECRET_KEY", insecure_default),
        debug=_bool("DEBUG", not production),
        database_url=_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/carewatch"),
        redis_url=_str("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # The cache lives in its own Redis database: clearing it never touches queued tasks.
        cache_url=_str("CACHE_URL", "redis://127.0.0.1:6379/1"),
        allowed_hosts=_list("ALLOWED_HOSTS", "" if production else "localhost,127.0.0.1,[::1]"),
        csrf_trusted_origins=_list("CSRF_TRUSTED_ORIGINS", ""),
        conn_max_age=_int("CONN_MAX_AGE", 300),
        migrate_processes=_int("MIGRATE_PROCESSES", 4),
        health_queue_warn=_int("HEALTH_QUEUE_WARN", 1000),
        clinic_spare_schemas=_int("CLINIC_SPARE_SCHEMAS", 3),
        email_backend=_str(
            "EMAIL_BACKEND",
            "django.core.mail.backends.smtp.EmailBackend"
            if production
            else "django.core.mail.backends.console.EmailBackend",
        ),
        default_from_email=_str("DEFAULT_FROM_EMAIL", "Carewatch <no-reply@carewatch.local>"),
        email_file_path=_str("EMAIL_FILE_PATH", ""),
        # A signed-in session ends after this many minutes without a request.
        session_idle_minutes=_int("SESSION_IDLE_MINUTES", 30),
        # An invitation's link (a new person's first password) works once, for this many days.
        invitation_days=_int("INVITATION_DAYS", 7),
        # Fernet key(s) for source credentials, comma separated, newest first (rotation).
        credentials_key=_str(
            "CREDENTIALS_KEY",
            None if production else "ZGV2LW9ubHktY3JlZGVudGlhbHMta2V5LTMyYnl0ZXM=",
        ),
        log_json=_bool("LOG_JSON", production),
        log_level=_str("LOG_LEVEL", "INFO"),
        sentiment_model=_str("SENTIMENT_MODEL", "default"),
        public_base_url=_str("PUBLIC_BASE_URL", "http://localhost:8000"),
        connector_base_urls=_json("CONNECTOR_BASE_URLS", {}),
        api_rate_limit=_str("API_RATE_LIMIT", "1200/min"),
        oauth=_oauth(),
        # Private follow-up: texts through Twilio, answers to e-mails through the inbound-mail
        # provider (README, "Private follow-up that reaches the person").
        twilio_account_sid=_str("TWILIO_ACCOUNT_SID", ""),
        twilio_auth_token=_str("TWILIO_AUTH_TOKEN", ""),
        twilio_from_number=_str("TWILIO_FROM_NUMBER", ""),
        twilio_api_base=_str("TWILIO_API_BASE", "https://api.twilio.com"),
        followup_reply_domain=_str("FOLLOWUP_REPLY_DOMAIN", "reply.carewatch.local"),
        followup_email_inbound_secret=_str("FOLLOWUP_EMAIL_INBOUND_SECRET", ""),
        # What waits for a person, e-mailed at once: what follows within this many minutes
        # comes in one e-mail when they end (clinics.notifications, "a burst"); 0: each at once.
        notice_burst_minutes=_int("NOTICE_BURST_MINUTES", 5),
    )


# The agency's own OAuth apps for "Connect Google Business Profile" / "Connect Facebook /
# Instagram" (empty id: that button explains it is not set up). The addresses are the real
# ones; the tests and the demo point them at the local fake platforms.
OAUTH_DEFAULTS = {
    "GOOGLE_OAUTH_CLIENT_ID": "",
    "GOOGLE_OAUTH_CLIENT_SECRET": "",
    "GOOGLE_OAUTH_AUTHORIZE_URL": "https://accounts.google.com/o/oauth2/v2/auth",
    "GOOGLE_OAUTH_TOKEN_URL": "https://oauth2.googleapis.com/token",
    "GOOGLE_OAUTH_REVOKE_URL": "https://oauth2.googleapis.com/revoke",
    "GOOGLE_ACCOUNTS_URL": "https://mybusinessaccountmanagement.googleapis.com/v1/accounts",
    "GOOGLE_LOCATIONS_URL": "https://mybusinessbusinessinformation.googleapis.com/v1",
    "FACEBOOK_APP_ID": "",
    "FACEBOOK_APP_SECRET": "",
    "FACEBOOK_OAUTH_AUTHORIZE_URL": "https://www.facebook.com/v21.0/dialog/oauth",
    "FACEBOOK_OAUTH_TOKEN_URL": "https://graph.facebook.com/v21.0/oauth/access_token",
    "FACEBOOK_GRAPH_URL": "https://graph.facebook.com/v21.0",
}


def _oauth() -> dict:
    out = {
        name: os.environ.get(name, "").strip() or default
        for name, default in OAUTH_DEFAULTS.items()
    }
    for name, value in out.items():
        if name.endswith("_URL") and not value.startswith(("https://", "http://")):
            raise ImproperlyConfigured(f"{name} must be an http(s) URL, not {value!r}.")
    return out
