"""The Celery app. Tasks carry the clinic's schema in their headers (tenant-schemas-celery):
a task queued inside a clinic's context runs in that clinic's schema."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# One thread per worker process: two was ~3x slower than one on a 2-core machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from celery.signals import setup_logging, worker_before_create_process  # noqa: E402
from tenant_schemas_celery.app import CeleryApp  # noqa: E402

# ClinicTask: a task queued for a clinic that was deactivated since does nothing.
app = CeleryApp("carewatch", task_cls="clinics.paused:ClinicTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _log_like_django(**kwargs) -> None:
    """Workers and beat log through settings.LOGGING (JSON in production, the clinic on every
    line), billiard's pool messages included; Celery adds no handlers of its own."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@worker_before_create_process.connect
def _freeze_the_parents_heap(**kwargs) -> None:
    """In the worker's parent, right before each pool child is forked (at start and whenever a
    child is replaced): collect, then move every object the parent holds (Django, the project's
    modules, Celery) out of the garbage collector's sight. Otherwise the child's first full
    collection walks them all and writes to each one's header, and the copy-on-write pages it
    shared with the parent become its own: the soak benchmark saw a default worker's private
    memory step up by ~114 MB at once, 27 minutes in (bench/soak/README.md; measured by
    bench/soak/gc_fork.py). gunicorn's master does the same in when_ready."""
    gc.collect()
    gc.freeze()
