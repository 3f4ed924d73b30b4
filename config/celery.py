"""The Celery app. Tasks carry the clinic's schema in their headers (tenant-schemas-celery):
a task queued inside a clinic's context runs in that clinic's schema."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# One thread per worker process: two was ~3x slower than one on a 2-core machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from celery.signals import setup_logging  # noqa: E402
from tenant_schemas_celery.app import CeleryApp  # noqa: E402

app = CeleryApp("carewatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _log_like_django(**kwargs) -> None:
    """Workers and beat log through settings.LOGGING (JSON in production, the clinic on every
    line), billiard's pool messages included; Celery adds no handlers of its own."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
