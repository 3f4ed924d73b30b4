"""An invitation to a clinic that was deleted: the delete page names it beforehand, whoever
sent it is told it was withdrawn, and its link's page says plainly that the clinic is no
longer looked after here and whom to ask, in the agency's brand (a made-up link still gets the
neutral page)."""

from __future__ import annotations

from html import unescape

import pytest
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.actors import Actor
from accounts.audit import security_event_record
from accounts.models import SecurityEventCode, User, WithdrawnInvitation
from accounts.tokens import invitation_token_generator
from agency.models import Agency
from clinics.lifecycle import clinic_deactivate
from clinics.models import ClinicMembership
from clinics.services import clinic_create

pytestmark = pytest.mark.django_db
DELETE = "/clinics/cove-dental/settings/leaving/delete/"


@pytest.fixture
def cove(world):
    clinic = clinic_create(agency=world.agencies["alpha"], name="Cove Dental", slug="cove-dental")
    Agency.objects.filter(pk=clinic.agency_id).update(support_email="help@alpha.test")
    pia = User.objects.create_user("pia@cove.test", None, full_name="Pia Invited")
    ClinicMembership.objects.create(clinic=clinic, user=pia, role="approver")
    security_event_record(  # the manager invited her from the people page
        event=SecurityEventCode.MEMBER_ADDED, actor=world.users["alpha_manager"], target=pia,
        agency_id=clinic.agency_id, clinic_id=clinic.pk, detail={"role": "approver"},
    )  # fmt: skip
    clinic_deactivate(
        clinic=clinic, actor=Actor(user=world.users["alpha_owner"]), confirm_name="Cove Dental"
    )
    return clinic, pia


def _link(user, token=None) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/password-reset/{uid}/{token or invitation_token_generator.make_token(user)}/"


def test_a_withdrawn_invitation_says_why_and_whom_to_ask_and_its_sender_was_told(
    world, cove, login, client, django_capture_on_commit_callbacks
):
    clinic, pia = cove
    link = _link(pia)
    owner = login("alpha_owner")
    # the delete page names the invitation that will be withdrawn
    page = unescape(owner.get(DELETE).content.decode())
    assert "Invited and not signed in yet: Pia Invited." in page
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        done = owner.post(DELETE, {"confirm_name": "Cove Dental", "confirm": "yes"})
    assert done.status_code == 302

    by_to = {m.to[0]: m for m in mail.outbox}
    # the manager who sent it is told it was withdrawn, naming the person
    assert (
        "Your invitation to Cove Dental that was never accepted was withdrawn: Pia Invited "
        "(pia@cove.test). Their links no longer work; each person was told the portal is "
        "closed."
    ) in by_to["manager@alpha.test"].body
    # a staff member who sent none reads nothing of it
    assert "never accepted" not in by_to["writer@alpha.test"].body
    # the invited person is told the invitation no longer works
    assert "The invitation you were sent to Cove Dental was withdrawn" in (
        by_to["pia@cove.test"].body
    )
    assert WithdrawnInvitation.objects.filter(user=pia, place="Cove Dental").count() == 1

    # her link's page: withdrawn, why, whom to ask, in the agency's brand; no password form
    answer = client.get(link, follow=True)
    html = unescape(answer.content.decode())
    assert "This invitation was withdrawn" in html
    assert "Cove Dental is no longer looked after here" in html
    assert (
        'For questions, contact Alpha Agency at <a href="mailto:help@alpha.test">'
        "help@alpha.test</a>."
    ) in html
    brand = Agency.objects.get(pk=clinic.agency_id)
    assert f"/brand/{brand.slug}" in html or brand.slug in html  # the brand's stylesheet
    assert 'class="brand"' in html and "Carewatch" not in html
    assert "<title>Invitation withdrawn" in html
    assert 'name="new_password1"' not in html
    assert "This link does not work" not in html
    pia.refresh_from_db()
    assert not pia.has_usable_password()


def test_a_made_up_link_to_the_same_person_gets_the_neutral_page(world, cove, login, client):
    clinic, pia = cove
    login("alpha_owner").post(DELETE, {"confirm_name": "Cove Dental", "confirm": "yes"})
    html = unescape(
        client.get(_link(pia, token="abc-0123456789abcdef"), follow=True).content.decode()
    )
    assert "This link does not work" in html
    assert "withdrawn" not in html and "Cove Dental" not in html and "help@alpha.test" not in html
    assert 'class="brand"' not in html
