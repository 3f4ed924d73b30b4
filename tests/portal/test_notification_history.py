"""The portal's notification history: what this person was told about this clinic in the last
60 days, newest first, whether each still waits for them, and where it leads (an incident
alert to the portal's incident page); nobody else's messages, no other clinic's."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from clinics.models import Notification, NotificationPreference

URL = "/clinics/clinic-a/portal/notifications/"


def _told(user, clinic, title, *, ago_hours=1, **fields):
    row = Notification.objects.create(
        user=user, clinic=clinic, kind=fields.pop("kind", "approval"),
        ref=fields.pop("ref", f"reply:{title}"), title=title,
        url=fields.pop("url", "/clinics/clinic-a/portal/approvals/"), **fields,
    )  # fmt: skip
    Notification.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(hours=ago_hours)
    )
    return row


def test_the_approver_reads_what_they_were_told_and_what_still_waits(world, login):
    approver, clinic_a, clinic_b = world.users["a_approver"], world.clinics["a"], world.clinics["b"]
    waiting = _told(approver, clinic_a, "A reply waits for your approval", ago_hours=1)
    done = _told(approver, clinic_a, "A statement waits for your approval", ago_hours=5,
                 open=False, emailed_at=timezone.now() - timedelta(hours=4))  # fmt: skip
    alert = _told(approver, clinic_a, "Incident: negative surge", ago_hours=3, kind="incident",
                  url="/clinics/clinic-a/incidents/7/", open=False)  # fmt: skip
    old = _told(approver, clinic_a, "Long ago", ago_hours=24 * 61)
    someone_else = _told(world.users["a_viewer"], clinic_a, "Not for the approver")
    other_clinic = _told(approver, clinic_b, "About clinic B")

    page = login("a_approver", otp=False).get(URL)

    assert page.status_code == 200
    html = page.content.decode()
    order = [html.index(f'id="notification-{n.pk}"') for n in (waiting, alert, done)]
    assert order == sorted(order)  # newest first
    for row in (old, someone_else, other_clinic):
        assert f'id="notification-{row.pk}"' not in html
    # what waits is counted from what waits, not from the notices (this one is about a reply
    # that does not exist): the Overview's number
    assert 'data-testid="waiting-total" data-total="0"' in html
    item = html[html.index(f'id="notification-{waiting.pk}"') :]
    assert "<strong>waits for you</strong>" in item[: item.index("</li>")]
    item = html[html.index(f'id="notification-{done.pk}"') :]
    assert "done · also in your hourly e-mail of" in item[: item.index("</li>")]
    # an incident alert opens the clinic's incident page in the portal, not the agency's room
    assert 'href="/clinics/clinic-a/portal/incidents/7/"' in html
    assert 'href="/clinics/clinic-a/incidents/7/"' not in html
    assert f'href="{URL}" aria-current="page">Notifications' in html


def test_someone_who_takes_only_emails_is_told_where_their_messages_are(world, login):
    approver = world.users["a_approver"]
    NotificationPreference.objects.update_or_create(user=approver, defaults={"in_app": False})
    try:
        html = login("a_approver", otp=False).get(URL).content.decode()
    finally:
        NotificationPreference.objects.filter(user=approver).delete()
    # true for what they chose: the banner off, nothing said about e-mails they never turned off
    assert "You chose not to see what waits for you on these pages" in html
    assert "each one is e-mailed to you at once, and your mailbox holds them" in html
    assert "only e-mails" not in html
    assert "Nothing in the last 60 days." in html


def test_no_banner_and_no_emails_is_not_called_only_emails(world, login):
    # the banner off and no e-mail for notices for their information: those are only here
    from clinics.preferences import notification_preferences_save

    approver = world.users["a_approver"]
    notification_preferences_save(
        user=approver, in_app=False, digest="hourly",
        emails={"information": False, "report": False},
    )  # fmt: skip
    html = login("a_approver", otp=False).get(URL).content.decode()
    assert "only e-mails" not in html
    assert "it comes in your hourly e-mail digest, and is listed here too" in html
    assert (
        "You chose no e-mail for: Other notices for your information; The monthly report." in html
    )


def test_staff_reading_the_portal_are_pointed_to_their_own_history(world, login):
    html = login("alpha_writer").get(URL).content.decode()
    assert "What you were told about Clinic A" in html
    assert "What Alpha Agency told you" not in html
    assert 'href="/account/notifications/history/"' in html
    approver = login("a_approver", otp=False).get(URL).content.decode()
    assert "What Alpha Agency told you about Clinic A" in approver
    assert "/account/notifications/history/" not in approver


def test_another_clinics_person_cannot_read_this_clinics_history(world, login):
    assert login("b_approver", otp=False).get(URL).status_code == 404


def test_a_notice_for_information_is_listed_without_waiting(world, login):
    # a failure notice to the clinic's approver: nothing for them to do, e-mailed at once
    from clinics.notifications import people_notify

    approver, clinic_a = world.users["a_approver"], world.clinics["a"]
    told = people_notify(
        users=[approver], clinic=clinic_a, kind="delivery_failed", ref="outbox:991",
        title="Not posted on Sunrise Facebook page: the reply to Ann’s review",
        url="/clinics/clinic-a/portal/approvals/", waits=False,
    )  # fmt: skip
    assert told == {approver.pk: ["email"]}
    # hourly-digest people get no e-mail for it, but their history still lists it
    NotificationPreference.objects.update_or_create(user=approver, defaults={"digest": "hourly"})
    try:
        assert people_notify(
            users=[approver], clinic=clinic_a, kind="delivery_failed", ref="outbox:992",
            title="Not posted on Sunrise Google profile", url="/clinics/clinic-a/portal/",
            waits=False,
        ) == {}  # fmt: skip
    finally:
        NotificationPreference.objects.filter(user=approver).delete()

    html = login("a_approver", otp=False).get(URL).content.decode()

    first = Notification.objects.get(ref="outbox:991")
    second = Notification.objects.get(ref="outbox:992")
    item = html[html.index(f'id="notification-{first.pk}"') :]
    assert "for your information, e-mailed to you" in item[: item.index("</li>")]
    item = html[html.index(f'id="notification-{second.pk}"') :]
    item = item[: item.index("</li>")]
    assert "for your information" in item and "e-mailed" not in item
    assert "Nothing waits for you at Clinic A." in html
    # never in the banner or the badge
    from clinics.notifications import notifications_open_for

    assert notifications_open_for(approver, clinic=clinic_a) == []
