"""The agency's approvals log decides which clinics' logs a reader may read from their
memberships read once, not once per clinic: the clinics it lists cost no query each, and the
page only its read of each clinic's decisions (the schema, then the rows)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor
from clinics.access import clinic_access, clinics_access
from clinics.models import Clinic
from clinics.services import clinic_create
from responses.agency_approvals_log import approvals_log_clinics

URL = "/agency/approvals-log/"


def _clinics(agency, names: range) -> None:
    for i in names:
        clinic_create(agency=agency, name=f"Logged {i}", slug=f"logged-{i}")


def test_the_readable_clinics_cost_the_same_whatever_their_number(
    world, db, login, django_assert_max_num_queries
):
    # given: three more clinics in the agency
    alpha, manager = world.agencies["alpha"], world.users["alpha_manager"]
    _clinics(alpha, range(3))
    with CaptureQueriesContext(connection) as few:
        listed = approvals_log_clinics(user=manager, agency=alpha)
    client = login("alpha_manager")
    client.get(URL)  # the session and caches warm
    with CaptureQueriesContext(connection) as page:
        assert client.get(URL).status_code == 200

    # when: five more
    _clinics(alpha, range(3, 8))

    # then: listing them costs no more queries, and the page two per clinic (its schema,
    # then its log), not four
    with django_assert_max_num_queries(len(few)):
        more = approvals_log_clinics(user=manager, agency=alpha)
    assert len(more) == len(listed) + 5
    with django_assert_max_num_queries(len(page) + 2 * 5):
        html = client.get(URL).content.decode()
    assert "Logged 7" in html


def test_the_batch_form_decides_as_clinic_access_does(world, db):
    # every person of the world, in every clinic of every agency: the same access
    clinics = list(Clinic.objects.exclude(schema_name="public").select_related("agency"))
    for user in world.users.values():
        actor = Actor(user=user, via_session=True)
        each = clinics_access(actor, clinics)
        for clinic in clinics:
            one = clinic_access(actor, clinic)
            batch = each[clinic.pk]
            assert (one is None) == (batch is None), (user.email, clinic.slug)
            if one is not None:
                assert (one.agency_role, one.clinic_role, one.crisis_roles, one.permissions) == (
                    batch.agency_role, batch.clinic_role, batch.crisis_roles, batch.permissions
                ), (user.email, clinic.slug)  # fmt: skip
