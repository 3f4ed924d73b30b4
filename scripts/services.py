"""Checks that PostgreSQL and Redis answer, and creates the database if it is missing.

Run by `make run` and `make test` before anything else, so that a service that is down is
named with the variable that points at it and the command that starts it."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

import psycopg
import redis
from psycopg import sql

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/carewatch")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def fail(message: str) -> None:
    print(f"\n  {message}\n", file=sys.stderr)
    sys.exit(2)


def check_postgres(create: bool) -> None:
    url = urlparse(DATABASE_URL)
    dbname = url.path.lstrip("/") or "carewatch"
    admin = url._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, connect_timeout=5, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [dbname]
            ).fetchone()
            if not exists and create:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
                print(f"Created database {dbname}.")
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0]
        fail(
            f"PostgreSQL does not answer at DATABASE_URL={DATABASE_URL} ({reason}).\n"
            "  Start it, e.g.: "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "  or point DATABASE_URL at a running server."
        )


def check_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        fail(
            f"Redis does not answer at REDIS_URL={REDIS_URL} ({exc}).\n"
            "  Start it, e.g.: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379"
            ' --save "" --appendonly no\n'
            "  or point REDIS_URL at a running server."
        )


if __name__ == "__main__":
    check_postgres(create="--create-db" in sys.argv)
    check_redis()
    print("PostgreSQL and Redis answer.")
