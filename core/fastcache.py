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


def set_object(key: str, value, *, ttl: int, only_new: bool = False) -> None:
    """`only_new`: unless `key` holds something (a value, or `hold`'s mark)."""
    try:
        client().set(key, pickle.dumps(value), ex=ttl, nx=only_new)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable; not cached", extra={"cache_key": key})


def hold(key: str, *, ttl: int) -> None:
    """Drop `key`'s value and keep the place taken for `ttl` seconds: `get_object` misses, and
    `set_object(only_new=True)` stores nothing. A reader that read the database before a
    change was committed cannot cache what it read once the change has dropped the key."""
    try:
        client().set(key, b"", ex=ttl)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable; could not hold", extra={"cache_key": key})


def delete(key: str) -> None:
    try:
        client().delete(key)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable; could not delete", extra={"cache_key": key})


# INCR, and set the lifetime when the counter is new: one command, so one round trip (a MULTI /
# INCR / EXPIRE / EXEC pipeline is four commands). EVAL rather than EVALSHA: redis-py's pipeline
# checks its scripts with an extra round trip before every EVALSHA.
_COUNT = (
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n"
)


def count(key: str, *, ttl: int) -> int:
    """Adds one to the counter `key` (created with lifetime `ttl`) and returns it. Raises when
    Redis is unreachable: the caller decides whether to fail open."""
    return client().eval(_COUNT, 1, key, ttl)


def get_object_and_count(key: str, counter: str, *, ttl: int) -> tuple[object | None, int | None]:
    """`get_object(key)` and `count(counter)` in one round trip. A Redis outage gives
    (None, None)."""
    try:
        raw, counted = (
            client().pipeline(transaction=False).get(key).eval(_COUNT, 1, counter, ttl).execute()
        )
    except Exception:  # noqa: BLE001 - a cache miss, not an error
        return None, None
    return (pickle.loads(raw) if raw else None), counted  # noqa: S301 - written by set_object


def uncount(counter: str) -> None:
    try:
        client().decr(counter)
    except Exception:  # noqa: BLE001
        logger.warning(
            "cache unavailable; could not take a count back", extra={"cache_key": counter}
        )
