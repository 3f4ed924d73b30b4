"""How you are told, in the portal: the clinic's people choose, under the agency's brand, the
same things as on their account page (tests/clinics/test_notification_preferences.py); the
page is theirs, so anyone of the clinic may save it, and nobody of another clinic opens it."""

from __future__ import annotations

import pytest

from agency.models import Agency
from clinics.preferences import preferences_for
from tests.fixtures.forms import rendered_form_data

URL = "/clinics/clinic-a/portal/notifications/settings/"


@pytest.mark.parametrize(
    ("who", "status"),
    [("a_approver", 200), ("a_viewer", 200), ("a_legal", 200), ("alpha_writer", 200),
     ("alpha_analyst", 200), ("b_approver", 404), ("beta_owner", 404)],
)  # fmt: skip
def test_who_opens_the_page(login, world, who, status):
    assert login(who, otp=who.startswith(("alpha", "beta"))).get(URL).status_code == status


def test_strangers_are_sent_to_sign_in(client, world, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_is_reached_from_the_portals_notifications_and_carries_the_brand(login, world):
    Agency.objects.filter(pk=world.clinics["a"].agency_id).update(
        display_name="Brightside Care Reviews"
    )
    client = login("a_approver", otp=False)
    history = client.get("/clinics/clinic-a/portal/notifications/").content.decode()
    assert f'href="{URL}" data-testid="notification-settings">Choose how you are told' in history
    html = client.get(URL).content.decode()
    assert "<span>Brightside Care Reviews</span>" in html  # the portal's header
    assert 'href="/clinics/clinic-a/portal/notifications/" aria-current="page"' in html
    assert "Show what waits for me in Brightside Care Reviews (banner and badge)" in html
    assert "Carewatch" not in html
    assert "These cannot be turned off here." in html


@pytest.mark.parametrize("who", ["a_viewer", "a_approver"])
def test_each_of_the_clinics_people_saves_their_own(login, world, who):
    client = login(who, otp=False)
    data = rendered_form_data(client.get(URL).content.decode(), "digest")
    response = client.post(URL, {**data, "digest": "hourly", "email_information": "no_email"})
    assert response.status_code == 302 and response["Location"] == URL
    assert "Notification settings saved." in client.get(URL).content.decode()
    user = world.users[who]
    pref = preferences_for([user])[user.pk]
    assert pref.digest == "hourly" and pref.emails["information"] is False
    # everyone else's stay as they were
    other = world.users["a_legal"]
    assert preferences_for([other])[other.pk].emails["information"] is True


def test_bad_input_in_the_portal_is_named_and_changes_nothing(login, world):
    client = login("a_approver", otp=False)
    data = rendered_form_data(client.get(URL).content.decode(), "digest")
    response = client.post(URL, {**data, "email_report": "sometimes", "email_approval": "no"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was saved" in html
    assert "Choose “E-mail me” or “No e-mail: I read it in the portal”." in html
    assert "E-mails about “approval” cannot be turned off" in html
    assert 'class="portal-nav"' in html  # still in the portal
    approver = world.users["a_approver"]
    assert preferences_for([approver])[approver.pk].emails["report"] is True
