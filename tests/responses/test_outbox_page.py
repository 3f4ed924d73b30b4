"""The outbox page: each card names the mention it answers (its author, its start, its
reach), the ones to post by hand most reach first, and a refusal on a card is said on that card
with what was typed kept."""

from __future__ import annotations

from django_tenants.utils import schema_context

from feeds.models import Review
from responses.models import OutboxItem, OutboxStatus
from tests.responses.conftest import review_in

URL = "/clinics/clinic-a/outbox/"


def _manual(clinic, *, author: str, text: str, likes: int) -> OutboxItem:
    review = review_in(clinic, "csv", text=text)
    with schema_context(clinic.schema_name):
        Review.objects.filter(pk=review.pk).update(author_name=author, likes=likes)
        return OutboxItem.objects.create(
            kind="reply", idempotency_key=f"test-{review.pk}", status=OutboxStatus.MANUAL,
            source=review.source, review=review, text="Thank you, please call us.",
            manual_reason="This source has no publishing connector: post it by hand.",
        )  # fmt: skip


def test_each_card_names_its_mention_and_the_most_reach_comes_first(clinic_a, login):
    quiet = _manual(clinic_a, author="Robin H.", text="Spread the word about this.", likes=2)
    viral = _manual(clinic_a, author="Emerson C.", text="Reused needles at the clinic!", likes=900)

    html = login("alpha_writer").get(URL).content.decode()

    assert html.index(f'id="item-{viral.pk}"') < html.index(f'id="item-{quiet.pk}"')
    card = html[html.index(f'id="item-{viral.pk}"') :]
    card = card[: card.index("</article>")]
    assert " to Emerson C.</h3>" in card
    assert "“Reused needles at the clinic!” · reach 900" in card


def test_a_bad_link_is_refused_on_its_own_card_with_the_typing_kept(clinic_a, login):
    first = _manual(clinic_a, author="Robin H.", text="Spread the word.", likes=1)
    item = _manual(clinic_a, author="Kendall R.", text="My sister's friend saw it.", likes=5)

    answer = login("alpha_writer").post(
        URL, {"item": item.pk, "action": "mark_posted", "url": "not a link", "note": "posted"}
    )

    assert answer.status_code == 400
    html = answer.content.decode()
    card = html[html.index(f'id="item-{item.pk}"') :]
    card = card[: card.index("</article>")]
    assert 'data-testid="card-error"' in card and "Nothing was changed." in card
    assert 'value="not a link" aria-invalid="true"' in card and 'value="posted"' in card
    other = html[html.index(f'id="item-{first.pk}"') :]
    assert 'data-testid="card-error"' not in other[: other.index("</article>")]
    with schema_context(clinic_a.schema_name):
        assert OutboxItem.objects.get(pk=item.pk).status == OutboxStatus.MANUAL


def test_a_statement_to_post_by_hand_comes_before_the_replies(clinic_a, login):
    """Walk 14: the official statement, the clinic's answer to everyone, was listed last in
    "To post by hand", after sixteen replies."""
    from responses.models import Statement

    viral = _manual(clinic_a, author="Emerson C.", text="Reused needles at the clinic!", likes=900)
    with schema_context(clinic_a.schema_name):
        statement = Statement.objects.create(
            title="About the needle rumour", status="published", version=1,
            author_label="user:1", author_name="Alpha Writer",
        )  # fmt: skip
        item = OutboxItem.objects.create(
            kind="statement_post", idempotency_key=f"test-statement-{statement.pk}",
            status=OutboxStatus.MANUAL, source=viral.source, statement=statement,
            text="About the needle rumour", manual_reason="Post it by hand, then pin it.",
        )  # fmt: skip

    html = login("alpha_writer").get(URL).content.decode()

    assert html.index(f'id="item-{item.pk}"') < html.index(f'id="item-{viral.pk}"')
