"""The post-crisis review says only what happened (walk 13 B #8, #9; A #8): a mention the claim
checker flagged is a false claim only once the agency answered it as one, and an apology is no
correction; an incident nobody acknowledged before resolving it says so; the clinic's copy
calls a reply not approved yet a draft at the agency, says from when the time to resolve is
counted, leaves out how the agency staffed the incident, says which items were open when it was
resolved anyway, and bears one "prepared" time on its page and its PDF."""

from __future__ import annotations

from datetime import UTC

from core.tenancy import current_clinic
from crisis.export import replies_waiting_text, review_context, review_figures
from crisis.metrics import review_metrics
from crisis.models import EventKind, Incident, IncidentEvent, PostCrisisReview
from crisis.room import event_words
from crisis.services.common import event_add
from crisis.timeline import review_timeline
from facts.models import Fact
from responses.models import ReplyDraft, ReplyVersion
from tests.crisis.conftest import HOUR, MIN, NOW, acting, resolved_anyway

FACT = "Every needle we use is new and used for one patient only."


def _reply_says(review, text: str) -> None:
    """The published reply to `review` (the surge's) says `text` (its only version)."""
    draft = ReplyDraft.objects.get(review=review)
    ReplyVersion.objects.filter(draft=draft).delete()
    ReplyVersion.objects.create(
        draft=draft, number=1, guard_verdict="ok", author_label="user:1", text=text
    )


def _figures(metrics) -> dict[str, str]:
    return {label: value for _, label, value in review_figures(metrics, UTC)}


def test_flagged_mentions_answered_with_an_apology_are_no_false_claims(surge):
    incident, _linked = surge  # two flagged mentions, one with a plain public reply

    m = review_metrics(incident, now=NOW + 4 * HOUR)

    assert (m["false_claims"], m["false_claims_corrected"], m["false_claims_reach"]) == (0, 0, 0)
    assert m["false_claims_flagged_only"] == 2
    figures = _figures(m)
    assert figures["Reach of the false claims"] == (
        "none: no claim was answered as false; 2 mentions the claim checker flagged are not counted"
    )
    assert figures["Reach of the correction"] == "—"


def test_a_public_reply_quoting_the_fact_sheet_makes_it_a_corrected_false_claim(surge):
    incident, linked = surge
    Fact.objects.create(slug="needles", title="Needles", statement=FACT, status="confirmed")
    _reply_says(linked[1], f"Hello, to set the record straight: {FACT} Call us any time.")

    m = review_metrics(incident, now=NOW + 4 * HOUR)

    assert (m["false_claims"], m["false_claims_corrected"]) == (1, 1)
    assert (m["false_claims_reach"], m["correction_reach"]) == (150, 150)
    assert m["false_claims_flagged_only"] == 1  # the other flagged one, never answered as false
    figures = _figures(m)
    assert figures["Reach of the false claims"] == (
        "150 likes, shares and replies across 1 mention answered as false; 1 mention the claim "
        "checker flagged is not counted"
    )
    assert figures["Reach of the correction"] == (
        "150 (100%): 1 of 1 mention answered in public with the correction"
    )


def test_an_incident_resolved_before_anyone_acknowledged_it_says_so(
    surge, django_capture_on_commit_callbacks
):
    incident, _ = surge
    Incident.objects.filter(pk=incident.pk).update(
        status="open", acknowledged_at=None, acknowledged_by=""
    )

    incident = resolved_anyway(incident, django_capture_on_commit_callbacks)

    assert incident.acknowledged_at == incident.resolved_at  # resolving acknowledged it
    m = review_metrics(incident, now=NOW + 5 * HOUR)
    assert (m["acknowledged_by_resolving"], m["time_to_acknowledge_seconds"]) == (True, None)
    figures = _figures(m)
    assert figures["Time to acknowledge"] == "not acknowledged before it was resolved"
    assert figures["Time to resolve"] == "4 hours after the alert"
    event = IncidentEvent.objects.get(incident=incident, kind=EventKind.STATUS_CHANGED)
    assert "Nobody had acknowledged it before." in event.message


def test_an_acknowledged_incident_keeps_its_time_to_acknowledge(surge):
    incident, _ = surge  # acknowledged by Sam 12 minutes after the alert
    incident.refresh_from_db()
    m = review_metrics(incident, now=NOW + 4 * HOUR)
    assert m["acknowledged_by_resolving"] is False
    assert _figures(m)["Time to acknowledge"] == "12 minutes after the alert"


