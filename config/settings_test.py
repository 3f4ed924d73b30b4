"""The test suite's settings (pytest, the workers and the web server it starts): the real
settings, plus what only tests need. Production settings never ask whether pytest is running."""

import os
import re


def _own_redis_databases() -> None:
    """Under pytest-xdist (`make test` runs the suite in two processes, gw0 and gw1) each
    process gets its own Redis databases: the broker's and the cache's number minus the
    process's index, so a Celery worker started by one never takes the other's tasks and a
    test that clears a cache key clears only its own. (The test database already has its own
    name per process, from pytest-django.) The workers and web servers a test starts inherit
    the shifted URLs and CAREWATCH_REDIS_SHARD, so they do not shift again."""
    shard = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not shard.startswith("gw") or os.environ.get("CAREWATCH_REDIS_SHARD") == shard:
        return
    index, count = int(shard[2:]), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    from config.env import load  # the variables' defaults, read as the settings read them

    env, parts = load(), {}
    for name, url in (("REDIS_URL", env.redis_url), ("CACHE_URL", env.cache_url)):
        m = re.fullmatch(r"(redis://[^/]+/)(\d+)", url)
        if m is None:
            raise RuntimeError(f"{name}={url}: the suite needs a URL ending in a database number")
        parts[name] = (m.group(1), int(m.group(2)))
    broker, cache = parts["REDIS_URL"][1], parts["CACHE_URL"][1]
    if abs(broker - cache) < count or min(broker, cache) < count - 1:
        raise RuntimeError(
            f"{count} test processes need {count} Redis databases each below REDIS_URL's "
            f"({broker}) and CACHE_URL's ({cache}), apart and not below 0; e.g. 15 and 9"
        )
    for name, (prefix, number) in parts.items():
        os.environ[name] = f"{prefix}{number - index}"
    os.environ["CAREWATCH_REDIS_SHARD"] = shard


_own_redis_databases()

from config.settings import *  # noqa: E402, F403

# Real hashing would dominate the suite's run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests create their clinics when they need them; no spare schemas are prepared.
CLINIC_SPARE_SCHEMAS = 0
# Fault injection for the fault tests (tests/fixtures/faults.py): a worker started with
# CAREWATCH_FAULT_KILL_ON dies when it scores a text that contains the marker.
SCORER_WRAPPERS = ["tests.fixtures.faults.kill_on_marker"]

# Files the tests upload stay out of the checkout's media folder.
MEDIA_ROOT = str(BASE_DIR / "test-artifacts" / "media")  # noqa: F405

# DRF's own test clients (APIClient, APIRequestFactory) send a dict as JSON, the API's one body
# format; the suite's Django clients do the same for API paths (tests.fixtures.tenants.Client).
REST_FRAMEWORK = {**REST_FRAMEWORK, "TEST_REQUEST_DEFAULT_FORMAT": "json"}  # noqa: F405
