"""Clinic schemas: a migrated template schema that new clinics are copied from, spare copies
kept ready, the migration executor that skips up-to-date clinics, and the walk over every
clinic.

Cloning the template (tables, indexes, sequences and its `django_migrations` rows) is much
faster than running every migration, but still takes seconds once there are a thousand
clinics; a new clinic therefore takes a spare copy made earlier. The template is rebuilt by
`template_schema_ensure()` whenever migrations exist on disk that it has not applied, so a
copy is never behind the code.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from functools import cache

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.clone import CloneSchema
from django_tenants.migration_executors import MigrationExecutor, MultiprocessingExecutor
from django_tenants.migration_executors.base import run_migrations
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from core.queueing import enqueue_on_commit

SPARES_REFILL_TASK = "clinics.tasks.spares_refill"
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
    """Create `schema_name` as a copy of the template, in the caller's transaction: a ready
    spare copy renamed (milliseconds) when one is current, else a fresh clone (seconds at a
    thousand clinics: bench/scale). Either way the spares are topped up after
    commit."""
    if not _spare_take(schema_name):
        with connection.cursor() as cursor:
            cursor.execute("SELECT clone_schema(%s, %s, 'DATA')", [TEMPLATE_SCHEMA, schema_name])
    if settings.CLINIC_SPARE_SCHEMAS:
        enqueue_on_commit(SPARES_REFILL_TASK, [()], schema_name="public")


# --- spare copies of the template ------------------------------------------------------------
# CLINIC_SPARE_SCHEMAS copies of the template wait under names "spare_clinic_<hex>"; creating a
# clinic renames one (ALTER SCHEMA ... RENAME is a catalogue update). A spare behind the
# template's migrations is never used: spares_refill() drops it and clones a new one.

# Not "clinic_...": no clinic slug can produce this name.
SPARE_PREFIX = "spare_clinic_"


def spare_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) ORDER BY nspname",
            [SPARE_PREFIX],
        )
        return [row[0] for row in cursor.fetchall()]


def _spare_lock(cursor, spare: str) -> bool:
    """Held until the transaction ends: the spare is ours to rename or drop."""
    cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [spare])
    return cursor.fetchone()[0]


def _spare_take(schema_name: str) -> bool:
    """Rename a current spare to `schema_name` in the caller's transaction; False if none."""
    if not connection.in_atomic_block:
        raise RuntimeError("A spare is taken inside the clinic's creation transaction.")
    with connection.cursor() as cursor:
        for spare in spare_schemas():
            if not _spare_lock(cursor, spare):
                continue  # another creation is taking it
            if not schema_exists(spare) or not schema_is_current(spare):
                continue  # taken meanwhile, or behind the template (the refill drops it)
            cursor.execute(f'ALTER SCHEMA "{spare}" RENAME TO "{schema_name}"')
            return True
    return False


def spares_refill(*, target: int | None = None) -> int:
    """Drop spares behind the template and clone new ones until `target` (default
    CLINIC_SPARE_SCHEMAS) are ready; returns how many were cloned. Safe to run concurrently."""
    target = settings.CLINIC_SPARE_SCHEMAS if target is None else target
    template_schema_ensure()
    connection.set_schema_to_public()
    for spare in spare_schemas():
        if not schema_is_current(spare):
            with transaction.atomic(), connection.cursor() as cursor:
                if _spare_lock(cursor, spare) and schema_exists(spare):
                    cursor.execute(f'DROP SCHEMA "{spare}" CASCADE')
    made = 0
    while len(spare_schemas()) < target:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT clone_schema(%s, %s, 'DATA')",
                [TEMPLATE_SCHEMA, SPARE_PREFIX + secrets.token_hex(6)],
            )
        made += 1
    return made


# --- migrating many clinics ----------------------------------------------------------------
# A `migrate_schemas` with nothing to apply still loads the migration graph and checks every
# migration in every schema: ~0.15 s a clinic, minutes for a thousand. Ours asks each schema's
# `django_migrations` whether anything on disk is missing (one query) and migrates only the
# schemas that are behind, several at a time.


def schemas_behind(schemas: list[str]) -> list[str]:
    """The schemas among `schemas` that lack a tenant migration present on disk."""
    on_disk = tenant_migrations_on_disk()
    return [schema for schema in schemas if not on_disk <= _applied(schema)]


def _can_skip_current(options: dict) -> bool:
    # Migrating to a named migration (or "zero") or pruning changes schemas that are current.
    return not (options.get("app_label") or options.get("migration_name") or options.get("prune"))


class ClinicMigrationExecutor(MigrationExecutor):
    """django-tenants executor `clinics` (the default, see settings: EXECUTOR): skips clinic
    schemas that are up to date, migrates the others in TENANT_MULTIPROCESSING_MAX_PROCESSES
    processes (one schema alone runs in this process, inside the caller's transaction)."""

    codename = "clinics"
    last_run: dict[str, int] = {}

    def run_migrations(self, tenants=None):
        tenants = list(tenants or [])
        if self.PUBLIC_SCHEMA_NAME in tenants:
            run_migrations(self.args, self.options, self.codename, self.PUBLIC_SCHEMA_NAME)
            tenants.remove(self.PUBLIC_SCHEMA_NAME)
        behind = schemas_behind(tenants) if _can_skip_current(self.options) else tenants
        type(self).last_run = {"schemas": len(tenants), "migrated": len(behind)}
        if tenants and int(self.options.get("verbosity", 1)) >= 1:
            sys.stdout.write(
                f"[clinics] {len(tenants) - len(behind)} clinic schema(s) up to date, "
                f"{len(behind)} to migrate\n"
            )
        parallel = (
            len(behind) > 1
            and getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", 1) > 1
            and not connection.in_atomic_block  # the caller's transaction: stay in it
        )
        if parallel:
            MultiprocessingExecutor(self.args, self.options).run_migrations(tenants=behind)
        else:
            for idx, schema in enumerate(behind):
                run_migrations(
                    self.args, self.options, self.codename, schema, idx=idx, count=len(behind)
                )

    def run_multi_type_migrations(self, tenants):
        raise NotImplementedError("Carewatch has one type of tenant.")


# --- visiting every clinic -----------------------------------------------------------------


def clinic_schemas_each(schemas: list[str] | None = None) -> Iterator[str]:
    """Each clinic's schema name (or each of `schemas`), with the connection switched to it
    while the caller works. Afterwards the connection is back on public and, outside a
    transaction, closed: a backend that visited every clinic caches the catalogue entries of
    thousands of tables, and PostgreSQL gives that memory back only when the connection ends.
    Every beat sweep over clinics goes through here, so a deactivated clinic (a client that
    left, `clinics.lifecycle`) is skipped by all of them: not polled, not detected, nothing sent.
    An explicit `schemas` list is visited as given."""
    from clinics.models import Clinic

    if schemas is None:
        schemas = list(
            Clinic.objects.active()
            .exclude(schema_name=get_public_schema_name())
            .order_by("pk")
            .values_list("schema_name", flat=True)
        )
    try:
        for schema in schemas:
            with schema_context(schema):
                yield schema
    finally:
        connection.set_schema_to_public()
        if not connection.in_atomic_block:
            connection.close()
