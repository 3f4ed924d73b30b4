"""A decision whose text a privacy request changed afterwards (the author's name removed) is
marked so in every output of the approvals log (staff page, portal page, CSV file, API), by one
rule (`responses.selectors.LOG_CHANGED_AFTER`); a decision made after the request is not."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review
from feeds.services.privacy import reviews_redact
from responses.selectors import LOG_CHANGED_AFTER
from responses.services import replies as reply_services
from tests.responses.approvals_log import API, PAGE, PORTAL, access_in, api_rows, csv_rows
from tests.responses.conftest import OK_TEXT, review_in

GREETED = "Hi Pat, thank you for your feedback. Please contact us at +1 555 0100 so we can help."
STEPS = (
    ("pending_agency", "alpha_manager"),
    ("pending_legal", "a_legal"),
    ("pending_client", "a_approver"),
)
REDACTED = "Hello, thank you for your feedback. Please contact us at +1 555 0100 so we can help."


def _approved(world, clinic, review, text: str):
    with schema_context(clinic.schema_name):
        writer = access_in(world, "alpha_writer", clinic)
        draft = reply_services.reply_draft_create(review_id=review.pk, access=writer, text=text)
        reply_services.reply_submit(draft_id=draft.pk, access=writer)
        # each step the route holds, by the person who gives it
        for status, name in STEPS:
            draft.refresh_from_db()
            if draft.status == status:
                access = access_in(world, name, clinic)
                reply_services.reply_approve(draft_id=draft.pk, access=access)
        draft.refresh_from_db()
        assert draft.status == "approved", draft.status
        return draft


@pytest.fixture
def redacted(world, clinic_a):
    """Pat Quinlan's review answered "Hi Pat, …", approved at every step; then Pat's privacy
    request; then another reply approved."""
    review = review_in(clinic_a)
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=review.pk).update(author_name="Pat Quinlan")
    pat = _approved(world, clinic_a, review, GREETED)
    with schema_context(clinic_a.schema_name):
        reviews_redact(review_ids=[review.pk])
    later = _approved(world, clinic_a, review_in(clinic_a), OK_TEXT)
    return {"pat": pat, "later": later}


def test_every_output_marks_the_decisions_on_the_changed_text(redacted, login):
    pat, later = redacted["pat"].pk, redacted["later"].pk
    # the API
    rows = api_rows(login("alpha_manager"))
    pats = [r for r in rows if r["reply_id"] == pat]
    assert pats and {(r["text"], r["changed_after"]) for r in pats} == {
        (REDACTED, LOG_CHANGED_AFTER)
    }
    assert {r["changed_after"] for r in rows if r["reply_id"] == later} == {""}
    # the CSV file
    lines = csv_rows(login("alpha_manager").get(PAGE, {"format": "csv"}))
    assert {r["changed_after"] for r in lines if r["reply_id"] == str(pat)} == {LOG_CHANGED_AFTER}
    assert {r["changed_after"] for r in lines if r["reply_id"] == str(later)} == {""}
    # the staff page and the portal's: one mark per decision on Pat's reply, none on the other
    for name, url in (("alpha_manager", PAGE), ("a_approver", PORTAL)):
        html = login(name).get(url).content.decode()
        assert html.count(LOG_CHANGED_AFTER.replace("'", "&#x27;")) == len(pats), name
    assert LOG_CHANGED_AFTER == (
        "Changed after the decision: the author's name was removed at their request."
    )


def test_the_api_says_the_field_in_its_schema(redacted, login):
    assert api_rows(login("a_approver"), page_size=1)[0].keys() >= {"text", "changed_after"}
    assert login("a_approver").get(API).status_code == 200
