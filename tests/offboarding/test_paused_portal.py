"""A paused clinic's people: the paused page carries the agency's brand, its support address
and a way to sign out, and its way on does not lead back to it; the "paused" e-mail names the
agency by its brand; a whole acknowledge link of a paused clinic says the clinic is paused."""

from __future__ import annotations

from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.models import Agency
from clinics.lifecycle import clinic_deactivate
from crisis.models import AckTokenUse
from crisis.services.alerting import ack_token_make

pytestmark = pytest.mark.django_db


def _pause(world, clinic):
    return clinic_deactivate(
        clinic=clinic, actor=Actor(user=world.users["alpha_owner"]), confirm_name=clinic.name
    )


def test_the_paused_email_names_the_agency_by_its_brand(
    world, clinic_a, django_capture_on_commit_callbacks
):
    Agency.objects.filter(pk=clinic_a.agency_id).update(display_name="Alpha Care Reviews")
    with django_capture_on_commit_callbacks(execute=True):
        _pause(world, clinic_a)
    [first, *_] = mail.outbox
    assert "Alpha Care Reviews has paused the Clinic A portal" in first.subject
    assert "Alpha Agency" not in first.subject and "Alpha Agency" not in first.body
    assert "/start/" not in first.body


def test_the_paused_page_is_branded_with_support_and_sign_out_and_no_loop(world, clinic_a, login):
    _pause(world, clinic_a)
    client = login("a_approver")
    page = client.get("/clinics/clinic-a/portal/")
    assert page.status_code == 403
    html = unescape(page.content.decode())
    assert '<h1 id="paused-h">Your agency has paused this portal</h1>' in html
    assert html.count("Your agency has paused this portal") == 1  # said once
    assert "Alpha Agency has paused the portal of Clinic A" in html
    assert '<a href="mailto:help@alpha.test">help@alpha.test</a>' in html
    assert '<a href="/">Your clinics</a>' in html
    assert 'action="/logout/"' in html and ">Sign out</button>" in html
    assert 'class="brand"' in html  # the agency's top bar
    # the start page no longer sends the person back to the paused portal
    start = client.get("/start/")
    assert start.status_code == 302 and start["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_whole_ack_link_of_a_paused_clinic_says_it_is_paused(
    world, clinic_a, rows, django_capture_on_commit_callbacks
):
    incident = rows(clinic_a).incident(status="open")
    token = ack_token_make(clinic=clinic_a, incident=incident, channel="slack")
    _pause(world, clinic_a)
    client = Client()
    for method in (client.get, client.post):
        page = method(f"/alerts/ack/{token}/")
        html = unescape(page.content.decode())
        assert page.status_code == 409
        assert "This clinic is paused" in html and "Nothing was changed." in html
        assert "incomplete or was changed" not in html
    with schema_context(clinic_a.schema_name):
        assert AckTokenUse.objects.count() == 0


def test_the_paused_email_says_how_long_the_data_is_kept_and_how_to_get_a_copy(
    world, clinic_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _pause(world, clinic_a)
    [first, *_] = mail.outbox
    body = " ".join(first.body.split())
    assert (
        "Its data is kept for 30 days, then it may be deleted: ask Alpha Agency for a copy "
        "(a data export) before then, or if this is unexpected"
    ) in body


def test_an_email_about_a_paused_clinic_leads_to_the_account_settings_not_its_portal(
    world, clinic_a, login
):
    """The onboarding walk: the "Choose how you are told" link of an e-mail sent while the
    portal was paused led into it (403)."""
    from clinics.notifications import NOTIFICATION_SETTINGS_URL, settings_link

    portal_settings = "/clinics/clinic-a/portal/notifications/settings/"
    assert portal_settings in settings_link(clinic_a, staff=False)  # (signed with the brand)
    _pause(world, clinic_a)
    clinic_a.refresh_from_db()
    link = settings_link(clinic_a, staff=False)
    assert NOTIFICATION_SETTINGS_URL in link and portal_settings not in link
    client = login("a_approver")
    assert client.get(portal_settings).status_code == 403
    assert client.get(NOTIFICATION_SETTINGS_URL).status_code == 200
