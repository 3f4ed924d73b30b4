"""A "needs review" passage of the privacy check closes with the writer's prompt "…, or ask
legal". Each later reader gets a prompt of their own (`responses.selectors.findings_for_reader`):
the agency's approver that legal reads it after them; legal, at its step, that they decide;
the clinic's approver, that legal already cleared it and who. The writer's editor keeps the
guard's words."""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from responses.services import replies as reply_services
from tests.portal.helpers import access_for
from tests.responses.conftest import review_in

# the learned backstop reads this warm welcome as confirming a patient (0.98 here, the rules
# find nothing): a "needs review" that waits for legal
TEXT = (
    "Thank you so much! Everyone at Clinic A is so glad you felt at home with us and enjoyed "
    "coming in."
)
SEEN = (
    "This reply as a whole may read as confirming that the reviewer is a patient, though no "
    "single phrase says so. "
)


def _backstop_words(html: str) -> list[str]:
    """What each card's finding says after the backstop's observation (its prompt)."""
    return [m.strip() for m in re.findall(re.escape(SEEN) + r"([^<]*)<", html)]


def test_each_reader_of_a_needs_review_passage_gets_a_prompt_of_their_own(clinic_a, world, login):
    # given a reply the privacy check says needs review, submitted by the writer
    review = review_in(clinic_a, "csv", text="I waited an hour past my appointment.")
    with schema_context(clinic_a.schema_name):
        writer = access_for(world.users["alpha_writer"], clinic_a)
        draft = reply_services.reply_draft_create(review_id=review.pk, access=writer, text=TEXT)
        draft = reply_services.reply_submit(draft_id=draft.pk, access=writer)
    assert draft.guard_verdict == "needs_review" and draft.route == ["agency", "legal", "client"]
    editor = f"/clinics/clinic-a/replies/review/{review.pk}/"

    # the writer's editor keeps the guard's own words
    assert (
        "Read it as a stranger would, or ask legal."
        in login("alpha_writer").get(editor).content.decode()
    )

    # the agency's approver reads that legal decides after them
    queue = login("alpha_manager").get("/clinics/clinic-a/replies/").content.decode()
    assert _backstop_words(queue) == [
        "Read it as a stranger would before you approve; legal reads it after you and decides."
    ]
    with schema_context(clinic_a.schema_name):
        manager = access_for(world.users["alpha_manager"], clinic_a)
        draft = reply_services.reply_approve(draft_id=draft.pk, access=manager)
    assert draft.status == "pending_legal"

    # legal, at its step, reads that they decide (and never "or ask legal")
    legal = login("a_legal").get("/clinics/clinic-a/portal/review/").content.decode()
    assert f'id="card-reply-{draft.pk}"' in legal
    assert _backstop_words(legal) == [
        "Read it as a stranger would; you decide whether it may go out (approve it, or send it "
        "back to its writer)."
    ]
    assert "ask legal" not in legal
    with schema_context(clinic_a.schema_name):
        legal_access = access_for(world.users["a_legal"], clinic_a)
        draft = reply_services.reply_approve(draft_id=draft.pk, access=legal_access)
    assert draft.status == "pending_client"

    # the clinic's approver reads that legal already cleared it, and who
    approvals = login("a_approver").get("/clinics/clinic-a/portal/approvals/").content.decode()
    assert f'id="card-reply-{draft.pk}"' in approvals
    assert _backstop_words(approvals) == [
        "Legal (A Legal) already read it and cleared it. Read it as a stranger would before you "
        "approve."
    ]
    assert "ask legal" not in approvals
