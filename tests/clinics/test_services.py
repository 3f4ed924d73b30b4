import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from clinics.models import Clinic, Domain
from clinics.schemas import TEMPLATE_SCHEMA, template_is_current, template_schema_ensure
from clinics.services import clinic_create
from core.errors import Conflict, ValidationFailed
from feeds.models import Review


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_clinic_create_makes_a_schema_like_the_template_with_a_domain(world, db):
    clinic = clinic_create(agency=world.agencies["alpha"], name="Fresh Clinic", slug="fresh-clinic")
    assert clinic.schema_name == "clinic_fresh_clinic"
    assert _tables(clinic.schema_name) == _tables(TEMPLATE_SCHEMA)
    assert "feeds_review" in _tables(clinic.schema_name)
    assert Domain.objects.get(tenant=clinic).domain == "fresh-clinic"
    with schema_context(clinic.schema_name):
        assert Review.objects.count() == 0


def test_clinic_create_again_returns_the_same_clinic(world, db):
    first = clinic_create(agency=world.agencies["alpha"], name="Again", slug="again-clinic")
    second = clinic_create(agency=world.agencies["alpha"], name="Again", slug="again-clinic")
    assert first.pk == second.pk
    assert Clinic.objects.filter(slug="again-clinic").count() == 1


def test_a_slug_of_another_agency_answers_like_an_invalid_one(world, db):
    with pytest.raises(ValidationFailed):  # no existence oracle (security finding 11)
        clinic_create(agency=world.agencies["beta"], name="Taken", slug="clinic-a")


@pytest.mark.parametrize("slug", ["A", "ab", "bad_slug", "-lead", "public", "x" * 60])
def test_invalid_slugs_are_refused_and_nothing_is_created(world, db, slug):
    before = Clinic.objects.count()
    with pytest.raises(ValidationFailed) as err:
        clinic_create(agency=world.agencies["alpha"], name="X", slug=slug)
    assert "slug" in err.value.fields
    assert Clinic.objects.count() == before


def test_an_invalid_timezone_is_refused_before_any_schema_exists(world, db):
    with pytest.raises(ValidationFailed) as err:
        clinic_create(
            agency=world.agencies["alpha"], name="X", slug="tz-clinic", timezone="Mars/Olympus"
        )
    assert "timezone" in err.value.fields
    assert not schema_exists("clinic_tz_clinic")


def test_failure_halfway_leaves_nothing_and_a_retry_succeeds(world, db):
    # given a domain row that makes the last step of creation fail
    squatter = Domain.objects.create(domain="halfway", tenant=world.clinics["b"], is_primary=False)
    # when creation fails after the schema was cloned
    with pytest.raises(Conflict):
        clinic_create(agency=world.agencies["alpha"], name="Halfway", slug="halfway")
    # then neither the row nor the schema is left behind
    assert not Clinic.objects.filter(slug="halfway").exists()
    assert not schema_exists("clinic_halfway")
    # and once the obstacle is gone, the same call succeeds
    squatter.delete()
    clinic = clinic_create(agency=world.agencies["alpha"], name="Halfway", slug="halfway")
    assert schema_exists(clinic.schema_name)


def test_an_orphaned_schema_from_an_old_attempt_is_replaced(world, db):
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "clinic_orphan"; CREATE TABLE "clinic_orphan".junk (id int)')
    clinic = clinic_create(agency=world.agencies["alpha"], name="Orphan", slug="orphan")
    assert "junk" not in _tables(clinic.schema_name)
    assert "feeds_review" in _tables(clinic.schema_name)


def test_a_missing_template_is_rebuilt_on_demand(world, db):
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{TEMPLATE_SCHEMA}" CASCADE')
    assert not template_is_current()
    clinic = clinic_create(agency=world.agencies["alpha"], name="Rebuilt", slug="rebuilt")
    assert template_is_current()
    assert "feeds_review" in _tables(clinic.schema_name)
    assert template_schema_ensure() is False  # current: nothing to do


def test_create_clinic_command(world, db, capsys):
    call_command(
        "create_clinic",
        "--agency",
        "alpha",
        "--name",
        "Cmd Clinic",
        "--slug",
        "cmd-clinic",
        "--timezone",
        "Europe/London",
        "--specialty",
        "dental",
        "--phone",
        "+44 20 7946 0000",
    )
    clinic = Clinic.objects.get(slug="cmd-clinic")
    assert (clinic.timezone, clinic.specialties, clinic.phone) == (
        "Europe/London",
        ["dental"],
        "+44 20 7946 0000",
    )
    assert "ready in schema clinic_cmd_clinic" in capsys.readouterr().out


def test_create_clinic_command_names_the_problem(world, db):
    with pytest.raises(CommandError, match="No agency with slug 'nope'"):
        call_command("create_clinic", "--agency", "nope", "--name", "X", "--slug", "xyz")
    with pytest.raises(CommandError, match="slug: Use 3–50 lowercase letters"):
        call_command("create_clinic", "--agency", "alpha", "--name", "X", "--slug", "Bad Slug")
