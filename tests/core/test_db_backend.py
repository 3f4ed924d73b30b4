"""core.db_backend: the connection health check without a round trip (the search-path half is
in tests/clinics/test_search_path.py)."""

import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_connection():
    """A second connection to the test database, outside the test's transaction."""
    conn = connections.create_connection("default")
    conn.ensure_connection()
    yield conn
    conn.close()


def _last_query_of(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
        return row[0] if row else ""


def test_a_live_idle_connection_passes_without_a_query(own_connection):
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT 'last thing said', pg_backend_pid()")
        pid = cursor.fetchone()[1]
    for _ in range(3):
        assert own_connection.is_usable() is True
    assert _last_query_of(pid) == "SELECT 'last thing said', pg_backend_pid()"


def test_a_connection_the_server_ended_fails_the_check_and_the_next_query_reconnects(
    own_connection,
):
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while _last_query_of(pid) and time.monotonic() < deadline:
        time.sleep(0.02)  # until the backend is gone
    assert own_connection.is_usable() is False
    own_connection.health_check_done = False
    own_connection.close_if_health_check_failed()  # what each request start does
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_the_backend_is_in_use():
    assert type(connections["default"]).__module__ == "core.db_backend.base"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
