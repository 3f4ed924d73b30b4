"""Spare copies of the clinic template: creating a clinic renames a current one; a spare
behind the template's migrations is never used, and the refill replaces it."""

from __future__ import annotations

import json

from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from clinics.schemas import (
    TEMPLATE_SCHEMA,
    spare_schemas,
    spares_refill,
    tenant_migrations_on_disk,
)
from clinics.services import clinic_create
from config.celery import app as celery_app
from feeds.models import Review, Source


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_refill_makes_spares_and_a_new_clinic_takes_one(
    world, db, settings, django_capture_on_commit_callbacks
):
    settings.CLINIC_SPARE_SCHEMAS = 2
    assert spares_refill() == 2
    spares = spare_schemas()
    assert len(spares) == 2 and spares_refill() == 0
    assert all(_tables(spare) == _tables(TEMPLATE_SCHEMA) for spare in spares)

    # when a clinic is created
    with celery_app.connection_for_write() as conn:
        broker = conn.default_channel.client
        broker.delete("default")
        with django_capture_on_commit_callbacks(execute=True):
            clinic = clinic_create(
                agency=world.agencies["alpha"], name="Spare", slug="spare-clinic"
            )
            assert broker.llen("default") == 0  # nothing before commit
        queued = [json.loads(m)["headers"]["task"] for m in broker.lrange("default", 0, -1)]

    # then it got the first spare (renamed), a refill follows the commit, and the schema works
    assert spare_schemas() == spares[1:]
    assert not schema_exists(spares[0])
    assert _tables(clinic.schema_name) == _tables(TEMPLATE_SCHEMA)
    assert "clinics.tasks.spares_refill" in queued
    with schema_context(clinic.schema_name):
        source = Source.objects.create(kind="api", name="x")
        Review.objects.create(
            source=source, external_id="1", rating=5, text="ok", published_at="2026-11-01T10:00Z"
        )
        assert Review.objects.get().pk >= 1


def test_a_spare_behind_the_template_is_not_used_and_the_refill_replaces_it(world, db, settings):
    settings.CLINIC_SPARE_SCHEMAS = 1
    spares_refill()
    (stale,) = spare_schemas()
    app, name = sorted(tenant_migrations_on_disk())[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{stale}".django_migrations WHERE app = %s AND name = %s',  # noqa: S608
            [app, name],
        )

    clinic = clinic_create(agency=world.agencies["alpha"], name="Cloned", slug="cloned-clinic")

    assert spare_schemas() == [stale]  # not taken: the clinic was cloned
    assert _tables(clinic.schema_name) == _tables(TEMPLATE_SCHEMA)
    assert spares_refill() == 1
    assert stale not in spare_schemas() and len(spare_schemas()) == 1


def test_no_spares_in_the_test_suite_unless_asked():
    from django.conf import settings

    assert settings.CLINIC_SPARE_SCHEMAS == 0
