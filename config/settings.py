"""Carewatch settings. Values that vary by deployment come from `config.env`, nowhere else."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from kombu import Queue

from config import env as env_module
from core.branding import totp_issuer
from scoring.ml.data import default_data_dir

ENV = env_module.load()
BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
CSRF_TRUSTED_ORIGINS = ENV.csrf_trusted_origins
PUBLIC_BASE_URL = ENV.public_base_url.rstrip("/")

# --- tenancy -------------------------------------------------------------------------------
# Public schema: agencies, people, clinics (the tenant registry), credentials.
SHARED_APPS = [
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    # OpClass in index expressions (the reviews' trigram index), pg_trgm's lookups
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from this site (the CSP)
    "django_celery_beat",
    "core",
    "accounts",
    "agency",
    "clinics",
    "reports",
    "offboarding",
    "dashboard",
    "portal",
    "demo",
]
# One schema per clinic: everything a clinic owns.
TENANT_APPS = [
    "facts",
    "feeds",
    "scoring",
    "crisis",
    "webhooks",
    "responses",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "clinics.Clinic"
TENANT_DOMAIN_MODEL = "clinics.Domain"
# Clinics are addressed by path: /clinics/<slug>/... for pages and API alike (no DNS needed).
TENANT_SUBFOLDER_PREFIX = "clinics"
CLINIC_TEMPLATE_SCHEMA = "clinic_template"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
ROOT_URLCONF = "config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
# One `SET search_path` per switch of schema instead of one per cursor (three to four fewer
# round trips per API request). STACK_NOTES warns of #1262 (a savepoint rollback leaving the
# connection on another schema's path); django-tenants 4.0.1 forgets the path it set on every
# rollback and savepoint rollback, and tests/clinics/test_search_path.py proves it here.
TENANT_LIMIT_SET_CALLS = True
# migrate_schemas: skip clinics that are up to date, migrate the rest in parallel
# (clinics.schemas.ClinicMigrationExecutor; django-tenants reads the executor from EXECUTOR).
os.environ.setdefault("EXECUTOR", "clinics")
TENANT_MULTIPROCESSING_MAX_PROCESSES = ENV.migrate_processes
TENANT_MULTIPROCESSING_CHUNKS = 8
# Copies of the clinic template kept ready: creating a clinic renames one (clinics.schemas).
# None in the test suite: its tests turn them on where they need them.
CLINIC_SPARE_SCHEMAS = ENV.clinic_spare_schemas

DATABASES = {
    "default": {
        **dj_database_url.parse(ENV.database_url),
        "ENGINE": "core.db_backend",  # django-tenants, lighter per request
        # Finite lifetime: a backend's catalogue cache grows with every schema it touches.
        # runserver serves each request in a new thread; a persistent connection would stay
        # open per thread until garbage collection and exhaust max_connections (finding 7).
        "CONN_MAX_AGE": 0 if "runserver" in sys.argv else ENV.conn_max_age,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 5},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A 1,000-item batch of long reviews is ~20 MB; larger bodies get 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# --- HTTP --------------------------------------------------------------------------------
MIDDLEWARE = [
    "clinics.middleware.ClinicRoutingMiddleware",
    "core.middleware.ApiPathMiddleware",  # slash-tolerant API paths, JSON 404 for unknown ones
    "django.middleware.security.SecurityMiddleware",
    "accounts.middleware.SecurityContextMiddleware",  # who and where, for the security log
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.PrivateResponseMiddleware",  # signed-in answers: Cache-Control no-store
    "core.middleware.InputTextMiddleware",  # no NUL / lone surrogate / deep JSON past here
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accounts.middleware.SessionMiddleware",  # Django's; a banner's poll is no activity
    "accounts.middleware.BackgroundSignInMiddleware",  # a poll after the session ended
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",  # agency staff must pass TOTP first
    "clinics.middleware.ClinicAccessMiddleware",
    "clinics.paused.ClinicPausedMiddleware",  # a deactivated clinic: read-only, closed to clients
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agency.context_processors.branding",
                "responses.context_processors.approval_steps_off",
            ],
            # its `date` filter names a time's zone where the page's line does not
            "builtins": ["core.templatetags.local_time"],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/start/"  # portal.views.LandingView: portal or clinic list
LOGOUT_REDIRECT_URL = "/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Idle timeout: a session ends after SESSION_IDLE_MINUTES without a request (the expiry is
# pushed forward on every request), and always when the browser closes.
SESSION_COOKIE_AGE = ENV.session_idle_minutes * 60
SESSION_ENGINE = "accounts.sessions"  # database sessions; a cookie Django never made is none
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
PASSWORD_RESET_TIMEOUT = 60 * 60  # a reset link works for an hour, once
# An invitation's link (the first password) works once, for days: accounts.tokens.
INVITATION_TIMEOUT = max(1, ENV.invitation_days) * 24 * 60 * 60
OTP_TOTP_ISSUER = totp_issuer  # the brand the person knows (a clinic's people: the agency's)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
# a failed CSRF check answers the branded page (or JSON on API paths), not Django's bare one
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (the agency's logo); served by agency.views.brand_logo, never as a folder.
MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or str(BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if ENV.production
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": ENV.cache_url,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

EMAIL_BACKEND = ENV.email_backend
EMAIL_FILE_PATH = ENV.email_file_path  # for the file-based backend (the browser tests)
# What waits for a person and is e-mailed at once: the first of a burst goes at once, what
# follows for them in the same clinic within this window comes in one e-mail when it ends
# (clinics.notifications.email_burst_send). timedelta(0): each one at once, as before.
NOTICE_BURST_WINDOW = timedelta(minutes=ENV.notice_burst_minutes)
DEFAULT_FROM_EMAIL = ENV.default_from_email

# Platform API addresses (the connectors' defaults are the real ones). Overridden only by
# server configuration - the demo's local fake platforms, the tests - never by a source.
CONNECTOR_BASE_URLS: dict[str, str] = ENV.connector_base_urls
CONNECTOR_HTTP_OPTIONS: dict = {}
# Outbound webhooks never target private or loopback addresses (the SSRF guard is on in every
# environment), except, outside production, the listed local receivers (host or host:port).
CAREWATCH_PRODUCTION = ENV.production
WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
WEBHOOKS_PRIVATE_HOSTS_ALLOWED = [
    h.strip() for h in os.environ.get("WEBHOOKS_PRIVATE_HOSTS_ALLOWED", "").split(",") if h.strip()
]

# Slack/Teams webhook URLs on other hosts (and plain http) are refused, except these test hosts:
# the local fake receivers of the tests and the demo. None in production unless configured.
CHAT_WEBHOOK_TEST_HOSTS = [
    h.strip().lower()
    for h in os.environ.get(
        "CHAT_WEBHOOK_TEST_HOSTS", "" if ENV.production else "127.0.0.1,localhost"
    ).split(",")
    if h.strip()
]

# Private follow-up (responses.services.private). Texts go through Twilio's Messages API
# (TWILIO_API_BASE: a local fake in tests and the demo); answers come to
# /hooks/<clinic>/sms/, signed by Twilio with the auth token. A follow-up e-mail carries a
# signed Reply-To at FOLLOWUP_REPLY_DOMAIN; the inbound-mail provider posts answers to
# /hooks/<clinic>/email/, signed with FOLLOWUP_EMAIL_INBOUND_SECRET.
TWILIO_ACCOUNT_SID = ENV.twilio_account_sid
TWILIO_AUTH_TOKEN = ENV.twilio_auth_token
TWILIO_FROM_NUMBER = ENV.twilio_from_number
TWILIO_API_BASE = ENV.twilio_api_base
FOLLOWUP_REPLY_DOMAIN = ENV.followup_reply_domain
FOLLOWUP_EMAIL_INBOUND_SECRET = ENV.followup_email_inbound_secret
FOLLOWUP_DEFAULT_DUE_HOURS = 48

CREDENTIALS_KEYS = [key.strip() for key in ENV.credentials_key.split(",") if key.strip()]
# OAuth apps and addresses of "Connect Google Business Profile" / "Connect Facebook /
# Instagram" (defaults and meaning: config/env.py OAUTH_DEFAULTS).
GOOGLE_OAUTH_CLIENT_ID = ENV.oauth["GOOGLE_OAUTH_CLIENT_ID"]
GOOGLE_OAUTH_CLIENT_SECRET = ENV.oauth["GOOGLE_OAUTH_CLIENT_SECRET"]
GOOGLE_OAUTH_AUTHORIZE_URL = ENV.oauth["GOOGLE_OAUTH_AUTHORIZE_URL"]
GOOGLE_OAUTH_TOKEN_URL = ENV.oauth["GOOGLE_OAUTH_TOKEN_URL"]
GOOGLE_OAUTH_REVOKE_URL = ENV.oauth["GOOGLE_OAUTH_REVOKE_URL"]
GOOGLE_ACCOUNTS_URL = ENV.oauth["GOOGLE_ACCOUNTS_URL"]
GOOGLE_LOCATIONS_URL = ENV.oauth["GOOGLE_LOCATIONS_URL"]
FACEBOOK_APP_ID = ENV.oauth["FACEBOOK_APP_ID"]
FACEBOOK_APP_SECRET = ENV.oauth["FACEBOOK_APP_SECRET"]
FACEBOOK_OAUTH_AUTHORIZE_URL = ENV.oauth["FACEBOOK_OAUTH_AUTHORIZE_URL"]
FACEBOOK_OAUTH_TOKEN_URL = ENV.oauth["FACEBOOK_OAUTH_TOKEN_URL"]
FACEBOOK_GRAPH_URL = ENV.oauth["FACEBOOK_GRAPH_URL"]

# --- API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.ApiAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON is the API's one body format (docs/integrate.md section 7): any other content type
    # is a 415 `unsupported_media_type`; the CSV import names its own (multipart).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JsonParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "20/min",
        "actor": ENV.api_rate_limit,
        "hooks": "300/min",  # per address, signed inbound webhooks
        "schema": "10/min",  # per address, the OpenAPI document without a credential
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Carewatch API",
    "DESCRIPTION": "Reputation and crisis response for clinics. Clinic routes live under "
    "/clinics/{clinic}/api/v1/; agency-wide routes under /api/v1/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The enum hook is drf-spectacular's default; ours adds the examples recorded by
    # tests/api/test_examples.py (docs/api-examples.json).
    "SWAGGER_UI_DIST": "SIDECAR",
    # Swagger UI renders a document this large as a virtualized list (what is on screen), so the
    # browser's find-in-page misses operations further down: the filter box finds them by tag.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "filter": True},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.examples_add",
        "core.openapi.tags_add",
        "core.openapi.deprecated_mark",
        "core.openapi.unused_components_drop",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SourceKindEnum": "feeds.models.SourceKind",
        "ChatKindEnum": "clinics.models.ChatKind",
        "SentimentEnum": "scoring.models.SentimentLabel",
        "ItemKindEnum": "feeds.models.ItemKind",
        "ReviewStatusEnum": "feeds.models.ReviewStatus",
        "ImportStatusEnum": "feeds.models.ImportStatus",
        "WebhookEventEnum": "webhooks.models.WebhookEvent",
        "WebhookDeliveryStatusEnum": "webhooks.models.DeliveryStatus",
        "ApprovalStatusEnum": "responses.models.ApprovalStatus",
        "ConversationStatusEnum": "responses.models.ConversationStatus",
        # how a follow-up ended, and (without "settled", Carewatch's own) how a person says it
        "OutcomeEnum": "responses.models.FollowUpOutcome",
        "PrivateConversationUpdateOutcomeEnum": "responses.models.PERSON_OUTCOMES",
        "GuardVerdictEnum": "responses.models.Verdict",
        "IncidentStatusEnum": "crisis.models.IncidentStatus",
        "IncidentKindEnum": "crisis.models.IncidentKind",
        "IncidentEventKindEnum": "crisis.models.EventKind",
        "IncidentSeverityEnum": "crisis.models.Severity",
        "ReplyBatchKindEnum": "responses.models.BatchKind",
        "FactStatusEnum": "facts.models.FactStatus",
        "TemplateCategoryEnum": "responses.models.TemplateCategory",
        "ExportStatusEnum": "offboarding.models.ExportStatus",
        "PrivacyActionEnum": "agency.models.PrivacyAction",
        "PrivacyRequestStatusEnum": "feeds.apis_privacy.PRIVACY_REQUEST_STATUSES",
        "ApprovalsLogStepEnum": "responses.selectors.LOG_STEP_CHOICES",
        "ApprovalsLogDecisionEnum": "responses.selectors.LOG_DECISION_CHOICES",
        "ApprovalsLogKindEnum": "responses.selectors.LOG_KIND_CHOICES",
    },
}

# --- Celery (at-least-once) ---------------------------------------------------------------
CELERY_BROKER_URL = ENV.redis_url
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task is acknowledged only after it finished
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed worker's task goes back to the queue
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a worker holds one unacknowledged task at a time
CELERY_TASK_TIME_LIMIT = 30 * 60  # the longest task may run 30 minutes ...
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 60 * 60,  # ... so an unacknowledged task is re-delivered after 2 h
    "socket_connect_timeout": 2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing while Redis is down must not hang a request: fail fast, the sweepers catch up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_DEFAULT_QUEUE = "default"
# /health/ says "degraded" when a queue holds more messages than this (workers behind or gone).
HEALTH_QUEUE_WARN = ENV.health_queue_warn
CELERY_TASK_QUEUES = (Queue("default"), Queue("ml"))
CELERY_TASK_ROUTES = {
    "scoring.tasks.reviews_score": {"queue": "ml"},
    "scoring.tasks.claims_recheck": {"queue": "ml"},  # the model: only in ml workers
}
# Workers log through LOGGING below (config/celery.py: setup_logging), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 60  # loading the model takes seconds
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "poll-sources": {"task": "feeds.tasks.sources_poll_dispatch", "schedule": 60.0},
    # OAuth connections: renew tokens before they expire, warn before one dies.
    "refresh-source-connections": {
        "task": "feeds.tasks.connections_refresh_dispatch",
        "schedule": 300.0,
    },
    "sweep-imports": {"task": "feeds.tasks.imports_sweep", "schedule": 120.0},
    # Export files older than 7 days deleted; stalled exports queued again.
    "sweep-exports": {"task": "offboarding.tasks.exports_sweep", "schedule": 3600.0},
    # Reviews stored while Redis was down are queued again within 90 s of its return.
    "sweep-unscored": {
        "task": "scoring.tasks.scoring_sweep",
        "schedule": 60.0,
        "kwargs": {"min_age_seconds": 30},
    },
    "analyze-stale-tables": {"task": "core.tasks.stale_tables_analyze", "schedule": 300.0},
    "refill-clinic-spares": {"task": "clinics.tasks.spares_refill", "schedule": 300.0},
    "sweep-webhook-deliveries": {"task": "webhooks.tasks.deliveries_sweep", "schedule": 60.0},
    "run-crisis-detectors": {"task": "crisis.tasks.detectors_run_all", "schedule": 300.0},
    "sweep-outbox": {"task": "responses.tasks.outbox_sweep", "schedule": 60.0},
    # Private follow-ups: pending sends, and owners told once when one passes its due date.
    "sweep-follow-ups": {"task": "responses.tasks.followups_sweep", "schedule": 300.0},
    "sweep-follow-up-timeline": {
        "task": "crisis.tasks.incident_followup_events_sweep",
        "schedule": 600.0,
    },
    "escalate-unacknowledged-incidents": {
        "task": "crisis.tasks.escalations_check",
        "schedule": 60.0,
    },
    # People who chose the hourly digest get one e-mail listing what waited for them.
    "send-notification-digests": {
        "task": "clinics.tasks.notification_digests_send",
        "schedule": 3600.0,
    },
    # What waits for a person held for one e-mail (a burst): sent when its window ends, if
    # the task queued for that moment was lost (a worker restart, Redis away).
    "send-notification-bursts": {
        "task": "clinics.tasks.email_bursts_send_due",
        "schedule": 60.0,
    },
    # The 1st at 08:00 in each clinic's time zone: last month's report to the clinics that
    # chose "send the monthly report automatically" (every 15 min: zones off by :30 and :45).
    "send-monthly-reports": {
        "task": "reports.tasks.monthly_reports_dispatch",
        "schedule": 900.0,
    },
    "refresh-dashboard-snapshots": {
        "task": "dashboard.tasks.clinic_snapshots_sweep",
        "schedule": 30.0,
    },
}
# The scoring model: "default" (the shipped MiniLM + head, ONNX int8) or a local folder / a
# Hugging Face model id of a sequence-classification model (must be available offline).
SENTIMENT_MODEL = ENV.sentiment_model
# Dotted paths of callables that wrap the loaded scorer (scoring.engine); none in production.
SCORER_WRAPPERS: list[str] = []
# The labelled data the models are trained and evaluated on (train_sentiment, evaluate_sentiment).
# ($CAREWATCH_DATA_DIR, else shared/data beside the checkout: scoring.ml.data.default_data_dir)
DATA_DIR = default_data_dir()

# --- logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "clinic": {"()": "core.logging.ClinicFilter"},
        "refusal": {"()": "core.logging.RefusalFilter"},
    },
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s [%(clinic)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["clinic"],
            "formatter": "json" if ENV.log_json else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": ENV.log_level},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # a 403 (a role's refusal): one warning line, no traceback (core.logging.RefusalFilter)
        "django.request": {"filters": ["refusal"]},
    },
}

# --- production hardening ----------------------------------------------------------------
CSP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if ENV.production:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
