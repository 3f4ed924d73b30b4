"""The escalation e-mail says what is true: "nobody acted" looks only at the incident's own
reviews, so a reply to a review the incident does not hold neither stops the escalation nor
makes the e-mail's "no reply" untrue, and the e-mail says which reviews it means."""

from __future__ import annotations

from datetime import timedelta

from crisis.services import (
    detector_settings_update,
    detectors_run,
    incident_notify_opened,
    incidents_escalate_due,
)
from responses.models import ReplyDraft
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)


def test_a_reply_to_another_review_is_not_acting_and_the_email_names_the_incidents_reviews(
    stream, mailoutbox, django_capture_on_commit_callbacks
):
    # given: an incident holding one review, and a reply drafted to a review it does not hold
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="Measles outbreak at the clinic, my son")
    [incident] = detectors_run(now=NOW, notify=False)
    incident_notify_opened(incident_id=incident.pk)
    other = stream.add(NOW - 60 * MIN, label="negative", text="Parking was hard to find")
    assert not incident.mentions.filter(pk=other.pk).exists()
    ReplyDraft.objects.create(
        review=other, author_label="user:9", author_name="Wren Writer", version=1
    )
    mailoutbox.clear()

    # when: the escalation check runs after the deadline
    with django_capture_on_commit_callbacks(execute=True):
        assert incidents_escalate_due(now=NOW + 15 * MIN) == [incident]

    # then: the e-mail says nobody acted on the incident's own review, in those words
    assert mailoutbox
    body = mailoutbox[0].body
    assert (
        "nobody has acted on it since it opened: no reply drafted to any of the incident's 1 "
        "review, no statement drafted, no note added and no team assigned."
    ) in " ".join(body.split())
    assert "(no reply, statement or team assigned)" not in body
