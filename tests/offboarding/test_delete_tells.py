"""Deleting a clinic tells its people and the agency's staff who reached it (a writer limited
to it is told they now reach no clinic, and the delete page names them beforehand); an
invitation to it that was never accepted stops working."""

from __future__ import annotations

from html import unescape

import pytest
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.actors import Actor
from accounts.models import User
from accounts.tokens import invitation_token_generator
from agency.models import AgencyMembership, StaffClinic
from clinics.lifecycle import clinic_deactivate
from clinics.models import ClinicMembership
from clinics.services import clinic_create

pytestmark = pytest.mark.django_db
DELETE = "/clinics/harbor-physio/settings/leaving/delete/"


@pytest.fixture
def harbor(world):
    clinic = clinic_create(
        agency=world.agencies["alpha"], name="Harbor Physio", slug="harbor-physio"
    )
    ClinicMembership.objects.create(clinic=clinic, user=world.users["b_approver"], role="viewer")
    pia = User.objects.create_user("pia@harbor.test", None, full_name="Pia Invited")
    ClinicMembership.objects.create(clinic=clinic, user=pia, role="approver")
    nick = User.objects.create_user("nick@alpha.test", "x-Strong-pass-9", full_name="Nick Writer")
    staff = AgencyMembership.objects.create(
        agency=clinic.agency, user=nick, role="writer", all_clinics=False
    )
    StaffClinic.objects.create(membership=staff, clinic=clinic)
    clinic_deactivate(
        clinic=clinic, actor=Actor(user=world.users["alpha_owner"]), confirm_name="Harbor Physio"
    )
    return clinic, pia


def _link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/password-reset/{uid}/{invitation_token_generator.make_token(user)}/"


def test_deleting_tells_its_people_and_the_staff_who_reached_it(
    world, harbor, login, django_capture_on_commit_callbacks
):
    clinic, _pia = harbor
    owner = login("alpha_owner")
    page = unescape(owner.get(DELETE).content.decode())
    assert "It is the only clinic of Nick Writer (staff limited to chosen clinics)" in page
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        done = owner.post(DELETE, {"confirm_name": "Harbor Physio", "confirm": "yes"})
    assert done.status_code == 302

    by_to = {m.to[0]: m for m in mail.outbox}
    # its people: the one who has another clinic, and the invited one who has none
    assert by_to["b_approver@clinics.test"].subject == "The Harbor Physio portal is closed"
    assert "Your other clinics are as they were." in by_to["b_approver@clinics.test"].body
    assert "Your account no longer opens any clinic." in by_to["pia@harbor.test"].body
    assert "Alpha Agency has closed the Harbor Physio portal for good" in (
        by_to["pia@harbor.test"].body
    )
    # the staff who reached it; the writer limited to it is told they reach none now
    nick = by_to["nick@alpha.test"]
    assert nick.subject == "Harbor Physio was deleted"
    assert "It was the only clinic you worked on: you now reach no clinic" in nick.body
    # every other staff member who reached it
    assert by_to["manager@alpha.test"].subject == "Harbor Physio was deleted"
    assert "Alpha Owner deleted the clinic Harbor Physio" in by_to["manager@alpha.test"].body
    # the owner who deleted it is not told what they just did
    assert world.users["alpha_owner"].email not in by_to


def test_an_unaccepted_invitation_to_a_deleted_clinic_stops_working(world, harbor, login, client):
    clinic, pia = harbor
    link = _link(pia)
    assert "Choose your password" in client.get(link, follow=True).content.decode()

    login("alpha_owner").post(DELETE, {"confirm_name": "Harbor Physio", "confirm": "yes"})
    client.logout()
    page = client.get(link, follow=True)
    html = unescape(page.content.decode())
    assert "This invitation was withdrawn" in html  # and why (test_delete_invitations.py)
    assert 'name="new_password1"' not in html
    refused = client.post(
        page.redirect_chain[-1][0] if page.redirect_chain else link,
        {"new_password1": "a-Long-pass-123", "new_password2": "a-Long-pass-123"},
    )
    assert refused.status_code in (200, 400)
    pia.refresh_from_db()
    assert not pia.has_usable_password()
