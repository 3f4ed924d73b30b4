"""Each person chooses how they are told, per kind of notice (`clinics.preferences`): notices
for their information only (what happened to their replies, other notices, the monthly
report) by e-mail or not, what waits for them at once or in the hourly digest. What waits for
them and incident alerts are always e-mailed: no choice, no crafted post and no stored row
turns them off. Bad input is a 400 with the field named and nothing saved."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import NotificationEmailChoice
from clinics.models import Notification, NotificationPreference
from clinics.notifications import (
    email_bursts_send_due,
    notification_digests_send,
    people_notify,
    preference_set,
)
from clinics.preferences import (
    OPTIONAL_EMAILS,
    email_when,
    notification_preferences_save,
    preferences_for,
)
from core.errors import ValidationFailed
from crisis.services import incident_notify_opened
from reports.services import report_recipients
from tests.fixtures.forms import rendered_form_data
from tests.responses.backlog import backlog_create

PREFS = "/account/notifications/"

# One notice of each kind a person may get, as the apps send them: (kind, waits, to whom).
INFORMATION = ("clinic", False)  # a portal paused or opened again
REPLY_PUBLISHED = ("reply_published", False)  # to the reply's writer
APPROVAL = ("approval", True)  # waits at their step
SENT_BACK = ("sent_back", True)
# "The post-crisis review of incident #12 is ready" (`crisis.services.review_send`): open in
# the banner until they read it, yet it asks nothing of them
REVIEW_READY = ("review", True)


def _notify(world, who, kind, waits, *, ref=None):
    return people_notify(
        users=[world.users[who]], clinic=world.clinics["a"], kind=kind,
        ref=ref or f"test:{kind}", title=f"Notice of kind {kind}", url="/clinics/clinic-a/",
        waits=waits,
    )  # fmt: skip


def _sent(mailoutbox, who_email) -> list[str]:
    return [m.subject for m in mailoutbox if m.to == [who_email]]


@pytest.mark.parametrize(
    ("group", "off", "still_mailed"),
    [
        ("replies", REPLY_PUBLISHED, [INFORMATION, APPROVAL, SENT_BACK]),
        ("information", INFORMATION, [REPLY_PUBLISHED, APPROVAL, SENT_BACK]),
    ],
)
def test_each_choice_changes_exactly_what_is_emailed(
    world,
    db,
    mailoutbox,
    django_capture_on_commit_callbacks,
    group,
    off,
    still_mailed,
    notice_bursts,
):
    # given the writer takes this group of notices without an e-mail, everything else as it was
    writer = world.users["alpha_writer"]
    emails = dict.fromkeys(("replies", "information"), True) | {group: False}
    notification_preferences_save(user=writer, in_app=True, digest="immediate", emails=emails)
    # when one notice of each kind is sent
    with django_capture_on_commit_callbacks(execute=True):
        told = {kind: _notify(world, "alpha_writer", kind, waits) for kind, waits in
                [off, *still_mailed]}  # fmt: skip
        # what waits for them after the first comes in one e-mail when its burst ends
        email_bursts_send_due(now=timezone.now() + settings.NOTICE_BURST_WINDOW)
    # then every kind is e-mailed except the one turned off
    assert sorted(_sent(mailoutbox, writer.email)) == sorted(
        [f"[Clinic A] Notice of kind {kind}" for kind, _ in still_mailed if kind != "sent_back"]
        + ["1 thing waits for you — Clinic A"]
    )
    assert "- [Clinic A] Notice of kind sent_back\n" in mailoutbox[-1].body
    assert told[off[0]] == {}
    # and the one not e-mailed is still in the writer's history, never in the banner
    row = Notification.objects.get(user=writer, kind=off[0])
    assert (row.open, row.waits, row.emailed_at) == (False, False, None)


def test_the_monthly_report_choice_decides_its_email(world, db, clinic_a):
    approver = world.users["a_approver"]
    assert report_recipients(clinic_a).addresses == [approver.email]
    notification_preferences_save(
        user=approver, in_app=True, digest="immediate", emails={"report": False}
    )
    assert report_recipients(clinic_a).addresses == []
    # and only the report: other notices for information still come by e-mail
    pref = preferences_for([approver])[approver.pk]
    assert email_when(pref, kind="clinic", waits=False) == "now"
    assert email_when(pref, kind="report", waits=False) is None


def test_the_hourly_digest_batches_what_waits_and_nothing_else(
    world, db, mailoutbox, django_capture_on_commit_callbacks
):
    writer = world.users["alpha_writer"]
    notification_preferences_save(
        user=writer, in_app=True, digest="hourly", emails={"replies": True, "information": True}
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(world, "alpha_writer", *APPROVAL) == {writer.pk: ["in_app", "email_digest"]}
        # a notice for information is not "waiting": it comes now, as chosen for its group
        assert _notify(world, "alpha_writer", *REPLY_PUBLISHED) == {writer.pk: ["email"]}
    assert _sent(mailoutbox, writer.email) == ["[Clinic A] Notice of kind reply_published"]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digests_send() == 1
    [digest] = mailoutbox
    assert digest.to == [writer.email] and "Notice of kind approval" in digest.body
    assert "reply_published" not in digest.body


def test_a_post_crisis_review_ready_is_for_information_never_what_waits_for_you(
    world, db, mailoutbox, notice_bursts, django_capture_on_commit_callbacks
):
    # given an approver on the hourly digest who takes notices for information by e-mail
    approver = world.users["a_approver"]
    notification_preferences_save(
        user=approver, in_app=True, digest="hourly", emails={"information": True}
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(world, "a_approver", *APPROVAL) == {approver.pk: ["in_app", "email_digest"]}
        # the review comes at once, like the other notices for information, in their banner
        assert _notify(world, "a_approver", *REVIEW_READY) == {approver.pk: ["in_app", "email"]}
    assert _sent(mailoutbox, approver.email) == ["[Clinic A] Notice of kind review"]
    mailoutbox.clear()
    # and their "waits for you" digest lists only what waits for them
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digests_send() == 1
    [digest] = mailoutbox
    assert digest.subject == "1 thing(s) wait for you"
    assert "Notice of kind approval" in digest.body and "kind review" not in digest.body
    # taking them at once, a review after an approval is not held for the burst's e-mail
    notification_preferences_save(
        user=approver, in_app=True, digest="immediate", emails={"information": True}
    )
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world, "a_approver", *APPROVAL, ref="test:approval-2")
        told = _notify(world, "a_approver", *REVIEW_READY, ref="test:review-2")
    assert told == {approver.pk: ["in_app", "email"]}
    # and "no e-mail" for notices for information leaves it only in the portal
    notification_preferences_save(
        user=approver, in_app=True, digest="immediate", emails={"information": False}
    )
    assert _notify(world, "a_approver", *REVIEW_READY, ref="test:review-3") == {
        approver.pk: ["in_app"]
    }


def test_what_waits_and_incident_alerts_are_always_emailed(
    world, db, clinic_a, rows, mailoutbox, django_capture_on_commit_callbacks
):
    # given the approver turned off everything the page offers, and the old "no e-mail" switch
    approver = world.users["a_approver"]
    preference_set(user=approver, email=False, in_app=False, digest="immediate")
    notification_preferences_save(
        user=approver, in_app=False, digest="immediate",
        emails=dict.fromkeys(OPTIONAL_EMAILS, False),
    )  # fmt: skip
    # and rows no page can write, for waiting kinds (as if stored by hand)
    for group in ("approval", "incident", "sent_back", "waiting"):
        NotificationEmailChoice.objects.create(user=approver, group=group, email=False)
    # when an approval waits for them and an incident opens at their clinic
    incident = rows(clinic_a).incident(title="Measles rumour", severity="high")
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(world, "a_approver", *APPROVAL) == {approver.pk: ["email"]}
        assert _notify(world, "a_approver", *INFORMATION) == {}
        with schema_context(clinic_a.schema_name):
            incident_notify_opened(incident_id=incident.pk)
    # then both are e-mailed to them, the notice for information is not
    subjects = _sent(mailoutbox, approver.email)
    assert "[Clinic A] Notice of kind approval" in subjects
    assert "[Clinic A] High incident: Measles rumour" in subjects
    assert len(subjects) == 2


def test_the_rule_in_one_place():
    from clinics.preferences import Preferences

    nothing = Preferences(
        in_app=False, digest="hourly", emails=dict.fromkeys(OPTIONAL_EMAILS, False)
    )
    assert email_when(nothing, kind="incident", waits=True) == "now"
    assert email_when(nothing, kind="incident", waits=False) == "now"
    for kind in ("approval", "legal", "sent_back", "facts", "stuck", "delivery_failed", "assigned"):
        assert email_when(nothing, kind=kind, waits=True) == "digest", kind
        assert email_when(Preferences(), kind=kind, waits=True) == "now", kind
    assert email_when(nothing, kind="delivery_failed", waits=False) is None  # clinic's copy
    assert email_when(nothing, kind="reply_failed", waits=False) is None
    assert email_when(nothing, kind="report", waits=True) is None
    assert email_when(nothing, kind="review", waits=True) is None  # for information
    assert email_when(Preferences(), kind="reply_by_hand", waits=False) == "now"


def test_someone_who_chose_before_the_groups_keeps_their_choice(world, db):
    # the old switch "no e-mail", and the old hourly digest that left information out
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    preference_set(user=writer, email=False, in_app=True, digest="immediate")
    preference_set(user=manager, email=True, in_app=True, digest="hourly")
    prefs = preferences_for([writer, manager, world.users["alpha_owner"]])
    assert prefs[writer.pk].emails == {"replies": False, "information": False, "report": False}
    assert prefs[manager.pk].emails == {"replies": False, "information": False, "report": True}
    assert prefs[world.users["alpha_owner"].pk].emails == dict.fromkeys(OPTIONAL_EMAILS, True)
    # what waits is e-mailed anyway
    assert email_when(prefs[writer.pk], kind="approval", waits=True) == "now"


def test_everyones_choices_are_read_in_one_query(world, db):
    people = [world.users[n] for n in ("alpha_owner", "alpha_writer", "a_approver", "a_legal")]
    notification_preferences_save(
        user=people[1], in_app=True, digest="hourly", emails={"replies": False, "information": True}
    )
    with CaptureQueriesContext(connection) as queries:
        prefs = preferences_for(people)
    assert len(queries) == 1
    assert prefs[people[1].pk].emails["replies"] is False and prefs[people[1].pk].hourly


# --- the page --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "offered", "not_offered"),
    [
        ("alpha_writer", ["replies", "information"], ["report"]),
        ("alpha_owner", ["replies", "information"], ["report"]),
        ("a_approver", ["information", "report"], ["replies"]),
        ("a_viewer", ["information"], ["replies", "report"]),
    ],
)
def test_the_page_offers_each_person_their_kinds_and_says_what_cannot_be_turned_off(
    login, world, who, offered, not_offered
):
    html = login(who).get(PREFS).content.decode()
    always = html[html.index('data-testid="always-emailed"') :]
    always = always[: always.index("</section>")]
    assert "Incident alerts" in always and "What waits for you" in always
    assert "These cannot be turned off here." in always
    assert "Nobody else can give your step" in always
    for group in offered:
        assert f'name="email_{group}"' in html, group
    for group in not_offered:
        assert f'name="email_{group}"' not in html, group
    # nothing offers to turn off what waits or an alert
    assert 'name="email"' not in html and 'name="email_approval"' not in html


def test_saving_each_choice_on_the_page(login, world):
    client = login("a_approver")
    data = rendered_form_data(client.get(PREFS).content.decode(), "digest")
    data.pop("csrfmiddlewaretoken", None)
    assert data == {"digest": "immediate", "in_app": "on", "email_information": "email",
                    "email_report": "email"}  # fmt: skip
    response = client.post(
        PREFS, {"digest": "hourly", "email_information": "no_email", "email_report": "email"}
    )
    assert response.status_code == 302
    approver = world.users["a_approver"]
    pref = preferences_for([approver])[approver.pk]
    assert (pref.in_app, pref.digest) == (False, "hourly")
    assert pref.emails == {"replies": True, "information": False, "report": True}
    # the page shows what was saved
    again = rendered_form_data(client.get(PREFS).content.decode(), "digest")
    again.pop("csrfmiddlewaretoken", None)
    assert again == {"digest": "hourly", "email_information": "no_email", "email_report": "email"}


ALWAYS = "cannot be turned off: what waits for you and incident alerts are always e-mailed"


@pytest.mark.parametrize(
    ("crafted", "message"),
    [
        ({"email_approval": "no_email"}, f"E-mails about “approval” {ALWAYS}"),
        ({"email_incident": "no_email"}, f"E-mails about “incident” {ALWAYS}"),
        ({"email_sent_back": "no_email"}, f"E-mails about “sent_back” {ALWAYS}"),
        ({"email": ""}, f"E-mails {ALWAYS}"),
        ({"email_report": "no_email"},  # offered to a clinic's approvers only
         "“The monthly report” is not among your choices: you get no such notice."),
    ],
    ids=["approval", "incident", "sent-back", "every-email", "not-offered"],
)  # fmt: skip
def test_a_crafted_post_cannot_turn_off_what_waits(login, world, crafted, message):
    client = login("alpha_writer")
    data = rendered_form_data(client.get(PREFS).content.decode(), "digest")
    response = client.post(PREFS, {**data, "email_replies": "no_email", **crafted})
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was saved" in html and message in html
    # nothing stored: not even the choice that was allowed
    writer = world.users["alpha_writer"]
    assert not NotificationEmailChoice.objects.filter(user=writer).exists()
    assert not NotificationPreference.objects.filter(user=writer).exists()


def test_the_service_refuses_a_group_that_is_not_optional(world, db):
    writer = world.users["alpha_writer"]
    with pytest.raises(ValidationFailed) as refused:
        notification_preferences_save(
            user=writer, in_app=True, digest="immediate",
            emails={"information": False, "approval": False},
        )  # fmt: skip
    assert "email_approval" in refused.value.fields
    assert not NotificationEmailChoice.objects.filter(user=writer).exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"digest": "weekly"}, "digest", "Choose “Each one at once” or “One hourly digest”."),
        ({"digest": ""}, "digest", "Choose “Each one at once” or “One hourly digest”."),
        ({"email_information": "maybe"}, "email_information",
         "Choose “E-mail me” or “No e-mail: only in my notification history”."),
        ({"email_report": ""}, "email_report",
         "Choose “E-mail me” or “No e-mail: I read it in the portal”."),
    ],
    ids=["unknown-digest", "no-digest", "unknown-choice", "no-choice"],
)  # fmt: skip
def test_bad_input_is_named_and_nothing_is_saved(login, world, change, field, message):
    client = login("a_approver")
    data = rendered_form_data(client.get(PREFS).content.decode(), "digest")
    response = client.post(PREFS, {**data, "email_information": "no_email", **change})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert not NotificationEmailChoice.objects.filter(user=world.users["a_approver"]).exists()


def _banner_shown(html: str) -> tuple[bool, bool, bool]:
    """(the "Waiting for you" banner — the staff's, or the portal's, which says what waits in
    this clinic —, a count on the badge, a count in the page title)."""
    title = html[html.index("<title>") : html.index("</title>")]
    return (
        "Waiting for you:" in html or 'data-testid="waiting-banner"' in html,
        "data-alert-badge>" in html,  # the badge without `hidden`
        title.startswith("<title>("),
    )


@pytest.mark.parametrize("who", ["alpha_writer", "alpha_owner", "a_approver"])
def test_unticking_the_banner_hides_what_waits_on_every_page(world, login, who, notice_bursts):
    # given something waits for the person, shown on their pages
    person = world.users[who]
    page = "/agency/" if who.startswith("alpha") else "/clinics/clinic-a/portal/"
    if not who.startswith("alpha"):
        # the portal counts what truly waits in the clinic (`portal.selectors.portal_counts`)
        with schema_context(world.clinics["a"].schema_name):
            backlog_create(replies=1, tag="banner-choice")
    _notify(world, who, *APPROVAL)
    client = login(who)
    assert _banner_shown(client.get(page).content.decode()) == (True, True, True)
    # when they untick "Show what waits for me … (banner and badge)" on their account page
    data = rendered_form_data(client.get(PREFS).content.decode(), "digest")
    data.pop("csrfmiddlewaretoken", None)
    data.pop("in_app")
    assert client.post(PREFS, data).status_code == 302
    assert preferences_for([person])[person.pk].in_app is False
    # then no page shows it: no banner, no badge count, no count in the title, nor the poll
    assert _banner_shown(client.get(page).content.decode()) == (False, False, False)
    assert _banner_shown(client.get(PREFS).content.decode()) == (False, False, False)
    # (the portal polls its own banner, which counts what waits in the clinic)
    poll = "/alerts/banner/" if who.startswith("alpha") else f"{page}alerts/banner/"
    polled = client.get(poll).content.decode()
    assert 'data-alert-count="0"' in polled and "Waiting for you" not in polled
    # what waits still waits (their history says so), and a new notice opens nothing
    assert Notification.objects.filter(user=person, open=True).count() == 1
    # (its e-mail is held for one e-mail with the others of the burst the first one opened)
    assert _notify(world, who, *SENT_BACK) == {person.pk: ["email_held"]}
    assert _banner_shown(client.get(page).content.decode()) == (False, False, False)
    # ticked again: the banner is back with what still waits
    data["in_app"] = "on"
    assert client.post(PREFS, data).status_code == 302
    assert _banner_shown(client.get(page).content.decode()) == (True, True, True)


def test_the_staff_banner_leads_to_their_notification_history(world, login):
    _notify(world, "alpha_writer", *APPROVAL)
    html = login("alpha_writer").get("/agency/").content.decode()
    banner = html[html.index('class="waiting-note"') :]
    banner = banner[: banner.index("</div>")]
    assert 'href="/account/notifications/history/"' in banner
    # the clinic's people have theirs in the portal's nav instead
    _notify(world, "a_approver", *APPROVAL)
    html = login("a_approver").get("/clinics/clinic-a/portal/").content.decode()
    assert "/account/notifications/history/" not in html


def test_staff_read_wording_for_staff_and_are_pointed_to_their_history(login):
    staff = login("alpha_writer").get(PREFS).content.decode()
    assert 'href="/account/notifications/history/"' in staff
    assert "in the clinic’s portal" not in staff and "the agency fixes it" not in staff
    client = login("a_approver").get(PREFS).content.decode()
    assert "/account/notifications/history/" not in client
    assert "Notifications, in the clinic’s portal" in client and "the agency fixes it" in client
