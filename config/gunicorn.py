"""gunicorn settings: `gunicorn config.wsgi -c config/gunicorn.py`."""

import gc
import json
import logging
import multiprocessing
import os
import re
import sys
import time

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# A request is CPU-bound Python around a few milliseconds of database work: two processes per
# core with one request thread each (gthread keeps idle keep-alive connections aside) beat
# fewer processes with more threads, whose requests queue on one GIL. bench/api/run.py on
# 2 cores: 4 x 1 gave list p95 90-114 ms, 4 x 2 gave 132-190 ms at the same load.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
# gunicorn's default request line (4094 bytes) answered a long but reasonable address with its
# own bare 414 page: 8190 is its most. What makes our addresses caps what it takes (the inbox's
# search: 200 characters, a field message past it), so none of our forms reaches this.
limit_request_line = 8190
graceful_timeout = 20
accesslog = "-"
max_requests = 2000  # recycle workers now and then: bounded memory and catalogue caches
max_requests_jitter = 200
# gunicorn 25+ opens a control socket (gunicornc: resize, reload) at one path per user,
# ~/.gunicorn/gunicorn.ctl, which a second server on the machine (the tests' own, a second
# `make run`) takes over; nothing here uses it, and it is one more thread in the master that
# every worker is forked from.
control_socket_disable = True


# Workers fork from a master that has imported the project and built the reply guard (spaCy +
# Presidio: seconds of CPU). A worker that max_requests recycles is serving again at once,
# instead of leaving its connections waiting while it rebuilds the guard on a busy machine, and
# the guard's memory is shared between workers. (A code change needs a restart, not a HUP.)
preload_app = True


def when_ready(server):
    """In the master, before the first fork: build the guard and import every view, WeasyPrint
    and the Redis client, so that a new worker's first request takes milliseconds, not the
    ~0.4 s of imports (its first PDF, not ~0.5 s more); hand no connection down; freeze the
    heap."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connections
    from django.urls import get_resolver

    from core.pdf import warm_up as pdf_warm_up
    from responses.guard import warm_up  # gunicorn reads this file before Django is set up

    warm_up()
    pdf_warm_up()  # WeasyPrint: a worker's first PDF (a post-crisis review) ~0.5 s CPU sooner
    for urlconf in (settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF):
        get_resolver(urlconf).url_patterns  # noqa: B018 - imports the URLconf and its views
    cache._cache  # noqa: B018 - imports redis (connects only when used)
    connections.close_all()
    # What is loaded now lives as long as the process: take it out of the garbage collector's
    # sight, or each full collection in a worker walks it again (~110 ms, stalling a request).
    gc.collect()
    gc.freeze()


def worker_exit(server, worker):
    """In the worker, as it leaves (a restart, max_requests, the master's timeout): close its
    database connections, flush the logs and end the process here, with the exit code it was
    leaving with. The interpreter's own exit would run onnxruntime's static destructors, which
    the master imported before the fork (the guard's backstop, when_ready): in a forked child
    they wait forever on a condition variable whose waiter, a thread of the master, does not
    exist there. Every worker that left hung until the master killed it: at max_requests a
    CRITICAL "WORKER TIMEOUT" after 30 s, with one worker fewer meanwhile (a request waited
    30.7 s with one worker), and every stop took graceful_timeout (20 s)."""
    leaving = sys.exc_info()[1]
    if not isinstance(leaving, SystemExit):
        return  # gunicorn ends every worker with SystemExit; anything else exits as it would
    code = leaving.code if isinstance(leaving.code, int) else (0 if leaving.code is None else 1)
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: BLE001 - leaving anyway: the server notices a closed socket
        server.log.warning("closing the database connections of an exiting worker failed")
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code & 0xFF)


_CLINIC_PATH = re.compile(r"^/clinics/([a-z0-9-]+)/")


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                "level": record.levelname,
                "logger": record.name,
                "clinic": "public",
                "message": record.getMessage(),
            }
        )


class JsonAccessLogger(Logger):
    """gunicorn's own lines as JSON, like the application's (core.logging). Access lines: the
    clinic (its schema, from the path), method, path without the query string (search terms
    stay out of logs), status and duration; no referrer, no user agent."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(_JsonLines())

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        path = environ.get("PATH_INFO", "")
        match = _CLINIC_PATH.match(path)
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "clinic": "clinic_" + match.group(1).replace("-", "_") if match else "public",
            "message": "request",
            "method": environ.get("REQUEST_METHOD", ""),
            "path": path,
            "status": int(str(resp.status).split()[0]),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote": environ.get("REMOTE_ADDR", ""),
        }
        self.access_log.info(json.dumps(line))


_log_json = os.environ.get("LOG_JSON", "").lower()
if _log_json in {"1", "true", "yes", "on"} or (
    not _log_json and os.environ.get("CAREWATCH_ENV") == "production"
):
    logger_class = JsonAccessLogger
