"""The staff's notification history (/account/notifications/history/): what one of the
agency's staff was told in the last 60 days about every clinic they reach, on the agency's
pages (not the portal), newest first; nobody else's, none about a clinic they no longer reach.
It says what it holds as they chose (`clinics.preferences.history_words`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agency.models import AgencyMembership
from agency.services import agency_member_clinics_set
from clinics.models import Notification, NotificationPreference
from clinics.preferences import OPTIONAL_EMAILS, Preferences, history_words

URL = "/account/notifications/history/"


def _told(user, clinic, title, *, ago_hours=1, **fields):
    row = Notification.objects.create(
        user=user, clinic=clinic, kind=fields.pop("kind", "approval"),
        ref=fields.pop("ref", f"reply:{title}"), title=title,
        url=fields.pop("url", f"/clinics/{clinic.slug}/replies/"), **fields,
    )  # fmt: skip
    Notification.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(hours=ago_hours)
    )
    return row


def test_a_writer_reads_what_they_were_told_about_every_clinic(world, login):
    writer, clinic_a, clinic_b = world.users["alpha_writer"], world.clinics["a"], world.clinics["b"]
    waiting = _told(writer, clinic_a, "A reply waits for your approval", ago_hours=1)
    info = _told(writer, clinic_b, "Your reply was published", ago_hours=2, kind="reply_published",
                 open=False, waits=False, emailed_at=timezone.now())  # fmt: skip
    alert = _told(writer, clinic_a, "Incident: negative surge", ago_hours=3, kind="incident",
                  url="/clinics/clinic-a/incidents/7/", open=False)  # fmt: skip
    old = _told(writer, clinic_a, "Long ago", ago_hours=24 * 61)
    someone_else = _told(world.users["alpha_analyst"], clinic_a, "Not for the writer")

    page = login("alpha_writer").get(URL)

    assert page.status_code == 200
    html = page.content.decode()
    order = [html.index(f'id="notification-{n.pk}"') for n in (waiting, info, alert)]
    assert order == sorted(order)  # newest first, every clinic
    for row in (old, someone_else):
        assert f'id="notification-{row.pk}"' not in html
    assert "1 still waits for you." in html
    item = html[html.index(f'id="notification-{info.pk}"') :]
    assert "Clinic B ·" in item[: item.index("</li>")]
    assert "for your information, e-mailed to you" in item[: item.index("</li>")]
    # the staff's page: the agency's layout and room, not the clinic's portal
    assert 'href="/clinics/clinic-a/incidents/7/"' in html
    assert "/portal/" not in html
    assert 'aria-label="Main"' in html and "What Alpha Agency told you" not in html
    # and its settings are one click away
    assert 'href="/account/notifications/"' in html


def test_nothing_about_a_clinic_the_writer_no_longer_reaches(world, login):
    writer = world.users["alpha_writer"]
    about_b = _told(writer, world.clinics["b"], "About clinic B")
    membership = AgencyMembership.objects.get(user=writer, agency=world.agencies["alpha"])
    agency_member_clinics_set(
        membership=membership, all_clinics=False, clinic_ids=[world.clinics["a"].pk],
        by=world.users["alpha_owner"], acting_role="owner",
    )  # fmt: skip
    html = login("alpha_writer").get(URL).content.decode()
    assert f'id="notification-{about_b.pk}"' not in html
    assert "Nothing in the last 60 days." in html


@pytest.mark.parametrize("who", ["alpha_owner", "alpha_manager", "alpha_writer", "alpha_analyst"])
def test_every_staff_role_has_a_history(login, who):
    assert login(who).get(URL).status_code == 200


@pytest.mark.parametrize("who", ["a_approver", "a_viewer", "b_approver"])
def test_the_clinics_people_are_sent_to_their_portal(login, who):
    response = login(who).get(URL)
    assert response.status_code == 302 and response["Location"] == "/"


def test_signing_in_comes_first(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_says_what_it_holds_as_the_writer_chose(world, login):
    writer = world.users["alpha_writer"]
    NotificationPreference.objects.update_or_create(user=writer, defaults={"in_app": False})
    html = login("alpha_writer").get(URL).content.decode()
    assert "You chose not to see what waits for you on these pages" in html
    assert "they are not listed here" in html
    assert "only e-mails" not in html


ALL = list(OPTIONAL_EMAILS)


@pytest.mark.parametrize(
    ("pref", "says", "never"),
    [
        (Preferences(), [], ["You chose"]),
        (Preferences(in_app=False),
         ["not to see what waits for you on these pages: each one is e-mailed to you at once",
          "(they are not listed here)", "Also e-mailed to you, and listed here"],
         ["hourly", "no e-mail"]),
        (Preferences(in_app=False, digest="hourly"),
         ["it comes in your hourly e-mail digest, and is listed here too"],
         ["not listed here"]),
        (Preferences(in_app=False, emails=dict.fromkeys(ALL, False)),
         ["each one is e-mailed to you at once",
          "You chose no e-mail for: What happened to the replies you wrote; Other notices "
          "for your information; The monthly report. They are only here."],
         ["Also e-mailed"]),
        (Preferences(emails={"replies": False, "information": True, "report": True}),
         ["You chose no e-mail for: What happened to the replies you wrote. They are only here."],
         ["these pages", "Also e-mailed"]),
    ],
    ids=["defaults", "no-banner", "no-banner-hourly", "no-banner-no-email", "replies-quiet"],
)  # fmt: skip
def test_each_combination_of_choices_is_said_truly(pref, says, never):
    text = " ".join(history_words(pref, ALL))
    for words in says:
        assert words in text
    for words in never:
        assert words not in text
