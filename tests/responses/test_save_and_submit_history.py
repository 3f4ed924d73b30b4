"""Save and submit in the reply editor: the writer's notification history never says "Your
draft, not submitted yet … done" about the reply they just submitted; the line of their draft
says it was submitted. A draft saved and left keeps waiting as "not submitted yet"."""

from __future__ import annotations

from django_tenants.utils import schema_context

from clinics.models import Notification
from responses.models import ReplyDraft
from responses.services.workflow import DRAFT_NOT_SUBMITTED, DRAFT_SUBMITTED
from tests.responses.conftest import OK_TEXT, review_in

HISTORY = "/account/notifications/history/"


def test_save_and_submit_leaves_no_not_submitted_line_in_the_writers_history(
    clinic_a, login, django_capture_on_commit_callbacks
):
    # given a writer in the reply editor of a review nobody answered
    review = review_in(clinic_a)
    writer = login("alpha_writer")
    editor = f"/clinics/clinic-a/replies/review/{review.pk}/"

    # when she types a reply and presses "Save and submit"
    with django_capture_on_commit_callbacks(execute=True):
        answer = writer.post(editor, {"action": "submit", "text": OK_TEXT})

    # then it went for approval, and her history says so rather than "not submitted yet"
    assert answer.status_code == 302
    with schema_context(clinic_a.schema_name):
        draft = ReplyDraft.objects.get(review=review)
    assert draft.status == "pending_agency"
    [line] = Notification.objects.filter(ref=f"reply:{draft.pk}:draft")
    assert (line.open, line.title) == (
        False,
        f"{DRAFT_SUBMITTED}: a reply to a 2★ Google Business Profile review",
    )
    history = writer.get(HISTORY).content.decode()
    assert DRAFT_NOT_SUBMITTED not in history
    assert f"{DRAFT_SUBMITTED}: a reply to a 2★" in history


def test_a_draft_saved_and_left_still_waits_as_not_submitted(clinic_a, login):
    review = review_in(clinic_a)
    writer = login("alpha_writer")

    writer.post(
        f"/clinics/clinic-a/replies/review/{review.pk}/", {"action": "save", "text": OK_TEXT}
    )

    [line] = Notification.objects.filter(ref__endswith=":draft", user__email="writer@alpha.test")
    assert line.open and line.title.startswith(f"{DRAFT_NOT_SUBMITTED}: a reply to a 2★")
