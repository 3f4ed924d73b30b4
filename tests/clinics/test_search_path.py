"""With TENANT_LIMIT_SET_CALLS the connection issues `SET search_path` once per schema switch.
A rollback reverts a SET issued inside it; these prove the connection then sets it again
instead of querying another clinic's tables (django-tenants #1262)."""

import pytest
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import schema_context

from feeds.models import Source

pytestmark = pytest.mark.django_db


def _db_search_path() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        return cursor.fetchone()[0]


def test_the_setting_is_on():
    assert settings.TENANT_LIMIT_SET_CALLS is True


def test_savepoint_rollback_does_not_leave_the_other_clinics_path(clinic_a, clinic_b):
    with schema_context(clinic_b.schema_name):
        Source.objects.create(kind="google", name="only-in-b")
    connection.set_tenant(clinic_a)
    assert not Source.objects.filter(name="only-in-b").exists()  # SET to clinic A
    try:
        with transaction.atomic():  # a savepoint inside the test's transaction
            connection.set_tenant(clinic_b)
            assert Source.objects.filter(name="only-in-b").exists()  # SET to clinic B
            raise RuntimeError("roll the savepoint back")
    except RuntimeError:
        pass
    # The database went back to clinic A's path; the connection still means clinic B.
    assert Source.objects.filter(name="only-in-b").exists()
    assert _db_search_path().startswith(clinic_b.schema_name)
    connection.set_schema_to_public()


def test_switching_back_after_a_savepoint_release(clinic_a, clinic_b):
    with schema_context(clinic_a.schema_name):
        Source.objects.create(kind="google", name="only-in-a")
    connection.set_tenant(clinic_b)
    with transaction.atomic():
        connection.set_tenant(clinic_a)
        assert Source.objects.filter(name="only-in-a").exists()
    connection.set_tenant(clinic_b)
    assert not Source.objects.filter(name="only-in-a").exists()
    assert _db_search_path().startswith(clinic_b.schema_name)
    connection.set_schema_to_public()


def _sets_and_queries(client, url):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    return [q for q in sql if q.startswith("SET search_path")], sql


def test_a_session_keeps_its_path_across_requests_to_the_same_clinic(api, clinic_a, clinic_b):
    """Each request selects public, its clinic, then public again; the session's path is SET
    only when it has to change (core.db_backend)."""
    from django.utils import timezone

    from feeds.models import Review

    for clinic in (clinic_a, clinic_b):
        with schema_context(clinic.schema_name):
            source = Source.objects.create(kind="google", name=f"in {clinic.slug}")
            Review.objects.create(
                source=source, external_id="x", text="Hi", published_at=timezone.now()
            )
    a, b = api("key_a"), api("key_b")
    a_url, b_url = "/clinics/clinic-a/api/v1/reviews/", "/clinics/clinic-b/api/v1/reviews/"
    b.get(b_url)
    a.get(a_url)  # both routes cached; the session is at clinic A
    sets, sql = _sets_and_queries(a, a_url)
    assert sets == [] and sql, sql  # same clinic as the request before: no SET at all
    sets, sql = _sets_and_queries(b, b_url)
    assert len(sets) == 1 and clinic_b.schema_name in sets[0], sql
    assert "in clinic-b" in b.get(b_url).content.decode()
    sets, sql = _sets_and_queries(a, a_url)
    assert len(sets) == 1 and clinic_a.schema_name in sets[0], sql
    assert "in clinic-a" in a.get(a_url).content.decode()


def test_a_rolled_back_set_is_set_again_when_its_clinic_comes_back(clinic_a, clinic_b):
    """The session remembers clinic A's path; inside a savepoint it moves to B, and the
    rollback takes the database back to A's... or so it seems: the SET to A came first and
    the remembered path must be forgotten, whatever it was."""
    with schema_context(clinic_a.schema_name):
        Source.objects.create(kind="google", name="only-in-a")
    connection.set_tenant(clinic_b)
    assert not Source.objects.filter(name="only-in-a").exists()  # session path: B
    try:
        with transaction.atomic():
            connection.set_tenant(clinic_a)
            assert Source.objects.filter(name="only-in-a").exists()  # session path: A
            raise RuntimeError("roll the savepoint back")  # ... and back to B
    except RuntimeError:
        pass
    connection.set_schema_to_public()
    connection.set_tenant(clinic_a)  # A again: must SET, the database is at B
    assert Source.objects.filter(name="only-in-a").exists()
    assert _db_search_path().startswith(clinic_a.schema_name)
    connection.set_schema_to_public()
