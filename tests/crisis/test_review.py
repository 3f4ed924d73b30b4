"""The post-crisis review drafted on resolve, with numbers computed from a known story."""

from __future__ import annotations

from datetime import timedelta

from accounts.actors import Actor
from clinics.access import clinic_access
from crisis.models import EventKind, PostCrisisReview
from crisis.services import (
    detector_settings_update,
    detectors_run,
    incident_acknowledge,
    incident_statement_draft,
    incident_status_set,
    review_metrics_current,
)
from feeds.models import Review
from responses.models import ReplyDraft
from responses.services.statements import statement_create
from tests.crisis.conftest import ANYWAY, NOW, acting

MIN = timedelta(minutes=1)


def _published_reply(review: Review, *, at) -> ReplyDraft:
    return ReplyDraft.objects.create(
        review=review, status="published", published_at=at, author_label="user:1", version=1
    )


def test_resolving_drafts_a_review_with_the_response_metrics(
    stream, crisis_webhook, django_capture_on_commit_callbacks, world, clinic_a
):
    writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic_a)
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    # the clinic's history starts a month before (its week before is a whole week)
    stream.add(NOW - 30 * 24 * 60 * MIN, label="positive", rating=5)
    # before: two happy reviews and the first outbreak mention, which opens the incident at NOW
    stream.add(NOW - 90 * MIN, label="positive", rating=5)
    stream.add(NOW - 60 * MIN, label="positive", rating=4)
    first = stream.add(NOW - 10 * MIN, label="negative", text="outbreak in the waiting room")
    [incident] = detectors_run(now=NOW, notify=False)
    # during: three more outbreak mentions (linked) and one happy review
    more = [
        stream.add(NOW + m * MIN, label="negative", text="that outbreak again")
        for m in (10, 20, 30)
    ]
    stream.add(NOW + 50 * MIN, label="positive", rating=5)
    detectors_run(now=NOW + 60 * MIN, notify=False)
    # acknowledged after 12 minutes; two of the four negatives answered: the first public reply
    # went out at +40 min (a mention merely marked "replied" earlier is not a public reply)
    incident_acknowledge(incident_id=incident.pk, actor=acting("Sam"), now=NOW + 12 * MIN)
    Review.objects.filter(pk=first.pk).update(status="replied", updated_at=NOW + 5 * MIN)
    Review.objects.filter(pk=more[1].pk).update(status="replied", updated_at=NOW + 40 * MIN)
    _published_reply(more[1], at=NOW + 40 * MIN)
    _published_reply(first, at=NOW + 70 * MIN)
    # a statement drafted from the incident (and one that was not) and a reply to a review that
    # is not one of its mentions
    statement = incident_statement_draft(
        incident_id=incident.pk,
        access=writer,
        title="About the outbreak rumour",
        body="There is no outbreak at the clinic; our rooms are cleaned between every patient.",
    )
    statement_create(access=writer, title="Holiday hours", body="Closed Monday.")
    _published_reply(stream.add(NOW - 600 * MIN, label="negative", rating=1), at=NOW + 2 * MIN)
    # after: two calm items
    stream.add(NOW + 150 * MIN, label="positive", rating=5)
    stream.add(NOW + 200 * MIN, label="neutral", rating=3)
    # when it is resolved two hours after it opened
    with django_capture_on_commit_callbacks(execute=True):
        incident_status_set(
            incident_id=incident.pk,
            status="resolved",
            override_reason=ANYWAY,
            actor=acting("Sam"),
            now=NOW + 120 * MIN,
        )
    # then a review is drafted, and says so on the timeline
    review = PostCrisisReview.objects.get(incident=incident)
    drafted = incident.events.get(kind=EventKind.REVIEW_DRAFTED)
    assert drafted.message == (
        "Post-crisis review drafted: acknowledged in 12 min, first public response 40 min "
        "after the alert (a reply), 50% of 4 negative mentions answered."
    )
    metrics = review_metrics_current(review)
    assert metrics["time_to_acknowledge_seconds"] == 12 * 60
    assert metrics["time_to_first_reply_seconds"] == 40 * 60
    assert metrics["time_to_resolve_seconds"] == 120 * 60
    assert (metrics["mentions_linked"], metrics["negative_linked"]) == (4, 4)
    assert (metrics["negative_answered"], metrics["answered_share"]) == (2, 0.5)
    assert metrics["escalated"] is False
    # the crisis began with the first outbreak mention (a watch word links exactly its
    # matches), ten minutes before the detector opened the incident: 130-minute windows
    assert metrics["onset_at"] == (NOW - 10 * MIN).isoformat()
    assert metrics["window_seconds"] == 130 * 60
    windows = metrics["windows"]
    # before: the week before the onset, the clinic's usual traffic (the unhappy review of
    # ten hours earlier included); after: the day after the resolution
    assert (metrics["before_seconds"], metrics["after_seconds"]) == (7 * 86400, 86400)
    assert {name: w["volume"] for name, w in windows.items()} == {
        "before": 3,
        "during": 5,
        "after": 2,
    }
    assert [windows[n]["negative"] for n in ("before", "during", "after")] == [1, 4, 0]
    assert windows["during"]["mean_score"] == -0.48
    assert windows["before"]["mean_rating"] == 3.33
    assert windows["after"]["complete"] is True
    # the week before a bar a day, the crisis and the day after six bars each
    assert [metrics["windows"][n]["buckets"] for n in ("before", "during", "after")] == [7, 6, 6]
    assert len(metrics["series"]) == 19
    assert sum(b["negative"] for b in metrics["series"]) == 5
    assert metrics["statements"] == [
        {
            "id": statement.pk,
            "title": "About the outbreak rumour",
            "status": "draft",
            "agency_draft_only": False,  # not discarded
            "published_at": None,
            "on_public_page": False,
            "pinned_on": [],
        }
    ]
    assert incident.events.filter(kind=EventKind.STATEMENT_DRAFTED).count() == 1
    # and the webhook says it is resolved: one delivery stored, its task queued
    [delivery] = crisis_webhook.deliveries()
    assert (delivery.event, delivery.status) == ("incident.resolved", "pending")
    assert delivery.payload["incident"]["id"] == incident.pk
    assert delivery.payload["incident"]["status"] == "resolved"
    assert crisis_webhook.queued == [delivery.pk]
    # marking it reviewed freezes the numbers
    incident_status_set(
        incident_id=incident.pk, status="reviewed", actor=acting("Sam"), now=NOW + 5 * 60 * MIN
    )
    review.refresh_from_db()
    assert review.metrics_frozen_at == NOW + 5 * 60 * MIN
    stream.add(NOW + 130 * MIN, label="negative", rating=1)  # arrives late
    assert review_metrics_current(review)["windows"]["after"]["volume"] == 2
