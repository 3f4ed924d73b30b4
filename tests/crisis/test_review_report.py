"""The post-crisis review against a constructed crisis with known times: windows from the
onset, the figures a client asks for, the timeline from every source of truth, an incident
that is not resolved yet ("not yet"), and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from clinics.models import Notification, clinic_zone
from crisis.export import review_context, review_figures, review_html
from crisis.metrics import crisis_onset, review_metrics, review_windows
from crisis.models import (
    EventKind,
    Incident,
    IncidentMention,
    PostCrisisReview,
)
from crisis.services import incident_status_set, review_metrics_current, review_send
from crisis.services.common import event_add
from crisis.timeline import review_timeline
from responses.services.common import audit_record
from responses.services.private import followup_start
from tests.crisis.conftest import ANYWAY, HOUR, MIN, NOW, acting, resolved_anyway
from tests.responses.conftest import approved_reply, as_user, deliver_in, platforms, review_in  # noqa: F401, F811 - fixtures

DAY = 24 * HOUR


# --- windows, as a pure computation ---------------------------------------------------------


def _incident(kind="surge", numbers=None, opened=NOW) -> Incident:
    return Incident(kind=kind, trigger={"numbers": numbers or {}}, opened_at=opened)


@pytest.mark.parametrize(
    ("kind", "numbers", "first_mention", "onset", "source"),
    [
        ("surge", {"window_minutes": 120}, NOW - 20 * MIN, NOW - 20 * MIN, "mention"),
        ("surge", {"window_minutes": 120}, NOW - 150 * MIN, NOW - 150 * MIN, "mention"),
        ("rating_drop", {"window_hours": 24}, NOW - 2 * HOUR, NOW - 2 * HOUR, "mention"),
        ("watch_word", {"window_hours": 24}, NOW - 10 * MIN, NOW - 10 * MIN, "mention"),
        ("misinformation", {"window_hours": 48}, NOW - 5 * HOUR, NOW - 5 * HOUR, "mention"),
        ("surge", {}, None, NOW, "detection"),
        ("watch_word", {}, NOW + 5 * MIN, NOW, "detection"),
    ],
    ids=[
        "surge-first-counted-mention-not-the-window-start",
        "surge-mention-earlier",
        "rating-first-low-rating",
        "watch-word-first-match",
        "misinformation-first-match",
        "nothing-known",
        "never-after-detection",
    ],
)
def test_the_onset_is_the_first_mention_the_alert_counted(
    kind, numbers, first_mention, onset, source
):
    # a surge that fired 20 minutes after its first mention was detected in 20 minutes, not
    # in the two hours of its window (walk 5, #16)
    found, how = crisis_onset(_incident(kind, numbers), first_mention)
    assert found == onset
    assert {
        "mention": "the first mention the alert counted",
        "detection": "the alert itself: no mention was linked before it",
    }[source] == how


def test_the_before_window_holds_a_week_and_the_after_window_a_day_around_a_short_crisis():
    # a six-hour crisis: before is the week before it (the clinic's usual traffic, never the
    # crisis itself), after is the day after the resolution
    onset, resolved = NOW - 2 * HOUR, NOW + 4 * HOUR
    w = review_windows(onset=onset, resolved_at=resolved, now=NOW + 30 * HOUR)
    assert w["span"] == 6 * HOUR
    assert (w["before"]["start"], w["before"]["end"]) == (onset - 7 * DAY, onset)
    assert (w["during"]["start"], w["during"]["end"], w["during"]["state"]) == (
        onset,
        resolved,
        "complete",
    )
    assert (w["after"]["start"], w["after"]["end"], w["after"]["state"]) == (
        resolved,
        resolved + DAY,
        "complete",
    )


def test_a_crisis_longer_than_a_week_gets_windows_of_its_own_length():
    onset, resolved = NOW - 9 * DAY, NOW
    w = review_windows(onset=onset, resolved_at=resolved, now=NOW + 20 * DAY)
    assert w["before"]["start"] == onset - 9 * DAY
    assert w["after"]["end"] == resolved + 9 * DAY


def test_the_after_window_is_so_far_until_it_has_passed_and_never_in_the_future():
    w = review_windows(onset=NOW, resolved_at=NOW + 6 * HOUR, now=NOW + 7 * HOUR)
    assert (w["after"]["start"], w["after"]["end"], w["after"]["state"]) == (
        NOW + 6 * HOUR,
        NOW + 7 * HOUR,
        "in_progress",
    )
    assert w["after"]["full_end"] == NOW + 30 * HOUR


def test_an_unresolved_crisis_has_no_after_window_yet():
    w = review_windows(onset=NOW - 2 * HOUR, resolved_at=None, now=NOW + HOUR)
    assert (w["during"]["end"], w["during"]["state"]) == (NOW + HOUR, "in_progress")
    assert w["before"]["start"] == NOW - 2 * HOUR - 7 * DAY
    assert w["after"] == {"start": None, "end": None, "state": "not_yet"}


# --- a constructed surge with known times -----------------------------------------------------


def test_the_review_figures_of_a_resolved_surge(surge, django_capture_on_commit_callbacks):
    incident, _ = surge
    resolved_anyway(incident, django_capture_on_commit_callbacks)

    m = review_metrics(incident, now=NOW + 30 * HOUR)

    # the crisis began with the first mention the surge counted (13:30), not at the start of
    # its two-hour window (13:00)
    assert m["onset_at"] == (NOW - 90 * MIN).isoformat()
    assert m["onset_from"] == "the first mention the alert counted"
    assert m["first_mention_at"] == (NOW - 90 * MIN).isoformat()
    assert m["window_seconds"] == 330 * 60
    assert (m["before_seconds"], m["after_seconds"]) == (7 * 86400, 86400)
    w = m["windows"]
    assert [(w[n]["start"], w[n]["end"], w[n]["state"]) for n in ("before", "during", "after")] == [
        ((NOW - 90 * MIN - 7 * DAY).isoformat(), (NOW - 90 * MIN).isoformat(), "complete"),
        ((NOW - 90 * MIN).isoformat(), (NOW + 4 * HOUR).isoformat(), "complete"),
        ((NOW + 4 * HOUR).isoformat(), (NOW + 28 * HOUR).isoformat(), "complete"),
    ]
    assert [w[n]["volume"] for n in ("before", "during", "after")] == [3, 5, 3]
    # windows of different lengths compare per day
    assert [w[n]["days"] for n in ("before", "during", "after")] == [7.0, 0.2292, 1.0]
    assert [w[n]["per_day"] for n in ("before", "during", "after")] == [0.43, 21.82, 3.0]
    assert [w[n]["negative"] for n in ("before", "during", "after")] == [1, 4, 1]
    assert [w[n]["mean_score"] for n in ("before", "during", "after")] == [0.267, -0.48, 0.0]
    assert len(m["series"]) == 7 + 6 + 6 and sum(b["volume"] for b in m["series"]) == 11
    # response times from detection (15:00); detection 90 minutes after the onset
    assert m["time_to_detect_seconds"] == 90 * 60
    assert m["time_to_acknowledge_seconds"] == 12 * 60
    assert m["time_to_first_reply_seconds"] == 40 * 60
    assert m["time_to_first_public_response_seconds"] == 40 * 60
    assert m["first_public_response"] == {
        "at": (NOW + 40 * MIN).isoformat(),
        "kind": "reply",
        "title": "",
    }
    assert m["time_to_statement_seconds"] == 2 * 3600
    assert m["time_to_resolve_seconds"] == 4 * 3600
    # coverage and reach
    assert (m["mentions_answered"], m["mentions_linked"], m["mentions_answered_share"]) == (
        2,
        4,
        0.5,
    )
    # two mentions the claim checker flagged, which nobody answered as false (the reply to the
    # big one is no correction): not counted as false claims (walk 13 B #8), said apart
    assert (m["false_claims"], m["false_claims_reach"]) == (0, 0)
    assert (m["false_claims_corrected"], m["correction_reach"]) == (0, 0)
    assert (m["correction_reach_share"], m["false_claims_flagged_only"]) == (None, 2)
    assert m["statements_published"] == 1
    # the summary's words, in the clinic's time
    figures = {label: value for _, label, value in review_figures(m, UTC)}
    assert figures["Crisis began"] == "2026-03-04 13:30 UTC (the first mention the alert counted)"
    assert figures["Time to detect"] == "90 minutes, from when the crisis began to the alert"
    assert figures["Time to acknowledge"] == "12 minutes after the alert"
    # one definition, and each figure says what it counts
    assert figures["First public response (statement or reply, whichever came first)"] == (
        "40 minutes after the alert: a public reply to a mention, published 2026-03-04 15:40 UTC"
    )
    assert figures["First statement published"] == "2 hours after the alert"
    assert figures["First public reply to a mention"] == "40 minutes after the alert"
    # "answered in public" counts the replies posted; the rest say where their reply stands
    # (it read "Mentions replied to one by one", which said nothing of how they were answered)
    assert figures["Mentions answered in public"] == "2 of 4 (50%)"
    assert figures["Replies not posted yet"] == "2 mentions with no reply"
    assert figures["Negative mentions answered in public"] == "2 of 4 (50%)"
    # each with its rate in the unit that suits its length, and the usual rate beside it
    assert figures["Sentiment before"] == "+0.27: 3 items in 7 days (about 0.4 a day), 33% negative"
    assert figures["Sentiment during"] == (
        "-0.48: 5 items in about 5.5 hours (about 0.9 an hour; usually about 0.4 a day), "
        "80% negative"
    )
    assert figures["Sentiment after"] == (
        "+0.00: 3 items in 24 hours (3 a day; usually about 0.4 a day), 33% negative"
    )
    assert figures["Reach of the false claims"] == (
        "none: no claim was answered as false; 2 mentions the claim checker flagged are not counted"
    )
    assert figures["Reach of the correction"] == "—"
    assert figures["Statements published"] == "1"
    # resolved with items open (the detector still fired): the reason is in the summary
    assert figures["Resolved anyway"] == ANYWAY


def test_an_unresolved_incident_has_no_after_window_yet(surge):
    incident, _ = surge
    m = review_metrics(incident, now=NOW + HOUR)
    assert m["resolved"] is False and m["resolved_at"] is None
    assert m["window_seconds"] == 150 * 60  # 13:30 → 16:00 so far
    assert m["windows"]["during"]["state"] == "in_progress"
    assert m["windows"]["after"] == {**m["windows"]["after"], "state": "not_yet", "volume": None}
    assert {b["window"] for b in m["series"]} == {"before", "during"}
    assert all(datetime.fromisoformat(b["start"]) < NOW + HOUR for b in m["series"])
    assert m["time_to_resolve_seconds"] is None
    figures = {label: value for _, label, value in review_figures(m, UTC)}
    assert (figures["Resolved"], figures["Sentiment after"]) == ("not yet", "not yet")


def test_right_after_resolution_the_after_window_has_no_future_buckets(surge):
    incident, _ = surge
    Incident.objects.filter(pk=incident.pk).update(status="resolved", resolved_at=NOW + 4 * HOUR)
    incident.refresh_from_db()
    m = review_metrics(incident, now=NOW + 330 * MIN)
    after = m["windows"]["after"]
    assert (after["state"], after["end"], after["volume"]) == (
        "in_progress",
        (NOW + 330 * MIN).isoformat(),
        1,
    )
    assert after["full_end"] == (NOW + 28 * HOUR).isoformat()
    # the day after is cut in six four-hour buckets: only the first has begun
    buckets = [b for b in m["series"] if b["window"] == "after"]
    assert [(b["start"], b["end"], b["partial"]) for b in buckets] == [
        ((NOW + 4 * HOUR).isoformat(), (NOW + 330 * MIN).isoformat(), True),
    ]


def test_a_review_sent_before_the_after_period_ended_says_so_and_is_renewed_once_it_has(
    surge, world, in_utc, monkeypatch, django_capture_on_commit_callbacks
):
    clinic_a = in_utc
    # given a surge resolved at 19:00, the "after" period runs to 19:00 the next day
    incident, _ = surge
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    actor = acting("Alpha Writer")
    # the agency is told before sending what sending now means
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + 330 * MIN)
    draft = PostCrisisReview.objects.get(incident=incident)
    assert review_context(draft, clinic_a)["send_advice"] == (
        "The “after” period ends 2026-03-05 19:00 UTC. The figures are frozen when the review "
        "is first sent: sent now, they hold only its first 90 minutes and say so; sent after "
        "2026-03-05 19:00 UTC, they hold the whole period. Sending again once it has ended "
        "takes the figures anew."
    )
    # when it is sent an hour and a half after the resolution
    with django_capture_on_commit_callbacks(execute=False):
        review = review_send(incident_id=incident.pk, clinic=clinic_a, actor=actor)
    # then the document says plainly that its "after" holds only that
    context = review_context(review, clinic_a)
    assert context["after_note"] == (
        "The “after” period runs until 2026-03-05 19:00 UTC. These figures were taken on "
        "2026-03-04 20:30 UTC, when the review was sent, so they hold only its first 90 minutes."
    )
    assert context["metrics"]["windows"]["after"]["volume"] == 1
    html = review_html(review, clinic_a)
    assert "so they hold only its first 90 minutes." in html
    # sent again before the period ended, the figures stay as the clinic received them
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + 10 * HOUR)
    with django_capture_on_commit_callbacks(execute=False):
        review = review_send(incident_id=incident.pk, clinic=clinic_a, actor=actor)
    assert review.metrics_frozen_at == NOW + 330 * MIN
    # sent again once it has ended, the figures hold the whole day, and the note is gone
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + 30 * HOUR)
    with django_capture_on_commit_callbacks(execute=False):
        review = review_send(incident_id=incident.pk, clinic=clinic_a, actor=actor)
    assert review.metrics_frozen_at == NOW + 30 * HOUR
    assert review.metrics["windows"]["after"]["state"] == "complete"
    assert review.metrics["windows"]["after"]["volume"] == 3
    assert review_context(review, clinic_a)["after_note"] == ""
    last = incident.events.filter(kind=EventKind.REVIEW_SENT).order_by("-at", "-id").first()
    assert last.message.startswith(
        "Review sent again to the clinic with the figures of the whole “after” period: "
    )
    assert last.data["figures_renewed"] is True


# --- the timeline from every source ------------------------------------------------------------


def test_the_timeline_holds_every_event_from_the_sources_of_truth(
    surge, world, clinic_a, django_capture_on_commit_callbacks
):
    incident, linked = surge
    writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic_a)
    # a private follow-up, and a status a later part of Carewatch might record
    followup_start(review_id=linked[0].pk, access=writer, channel="phone")
    audit_record(
        object_type="followup",
        object_id=7,
        review_id=linked[0].pk,
        action="invitation_sent",
        who=acting("Messenger"),
        from_status="queued",
        to_status="delivered",
    )
    audit_record(
        object_type="outbox",
        object_id=99,
        review_id=linked[1].pk,
        action="send_failed",
        who=acting("Publishing"),
        from_status="sending",
        to_status="failed",
        comment="The page is not connected.",
    )
    audit_record(
        object_type="reply",
        object_id=5,
        review_id=linked[1].pk,
        action="approved",
        who=acting("Max Manager"),
        from_status="pending_agency",
        to_status="approved",
    )
    audit_record(
        object_type="reply",
        object_id=5,
        review_id=linked[1].pk,
        action="created",
        who=acting("Wendy Writer"),
        version=1,
        to_status="draft",
        detail={"verdict": "block", "findings": 2},
    )
    with django_capture_on_commit_callbacks(execute=False):
        incident_status_set(
            incident_id=incident.pk,
            status="resolved",
            override_reason="The surge ended; two replies by hand.",
            actor=acting("Sam"),
            now=NOW + 4 * HOUR,
        )

    lines = review_timeline(incident, clinic_a)

    categories = {line["category"] for line in lines}
    assert {
        "acknowledgement",
        "resolution",
        "follow_up",
        "failure",
        "approval",
        "draft",
        "guard",
    } <= categories
    by_what = {line["what"]: line for line in lines}
    assert by_what["Followup #7: invitation sent"]["details"] == "queued → delivered"
    assert by_what["Followup #7: invitation sent"]["category_label"] == "Follow-up"
    failed = by_what["Delivery #99: send failed"]
    assert (failed["category"], failed["details"]) == (
        "failure",
        "Sending → Failed · The page is not connected.",
    )
    assert by_what["Reply #5: approved"]["details"] == "Waiting for the agency → Approved"
    assert by_what["Reply #5 v1: privacy check blocked"]["details"] == "2 finding(s)"
    assert any(line["what"].startswith("Private follow-up #") for line in lines)
    assert [line["at"] for line in lines] == sorted(line["at"] for line in lines)
    # the review states the reason it was resolved anyway
    review = incident.review
    context = review_context(review, clinic_a)
    figures = dict(context["summary"])
    assert figures["Resolved anyway"] == "The surge ended; two replies by hand."


def test_replies_approvals_and_deliveries_of_the_mentions_reach_the_timeline(
    platforms,  # noqa: F811 - the fixture
    clinic_a,
    as_user,  # noqa: F811 - the fixture
    world,
):
    """Through the real reply workflow and outbox (the fake Google refuses the first post)."""
    review = review_in(clinic_a, fake=platforms)
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.create(
            kind="surge",
            title="Surge",
            severity="high",
            trigger={"numbers": {"window_minutes": 60}},
            opened_at=review.published_at,
            last_detected_at=review.published_at,
        )
        IncidentMention.objects.create(incident=incident, review=review, added_at=NOW)
    draft = approved_reply(clinic_a, as_user, review)
    item_id = draft["outbox"][0]["id"]
    platforms.fail(
        1, status=400, platform="google", message="Request contains an invalid argument."
    )
    assert deliver_in(clinic_a, item_id) == "failed"
    as_user("alpha_writer", clinic_a).post(f"outbox/{item_id}/retry/")
    assert deliver_in(clinic_a, item_id) == "sent"

    with schema_context(clinic_a.schema_name):
        lines = review_timeline(incident, clinic_a)

    said = [(line["category"], line["what"]) for line in lines]
    d = draft["id"]
    assert ("draft", f"Reply #{d} v1: created") in said
    assert ("draft", f"Reply #{d} v1: submitted") in said
    assert [c for c, w in said if w == f"Reply #{d} v1: approved"] == ["approval", "approval"]
    assert ("publication", f"Delivery #{item_id} v1: queued") in said
    assert ("failure", f"Delivery #{item_id} v1: send failed") in said
    assert ("publication", f"Delivery #{item_id} v1: sent") in said
    assert ("publication", f"Reply #{d} v1: published") in said
    told = [line for line in lines if line["category"] == "notification"]
    assert any("waits for your" in line["what"] for line in told)

    # the review the clinic receives: what people decided, what went out in public and what
    # could not (a fact about the response; the platform's reason is the agency's plumbing),
    # not the drafts, deliveries in progress and notices that got it there; each line names
    # the mention the reply answers
    with schema_context(clinic_a.schema_name):
        client = review_timeline(incident, clinic_a, for_client=True)
    day = review.published_at.astimezone(clinic_zone(clinic_a))
    mention = (
        f"Reply to Sam R.’s 2★ Google Business Profile review of {day.day} {day:%b %Y} "
        "(“Waited an hour and nobody called me back about the bill.”)"
    )
    assert [(line["category"], line["what"], line["details"]) for line in client] == [
        ("approval", f"{mention}: approved", ""),
        ("approval", f"{mention}: approved", ""),
        ("failure", f"{mention}: could not be posted on Google Business Profile", ""),
        ("publication", f"{mention}: published", ""),
    ]


def test_the_clinics_document_leaves_out_the_plumbing_and_says_the_trigger_in_words(
    surge, in_utc, django_capture_on_commit_callbacks
):
    clinic_a = in_utc
    # given a surge whose detector explained itself in statistics, a webhook emitted, a chat
    # post and a failed notice on its timeline
    incident, _ = surge
    Incident.objects.filter(pk=incident.pk).update(
        trigger={
            "kind": "surge",
            "explanation": "4 negative reviews and mentions in 2 h against a baseline of "
            "0.0 ± 0.1 for this weekday and time of day; 672.0× the usual, p = 4.4e-31.",
            "numbers": {"count": 4, "window_minutes": 120, "ratio": 672.0},
        }
    )
    incident.refresh_from_db()
    for kind, message, data in (
        (EventKind.NOTIFIED, "Webhook incident.opened: emitted.", {"webhook": "incident.opened"}),
        (EventKind.NOTIFIED, "Posted to the team's chat channel.", {"chat": "slack"}),
        (EventKind.NOTIFY_FAILED, "E-mail to the on-call failed: fix the settings.", {}),
        (EventKind.NOTIFIED, "Alerted 2 people: Sam, Alex.", {"people": [1, 2]}),
    ):
        event_add(incident=incident, kind=kind, message=message, data=data, at=NOW + MIN)
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    review = PostCrisisReview.objects.get(incident=incident)
    # when the document is rendered (page, portal, HTML, PDF share it)
    html = review_html(review, clinic_a)
    # then the plumbing is out, the people alerted are in
    assert "Webhook" not in html and "incident.opened" not in html
    assert "chat channel" not in html and "fix the settings" not in html
    assert "2 people at your agency were alerted." in html
    assert "Sam, Alex" not in html
    # and the trigger reads in words, without the statistics
    assert "4 negative mentions in 2 hours — usually none for a Wednesday afternoon." in html
    assert "p = " not in html and "±" not in html
    # the agency's room keeps every row
    with schema_context(clinic_a.schema_name):
        staff = [line["details"] for line in review_timeline(incident, clinic_a)]
    assert "Webhook incident.opened: emitted." in staff


# --- refusals ---------------------------------------------------------------------------------


def test_the_api_refuses_the_review_of_a_running_incident_and_knows_no_other(
    surge, login, clinic_a
):
    incident, _ = surge
    client = login("alpha_writer")
    base = "/clinics/clinic-a/api/v1/incidents"
    running = client.get(f"{base}/{incident.pk}/review/")
    assert running.status_code == 409
    assert running.json()["code"] == "not_resolved"
    assert "not resolved yet" in running.json()["detail"]
    sent = client.post(f"{base}/{incident.pk}/review/send/")
    assert sent.status_code == 409
    unknown = client.get(f"{base}/987654/review/")
    assert (unknown.status_code, unknown["Content-Type"]) == (404, "application/json")
    assert unknown.json()["code"] == "not_found"
    with schema_context(clinic_a.schema_name):  # nothing was drafted or sent
        assert not PostCrisisReview.objects.filter(incident=incident).exists()
        assert not incident.events.filter(kind=EventKind.REVIEW_SENT).exists()


# --- sent to the clinic, read in the portal ---------------------------------------------------


def test_the_agency_sends_the_review_and_the_clinic_reads_it_in_its_portal(
    surge, login, clinic_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    incident, _ = surge
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    approver = login("a_approver")
    portal = f"/clinics/clinic-a/portal/incidents/{incident.pk}"
    # before it is sent, the portal shows nothing of it
    assert approver.get(f"{portal}/review/").status_code == 404
    assert approver.get(f"{portal}/review.pdf").status_code == 404
    assert "Read the post-crisis review" not in approver.get(f"{portal}/").content.decode()

    # when a writer sends it from the review page
    writer = login("alpha_writer")
    page = f"/clinics/clinic-a/incidents/{incident.pk}/review/"
    with django_capture_on_commit_callbacks(execute=True):
        done = writer.post(page, {"action": "send"}, follow=True)

    # then the clinic's people are told, in-app and by e-mail, and it is on the timeline
    assert "Sent to the clinic" in done.content.decode()
    with schema_context(clinic_a.schema_name):
        review = PostCrisisReview.objects.get(incident=incident)
        sent = incident.events.get(kind=EventKind.REVIEW_SENT)
    assert review.sent_by == "Alpha Writer" and review.sent_at is not None
    # what the clinic received keeps its figures: frozen when sent, and kept when the
    # incident is marked reviewed later
    assert review.metrics_frozen_at == review.sent_at and review.metrics
    sent_figures = review.metrics
    with django_capture_on_commit_callbacks(execute=False), schema_context(clinic_a.schema_name):
        incident_status_set(
            incident_id=incident.pk, status="reviewed", actor=acting("Sam"), now=NOW + 30 * HOUR
        )
        kept = PostCrisisReview.objects.get(incident=incident)
    assert (kept.metrics, kept.metrics_frozen_at) == (sent_figures, review.sent_at)
    people = {world.users[n].pk for n in ("a_approver", "a_viewer", "a_legal")}
    assert people <= set(sent.data["people"])
    assert {m.to[0] for m in mailoutbox} >= {world.users["a_approver"].email}
    assert any(f"portal/incidents/{incident.pk}/review/" in m.body for m in mailoutbox)
    notes = Notification.objects.filter(clinic=clinic_a, ref=f"postcrisis:{incident.pk}")
    assert {n.user_id for n in notes} == set(sent.data["people"])
    # and the portal shows the same report, with its PDF
    html = approver.get(f"{portal}/").content.decode()
    assert "Read the post-crisis review" in html
    report = approver.get(f"{portal}/review/")
    assert report.status_code == 200
    assert not notes.filter(user=world.users["a_approver"], open=True).exists()  # read
    assert notes.filter(user=world.users["a_viewer"], open=True).exists()
    body = report.content.decode()
    for heading in ("Summary", "Volume and sentiment", "Before, during and after", "Timeline"):
        assert f">{heading}</h" in body, heading
    assert body.count('src="data:image/svg+xml;base64,') == 2
    pdf = approver.get(f"{portal}/review.pdf")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF")
    listing = approver.get("/clinics/clinic-a/portal/incidents/").content.decode()
    assert f'href="/clinics/clinic-a/portal/incidents/{incident.pk}/review/"' in listing
    # a viewer of the agency may not send it; the API sends it too
    assert login("alpha_analyst").post(page, {"action": "send"}).status_code == 403
    again = writer.post(f"/clinics/clinic-a/api/v1/incidents/{incident.pk}/review/send/")
    assert again.status_code == 200 and again.json()["sent_by"] == "Alpha Writer"
    with schema_context(clinic_a.schema_name):
        assert incident.events.filter(kind=EventKind.REVIEW_SENT).count() == 2


def test_a_review_frozen_before_onset_windows_is_shown_as_it_stood_when_frozen(surge):
    incident, _ = surge
    Incident.objects.filter(pk=incident.pk).update(status="reviewed", resolved_at=NOW + 4 * HOUR)
    incident.refresh_from_db()
    review = PostCrisisReview.objects.create(
        incident=incident, metrics={"windows": {}}, metrics_frozen_at=NOW + 6 * HOUR
    )
    metrics = review_metrics_current(review)
    assert metrics["onset_at"] == (NOW - 90 * MIN).isoformat()
    assert metrics["computed_at"] == (NOW + 6 * HOUR).isoformat()
    assert metrics["windows"]["after"]["state"] == "in_progress"
