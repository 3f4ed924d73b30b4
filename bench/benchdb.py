"""A benchmark's own PostgreSQL database, made fresh before a run and dropped after it (the scale
and soak benches): `FORCE` ends whatever is still connected to it."""

from __future__ import annotations

import psycopg


def reset_db(base: str, db: str) -> None:
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db}")


def drop_db(base: str, db: str) -> None:
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
