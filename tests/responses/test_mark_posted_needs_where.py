"""Marking a reply posted by hand says where it was posted (walk 11 F15): the API and the
outbox page, through `outbox_mark_posted`, require the link or the platform's id; neither is a
400 naming `url` and `external_id` that changes nothing (no status, no audit line, no
`reply.published` with an empty link)."""

from __future__ import annotations

from html import unescape

import pytest
from django_tenants.utils import schema_context

from responses.models import AuditEntry, OutboxItem, OutboxStatus
from tests.responses.conftest import approved_reply, review_in
from tests.responses.test_batches import _claim, approved_batch
from webhooks.models import WebhookDelivery
from webhooks.services import subscription_create

WHERE = "Give the link to the post or the platform's id of it: one is enough."
NOWHERE = {"url": [WHERE], "external_id": [WHERE]}


@pytest.fixture
def manual_item(clinic_a, as_user, settings) -> int:
    """An approved reply to a CSV review (no connector: to post by hand), with a subscription
    to `reply.published`."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    with schema_context(clinic_a.schema_name):
        subscription_create(url="http://127.0.0.1:9/published", events=["reply.published"])
    item_id = approved_reply(clinic_a, as_user, review_in(clinic_a, "csv"))["delivery"][0][
        "outbox_id"
    ]
    with schema_context(clinic_a.schema_name):
        assert OutboxItem.objects.get(pk=item_id).status == OutboxStatus.MANUAL
    return item_id


def _state(clinic, item_id: int) -> tuple:
    with schema_context(clinic.schema_name):
        item = OutboxItem.objects.values("status", "external_url", "external_id", "sent_at")
        return (
            item.get(pk=item_id),
            AuditEntry.objects.count(),
            WebhookDelivery.objects.filter(event="reply.published").count(),
        )


@pytest.mark.parametrize(
    "body",
    [{}, {"url": "", "external_id": ""}, {"url": "", "external_id": "   "}, {"note": "done"}],
    ids=["empty", "both-blank", "id-spaces", "only-a-note"],
)
def test_the_api_refuses_a_reply_marked_posted_with_no_link_and_no_id(
    clinic_a, as_user, manual_item, body
):
    before = _state(clinic_a, manual_item)

    answer = as_user("alpha_writer", clinic_a).post(f"outbox/{manual_item}/mark-posted/", body)

    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid"
    assert answer.json()["fields"] == NOWHERE
    assert _state(clinic_a, manual_item) == before
    assert before[0]["status"] == OutboxStatus.MANUAL


@pytest.mark.parametrize(
    ("body", "url", "external_id"),
    [
        ({"url": "https://example.org/r/1#reply"}, "https://example.org/r/1#reply", ""),
        ({"external_id": "reply-77"}, "", "reply-77"),
    ],
    ids=["a-link", "an-id"],
)
def test_a_link_or_an_id_is_enough_and_the_webhook_says_it(
    clinic_a, as_user, manual_item, body, url, external_id
):
    answer = as_user("alpha_writer", clinic_a).post(f"outbox/{manual_item}/mark-posted/", body)

    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "posted_by_hand"
    with schema_context(clinic_a.schema_name):
        [published] = WebhookDelivery.objects.filter(event="reply.published")
    reply = published.payload["reply"]
    assert (reply["url"], reply["external_reply_id"]) == (url, external_id)


def test_the_page_refuses_it_on_the_card_and_changes_nothing(clinic_a, as_user, login, manual_item):
    before = _state(clinic_a, manual_item)

    answer = login("alpha_writer").post(
        "/clinics/clinic-a/outbox/",
        {"item": manual_item, "action": "mark_posted", "url": "", "external_id": "", "note": "ok"},
    )

    assert answer.status_code == 400
    html = answer.content.decode()
    card = html[html.index(f'id="item-{manual_item}"') :]
    card = card[: card.index("</article>")]
    assert "Nothing says where it was posted." in card and "Nothing was changed." in card
    # either field is enough: the card says so once, not once per field
    assert f"Nothing says where it was posted. {WHERE} Nothing was changed." in unescape(card)
    assert card.count("one is enough.") == 1
    assert 'value="ok"' in card  # what was typed is kept
    assert _state(clinic_a, manual_item) == before


def test_the_page_asks_for_one_of_the_two(clinic_a, login, manual_item):
    html = login("alpha_writer").get("/clinics/clinic-a/outbox/").content.decode()
    card = html[html.index(f'id="item-{manual_item}"') :]
    card = card[: card.index("</article>")]

    assert "the link to the post, or the platform's id of it (one is enough)" in card
    assert "(optional)</label>" in card  # the note only
    assert card.count("(optional)") == 1


def test_the_batch_form_refuses_a_ticked_reply_without_its_link(clinic_a, as_user, login):
    # given a batch's two replies to post by hand (the form gives a link per reply)
    cluster_id, _ids = _claim(clinic_a, 2, kind="csv")
    bid, items = approved_batch(clinic_a, as_user, cluster_id)
    links = {f"url-{items[0]}": "https://example.test/post/1", f"url-{items[1]}": ""}

    answer = login("alpha_writer").post(
        f"/clinics/clinic-a/replies/batches/{bid}/",
        {"action": "mark_posted", "posted": items, **links},
    )

    # then the one without a link is named, and neither is marked (all or none)
    assert answer.status_code == 400
    html = answer.content.decode()
    error = html[html.index(f'id="posted-error-{items[1]}"') :]
    # in the words of the batch's form, which asks for the link alone (it said "the link
    # or the platform's id", a field the form has not)
    assert "Paste the link to its post" in error[: error.index("</p>")]
    assert f'id="posted-error-{items[0]}"' not in html
    with schema_context(clinic_a.schema_name):
        assert set(OutboxItem.objects.filter(pk__in=items).values_list("status", flat=True)) == {
            OutboxStatus.MANUAL
        }
