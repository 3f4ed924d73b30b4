"""A review edited (through the API push, as a platform edit arrives) after its reply was
written: the reply says so wherever it is read before it goes out (the API, the staff editor
and queue, the portal's approval card), its writer is told once, and approving stays
possible. A review never edited, or edited before the reply was written, shows nothing."""

from __future__ import annotations

from clinics.models import Notification
from tests.feeds.test_ingest_api import item, post
from tests.responses.conftest import OK_TEXT

ANGRY = "Rude front desk, waited an hour, never again."
CALMER = "Front desk was busy, but the doctor was lovely. Better than I first said."
WORDS = (
    "The review was changed after this reply was written: it now says “"
    + CALMER
    + "” (was 1★, now 4★)."
)


def _pushed(api, text: str, rating: int, external_id: str = "g-changed-1") -> int:
    response = post(api("key_a"), item(external_id=external_id, text=text, rating=rating))
    assert response.status_code == 200, response.content
    return response.json()["results"][0]["id"]


def _waiting_for_clinic(as_user, clinic, review_id: int) -> int:
    """Drafted and submitted by alpha_writer, approved by the agency: waits for the clinic."""
    writer = as_user("alpha_writer", clinic)
    draft = writer.post("drafts/", {"review_id": review_id, "text": OK_TEXT}).json()
    writer.post(f"drafts/{draft['id']}/submit/")
    waiting = as_user("alpha_manager", clinic).post(f"drafts/{draft['id']}/approve/").json()
    assert waiting["status"] == "pending_client", waiting
    return draft["id"]


def _told(world) -> list[Notification]:
    return list(
        Notification.objects.filter(user=world.users["alpha_writer"], kind="review_changed")
    )


def test_a_review_edited_after_its_reply_was_written_is_flagged_everywhere_and_its_writer_told_once(
    api, as_user, login, clinic_a, world
):
    # given a reply to a 1★ review, waiting for the clinic's approval
    review_id = _pushed(api, ANGRY, 1)
    draft_id = _waiting_for_clinic(as_user, clinic_a, review_id)
    writer = as_user("alpha_writer", clinic_a)
    assert writer.get(f"drafts/{draft_id}/").json()["review_changed_since_draft"] is None
    assert _told(world) == []

    # when the reviewer edits it to 4★ with new words
    _pushed(api, CALMER, 4)

    # then the API says how it changed, on the draft and in the list
    changed = writer.get(f"drafts/{draft_id}/").json()["review_changed_since_draft"]
    assert {k: changed[k] for k in ("rating_before", "rating_now", "text_before", "words")} == {
        "rating_before": 1,
        "rating_now": 4,
        "text_before": ANGRY,
        "words": WORDS,
    }
    assert (changed["text_changed"], changed["rating_changed"]) == (True, True)
    assert changed["at"].endswith("Z") or changed["at"].endswith("+00:00")
    listed = writer.get("drafts/", review_id=review_id).json()["results"]
    assert [d["review_changed_since_draft"]["words"] for d in listed] == [WORDS]
    # the staff editor and the approval queue, and the clinic's approval card
    editor = login("alpha_writer").get(f"/clinics/{clinic_a.slug}/replies/review/{review_id}/")
    queue = login("alpha_manager").get(f"/clinics/{clinic_a.slug}/replies/")
    portal = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/")
    for page in (editor, queue, portal):
        assert page.status_code == 200
        assert 'data-testid="review-changed"' in page.content.decode()
        assert "(was 1★, now 4★)" in page.content.decode()
    # its writer is told once, for their information
    [notice] = _told(world)
    assert notice.title == (
        "The review your reply answers was changed after you wrote it (now 4★, was 1★)"
    )
    assert (notice.open, notice.waits, notice.url) == (
        False, False, f"/clinics/{clinic_a.slug}/replies/review/{review_id}/",
    )  # fmt: skip

    # when the review is edited again: nobody is told twice about the same version
    _pushed(api, CALMER + " Thanks.", 5)
    assert len(_told(world)) == 1

    # and the clinic may still approve it as it is
    approved = as_user("a_approver", clinic_a).post(f"drafts/{draft_id}/approve/").json()
    assert approved["status"] == "approved", approved


def test_a_review_never_edited_shows_no_change_and_tells_nobody(
    api, as_user, login, clinic_a, world
):
    review_id = _pushed(api, ANGRY, 1, external_id="g-same-1")
    draft_id = _waiting_for_clinic(as_user, clinic_a, review_id)

    # the same review pushed again, unchanged, and one with only more likes
    _pushed(api, ANGRY, 1, external_id="g-same-1")
    post(api("key_a"), item(external_id="g-same-1", text=ANGRY, rating=1, likes=3))

    assert (
        as_user("alpha_writer", clinic_a)
        .get(f"drafts/{draft_id}/")
        .json()["review_changed_since_draft"]
        is None
    )
    portal = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/")
    assert 'data-testid="review-changed"' not in portal.content.decode()
    assert _told(world) == []


def test_a_review_edited_before_its_reply_was_written_shows_no_change(
    api, as_user, login, clinic_a, world
):
    # given a review edited from 1★ to 4★, then answered
    review_id = _pushed(api, ANGRY, 1, external_id="g-before-1")
    _pushed(api, CALMER, 4, external_id="g-before-1")
    draft_id = _waiting_for_clinic(as_user, clinic_a, review_id)

    # then its reply answers what it says now
    assert (
        as_user("alpha_writer", clinic_a)
        .get(f"drafts/{draft_id}/")
        .json()["review_changed_since_draft"]
        is None
    )
    editor = login("alpha_writer").get(f"/clinics/{clinic_a.slug}/replies/review/{review_id}/")
    assert 'data-testid="review-changed"' not in editor.content.decode()
    assert _told(world) == []


def test_a_review_changed_back_to_what_the_reply_answered_shows_no_change(
    api, as_user, clinic_a, world
):
    review_id = _pushed(api, ANGRY, 1, external_id="g-back-1")
    draft_id = _waiting_for_clinic(as_user, clinic_a, review_id)

    _pushed(api, CALMER, 4, external_id="g-back-1")
    _pushed(api, ANGRY, 1, external_id="g-back-1")

    assert (
        as_user("alpha_writer", clinic_a)
        .get(f"drafts/{draft_id}/")
        .json()["review_changed_since_draft"]
        is None
    )
