"""The suite's own guard against order-dependent failures: after every test, the world's
committed rows (its people, devices, memberships, agencies, clinics and API keys) must be as
they were built (tests/conftest.py `pytest_runtest_teardown`); a test that commits a change to
them is named at its own teardown, not found later by a test its process runs after it."""

from __future__ import annotations

from accounts.models import User
from tests.fixtures.tenants import world_rows_check


def test_a_committed_change_to_the_world_is_found_and_named(world, django_db_blocker):
    analyst = world.users["alpha_analyst"]
    assert world_rows_check(django_db_blocker) == ""
    with django_db_blocker.unblock():  # no test transaction: this UPDATE is committed
        User.objects.filter(pk=analyst.pk).update(failed_login_count=3)
    try:
        changed = world_rows_check(django_db_blocker)
    finally:
        with django_db_blocker.unblock():
            User.objects.filter(pk=analyst.pk).update(failed_login_count=0)
    assert changed.startswith("people: gone [(")
    assert "'analyst@alpha.test'" in changed and ", 3, None, 0)]" in changed
    # put back, the world is as built again
    assert world_rows_check(django_db_blocker) == ""


def test_rows_a_file_left_in_a_world_clinic_are_found_and_named(world, django_db_blocker):
    """After each test file, the world's clinics must hold as many committed rows as built: a
    file whose worker stored a review in clinic A and never removed it is named there."""
    from django_tenants.utils import tenant_context

    from facts.models import Fact
    from tests.fixtures.tenants import clinic_rows_check

    clinic = world.clinics["a"]
    assert clinic_rows_check(django_db_blocker) == ""
    with django_db_blocker.unblock(), tenant_context(clinic):  # committed
        before = Fact.objects.count()
        fact = Fact.objects.create(slug="left-behind", title="Left behind", statement="x")
    try:
        changed = clinic_rows_check(django_db_blocker)
    finally:
        with django_db_blocker.unblock(), tenant_context(clinic):
            Fact.objects.filter(pk=fact.pk).delete()
    table = Fact._meta.db_table
    assert changed == f"clinic a {table}: {before} -> {before + 1}"
    # each check is against the one before it: the file after an offender is not blamed
    assert clinic_rows_check(django_db_blocker) == f"clinic a {table}: {before + 1} -> {before}"
    assert clinic_rows_check(django_db_blocker) == ""
