"""Resolving with a checklist: what is still open (unanswered high-reach mentions, failed or
unconfirmed deliveries, no published statement, the detector still firing at its last
evaluation) is shown, and resolving needs all clear or "resolve anyway" with a written reason,
kept on the timeline event for the post-crisis review. The same rule in the API and the room."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crisis.models import EventKind, Incident, IncidentEvent, IncidentStatement
from crisis.selectors import resolve_checklist, resolve_override_of
from crisis.services import detector_settings_update, detectors_run, incident_resolve
from feeds.models import Review
from responses.models import OutboxItem, OutboxKind, ReplyDraft, Statement, StatementVersion
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)
BASE = "/clinics/clinic-a/api/v1"
REASON = "The surge stopped at noon; the last two replies are posted by hand today."


@pytest.fixture
def incident(stream):
    # one loud mention (105 engagements: high reach, not viral) and one quiet one, both
    # repeating the watch word
    detector_settings_update(actor=acting("test"), watch_words=["needles"])
    stream.add(NOW - 9 * MIN, text="They reuse needles! Share this", engagement=(80, 15, 10))
    stream.add(NOW - 5 * MIN, text="needles again?")
    [opened] = detectors_run(now=NOW, notify=False)
    return opened


def _state(incident) -> tuple:
    with schema_context("clinic_clinic_a"):
        row = Incident.objects.get(pk=incident.pk)
        return (
            row.status,
            row.resolved_at,
            list(IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True)),
        )


def _all_clear(incident) -> None:
    """Answer the loud mention, publish a statement of the incident, and let the detector
    evaluate again two days later, when the mentions are out of its window."""
    loud = Review.objects.get(text__startswith="They reuse")
    Review.objects.filter(pk=loud.pk).update(status="replied")
    statement = Statement.objects.create(title="Our safety rules", author_label="test",
                                         status="published")  # fmt: skip
    IncidentStatement.objects.create(incident=incident, statement=statement, added_at=NOW)
    detectors_run(now=NOW + timedelta(days=2), notify=False)
    incident.refresh_from_db()


def test_the_checklist_lists_what_is_open(incident):
    checklist = resolve_checklist(incident)
    by_key = {i["key"]: i for i in checklist["items"]}
    assert checklist["clear"] is False
    assert [k for k, i in by_key.items() if i["open"]] == ["mentions", "statement", "detector"]
    assert by_key["mentions"]["detail"] == (
        "1 mention with 100+ engagements unanswered; 2 of 2 mentions in all have no posted reply."
    )
    assert [r.text for r in by_key["mentions"]["rows"]] == ["They reuse needles! Share this"]
    assert by_key["deliveries"]["detail"] == "Every approved reply and statement is posted."
    assert by_key["statement"]["detail"] == "No statement of this incident is published."
    assert by_key["detector"]["detail"].startswith(
        "At its last check the detector still sees the crisis"
    )
    assert by_key["detector"]["evaluated_at"] == NOW.isoformat()
    assert checklist["open"] == [by_key[k]["detail"] for k in ("mentions", "statement", "detector")]


def test_a_clear_mentions_item_says_whether_any_mention_was_loud(incident):
    # given the loud mention answered: the ✔ says every loud one is answered, with the tally
    loud = Review.objects.get(text__startswith="They reuse")
    Review.objects.filter(pk=loud.pk).update(status="replied")
    [mentions] = [i for i in resolve_checklist(incident)["items"] if i["key"] == "mentions"]
    assert mentions["open"] is False
    assert mentions["detail"] == (
        "Every mention with 100+ engagements has a posted reply; 1 of 2 mentions answered in all."
    )
    # and when no mention was ever loud, a ✔ beside "0 of 2 answered" says why it is clear
    Review.objects.filter(pk=loud.pk).update(status="new", likes=1, shares=0, replies=0)
    [mentions] = [i for i in resolve_checklist(incident)["items"] if i["key"] == "mentions"]
    assert mentions["open"] is False
    assert mentions["detail"] == (
        "No mention reached 100 engagements, so none must be answered first; "
        "0 of 2 mentions answered in all."
    )


def test_failed_and_unconfirmed_deliveries_are_open_items(incident):
    # given an approved reply to the quiet mention that failed on its channel, and one queued
    quiet = Review.objects.get(text="needles again?")
    loud = Review.objects.get(text__startswith="They reuse")
    for review, status in ((quiet, "failed"), (loud, "pending")):
        draft = ReplyDraft.objects.create(
            review=review, status="approved", version=1, author_label="test"
        )
        OutboxItem.objects.create(
            kind=OutboxKind.REPLY, idempotency_key=f"reply:{draft.pk}:v1", status=status,
            source=review.source, review=review, draft=draft, version=1, text="Thank you.",
            last_error="the page token is missing" if status == "failed" else "",
            failure_kind="not_connected" if status == "failed" else "",
        )  # fmt: skip
    checklist = resolve_checklist(incident)
    [deliveries] = [i for i in checklist["items"] if i["key"] == "deliveries"]
    assert deliveries["open"] is True
    assert deliveries["detail"] == "1 failed, 1 not confirmed yet (queued or to post by hand)."
    assert [r["state"] for r in deliveries["rows"]] == ["failed", "queued"]
    assert checklist["failed_deliveries"] == 1


def test_the_detectors_last_evaluation_says_when_it_stopped_firing(incident):
    assert incident.last_evaluation["fired"] is True
    detectors_run(now=NOW + 10 * MIN, notify=False)  # the mentions are still in the window
    incident.refresh_from_db()
    assert incident.last_evaluation["fired"] is True
    detectors_run(now=NOW + timedelta(days=2), notify=False)
    incident.refresh_from_db()
    assert incident.last_evaluation["fired"] is False
    assert incident.last_evaluation["evaluated_at"] == (NOW + timedelta(days=2)).isoformat()
    assert incident.last_detected_at == NOW + 10 * MIN  # the last time it fired


def test_resolving_with_items_open_is_409_with_the_items_and_changes_nothing(incident, login):
    client = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}"
    before = _state(incident)
    checklist = client.get(f"{url}/resolve/").json()
    assert checklist["clear"] is False
    for path, body in (("resolve/", {}), ("status/", {"status": "resolved"})):
        answer = client.post(f"{url}/{path}", body, content_type="application/json")
        assert answer.status_code == 409, answer.content
        assert answer.json()["code"] == "checklist_open"
        assert answer.json()["fields"]["open_items"] == checklist["open"]
        assert _state(incident) == before


def test_resolve_anyway_keeps_the_reason_and_the_open_items_on_the_timeline(incident, login):
    client = login("alpha_writer")
    answer = client.post(
        f"{BASE}/incidents/{incident.pk}/resolve/",
        {"override_reason": REASON},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "resolved"
    with schema_context("clinic_clinic_a"):
        event = IncidentEvent.objects.get(incident=incident, kind=EventKind.STATUS_CHANGED)
        override = resolve_override_of(Incident.objects.get(pk=incident.pk))
    assert event.data["override_reason"] == REASON
    assert len(event.data["open_items"]) == 3
    assert event.actor == "Alpha Writer"
    assert event.message.startswith(
        "Status open → resolved. Nobody had acknowledged it before. Resolved anyway, with 3 "
        "item(s) open"
    )
    assert override["reason"] == REASON and override["open_items"] == event.data["open_items"]
    # the review was drafted
    assert client.get(f"{BASE}/incidents/{incident.pk}/review/").status_code == 200


def test_resolving_an_incident_already_resolved_is_409_and_changes_nothing(incident, login):
    client = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}/resolve/"
    body = {"override_reason": REASON}
    assert client.post(url, body, content_type="application/json").status_code == 200
    before = _state(incident)
    again = client.post(url, body, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_resolved"
    status = client.post(
        f"{BASE}/incidents/{incident.pk}/status/",
        {"status": "resolved", "override_reason": REASON},
        content_type="application/json",
    )
    assert status.status_code == 409 and status.json()["code"] == "already_resolved"
    assert _state(incident) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"override_reason": "ok"}, "override_reason", id="no-real-reason"),
        pytest.param({"override_reason": "x" * 5001}, "override_reason", id="too-long"),
        pytest.param({"override_reason": ["a", "b"]}, "override_reason", id="not-text"),
    ],
)
def test_a_bad_reason_is_400_with_the_field_and_changes_nothing(incident, login, body, field):
    before = _state(incident)
    answer = login("alpha_writer").post(
        f"{BASE}/incidents/{incident.pk}/resolve/", body, content_type="application/json"
    )
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["fields"]
    assert _state(incident) == before


def test_a_reason_on_another_status_change_is_refused(incident, login):
    answer = login("alpha_writer").post(
        f"{BASE}/incidents/{incident.pk}/status/",
        {"status": "responding", "override_reason": REASON},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "override_reason" in answer.json()["fields"]


@pytest.mark.parametrize("who", ["a_viewer", "a_approver", "alpha_analyst"])
def test_people_without_write_cannot_resolve_but_may_read_the_checklist(incident, login, who):
    client = login(who)
    url = f"{BASE}/incidents/{incident.pk}/resolve/"
    before = _state(incident)
    assert client.get(url).status_code == 200
    answer = client.post(url, {"override_reason": REASON}, content_type="application/json")
    assert answer.status_code == 403
    assert _state(incident) == before


def test_all_clear_resolves_without_a_reason(incident):
    _all_clear(incident)
    assert resolve_checklist(incident) | {"items": None} == {
        "clear": True, "items": None, "open": [], "failed_deliveries": 0,
    }  # fmt: skip
    resolved = incident_resolve(incident_id=incident.pk, actor=acting("Sam"))
    assert resolved.status == "resolved"
    event = IncidentEvent.objects.get(incident=incident, kind=EventKind.STATUS_CHANGED)
    assert "override_reason" not in event.data
    assert event.message == "Status open → resolved. Nobody had acknowledged it before."
    assert resolve_override_of(resolved) is None


def test_the_room_shows_the_checklist_and_resolves_anyway_with_a_reason(incident, login):
    client = login("alpha_writer")
    url = f"/clinics/clinic-a/incidents/{incident.pk}/"
    html = client.get(url).content.decode()
    assert 'data-testid="resolve-checklist"' in html
    assert html.count('data-open="1"') == 3
    assert "Resolve anyway: why, although items are open?" in html
    assert '<option value="resolved">' not in html  # resolving goes through the checklist
    # without a reason: refused, the open items named, nothing changed
    before = _state(incident)
    refused = client.post(url, {"action": "resolve"}, follow=True).content.decode()
    assert "Not all clear: resolve anyway with a reason" in refused
    assert "No statement of this incident is published." in refused
    assert _state(incident) == before
    # a reason that is no reason: refused in words, without the field's name
    weak = client.post(url, {"action": "resolve", "override_reason": "done done done done"},
                       follow=True).content.decode()  # fmt: skip
    assert "a repeated word or character is not a reason" in weak
    assert "override_reason:" not in weak
    assert _state(incident) == before
    # with a reason: resolved, and the room says so
    done = client.post(url, {"action": "resolve", "override_reason": REASON}, follow=True)
    page = done.content.decode()
    assert "Resolved. The post-crisis review is drafted." in page
    assert "Resolved anyway</strong> by Alpha Writer" in page and REASON in page
    open_then = page[page.index("(open then: ") :]
    open_then = open_then[: open_then.index("</span>")]
    assert ".;" not in open_then, open_then
    assert (
        "posted reply. No statement of this incident is published. At its last check the detector"
        in open_then
    )
    assert 'data-testid="resolve-checklist"' not in page
    assert _state(incident)[0] == "resolved"
    with schema_context("clinic_clinic_a"):
        resolved_at = Incident.objects.get(pk=incident.pk).resolved_at
    assert timezone.now() - resolved_at < timedelta(minutes=1)


@pytest.mark.parametrize("newer", ["draft", "changes_requested", "pending_legal"])
def test_a_published_statement_being_edited_still_counts_as_published(incident, newer):
    # given the incident's statement published (version 1 on the public page), then edited:
    # version 2 is drafted, waits for legal or was sent back by legal
    statement = Statement.objects.create(title="Our safety rules", author_label="test",
                                         status="published", version=1)  # fmt: skip
    v1 = StatementVersion.objects.create(statement=statement, number=1, title="Our safety rules",
                                         body="Every needle is single-use.", guard_verdict="ok",
                                         author_label="test")  # fmt: skip
    StatementVersion.objects.create(statement=statement, number=2, title="Our safety rules",
                                    body="Every needle is single-use and sealed.",
                                    guard_verdict="ok", author_label="test")  # fmt: skip
    Statement.objects.filter(pk=statement.pk).update(
        status=newer, version=2, published_version=v1, is_pinned=True, published_at=NOW
    )
    IncidentStatement.objects.create(incident=incident, statement=statement, added_at=NOW)

    # when
    item = {i["key"]: i for i in resolve_checklist(incident)["items"]}["statement"]

    # then version 1 is what the public reads: the statement item is done
    assert (item["open"], item["detail"]) == (False, "A statement is published.")


def test_a_statement_taken_down_while_edited_is_not_published(incident):
    statement = Statement.objects.create(title="Our safety rules", author_label="test",
                                         status="draft", version=2)  # fmt: skip
    v1 = StatementVersion.objects.create(statement=statement, number=1, title="Our safety rules",
                                         body="Every needle is single-use.", guard_verdict="ok",
                                         author_label="test")  # fmt: skip
    Statement.objects.filter(pk=statement.pk).update(published_version=v1, is_pinned=False)
    IncidentStatement.objects.create(incident=incident, statement=statement, added_at=NOW)

    item = {i["key"]: i for i in resolve_checklist(incident)["items"]}["statement"]

    assert (item["open"], item["detail"]) == (True, "No statement of this incident is published.")
