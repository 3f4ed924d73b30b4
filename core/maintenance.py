"""Planner statistics for clinic tables. Autovacuum may be off or slow (it is off on our
development machines); with stale statistics PostgreSQL picks plans that scan a whole clinic's
reviews for a lookup of 1,000 ids. This refreshes statistics the way autovacuum's analyze
would: for tables changed by more than 10 % (and at least 500 rows) since their last ANALYZE."""

from __future__ import annotations

from django.db import connection
from psycopg import sql


def stale_tables_analyze(
    *, schema: str | None = None, min_changes: int = 500, ratio: float = 0.1
) -> list[str]:
    """ANALYZE the clinic tables whose statistics are stale; returns "schema.table" names."""
    query = (
        "SELECT schemaname, relname FROM pg_stat_user_tables "
        "WHERE schemaname LIKE %s AND n_mod_since_analyze > GREATEST(%s, %s * n_live_tup)"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [schema or "clinic\\_%", min_changes, ratio])
        stale = cursor.fetchall()
        for schema_name, table in stale:
            cursor.execute(
                sql.SQL("ANALYZE {}.{}").format(sql.Identifier(schema_name), sql.Identifier(table))
            )
    return [f"{s}.{t}" for s, t in stale]
