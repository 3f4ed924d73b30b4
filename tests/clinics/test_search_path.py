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


def test_one_set_per_request(api, clinic_a):
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        from feeds.models import Review

        Review.objects.create(
            source=source, external_id="x", text="Hi", published_at=timezone.now()
        )
    client = api("key_a")
    client.get("/clinics/clinic-a/api/v1/reviews/")  # warms the route cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/clinics/clinic-a/api/v1/reviews/").status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    sets = [q for q in sql if q.startswith("SET search_path")]
    others = [q for q in sql if not q.startswith("SET search_path")]
    # Without the setting every query is preceded by its own SET (as many SETs as queries).
    assert len(others) >= 2 and len(sets) < len(others), sql
