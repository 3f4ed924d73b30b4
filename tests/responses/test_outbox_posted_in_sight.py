"""Marking a reply posted by hand says so where the outbox opens again (`#just-posted`), not
only at the top of a long page: on a phone the next card, much like the one just marked, would
otherwise take its place with nothing said (walk 1 on phones)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from feeds.models import Review
from responses.models import OutboxItem, OutboxStatus
from tests.responses.conftest import approved_reply, as_user, review_in  # noqa: F401 - as_user: a fixture

URL = "/clinics/clinic-a/outbox/"


def _manual(clinic, *, author: str) -> OutboxItem:
    review = review_in(clinic, "csv", text="Is it true there was an outbreak?")
    with schema_context(clinic.schema_name):
        Review.objects.filter(pk=review.pk).update(author_name=author)
        return OutboxItem.objects.create(
            kind="reply", idempotency_key=f"test-{review.pk}", status=OutboxStatus.MANUAL,
            source=review.source, review=review, text="Thank you, please call us.",
            manual_reason="This source has no publishing connector: post it by hand.",
        )  # fmt: skip


def _approved_by_hand(clinic, api, *, author: str) -> OutboxItem:
    """A reply approved through the API to a CSV review (no connector: to post by hand)."""
    review = review_in(clinic, "csv", text="Is it true there was an outbreak?")
    with schema_context(clinic.schema_name):
        Review.objects.filter(pk=review.pk).update(author_name=author)
    item_id = approved_reply(clinic, api, review)["delivery"][0]["outbox_id"]
    with schema_context(clinic.schema_name):
        item = OutboxItem.objects.get(pk=item_id)
    assert item.status == OutboxStatus.MANUAL
    return item


def test_marked_posted_the_outbox_opens_on_what_was_just_marked(clinic_a, login, as_user):  # noqa: F811
    marked = _approved_by_hand(clinic_a, as_user, author="Avery I.")
    _manual(clinic_a, author="Reese U.")  # the next card, much like it
    writer = login("alpha_writer")

    answer = writer.post(
        URL, {"item": marked.pk, "action": "mark_posted", "url": "https://example.com/p/1"}
    )

    # the page opens on the confirmation, which names the reply just marked
    assert answer.status_code == 302
    assert answer["Location"] == f"{URL}?posted={marked.pk}#just-posted"
    html = writer.get(answer["Location"]).content.decode()
    line = html[html.index('data-testid="just-posted"') :]
    line = line[: line.index("</p>")]
    assert (
        'id="just-posted"' in html
        and 'role="status"' in html[html.index('id="just-posted"') - 80 :]
    )
    assert "Marked as posted by hand: reply on" in line and "to Avery I." in line
    assert "Avery I.." not in line  # a name ending in a full stop ends the sentence
    assert 'href="https://example.com/p/1"' in line
    assert "To post by hand (1)" in html
    with schema_context(clinic_a.schema_name):
        assert OutboxItem.objects.get(pk=marked.pk).status == OutboxStatus.POSTED_BY_HAND


def test_the_confirmation_names_only_an_item_posted_by_hand(clinic_a, login):
    waiting = _manual(clinic_a, author="Reese U.")
    writer = login("alpha_writer")
    # an item still to post, or an id that is no item, is said nowhere
    for posted in (waiting.pk, 999999):
        html = writer.get(f"{URL}?posted={posted}").content.decode()
        assert 'data-testid="just-posted"' not in html
    # an id that is not a number is refused, as every id typed wrong
    assert writer.get(f"{URL}?posted=abc").status_code == 400
