"""The follow-up pages: the reply editor's "Private follow-up" card (channels, start, consent,
the public reply when nothing private reaches the person), one follow-up's page (thread,
owner, due date, outcome), the clinic's list, and the portal's view (read only, but for
the follow-ups a clinic person owns: they note the call and close them)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, ReviewStatus
from responses.models import ContactConsent, PrivateConversation
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

    # a bad due date is refused at its field (the editor answers 400), nothing stored
    bad = writer.post(f"{editor}private/", {"channel": "", "due_at": "soon", "owner_id": ""})
    assert bad.status_code == 400
    assert (
        '<ul class="errorlist" id="fu-due-error"><li>A date and time, e.g. 2026-12-04 17:00.'
        "</li></ul>"
    ) in bad.content.decode()
    assert "due_at:" not in bad.content.decode()
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

    # the person's answer, noted by staff, reads as theirs, and who noted it
    writer.post(page, {"action": "note", "text": "Called back, all fine.", "from_person": "on"})
    thread = writer.get(page).content.decode()
    note = thread[thread.index('data-testid="message-in"') :]
    author = review.author_name or "the person"
    assert f"From {author} (noted by Alpha Writer)" in note[: note.index("</li>")]

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
    # a consent to withdraw that is not a number is a 400 naming it (`core.http.int_param`)
    for action, names, status in [
        (f"{editor}private/", fields, 400),
        (f"{editor}consent/", ["channel", "address", "basis", "revoke"], 400),
    ]:
        answer = writer.post(action, dict.fromkeys(names, value))
        assert answer.status_code == status, (action, answer.status_code)
    with schema_context(clinic_a.schema_name):
        assert not PrivateConversation.objects.exists()
        assert not ContactConsent.objects.exists()
    started = writer.post(f"{editor}private/", {"channel": "phone", "owner_id": ""})
    page = started["Location"]
    for action in ("update", "send", "note", "retry", "bogus"):
        data = dict.fromkeys(
            ["owner_id", "due_at", "status", "outcome", "outcome_note", "text", "message_id"],
            value,
        )
        answer = writer.post(page, {**data, "action": action})
        # the message to send again is named by its number: one that is not is a 400
        assert answer.status_code == (400 if action == "retry" else 302), (action, answer)
    with schema_context(clinic_a.schema_name):
        conversation = PrivateConversation.objects.get()
        assert (conversation.status, conversation.outcome) == ("open", "")


def test_a_clinic_owner_notes_the_call_and_closes_their_follow_up_in_the_portal(
    clinic_a, login, platforms, world
):
    from clinics.models import Notification

    review, _source, _psid = facebook_comment(clinic_a, platforms)
    writer = login("alpha_writer")
    writer.post(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/private/", {})
    with schema_context(clinic_a.schema_name):
        conversation = PrivateConversation.objects.get()
    staff_page = f"/clinics/{clinic_a.slug}/follow-ups/{conversation.pk}/"
    approver_id = world.users["a_approver"].pk

    # when a writer makes the clinic's comms person (crisis team, no writing) its owner
    writer.post(
        staff_page,
        {"action": "update", "owner_id": str(approver_id), "due_at": "", "status": "invited",
         "outcome": "", "outcome_note": ""},
    )  # fmt: skip

    # then they are told, with a link to the portal, where the follow-up offers them its forms
    note = Notification.objects.get(user_id=approver_id, kind="follow_up")
    portal = f"/clinics/{clinic_a.slug}/portal/follow-ups/"
    assert note.url == f"{portal}?open={conversation.pk}"
    owner = login("a_approver", otp=False)
    html = owner.get(note.url).content.decode()
    assert "This follow-up is yours" in html and "Close the follow-up" in html

    # closing without saying how it ended is refused, the typed note kept, nothing changed
    refused = owner.post(
        portal,
        {"conversation": conversation.pk, "action": "close", "outcome": "",
         "outcome_note": "Called her back at 3"},
    )  # fmt: skip
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Choose an outcome to close it." in html and ">Called her back at 3</textarea>" in html
    with schema_context(clinic_a.schema_name):
        conversation.refresh_from_db()
        assert conversation.status == "invited"

    # when they note the call and close it
    noted = owner.post(
        portal,
        {"conversation": conversation.pk, "action": "note", "from_person": "on",
         "text": "She says the bill is sorted now."},
    )  # fmt: skip
    assert noted.status_code == 302 and noted["Location"] == f"{portal}?open={conversation.pk}"
    closed = owner.post(
        portal,
        {"conversation": conversation.pk, "action": "close", "outcome": "solved",
         "outcome_note": "Sorted by phone"},
    )  # fmt: skip
    assert closed.status_code == 302

    # then the agency's page shows the note and the outcome, the review is resolved
    with schema_context(clinic_a.schema_name):
        conversation.refresh_from_db()
        assert (conversation.status, conversation.outcome) == ("resolved", "solved")
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.RESOLVED
    html = writer.get(staff_page).content.decode()
    assert "She says the bill is sorted now." in html and "Sorted by phone" in html
    assert "Close the follow-up" not in owner.get(note.url).content.decode()  # closed now


def test_only_the_owner_of_a_follow_up_acts_on_it_from_the_clinic_and_never_reassigns_it(
    clinic_a, login, platforms, world
):
    from accounts.actors import Actor
    from clinics.access import clinic_access
    from core.errors import PermissionDenied
    from responses.services.private import followup_update

    review, _source, _psid = facebook_comment(clinic_a, platforms)
    login("alpha_writer").post(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/private/", {})
    with schema_context(clinic_a.schema_name):
        conversation = PrivateConversation.objects.get()
    portal = f"/clinics/{clinic_a.slug}/portal/follow-ups/"

    # a clinic person who does not own it sees no forms, and a post is refused
    viewer = login("a_viewer", otp=False)
    assert (
        "Close the follow-up" not in viewer.get(f"{portal}?open={conversation.pk}").content.decode()
    )
    refused = viewer.post(
        portal, {"conversation": conversation.pk, "action": "note", "text": "I called her"}
    )
    assert refused.status_code == 403
    with schema_context(clinic_a.schema_name):
        assert not conversation.messages.filter(text="I called her").exists()

    # the owner may close it, but not hand it on, move its due date or change its channel
    with schema_context(clinic_a.schema_name):
        PrivateConversation.objects.filter(pk=conversation.pk).update(
            owner_id=world.users["a_approver"].pk, owner_name="A Approver"
        )
        access = clinic_access(Actor(user=world.users["a_approver"]), clinic_a)
        for change in (
            {"owner_id": world.users["alpha_writer"].pk},
            {"due_at": None},
            {"channel": "email"},
        ):
            with pytest.raises(PermissionDenied):
                followup_update(conversation_id=conversation.pk, access=access, **change)
        conversation.refresh_from_db()
        assert conversation.owner_id == world.users["a_approver"].pk


def test_the_owner_list_names_the_person_once_marked_you_and_chosen(clinic_a, login, world):
    review = review_in(clinic_a, "csv")
    html = (
        login("alpha_writer")
        .get(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/")
        .content.decode()
    )
    me = world.users["alpha_writer"].pk
    assert f'<option value="{me}" selected>Alpha Writer (you)</option>' in html
    assert "You (default)" not in html  # the same person, not a second entry
