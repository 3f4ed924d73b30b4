"""The follow-up pages: the reply editor's "Private follow-up" card (channels, start, consent,
the public reply when nothing private reaches the person), one follow-up's page (thread,
owner, due date, outcome), the clinic's list, and the portal's read-only view."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, ReviewStatus
from responses.models import PrivateConversation
from tests.responses.conftest import review_in
from tests.responses.test_followups import facebook_comment

pytestmark = pytest.mark.django_db


def test_start_from_the_editor_then_set_the_outcome_on_the_follow_up_page(
    clinic_a, login, platforms
):
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    writer = login("alpha_writer")
    editor = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    html = writer.get(editor).content.decode()
    assert "Private follow-up" in html and "Start follow-up" in html
    assert "Facebook private message</strong>: A Messenger message" in html
    assert "E-mail: not available." in html

    # a bad due date is refused with the field's message, nothing stored
    bad = writer.post(
        f"{editor}private/", {"channel": "", "due_at": "soon", "owner_id": ""}, follow=True
    )
    assert "due_at: A date and time" in bad.content.decode()
    with schema_context(clinic_a.schema_name):
        assert not PrivateConversation.objects.exists()

    started = writer.post(f"{editor}private/", {"channel": "", "text": "", "owner_id": ""})
    with schema_context(clinic_a.schema_name):
        conversation = PrivateConversation.objects.get()
    page = f"/clinics/{clinic_a.slug}/follow-ups/{conversation.pk}/"
    assert started.status_code == 302 and started["Location"] == page
    html = writer.get(page).content.decode()
    assert 'data-testid="follow-up-status">Invited<' in html
    assert "Hello, this is the team at Clinic A." in html
    assert "Facebook allows one private reply per comment" in html  # until the person answers
    assert "Save follow-up" in html

    saved = writer.post(
        page,
        {"action": "update", "owner_id": str(conversation.owner_id), "due_at": "",
         "status": "invited", "outcome": "solved", "outcome_note": "Sorted by phone"},
        follow=True,
    )  # fmt: skip
    assert "Follow-up saved." in saved.content.decode()
    with schema_context(clinic_a.schema_name):
        conversation.refresh_from_db()
        assert (conversation.status, conversation.outcome) == ("resolved", "solved")
        assert conversation.due_at is None
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.RESOLVED

    listed = writer.get(f"/clinics/{clinic_a.slug}/follow-ups/?show=all").content.decode()
    assert f"Follow-up #{conversation.pk}" in listed and "Problem solved" in listed


def test_without_a_private_channel_the_editor_proposes_the_public_reply(clinic_a, login):
    review = review_in(clinic_a)
    writer = login("alpha_writer")
    editor = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    html = writer.get(editor).content.decode()
    assert "No private channel reaches this person." in html
    assert "Propose the public reply" in html and "Start follow-up" not in html
    refused = writer.post(f"{editor}private/", {"channel": ""}, follow=True).content.decode()
    assert "No private channel reaches this person." in refused
    # recording consent makes e-mail possible
    recorded = writer.post(
        f"{editor}consent/",
        {"channel": "email", "address": "sam@example.org", "basis": "Asked us at the desk today"},
        follow=True,
    ).content.decode()
    assert "Consent recorded." in recorded and "Start follow-up" in recorded
    assert "To s***@example.org (consent recorded by Alpha Writer" in recorded


def test_the_portal_shows_the_clinics_follow_ups_read_only(clinic_a, login, platforms):
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    login("alpha_writer").post(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/private/", {})
    with schema_context(clinic_a.schema_name):
        conversation = PrivateConversation.objects.get()
    approver = login("a_approver", otp=False)
    html = approver.get(f"/clinics/{clinic_a.slug}/portal/follow-ups/").content.decode()
    assert f"Follow-up #{conversation.pk}" in html and "Invited" in html
    html = approver.get(
        f"/clinics/{clinic_a.slug}/portal/follow-ups/?open={conversation.pk}"
    ).content.decode()
    assert "Hello, this is the team at Clinic A." in html
    # clinic people read; they do not write in the agency's pages
    page = f"/clinics/{clinic_a.slug}/follow-ups/{conversation.pk}/"
    assert approver.post(page, {"action": "note", "text": "x"}).status_code == 403


@pytest.mark.parametrize(
    "value", ["x" * 70_000, str(10**40), "0000-01", "9999-12-31T23:59", "-1"], ids=str.__len__
)
def test_hostile_form_values_never_answer_500_nor_store_anything(clinic_a, login, value):
    review = review_in(clinic_a)
    writer = login("alpha_writer")
    editor = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    fields = ["channel", "text", "owner_id", "due_at", "notes"]
    for action, names in [
        (f"{editor}private/", fields),
        (f"{editor}consent/", ["channel", "address", "basis", "revoke"]),
    ]:
        answer = writer.post(action, dict.fromkeys(names, value))
        assert answer.status_code == 302, (action, answer.status_code)
    with schema_context(clinic_a.schema_name):
        assert not PrivateConversation.objects.exists()
    started = writer.post(f"{editor}private/", {"channel": "phone", "owner_id": ""})
    page = started["Location"]
    for action in ("update", "send", "note", "retry", "bogus"):
        data = dict.fromkeys(
            ["owner_id", "due_at", "status", "outcome", "outcome_note", "text", "message_id"],
            value,
        )
        answer = writer.post(page, {**data, "action": action})
        assert answer.status_code == 302, (action, answer.status_code)
    with schema_context(clinic_a.schema_name):
        conversation = PrivateConversation.objects.get()
        assert (conversation.status, conversation.outcome) == ("open", "")
