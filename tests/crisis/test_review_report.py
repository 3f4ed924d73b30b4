"""The post-crisis review against a constructed crisis with known times: windows from the
onset, the figures a client asks for, the timeline from every source of truth, an incident
that is not resolved yet ("not yet"), and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from clinics.models import Notification
from crisis.export import review_context, review_figures
from crisis.metrics import crisis_onset, review_metrics, review_windows
from crisis.models import (
    EventKind,
    Incident,
    IncidentMention,
    PostCrisisReview,
)
from crisis.services import incident_status_set, review_metrics_current
from crisis.timeline import review_timeline
from responses.services.common import audit_record
from responses.services.private import followup_start
from tests.crisis.conftest import ANYWAY, HOUR, MIN, NOW, acting
from tests.responses.conftest import as_user, platforms, review_in  # noqa: F401, F811 - fixtures
from tests.responses.test_publish import _approved, _deliver

# --- windows, as a pure computation ---------------------------------------------------------


def _incident(kind="surge", numbers=None, opened=NOW) -> Incident:
    return Incident(kind=kind, trigger={"numbers": numbers or {}}, opened_at=opened)


@pytest.mark.parametrize(
    ("kind", "numbers", "first_mention", "onset", "source"),
    [
        ("surge", {"window_minutes": 120}, NOW - 90 * MIN, NOW - 120 * MIN, "detector"),
        ("surge", {"window_minutes": 120}, NOW - 150 * MIN, NOW - 150 * MIN, "mention"),
        ("rating_drop", {"window_hours": 24}, NOW - 2 * HOUR, NOW - 24 * HOUR, "detector"),
        ("watch_word", {"window_hours": 24}, NOW - 10 * MIN, NOW - 10 * MIN, "mention"),
        ("misinformation", {"window_hours": 48}, NOW - 5 * HOUR, NOW - 5 * HOUR, "mention"),
        ("surge", {}, None, NOW, "detection"),
        ("watch_word", {}, NOW + 5 * MIN, NOW, "detection"),
    ],
    ids=[
        "surge-window-earlier",
        "surge-mention-earlier",
        "rating-window",
        "watch-word-first-match",
        "misinformation-first-match",
        "nothing-known",
        "never-after-detection",
    ],
)
def test_the_onset_is_the_earliest_evidence_of_the_crisis(
    kind, numbers, first_mention, onset, source
):
    found, how = crisis_onset(_incident(kind, numbers), first_mention)
    assert found == onset
    assert {"detector": "start of the detector's window", "mention": "first linked mention"}.get(
        source, source
    ) == how


def test_windows_of_a_resolved_crisis_are_of_equal_length_around_it():
    onset, resolved = NOW - 2 * HOUR, NOW + 4 * HOUR
    w = review_windows(onset=onset, resolved_at=resolved, now=NOW + 30 * HOUR)
    assert w["span"] == 6 * HOUR
    assert (w["before"]["start"], w["before"]["end"]) == (NOW - 8 * HOUR, onset)
    assert (w["during"]["start"], w["during"]["end"], w["during"]["state"]) == (
        onset,
        resolved,
        "complete",
    )
    assert (w["after"]["start"], w["after"]["end"], w["after"]["state"]) == (
        resolved,
        NOW + 10 * HOUR,
        "complete",
    )


def test_the_after_window_is_so_far_until_it_has_passed_and_never_in_the_future():
    w = review_windows(onset=NOW, resolved_at=NOW + 6 * HOUR, now=NOW + 7 * HOUR)
    assert (w["after"]["start"], w["after"]["end"], w["after"]["state"]) == (
        NOW + 6 * HOUR,
        NOW + 7 * HOUR,
        "in_progress",
    )


def test_an_unresolved_crisis_has_no_after_window_yet():
    w = review_windows(onset=NOW - 2 * HOUR, resolved_at=None, now=NOW + HOUR)
    assert (w["during"]["end"], w["during"]["state"]) == (NOW + HOUR, "in_progress")
    assert w["before"]["start"] == NOW - 5 * HOUR
    assert w["after"] == {"start": None, "end": None, "state": "not_yet"}


# --- a constructed surge with known times -----------------------------------------------------


def test_the_review_figures_of_a_resolved_surge(surge, django_capture_on_commit_callbacks):
    incident, _ = surge
    with django_capture_on_commit_callbacks(execute=False):
        incident_status_set(
            incident_id=incident.pk,
            status="resolved",
            override_reason=ANYWAY,
            actor=acting("Sam"),
            now=NOW + 4 * HOUR,
        )
    incident.refresh_from_db()

    m = review_metrics(incident, now=NOW + 30 * HOUR)

    assert m["onset_at"] == (NOW - 2 * HOUR).isoformat()
    assert m["onset_from"] == "start of the detector's window"
    assert m["first_mention_at"] == (NOW - 90 * MIN).isoformat()
    assert m["window_seconds"] == 6 * 3600
    w = m["windows"]
    assert [(w[n]["start"], w[n]["end"], w[n]["state"]) for n in ("before", "during", "after")] == [
        ((NOW - 8 * HOUR).isoformat(), (NOW - 2 * HOUR).isoformat(), "complete"),
        ((NOW - 2 * HOUR).isoformat(), (NOW + 4 * HOUR).isoformat(), "complete"),
        ((NOW + 4 * HOUR).isoformat(), (NOW + 10 * HOUR).isoformat(), "complete"),
    ]
    assert [w[n]["volume"] for n in ("before", "during", "after")] == [3, 5, 2]
    assert [w[n]["negative"] for n in ("before", "during", "after")] == [1, 4, 0]
    assert [w[n]["mean_score"] for n in ("before", "during", "after")] == [0.267, -0.48, 0.4]
    assert len(m["series"]) == 18 and sum(b["volume"] for b in m["series"]) == 10
    # response times from detection (15:00); detection two hours after the onset
    assert m["time_to_detect_seconds"] == 2 * 3600
    assert m["time_to_acknowledge_seconds"] == 12 * 60
    assert m["time_to_first_reply_seconds"] == 40 * 60
    assert m["time_to_first_public_response_seconds"] == 40 * 60
    assert m["time_to_statement_seconds"] == 2 * 3600
    assert m["time_to_resolve_seconds"] == 4 * 3600
    # coverage and reach
    assert (m["mentions_answered"], m["mentions_linked"], m["mentions_answered_share"]) == (
        2,
        4,
        0.5,
    )
    assert (m["false_claims"], m["false_claims_reach"]) == (2, 200)
    assert (m["false_claims_corrected"], m["correction_reach"]) == (1, 150)
    assert m["correction_reach_share"] == 0.75
    assert m["statements_published"] == 1
    # the summary's words, in the clinic's time
    figures = {label: value for _, label, value in review_figures(m, UTC)}
    assert figures["Crisis onset"] == "2026-03-04 13:00 UTC (start of the detector's window)"
    assert figures["Time to acknowledge"] == "12 min"
    assert figures["Time to first public response"] == "40 min"
    assert figures["Time to statement"] == "2.0 h"
    assert figures["Mentions answered"] == "2 of 4 (50%)"
    assert figures["Sentiment before"] == "+0.27 (3 items, 33% negative)"
    assert figures["Sentiment during"] == "-0.48 (5 items, 80% negative)"
    assert figures["Sentiment after"] == "+0.40 (2 items, 0% negative)"
    assert figures["Reach of the false claims"] == "200 across 2 false claims"
    assert figures["Reach of the correction"] == "150 (75%): 1 of 2 answered in public"
    assert figures["Statements published"] == "1"
    # resolved with items open (the detector still fired): the reason is in the summary
    assert figures["Resolved anyway"] == ANYWAY


def test_an_unresolved_incident_has_no_after_window_yet(surge):
    incident, _ = surge
    m = review_metrics(incident, now=NOW + HOUR)
    assert m["resolved"] is False and m["resolved_at"] is None
    assert m["window_seconds"] == 3 * 3600  # 13:00 → 16:00 so far
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
    buckets = [b for b in m["series"] if b["window"] == "after"]
    assert [(b["start"], b["end"], b["partial"]) for b in buckets] == [
        ((NOW + 4 * HOUR).isoformat(), (NOW + 5 * HOUR).isoformat(), False),
        ((NOW + 5 * HOUR).isoformat(), (NOW + 330 * MIN).isoformat(), True),
    ]


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
    draft = _approved(clinic_a, as_user, review)
    item_id = draft["outbox"][0]["id"]
    platforms.fail(
        1, status=400, platform="google", message="Request contains an invalid argument."
    )
    assert _deliver(clinic_a, item_id) == "failed"
    as_user("alpha_writer", clinic_a).post(f"outbox/{item_id}/retry/")
    assert _deliver(clinic_a, item_id) == "sent"

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
    with django_capture_on_commit_callbacks(execute=False):
        incident_status_set(
            incident_id=incident.pk,
            status="resolved",
            override_reason=ANYWAY,
            actor=acting("Sam"),
            now=NOW + 4 * HOUR,
        )
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
    assert metrics["onset_at"] == (NOW - 2 * HOUR).isoformat()
    assert metrics["computed_at"] == (NOW + 6 * HOUR).isoformat()
    assert metrics["windows"]["after"]["state"] == "in_progress"
