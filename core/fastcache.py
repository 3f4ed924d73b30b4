"""Direct access to the cache's Redis for the few hot paths that need exact keys.

Django's cache prefixes every key with the current clinic schema (`django_tenants.cache.
make_key`): right for per-clinic data, wrong for things that are the same in every schema
(an API key, a rate-limit budget) and must be invalidated from any schema. These helpers use
the cache's own connection pool with keys as given, and never raise: a Redis outage makes
them miss, and callers fall back to the database.
"""

from __future__ import annotations

import logging
import pickle

from django.core.cache import cache

logger = logging.getLogger(__name__)


def client():
    """A Redis client on the cache's own connection pool. Django builds a new client object
    for every cache call (~0.2 ms: redis-py fills its response-callback tables each time); the
    hot paths here run on every API request, so each thread's cache keeps one."""
    backend = cache._cache  # per thread (django.core.cache.caches), so per thread here too
    made = getattr(backend, "_carewatch_client", None)
    if made is None:
        made = backend._carewatch_client = backend.get_client(None, write=True)
    return made


def get_object(key: str):
    try:
        raw = client().get(key)
    except Exception:  # noqa: BLE001 - a cache miss, not an error
        return None
    return pickle.loads(raw) if raw else None  # noqa: S301 - written only by set_object


def set_object(key: str, value, *, ttl: int) -> None:
    try:
        client().set(key, pickle.dumps(value), ex=ttl)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable; not cached", extra={"cache_key": key})


def delete(key: str) -> None:
    try:
        client().delete(key)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable; could not delete", extra={"cache_key": key})
