"""What the portal's card says of legal's send-back of ANOTHER reply to the same review (a
reply legal sent back and its writer discarded, or a mention of a batch legal sent back):
"Legal sent an earlier reply back", with ", keeping the privacy block" whichever kind of text
legal kept the block of (review 14), and no "what changed" against that other reply's version
numbers."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from responses.models import ReplyDraft
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, review_in
from tests.responses.test_legal_sent_back_binds import _batch_sent_back, _keep_block

AGAIN = "Thank you for your feedback. Please call us at +1 555 0100 so we can help you."


def _reply_sent_back(clinic, as_user, login, how: str) -> int:
    """A reply legal kept the block of ("kept"), discarded: the id of its review."""
    writer = as_user("alpha_writer", clinic)
    review = review_in(clinic)
    pk = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    assert _keep_block(login, clinic, "reply", pk, 1).status_code == 302
    assert writer.post(f"drafts/{pk}/discard/").status_code == 200
    return review.pk


def _new_reply_at_legal(clinic, as_user, review_id: int) -> int:
    """A new reply to `review_id`, two versions written, waiting for legal."""
    writer = as_user("alpha_writer", clinic)
    pk = writer.post("drafts/", {"review_id": review_id, "text": OK_TEXT}).json()["id"]
    writer.patch(f"drafts/{pk}/", {"text": AGAIN})
    assert writer.post(f"drafts/{pk}/submit/").json()["status"] == "pending_agency"
    approved = as_user("alpha_manager", clinic).post(f"drafts/{pk}/approve/").json()
    assert approved["status"] == "pending_legal"
    return pk


def _card(login, clinic, pk: int) -> str:
    html = login("a_legal").get(f"/clinics/{clinic.slug}/portal/review/").content.decode()
    card = html[html.index(f'id="card-reply-{pk}"') :]
    return card[: card.index("</article>")]


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("reply", "Legal sent an earlier reply back, keeping the privacy block"),
        ("kept", "Legal sent an earlier reply back, keeping the privacy block"),
        ("legal", "Legal sent an earlier reply back"),
    ],
    ids=["a-reply-legal-kept-the-block-of", "a-batch-legal-kept-the-block-of", "a-batch-rejected"],
)
def test_a_new_reply_reads_how_legal_sent_back_an_earlier_one(
    clinic_a, world, as_user, login, how, said
):
    # given legal sent back an earlier reply to the review (alone, or a batch's), discarded
    if how == "reply":
        review_id = _reply_sent_back(clinic_a, as_user, login, how)
    else:
        review_id = _batch_sent_back(clinic_a, as_user, login, how)[0][0]

    # when a new reply to it waits for legal
    pk = _new_reply_at_legal(clinic_a, as_user, review_id)

    # then legal's card says how, in the notice and first in the way the version came
    card = _card(login, clinic_a, pk)
    notice = re.search(r'data-testid="legal-sent-back"><strong>([^<]*)</strong>', card)
    assert notice.group(1) == said
    assert f"<li><strong>{said}</strong>: A Legal" in card
    # and compares with nothing: the clinic was never sent a version of this reply before
    assert "What changed since version" not in card
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=pk).version == 2
