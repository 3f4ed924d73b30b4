"""django-tenants' PostgreSQL backend, two round trips lighter per request.

Every request selects the public schema, then its clinic, then the public schema again
(`clinics.middleware.ClinicRoutingMiddleware`). On a busy web process each round trip to the
database costs more than the query it carries, so:

- **`SET search_path` only when the session's path changes.** django-tenants forgets the path
  in effect whenever a schema is selected, so even with TENANT_LIMIT_SET_CALLS each request
  SET it again. This remembers the path the session has until something may have changed it:
  a rollback (a SET is transactional), a savepoint rollback, a failed SET, or a closed
  connection. Code must not issue its own `SET search_path` on Django's connection (none
  does; `clone_schema` restores the path it changes).
- **Health checks (CONN_HEALTH_CHECKS) poll the socket** instead of running `SELECT 1` at the
  start of every request. An idle connection receives nothing from the server, unless the
  server is ending it (a restart, `pg_terminate_backend`, an idle timeout: it sends an error
  and closes) or has a notice or notification for it; only then does the real check run.
  A server that vanished without closing the socket is caught by neither check until a query
  times out, as before.

And `prepared_cursor()`: a cursor whose parameterised statements PostgreSQL parses and plans
once per connection (and shape), for the hot queries that would otherwise be planned on every
request (the API's review list). A prepared statement follows the session's search_path: when
it differs from the one it was prepared under, PostgreSQL analyses the statement again.

tests/core/test_db_backend.py proves these against a real server.
"""

from __future__ import annotations

import select

import psycopg
from django.db.backends.postgresql import operations as postgresql_operations
from django.db.backends.postgresql.base import CursorMixin
from django.utils.asyncio import async_unsafe
from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.utils import get_limit_set_calls


class _PreparingCursor(CursorMixin, psycopg.Cursor):
    """Server-side binding; a statement with parameters is prepared (the search_path's SET,
    which has none, is not)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and params:
            prepare = True
        return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseOperations(postgresql_operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """A prepared statement leaves no client-side text behind: compose it, as Django does
        under server-side binding, so query logs and CaptureQueriesContext still show it."""
        if isinstance(cursor, _PreparingCursor):
            try:
                return self.compose_sql(sql, params)
            except psycopg.errors.DataError:
                return sql
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    ops_class = DatabaseOperations
    # The search_path the database session has now, as far as this wrapper knows; None when
    # unknown (then the next cursor SETs it).
    _session_search_path: list[str] | None = None
    _next_cursor_prepares = False

    def prepared_cursor(self):
        """Like `cursor()`, with statements prepared by the server (see the module's doc). One
        statement per `execute`, `%s` placeholders; parameters are typed by psycopg."""
        self._next_cursor_prepares = True
        try:
            return self.cursor()
        finally:
            self._next_cursor_prepares = False

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # Django turns preparation off (None). Prepare only when asked (prepared_cursor): the
        # automatic threshold is set out of reach.
        connection.prepare_threshold = 2**31
        return connection

    def create_cursor(self, name=None):
        if self._next_cursor_prepares and name is None:
            return _PreparingCursor(self.connection)
        return super().create_cursor(name)

    def _handle_search_path(self, cursor=None):
        if (
            not self._setting_search_path
            and get_limit_set_calls()
            and self.schema_name
            and self._session_search_path is not None
            and self._session_search_path == self._get_cursor_search_paths()
        ):
            self.search_path_set_schemas = self._session_search_path
            return
        super()._handle_search_path(cursor)
        # What was SET (or was already known to be set); None when the SET failed.
        self._session_search_path = self.search_path_set_schemas

    def close(self):
        self._session_search_path = None
        super().close()

    @async_unsafe
    def rollback(self):
        self._session_search_path = None
        super().rollback()

    @async_unsafe
    def savepoint_rollback(self, sid):
        try:
            super().savepoint_rollback(sid)
        finally:
            self._session_search_path = None

    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        if not readable:
            return True  # the server has said nothing since the last query: still there
        return super().is_usable()  # something arrived (an error before closing, a notice)
