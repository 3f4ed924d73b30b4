"""An account belongs to one agency's world: a people page never adds an address another
agency already signs in (staff or one of its clinics' people, invited or not), and names
nobody when it refuses; an account that reaches two agencies anyway (added before this rule,
or by an operator) keeps what it uses with the other one when this one resets or removes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.credentials import token_create
from accounts.models import PersonalToken
from agency.models import AgencyMembership
from agency.services import ANOTHER_AGENCY, agency_member_add
from clinics.models import ClinicMembership
from clinics.services import clinic_member_add

STAFF = "/agency/settings/people/"
CLINIC_C_PEOPLE = "/clinics/clinic-c/settings/people/"


def _staff_add(client, email: str, name: str = "Someone Typed"):
    return client.post(
        STAFF,
        {"action": "add", "email": email, "full_name": name, "role": "writer", "reach": "all"},
    )


@pytest.mark.parametrize("email", ["writer@alpha.test", "a_approver@clinics.test"])
def test_the_staff_page_refuses_an_address_another_agency_signs_in_and_names_nobody(
    login, world, email
):
    mail.outbox.clear()
    refused = _staff_add(login("beta_owner"), email)
    html = refused.content.decode()
    assert refused.status_code == 400
    assert ANOTHER_AGENCY.replace("'", "&#x27;") in html
    # nothing of the other agency: not the person's name there, not the agency
    for word in ("Alpha Writer", "A Approver", "Alpha Agency", "Clinic A"):
        assert word not in html
    assert not AgencyMembership.objects.filter(
        agency=world.agencies["beta"], user__email=email
    ).exists()
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["manager@alpha.test", "a_viewer@clinics.test"])
def test_the_clinic_people_page_refuses_an_address_another_agency_signs_in(
    login, world, clinic_c, email
):
    mail.outbox.clear()
    refused = login("beta_owner").post(
        CLINIC_C_PEOPLE,
        {"action": "save", "email": email, "full_name": "Someone Typed", "role": "approver"},
    )
    html = refused.content.decode()
    assert refused.status_code == 400 and ANOTHER_AGENCY.replace("'", "&#x27;") in html
    assert "Alpha Manager" not in html and "A Viewer" not in html
    assert not ClinicMembership.objects.filter(clinic=clinic_c, user__email=email).exists()
    assert mail.outbox == []


def test_another_agencys_pending_invitation_keeps_working(login, world, clinic_a, clinic_c):
    # given: agency Alpha invited a new person to Clinic A (no password yet)
    invited = clinic_member_add(
        clinic=clinic_a, email="dana@new.test", full_name="Dana", role="viewer"
    ).user
    marker = invited.password
    # when: agency Beta adds the same address to Clinic C
    refused = login("beta_owner").post(
        CLINIC_C_PEOPLE,
        {"action": "save", "email": "dana@new.test", "full_name": "Dana B", "role": "approver"},
    )
    # then: refused, and Alpha's invitation link (its password marker) is untouched
    assert refused.status_code == 400
    invited.refresh_from_db()
    assert invited.password == marker and invited.full_name == "Dana"


def test_the_same_agency_still_adds_its_own_clinics_person_to_another_of_its_clinics(
    login, world, clinic_b
):
    added = login("alpha_owner").post(
        "/clinics/clinic-b/settings/people/",
        {
            "action": "save",
            "email": "a_viewer@clinics.test",
            "full_name": "A Viewer",
            "role": "viewer",
        },
    )
    assert added.status_code == 302
    assert ClinicMembership.objects.filter(
        clinic=clinic_b, user__email="a_viewer@clinics.test"
    ).exists()


@pytest.fixture
def in_both(world):
    """Alpha's writer, made Beta's writer too (as an operator could, through the service)."""
    return agency_member_add(
        agency=world.agencies["beta"],
        email="writer@alpha.test",
        full_name="Alpha Writer",
        role="writer",
    )


def test_an_owner_does_not_reset_the_second_factor_of_an_account_another_agency_uses(
    login, world, in_both
):
    mail.outbox.clear()
    refused = login("beta_owner").post(
        STAFF, {"action": "reset_two_factor", "membership": in_both.pk, "confirm": "yes"}
    )
    assert refused.status_code == 400
    assert "signs in with the same account for another agency too" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=world.users["alpha_writer"], confirmed=True).exists()
    assert mail.outbox == []


def _token(user) -> PersonalToken:
    token, _ = token_create(user=user, name="crm", ttl=timedelta(days=30))
    return token


def test_leaving_one_agencys_staff_keeps_the_tokens_used_with_the_other(login, world, in_both):
    token = _token(world.users["alpha_writer"])
    done = login("beta_owner").post(
        STAFF, {"action": "remove", "membership": in_both.pk, "confirm": "yes"}
    )
    assert done.status_code == 302
    assert not AgencyMembership.objects.filter(pk=in_both.pk).exists()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_leaving_a_clinic_keeps_the_tokens_of_another_agencys_staff(login, world, clinic_c):
    membership = clinic_member_add(
        clinic=clinic_c, email="manager@alpha.test", full_name="Alpha Manager", role="viewer"
    )
    token = _token(world.users["alpha_manager"])
    done = login("beta_owner").post(
        CLINIC_C_PEOPLE, {"action": "remove", "membership": membership.pk, "confirm": "yes"}
    )
    assert done.status_code in (200, 302)
    assert not ClinicMembership.objects.filter(pk=membership.pk).exists()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_leaving_the_only_agency_still_revokes_the_tokens(login, world):
    person = agency_member_add(
        agency=world.agencies["beta"], email="solo@beta.test", full_name="Solo", role="writer",
        password="a long passphrase 42",
    )  # fmt: skip
    token = _token(person.user)
    login("beta_owner").post(STAFF, {"action": "remove", "membership": person.pk, "confirm": "yes"})
    token.refresh_from_db()
    assert token.revoked_at is not None
