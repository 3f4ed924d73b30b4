"""Back up and restore one clinic, and the whole database, with the real pg_dump/pg_restore.
These commit (pg_dump is another process) and clean up after themselves."""

import subprocess
from datetime import UTC, datetime
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from agency.models import AgencyMembership
from agency.services import agency_member_add
from clinics.backups import _libpq_env
from clinics.models import Clinic, ClinicMembership
from clinics.services import clinic_create, clinic_member_add
from feeds.models import Review, Source

pytestmark = pytest.mark.slow


@pytest.fixture
def scratch_clinic(world, django_db_blocker):
    with django_db_blocker.unblock():
        clinic = clinic_create(
            agency=world.agencies["alpha"], name="Backup Clinic", slug="backup-clinic"
        )
        clinic_member_add(
            clinic=clinic,
            email="bk@clinics.test",
            full_name="Bk",
            role="approver",
            password="x" * 12,
        )
        with schema_context(clinic.schema_name):
            source = Source.objects.create(kind="google", name="G")
            Review.objects.bulk_create(
                Review(
                    source=source,
                    external_id=f"r{i}",
                    text=f"review {i}",
                    published_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
                for i in range(25)
            )
    yield clinic
    with django_db_blocker.unblock():
        for c in Clinic.objects.filter(slug="backup-clinic"):
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{c.schema_name}" CASCADE')
            c.domains.all().delete()
            ClinicMembership.objects.filter(clinic=c).delete()
            Clinic.objects.filter(pk=c.pk).delete()


def _count(clinic):
    with schema_context(clinic.schema_name):
        return Review.objects.count()


def test_a_clinic_is_backed_up_and_restored_after_its_data_was_lost(
    scratch_clinic, django_db_blocker, tmp_path
):
    dump = tmp_path / "backup-clinic.dump"
    with django_db_blocker.unblock():
        call_command("backup_clinic", "--clinic", "backup-clinic", "--out", str(dump))
        with schema_context(scratch_clinic.schema_name):
            Review.objects.filter(external_id__in=["r1", "r2", "r3"]).delete()
        assert _count(scratch_clinic) == 22
        call_command("restore_clinic", "--file", str(dump))
        assert _count(scratch_clinic) == 25


def test_a_deleted_clinic_comes_back_with_its_registry_entry(
    scratch_clinic, django_db_blocker, tmp_path
):
    dump = tmp_path / "backup-clinic.dump"
    with django_db_blocker.unblock():
        call_command("backup_clinic", "--clinic", "backup-clinic", "--out", str(dump))
        schema = scratch_clinic.schema_name
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
        scratch_clinic.domains.all().delete()
        ClinicMembership.objects.filter(clinic=scratch_clinic).delete()
        Clinic.objects.filter(pk=scratch_clinic.pk).delete()
        call_command("restore_clinic", "--file", str(dump))
        restored = Clinic.objects.get(slug="backup-clinic")
        assert restored.schema_name == schema and _count(restored) == 25
        assert restored.domains.get().domain == "backup-clinic"
        assert ClinicMembership.objects.get(clinic=restored).user.email == "bk@clinics.test"


def test_the_whole_database_restores_into_an_empty_one(world, django_db_blocker, tmp_path):
    dump = tmp_path / "all.dump"
    target = connection.settings_dict["NAME"] + "_restore"
    env = _libpq_env()
    with django_db_blocker.unblock():
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}"], env=env, check=True
        )
    admin = f"host={env['PGHOST']} port={env['PGPORT']} user={env['PGUSER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}"')
        conn.execute(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target}", str(dump)],
            env=env,
            check=True,
        )
        with psycopg.connect(admin.replace("dbname=postgres", f"dbname={target}")) as conn:
            slugs = {row[0] for row in conn.execute("SELECT slug FROM clinics_clinic")}
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename = 'feeds_review'",
                [world.clinics["a"].schema_name],
            ).fetchone()[0]
        assert {"clinic-a", "clinic-b", "clinic-c"} <= slugs and tables == 1
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_restore_names_a_missing_file(db, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="missing"):
        call_command("restore_clinic", "--file", str(tmp_path / "nope.dump"))


def test_a_restore_gives_no_clinic_role_to_one_of_the_agencys_staff(
    world, scratch_clinic, django_db_blocker, tmp_path
):
    # given a backup whose clinic had bk as its approver, then bk removed from the clinic and
    # made staff of its agency (which the staff's page allows once they hold no clinic role)
    dump = tmp_path / "backup-clinic.dump"
    out = StringIO()
    with django_db_blocker.unblock():
        call_command("backup_clinic", "--clinic", "backup-clinic", "--out", str(dump))
        ClinicMembership.objects.filter(clinic=scratch_clinic).delete()
        staff = agency_member_add(
            agency=world.agencies["alpha"], email="bk@clinics.test", full_name="Bk", role="writer"
        )
        try:
            # when the clinic is restored
            call_command("restore_clinic", "--file", str(dump), stdout=out)
            # then bk stays staff and gets no clinic role back (separation of duties), and the
            # command says so
            assert not ClinicMembership.objects.filter(clinic=scratch_clinic).exists()
            assert _count(scratch_clinic) == 25
            said = out.getvalue()
            assert "Not restored: bk@clinics.test (approver)" in said
            assert "staff of the clinic's agency" in said
        finally:
            AgencyMembership.objects.filter(pk=staff.pk).delete()
