"""Clinic schemas: a migrated template schema that new clinics are cloned from.

Cloning the template (tables, indexes, sequences and its `django_migrations` rows) takes a
fraction of a second, where running every migration would take seconds. The template is
rebuilt by `template_schema_ensure()` whenever migrations exist on disk that it has not
applied, so a clone is never behind the code.
"""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

TEMPLATE_SCHEMA = settings.CLINIC_TEMPLATE_SCHEMA
_LOCK_ID = 0x43415245  # pg_advisory_xact_lock key for template maintenance


@cache
def tenant_migrations_on_disk() -> frozenset[tuple[str, str]]:
    labels = {apps.get_app_config(app.rsplit(".", 1)[-1]).label for app in settings.TENANT_APPS}
    loader = MigrationLoader(None, ignore_no_migrations=True, load=False)
    loader.load_disk()
    return frozenset(key for key in loader.disk_migrations if key[0] in labels)


def _applied(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return set()
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608
        return set(cursor.fetchall())


def schema_is_current(schema: str) -> bool:
    return tenant_migrations_on_disk() <= _applied(schema)


def template_is_current() -> bool:
    return schema_exists(TEMPLATE_SCHEMA) and tenant_migrations_on_disk() <= _applied(
        TEMPLATE_SCHEMA
    )


def _clone_function_exists() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname = 'clone_schema'"
        )
        return cursor.fetchone() is not None


def template_schema_ensure(*, verbosity: int = 0) -> bool:
    """Create or migrate the template schema if it is missing or behind; True if it changed.
    Safe to call from many processes at once."""
    connection.set_schema_to_public()
    if template_is_current() and _clone_function_exists():
        return False
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
        if not _clone_function_exists():
            CloneSchema()._create_clone_schema_function()
        if template_is_current():
            return False
        if not schema_exists(TEMPLATE_SCHEMA):
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{TEMPLATE_SCHEMA}"')
        call_command(
            "migrate_schemas",
            schema_name=TEMPLATE_SCHEMA,
            tenant=True,
            interactive=False,
            verbosity=verbosity,
        )
        connection.set_schema_to_public()
    return True


def schema_clone_from_template(schema_name: str) -> None:
    """Create `schema_name` as a copy of the template. Runs in the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT clone_schema(%s, %s, 'DATA')", [TEMPLATE_SCHEMA, schema_name])
