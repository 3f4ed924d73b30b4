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

tests/core/test_db_backend.py proves both against a real server.
"""

from __future__ import annotations

import select

from django.utils.asyncio import async_unsafe
from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.utils import get_limit_set_calls


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    # The search_path the database session has now, as far as this wrapper knows; None when
    # unknown (then the next cursor SETs it).
    _session_search_path: list[str] | None = None

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
