"""core.tenancy.clinic_schemas_select: the one read of a table in every clinic's schema (whether
a platform account is read elsewhere, how many sources use a sign-in). Schema names are quoted
identifiers, values are bound, only clinics' schemas are read, and thousands of clinics are
read in statements of a bounded size."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from clinics.models import Clinic
from core import tenancy
from core.tenancy import clinic_schemas_select
from feeds.models import Source

TABLE = Source._meta.db_table
PROBE = "SELECT name FROM {table} WHERE name LIKE %s"


def _probe(clinic, name: str) -> None:
    with schema_context(clinic.schema_name):
        Source.objects.create(kind="webhook", name=name)


def _read(**kwargs) -> list[tuple]:
    return sorted(clinic_schemas_select(PROBE, ["probe-%"], table=TABLE, **kwargs))


def test_every_clinics_rows_come_led_by_its_schema(clinic_a, clinic_c):
    _probe(clinic_a, "probe-a")
    _probe(clinic_c, "probe-c")

    assert _read() == sorted([(clinic_a.schema_name, "probe-a"), (clinic_c.schema_name, "probe-c")])
    assert _read(exclude={clinic_a.schema_name}) == [(clinic_c.schema_name, "probe-c")]


def test_a_value_is_bound_never_written_into_the_statement(clinic_a):
    _probe(clinic_a, "probe-'; DROP TABLE feeds_source; --")

    with CaptureQueriesContext(connection) as seen:
        rows = clinic_schemas_select(
            "SELECT name FROM {table} WHERE name = %s",
            ["probe-'; DROP TABLE feeds_source; --"],
            table=TABLE,
        )

    assert rows == [(clinic_a.schema_name, "probe-'; DROP TABLE feeds_source; --")]
    [union] = [q["sql"] for q in seen.captured_queries if "UNION ALL" in q["sql"]]
    assert f'"{clinic_a.schema_name}"."{TABLE}"' in union  # quoted identifiers


def test_schemas_that_are_no_clinics_are_never_read(clinic_a):
    # given a schema with the table but no clinic (a spare copy, the template), and a clinic
    # row whose schema is gone
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA h5_not_a_clinic")
        cursor.execute("CREATE TABLE h5_not_a_clinic.feeds_source (name text)")
        cursor.execute("INSERT INTO h5_not_a_clinic.feeds_source VALUES ('probe-stray')")
    Clinic.objects.bulk_create(
        [Clinic(schema_name="h5_gone", name="Gone", slug="h5-gone", agency_id=clinic_a.agency_id)]
    )
    _probe(clinic_a, "probe-a")

    assert _read() == [(clinic_a.schema_name, "probe-a")]


def test_thousands_of_clinics_are_read_in_bounded_statements(clinic_a, clinic_b, monkeypatch):
    _probe(clinic_a, "probe-a")
    _probe(clinic_b, "probe-b")
    whole = _read()
    monkeypatch.setattr(tenancy, "SCHEMAS_PER_STATEMENT", 2)

    with CaptureQueriesContext(connection) as seen:
        chunked = _read()

    assert chunked == whole
    statements = [q["sql"] for q in seen.captured_queries if "t.*" in q["sql"]]
    clinics = Clinic.objects.exclude(schema_name="public").count()
    assert len(statements) == -(-clinics // 2)
    assert all(s.count("UNION ALL") <= 1 for s in statements)
