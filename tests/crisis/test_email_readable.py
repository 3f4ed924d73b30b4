"""Every kind of e-mail the crisis and responses notices send reads the same in every mail
reader: dashes and curly quotes survive (never a literal "\\u2014"), and no subject starts
with a space (walk-through 13 A, finding 9: an 8-bit body decoded from text, and a subject
folded before its first word)."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.alerting import on_call_set
from clinics.notifications import (
    notification_digests_send,
    notifications_owed_send,
    people_notify,
    preference_set,
)
from crisis.services import (
    detector_settings_update,
    detectors_run,
    incident_assign,
    incident_notify_opened,
    incidents_escalate_due,
)
from responses.services.messaging import email_send
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)
TITLE = "Negative surge — “Dr. O’Neil” 19 in 2 h"
SAID = "Your reply to Person 15’s Facebook page mention — “Thanks” — was marked posted by hand"


def _read(mail) -> tuple[str, str, str]:
    """(subject, body) as a standards-following reader decodes them, and the body as a reader
    that parses the message from text decodes it (Python's compat32 `email`, as the walk-through
    did: it turned an 8-bit "—" into "\\u2014")."""
    raw = mail.message().as_bytes()
    modern = email.message_from_bytes(raw, policy=email.policy.default)
    legacy = email.message_from_string(raw.decode("ascii"))  # 7-bit: headers and body
    return (
        str(modern["Subject"]),
        modern.get_content(),
        legacy.get_payload(decode=True).decode("utf-8"),
    )


@pytest.fixture
def incident(stream, clinic_a):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="Measles outbreak at the clinic")
    [incident] = detectors_run(now=NOW, notify=False)
    incident.title = TITLE
    incident.save(update_fields=["title"])
    return incident


def test_every_kind_of_notice_email_keeps_its_dashes_and_quotes(
    incident, world, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        # the incident alert, its escalation (crisis/email/*.txt)
        incident_notify_opened(incident_id=incident.pk)
        incidents_escalate_due(now=NOW + 20 * MIN)
    with schema_context(clinic_a.schema_name), capture(execute=True):
        # an incident role given, then taken away (clinics/email/notification.txt)
        for user in (writer, manager):
            incident_assign(
                incident_id=incident.pk, clinic=clinic_a, role="comms", user_id=user.pk,
                actor=acting("Max Manager"),
            )  # fmt: skip
        # the on-call handover, with the incident running
        on_call_set(clinic=clinic_a, entries=[str(writer.pk)], actor=acting("Max Manager"))
    with capture(execute=True):
        # a responses notice: what waits for someone, and one for information only
        people_notify(
            users=[writer], clinic=clinic_a, kind="approval", ref="draft:1", title=SAID,
            url="/clinics/clinic-a/replies/", detail="Olivia’s comment: “Too generic” — see it.",
        )  # fmt: skip
        # a burst of information-only notices, owed and sent as one (clinics/email/grouped.txt)
        for n in (1, 2):
            people_notify(
                users=[manager], clinic=clinic_a, kind="reply_by_hand", ref=f"by-hand:{n}",
                title=f"{SAID} ({n})", url="/clinics/clinic-a/outbox/", waits=False,
                email_later=True,
            )  # fmt: skip
        notifications_owed_send(
            clinic=clinic_a, user_id=manager.pk, kind="reply_by_hand", quiet=MIN,
            longest=MIN, title_many=lambda n: f"{n} replies — “posted by hand”",
            now=timezone.now() + timedelta(hours=1),
        )  # fmt: skip
        # the hourly digest (clinics/email/digest.txt)
        owner = world.users["alpha_owner"]
        preference_set(user=owner, email=True, in_app=True, digest="hourly")
        people_notify(
            users=[owner], clinic=clinic_a, kind="approval", ref="draft:2", title=SAID,
            url="/clinics/clinic-a/replies/",
        )  # fmt: skip
        notification_digests_send()
    # a private follow-up to a reviewer (responses)
    email_send(
        clinic=clinic_a, conversation_id=7, to="patient@example.test",
        text="We’re sorry — please call “the front desk”.\n",
    )  # fmt: skip

    subjects = {m.subject for m in mailoutbox}
    for expected in (
        f"[Clinic A] Medium incident: {TITLE}",
        f"[Clinic A] Unacknowledged medium incident: {TITLE}",
        f"[Clinic A] You are Comms / PR for the incident “{TITLE}”",
        f"[Clinic A] You are no longer Comms / PR for the incident “{TITLE}” at Clinic A; "
        "Alpha Manager took it over",
        "[Clinic A] You are on call for Clinic A: 1 incident running",
        f"[Clinic A] {SAID}",
        "[Clinic A] 2 replies — “posted by hand”",
        "1 thing(s) wait for you",
        "Clinic A: following up on your feedback",
    ):
        assert expected in subjects, expected
    for mail in mailoutbox:
        subject, body, legacy_body = _read(mail)
        assert subject == mail.subject and not subject.startswith(" "), mail.subject
        assert body == legacy_body == mail.body, mail.subject
        assert "\\u" not in subject + body + legacy_body, mail.subject
        if not mail.body.isascii():
            assert "—" in body or "’" in body or "“" in body, mail.subject
