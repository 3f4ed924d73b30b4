"""`migrate_schemas` through our executor: clinics already up to date are skipped, the ones
behind are migrated."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection

from clinics.models import Clinic
from clinics.schemas import ClinicMigrationExecutor, schemas_behind, tenant_migrations_on_disk


def test_the_clinics_executor_is_the_default():
    import os

    assert os.environ["EXECUTOR"] == "clinics"


def test_up_to_date_clinics_are_skipped_and_one_behind_is_migrated(world, db):
    schemas = list(Clinic.objects.values_list("schema_name", flat=True))
    assert schemas_behind(schemas) == []
    # given clinic B's record of one applied migration is gone (as if it were new on disk)
    app, name = sorted(tenant_migrations_on_disk())[-1]
    behind = world.clinics["b"].schema_name
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{behind}".django_migrations WHERE app = %s AND name = %s',  # noqa: S608
            [app, name],
        )
    assert schemas_behind(schemas) == [behind]

    # when every clinic is migrated (--fake: only the record is missing, not the tables)
    call_command("migrate_schemas", tenant=True, fake=True, interactive=False, verbosity=0)

    # then only clinic B was migrated, and it is current again
    assert ClinicMigrationExecutor.last_run == {"schemas": len(schemas), "migrated": 1}
    assert schemas_behind(schemas) == []


def test_a_named_target_migrates_every_clinic(world, db):
    schemas = list(Clinic.objects.values_list("schema_name", flat=True))
    app, name = sorted(tenant_migrations_on_disk())[-1]
    call_command(
        "migrate_schemas", app, name, tenant=True, fake=True, interactive=False, verbosity=0
    )
    assert ClinicMigrationExecutor.last_run == {"schemas": len(schemas), "migrated": len(schemas)}
