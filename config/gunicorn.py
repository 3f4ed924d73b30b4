"""gunicorn settings: `gunicorn config.wsgi -c config/gunicorn.py`."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
accesslog = "-"
max_requests = 2000  # recycle workers now and then: bounded memory and catalogue caches
max_requests_jitter = 200


def post_worker_init(worker):
    """Build the reply guard once per web worker, after the fork, before the first request."""
    from responses.guard import warm_up

    warm_up()
