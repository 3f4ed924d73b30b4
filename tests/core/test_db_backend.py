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


def test_the_review_list_is_prepared_once_and_follows_each_clinics_search_path(
    api, clinic_a, clinic_b
):
    """The API's review query is a prepared statement; alternating clinics on one connection
    must still read each clinic's own tables (PostgreSQL re-analyses a prepared statement
    whose search_path differs)."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from feeds.models import Review, Source

    for clinic in (clinic_a, clinic_b):
        with schema_context(clinic.schema_name):
            source = Source.objects.create(kind="google", name=f"source of {clinic.slug}")
            Review.objects.create(
                source=source,
                external_id="x",
                text=f"about {clinic.slug}",
                published_at=timezone.now(),
            )
    a, b = api("key_a"), api("key_b")
    for _ in range(3):
        assert [
            r["text"]
            for r in a.get("/clinics/clinic-a/api/v1/reviews/?rating_max=5").json()["results"]
        ] == []
        assert [
            r["text"] for r in a.get("/clinics/clinic-a/api/v1/reviews/").json()["results"]
        ] == ["about clinic-a"]
        assert [
            r["text"] for r in b.get("/clinics/clinic-b/api/v1/reviews/").json()["results"]
        ] == ["about clinic-b"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["SELECT replace(to_char(r.published_at%"],
        )
        assert cursor.fetchone()[0] == 2  # one per query shape (with and without rating_max)