def test_the_clinic_reads_a_reply_not_approved_yet_as_a_draft_at_the_agency():
    m = {"replies_waiting": {"approved": 0, "in_approval": 1, "none": 16}}
    assert replies_waiting_text(m) == (
        "1 mention with a draft at the agency; 16 mentions with no reply"
    )
    assert replies_waiting_text(m, for_clinic=False) == (
        "1 mention with a reply not approved yet; 16 mentions with no reply"
    )


def test_the_clinics_timeline_leaves_out_the_agencys_role_changes(surge, world, clinic_a):
    incident, _ = surge
    staff, own = world.users["alpha_writer"], world.users["a_approver"]
    for message, user in (
        ("Social media manager: Alpha Writer.", staff),
        ("Social media manager: unassigned.", None),
        ("Comms / PR: A Approver.", own),
    ):
        event_add(
            incident=incident, kind=EventKind.ASSIGNED, message=message, actor=acting("Max"),
            data={"role": "social", "user_id": user.pk if user else None},
        )  # fmt: skip

    said = [line["details"] for line in review_timeline(incident, clinic_a, for_client=True)]
    room = [line["details"] for line in review_timeline(incident, clinic_a)]

    assert "Comms / PR: A Approver." in said
    assert not [s for s in said if s.startswith("Social media manager")]
    assert "Social media manager: unassigned." in room


def test_resolved_anyway_says_which_items_were_open(surge, django_capture_on_commit_callbacks):
    incident, _ = surge
    incident = resolved_anyway(incident, django_capture_on_commit_callbacks)
    event = IncidentEvent.objects.get(incident=incident, kind=EventKind.STATUS_CHANGED)
    items = event.data["open_items"]
    assert items

    said = event_words(event, UTC)

    assert "item(s)" not in said
    assert f"still open ({items[0].rstrip('.')}" in said


def test_the_clinics_copy_is_prepared_when_it_was_sent(
    surge, in_utc, django_capture_on_commit_callbacks
):
    incident, _ = surge
    incident = resolved_anyway(incident, django_capture_on_commit_callbacks)
    review = PostCrisisReview.objects.get(incident=incident)
    review.sent_at = NOW + 5 * HOUR + 24 * MIN
    review.save(update_fields=["sent_at"])
    clinic = current_clinic()

    later = NOW + 5 * HOUR + 25 * MIN
    page = review_context(review, clinic, now=later)
    staff = review_context(review, clinic, now=later, for_clinic=False)

    # the page, the HTML file and the PDF (one context) say when it was sent
    assert page["generated_text"] == "2026-03-04 20:24 UTC"
    assert staff["generated_text"] == "2026-03-04 20:25 UTC"


def test_a_public_reply_linking_to_the_statement_makes_it_a_corrected_false_claim(surge, settings):
    """Walk 21: "We have posted the facts here: <statement link>" answered the claim as the
    statement does, and only a reply quoting the fact sheet (or a batch) counted as a
    correction."""
    incident, linked = surge
    page = f"{settings.PUBLIC_BASE_URL}/statements/{current_clinic().slug}/"
    _reply_says(
        linked[1], f"Hello, that is not so. Our statement: {page.split('://')[1]}12/ Call us."
    )

    m = review_metrics(incident, now=NOW + 4 * HOUR)

    assert (m["false_claims"], m["false_claims_corrected"]) == (1, 1)
    assert (m["false_claims_reach"], m["correction_reach"]) == (150, 150)
    # another clinic's statement is no correction of this one's claim
    _reply_says(linked[1], f"Hello. See {settings.PUBLIC_BASE_URL}/statements/another-clinic/3/.")
    m = review_metrics(incident, now=NOW + 4 * HOUR)
    assert (m["false_claims"], m["false_claims_corrected"]) == (0, 0)


def test_a_public_reply_saying_the_claim_is_false_in_its_own_words_is_a_correction(surge):
    """Walk 14: a batch answering the needle claim in the writer's own words ("this is not
    true. Every needle and syringe we use is single-use") was not counted, and the review told
    the clinic its correction reached 3 %."""
    incident, linked = surge
    _reply_says(linked[1], "Hello, this is not true. Every needle and syringe we use is new.")

    m = review_metrics(incident, now=NOW + 4 * HOUR)

    assert (m["false_claims"], m["false_claims_corrected"], m["correction_reach"]) == (1, 1, 150)


def test_an_apology_that_something_went_wrong_is_still_no_correction(surge):
    incident, linked = surge
    _reply_says(linked[1], "We are sorry something went wrong at your visit. Please call us.")

    m = review_metrics(incident, now=NOW + 4 * HOUR)

    assert (m["false_claims"], m["false_claims_corrected"]) == (0, 0)
