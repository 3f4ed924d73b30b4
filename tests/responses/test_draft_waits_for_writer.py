"""A reply draft its writer has not submitted yet waits for them: "Your draft, not submitted
yet: …" in their "Waiting for you" (the banner, the badge, their notification history), never
e-mailed, until it is submitted, discarded or its review is settled (walk 15, finding 2)."""

from __future__ import annotations

from clinics.models import Notification
from responses.services.workflow import DRAFT_NOT_SUBMITTED
from tests.responses.conftest import OK_TEXT, review_in

INBOX = "/clinics/clinic-a/inbox/"


def _notices(draft_id: int):
    return Notification.objects.filter(ref=f"reply:{draft_id}:draft").select_related("user")


def test_an_unsubmitted_draft_waits_for_its_writer_until_submitted(
    clinic_a, as_user, login, mailoutbox, django_capture_on_commit_callbacks
):
    # given a writer who starts a reply and saves it without submitting it
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        draft = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()
        writer.patch(f"drafts/{draft['id']}/", {"text": OK_TEXT.replace("help", "fix it")})

    # then one open line waits for the writer alone, and nobody is e-mailed about it
    [notice] = _notices(draft["id"])
    assert notice.user.email == "writer@alpha.test"
    assert (notice.open, notice.kind) == (True, "draft")
    assert notice.title == (
        f"{DRAFT_NOT_SUBMITTED}: a reply to a 2★ Google Business Profile review"
    )
    assert notice.url == f"/clinics/clinic-a/replies/review/{review.pk}/"
    assert mailoutbox == []
    # in their "Waiting for you" banner, named by its clinic
    banner = login("alpha_writer").get("/alerts/banner/").content.decode()
    assert f"Clinic A: {DRAFT_NOT_SUBMITTED}: a reply to a 2★" in banner
    assert f'href="/clinics/clinic-a/replies/review/{review.pk}/"' in banner

    # when they submit it
    writer.post(f"drafts/{draft['id']}/submit/")

    # then it no longer waits for them (kept, closed, in their history)
    assert [(n.open, n.user.email) for n in _notices(draft["id"])] == [(False, "writer@alpha.test")]
    banner = login("alpha_writer").get("/alerts/banner/").content.decode()
    assert DRAFT_NOT_SUBMITTED not in banner


def test_a_discarded_draft_no_longer_waits(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": OK_TEXT}).json()
    assert [n.open for n in _notices(draft["id"])] == [True]

    assert writer.post(f"drafts/{draft['id']}/discard/").status_code == 200

    assert [n.open for n in _notices(draft["id"])] == [False]


def test_a_draft_whose_review_was_set_aside_no_longer_waits(clinic_a, as_user, login):
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a)
    draft = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()

    # when a manager sets the review aside in the inbox
    login("alpha_manager").post(INBOX, {"review": [review.pk], "status": "ignored"})

    assert [n.open for n in _notices(draft["id"])] == [False]


def test_a_draft_sent_back_is_told_as_sent_back_not_as_unsubmitted(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": OK_TEXT}).json()
    writer.post(f"drafts/{draft['id']}/submit/")

    as_user("alpha_manager", clinic_a).post(
        f"drafts/{draft['id']}/reject/", {"comment": "Shorter, please."}
    )

    assert [n.open for n in _notices(draft["id"])] == [False]
    assert Notification.objects.filter(ref=f"reply:{draft['id']}:sent_back", open=True).exists()
