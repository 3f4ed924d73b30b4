"""A gunicorn worker that leaves is gone at once (config/gunicorn.py, worker_exit).

The master builds the reply guard before forking (preload_app, when_ready), which imports
onnxruntime; a forked child that then exited through the interpreter hung in onnxruntime's
static destructors until the master killed it. Each worker recycled by max_requests (every
~2,000 requests, all day long) was a CRITICAL "WORKER TIMEOUT" 30 s later, with one worker fewer
meanwhile: with one worker, the request after the recycle waited 30.7 s. Stopping the server
took graceful_timeout (20 s), which honcho (`make run`) cuts short with SIGKILL after 5.

Real gunicorn with the project's config, against the test database; max_requests is lowered
through GUNICORN_CMD_ARGS (which gunicorn reads over the config file)."""

from __future__ import annotations

import signal
import time

import httpx

from tests.faults.conftest import WebServer, db_url

REQUESTS = 10
RECYCLE_EVERY = 3


def test_a_recycled_worker_is_replaced_at_once_and_a_stop_takes_no_grace_period(world, tmp_path):
    web = WebServer(
        {
            "DATABASE_URL": db_url(),
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "1",
            "LOG_LEVEL": "INFO",
            "GUNICORN_CMD_ARGS": f"--max-requests {RECYCLE_EVERY} --max-requests-jitter 0",
        },
        tmp_path / "web.log",
    ).wait_ready()
    try:
        took = []
        for _ in range(REQUESTS):
            started = time.monotonic()
            answer = httpx.get(f"{web.base_url}/health/", timeout=60)
            took.append(time.monotonic() - started)
            assert answer.status_code == 200
        log = web.log.read_text(errors="replace")
        # the one worker was recycled (the wait_ready probes count too) ...
        assert log.count("Autorestarting worker") >= REQUESTS // RECYCLE_EVERY, log[-3000:]
        # ... and every time the next one served at once: no worker hung on its way out
        assert "WORKER TIMEOUT" not in log, log[-3000:]
        assert max(took) < 10, took

        started = time.monotonic()
        web.proc.send_signal(signal.SIGTERM)
        web.proc.wait(15)
        stopped = time.monotonic() - started
        assert stopped < 5, stopped  # graceful_timeout is 20 s: nothing waited for it
        assert web.proc.returncode == 0
        assert "was sent SIGKILL" not in web.log.read_text(errors="replace")
    finally:
        web.stop()
