"""The clinic's approval card of a reply whose review changed after the reply was written
says so in one plain line, above the reply, and still offers the approval: the approver
decides."""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from feeds.models import Review
from tests.feeds.test_ingest_api import item, post
from tests.portal.helpers import REPLIES, reply_waiting_for_clinic


def test_the_card_says_the_review_changed_and_still_offers_the_approval(
    api, login, clinic_a, world
):
    # given a reply to a 1★ review, waiting for the clinic
    key = api("key_a")
    pushed = post(key, item(external_id="g-card-1", text="Awful, nobody called back.", rating=1))
    review_id = pushed.json()["results"][0]["id"]
    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(pk=review_id)
    draft = reply_waiting_for_clinic(
        clinic=clinic_a, review=review, writer=world.users["alpha_writer"],
        manager=world.users["alpha_manager"], text=REPLIES[0][0],
    )  # fmt: skip

    # when the reviewer changes it to 4★
    post(key, item(external_id="g-card-1", text="They called back. Kind people.", rating=4))

    # then its card says so, once, and the approval is still there
    html = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/").content.decode()
    card = html[html.index(f'id="card-reply-{draft.pk}"') :]
    card = card[: card.index("</article>")]
    [line] = re.findall(r'<p class="notice" data-testid="review-changed">(.*?)</p>', card)
    assert line == (
        "<strong>The review was changed after this reply was written: it now says “They called "
        "back. Kind people.” (was 1★, now 4★).</strong> Read the review again before you "
        "decide: the reply may answer what it said before. You may still approve it as it is."
    )
    assert 'name="action" value="approve"' in card
