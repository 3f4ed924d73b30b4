"""One e-mail added at the same moment to a clinic's people (as its approver) and to its
agency's staff, on committed rows, each call on its own connection: the two adds took
different locks (the clinic's per clinic, the agency's per agency) and the clinic's add read
the rule of separation of duties before taking any, so both read "not staff" / "not one of
the clinic's people" and both added: a member of staff who approves for the client. Both
adds now take the agency's lock of the e-mail first (`agency.services.person_duties_lock`)
and read the rule after it: one adds, the other is refused as it would be a moment later."""

from __future__ import annotations

import time

import pytest

from accounts.models import User
from agency import services as agency_services
from agency.models import AgencyMembership
from clinics import services as clinic_services
from clinics.models import ClinicMembership
from core.errors import ValidationFailed
from tests.fixtures.threads import race

EMAIL = "both.at.once@example.com"


@pytest.fixture
def forget_person(committed_clinic):
    try:
        yield
    finally:
        User.objects.filter(email__iexact=EMAIL).delete()


def _held_open(monkeypatch):
    """Each add keeps its transaction open a moment after it stored the membership: the other
    add reads the rule before this one commits, unless a lock makes it wait."""
    for module in (agency_services, clinic_services):
        original = module.user_membership_changed

        def slowly(*args, _original=original, **kwargs):
            result = _original(*args, **kwargs)
            time.sleep(0.5)
            return result

        monkeypatch.setattr(module, "user_membership_changed", slowly)


@pytest.mark.parametrize("known", [False, True], ids=["new-person", "known-person"])
def test_one_email_added_to_the_clinic_and_the_staff_at_once_is_added_to_one(
    world, committed_clinic, forget_person, monkeypatch, known
):
    # given: a clinic of agency Alpha; the person new, or known already (no clinic, no staff)
    clinic, agency = committed_clinic, world.agencies["alpha"]
    if known:
        User.objects.create_user(EMAIL, None, full_name="Both At Once")
    _held_open(monkeypatch)

    # when: the clinic adds them as its approver while the agency adds them to its staff
    results = race(
        lambda: clinic_services.clinic_member_add(
            clinic=clinic, email=EMAIL, full_name="Both At Once", role="approver"
        ),
        lambda: agency_services.agency_member_add(
            agency=agency, email=EMAIL.upper(), full_name="Both At Once", role="writer"
        ),
    )

    # then: one of them added, the other was refused by the rule (a 400 on `email`, no 500)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1, results
    assert isinstance(refused[0], ValidationFailed), refused
    assert list(refused[0].fields) == ["email"]
    assert "separation of duties" in refused[0].fields["email"][0]
    # and the person is never both
    user = User.objects.get(email__iexact=EMAIL)
    on_staff = AgencyMembership.objects.filter(agency=agency, user=user).exists()
    in_clinic = ClinicMembership.objects.filter(clinic=clinic, user=user).exists()
    assert [on_staff, in_clinic].count(True) == 1
    # the refusal is the one of whichever came second
    if on_staff:
        assert isinstance(results[0], ValidationFailed)
        assert results[1].role == "writer"
    else:
        assert isinstance(results[1], ValidationFailed)
        assert results[0].role == "approver"
