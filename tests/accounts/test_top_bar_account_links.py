"""Every signed-in person reaches their account, their notification history and their
notification settings from the top bar of every page, without typing an address and whether
or not something waits for them (walk 15, finding 1): the name is a link to the account page,
and "Notifications" leads to their notifications. The portal's top bar: tests/portal/
test_top_bar_account_links.py."""

from __future__ import annotations

import re

from django.test import Client

from accounts.models import User
from clinics.models import ClinicMembership, Notification


def _account_nav(html: str) -> str:
    start = html.index('<nav class="account" aria-label="Account">')
    return html[start : html.index("</nav>", start)]


def test_staff_top_bar_links_the_name_to_the_account_and_notifications_to_the_history(world, login):
    # given a writer with nothing waiting for them
    writer = world.users["alpha_writer"]
    assert not Notification.objects.filter(user=writer, open=True).exists()
    client = login("alpha_writer")

    for page in ("/agency/", "/agency/waiting/", "/clinics/clinic-a/inbox/"):
        # when they open a staff page
        html = client.get(page).content.decode()

        # then the top bar's account links are there, as ordinary (keyboard-reachable) links
        nav = _account_nav(html)
        assert re.search(
            r'<a class="who" href="/account/" data-testid="account-link">Alpha Writer '
            r'<span class="role">writer</span><span class="sr-only">: your account</span></a>',
            nav,
        ), page
        assert (
            '<a href="/account/notifications/history/" data-testid="notifications-link">'
            "Notifications</a>"
        ) in nav, page
        assert "Waiting for you:" not in html


def test_the_account_page_marks_itself_and_leads_to_the_history_and_settings(login):
    html = login("alpha_writer").get("/account/").content.decode()

    assert 'data-testid="account-link" aria-current="page"' in _account_nav(html)
    assert '<a href="/account/notifications/history/" data-testid="notification-history">' in html
    assert '<a href="/account/notifications/">Choose how you are told</a>' in html


def test_the_history_and_settings_pages_lead_to_each_other(login):
    client = login("alpha_writer")

    settings_page = client.get("/account/notifications/").content.decode()
    history_page = client.get("/account/notifications/history/").content.decode()

    assert '<a href="/account/notifications/history/">Your notifications</a>' in settings_page
    assert 'href="/account/notifications/" data-testid="notification-settings"' in history_page
    for html in (settings_page, history_page):
        assert 'data-testid="notifications-link" aria-current="page"' in _account_nav(html)


def _clinic_person(*clinics) -> Client:
    """A fresh person of these clinics (not the session's, whose clinics other tests change),
    signed in."""
    person = User.objects.create_user(
        email="top-bar@clinics.test", password="x-Long-enough-1", full_name="Top Bar"
    )
    for clinic in clinics:
        ClinicMembership.objects.create(clinic=clinic, user=person, role="viewer")
    client = Client()
    client.force_login(person)
    return client


def test_a_clinic_persons_top_bar_leads_to_their_account_and_their_clinics_notifications(
    clinic_a,
):
    # given one of clinic A's people, of that clinic only, on "Your clinics"
    html = _clinic_person(clinic_a).get("/").content.decode()

    # then their name leads to their account, "Notifications" to their clinic's portal
    nav = _account_nav(html)
    assert '<a class="who" href="/account/" data-testid="account-link">Top Bar' in nav
    assert (
        '<a href="/clinics/clinic-a/portal/notifications/" data-testid="notifications-link">'
        "Notifications</a>"
    ) in nav


def test_a_person_of_several_clinics_is_led_to_their_notification_settings(clinic_a, clinic_b):
    html = _clinic_person(clinic_a, clinic_b).get("/").content.decode()

    assert (
        '<a href="/account/notifications/" data-testid="notifications-link">Notifications</a>'
        in _account_nav(html)
    )


def test_half_signed_in_the_name_is_not_a_link_yet(login):
    html = login("alpha_writer", otp=False).get("/account/two-factor/verify/").content.decode()

    nav = _account_nav(html)
    assert '<span class="who">Alpha Writer' in nav
    assert 'data-testid="account-link"' not in nav
    assert 'data-testid="notifications-link"' not in nav
