"""The approvals log says where, when and how each mention's reply of a batch ("one answer for
many") went out, or why it did not, by the rule of a single reply (the outbox's item of each
reply), in every output: the staff page, the portal's, the CSV file and the API."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django_tenants.utils import schema_context

from agency.branding import brand_name
from clinics.models import clinic_zone
from feeds.models import Source
from responses.models import OutboxItem, ReplyBatch
from responses.selectors import delivery_row, delivery_words
from responses.services import batches as batch_services
from responses.services import replies as reply_services
from responses.services.common import review_named
from responses.services.outbox import outbox_mark_posted
from tests.responses.approvals_log import PAGE, PORTAL, access_in, api_rows, csv_rows
from tests.responses.conftest import OK_TEXT, deliver_in, review_in

FAILURE = "Reply too long"
FORMULA_NAME = '=HYPERLINK("http://evil.example","yelp")'


@dataclass
class Published:
    batch: ReplyBatch
    failed: OutboxItem  # the first mention's reply: Google refused it
    sent: OutboxItem  # the second's: posted by Carewatch
    by_hand: OutboxItem  # the third's (Yelp takes no replies): marked posted by hand
    single: OutboxItem  # a reply to one review, refused by Google as the first was
    reviews: list


@pytest.fixture
def published(world, clinic_a, platforms) -> Published:
    """A batch answering two Google reviews and a Yelp one, approved by the agency and the
    clinic: Google refuses the first reply and takes the second, the third is marked posted by
    hand; and a single reply that Google refuses the same way. The Yelp source's name starts
    like a spreadsheet formula."""
    reviews = [review_in(clinic_a, fake=platforms) for _ in range(2)]
    reviews.append(review_in(clinic_a, "yelp"))
    alone = review_in(clinic_a, fake=platforms)
    with schema_context(clinic_a.schema_name):
        Source.objects.filter(kind="yelp").update(name=FORMULA_NAME)
        writer, owner, manager, approver = (
            access_in(world, n, clinic_a)
            for n in ("alpha_writer", "alpha_owner", "alpha_manager", "a_approver")
        )
        batch = batch_services.reply_batch_create(
            access=writer, review_ids=[r.pk for r in reviews], text=OK_TEXT
        )
        batch_services.reply_batch_submit(batch_id=batch.pk, access=writer)
        for who in (owner, approver):
            batch = batch_services.reply_batch_approve(
                batch_id=batch.pk, access=who, expected_version=batch.version
            )
        assert batch.status == "approved"
        items = {i.review_id: i for i in OutboxItem.objects.filter(draft__batch=batch)}
        draft = reply_services.reply_draft_create(review_id=alone.pk, access=writer, text=OK_TEXT)
        reply_services.reply_submit(draft_id=draft.pk, access=writer)
        for who in (manager, approver):
            draft.refresh_from_db()
            if draft.status != "approved":
                reply_services.reply_approve(draft_id=draft.pk, access=who)
        draft.refresh_from_db()
        assert draft.status == "approved", draft.status
        single = OutboxItem.objects.get(draft=draft)
    platforms.fail(1, status=400, platform="google", method="PUT", message=FAILURE)
    assert deliver_in(clinic_a, items[reviews[0].pk].pk) == "failed"
    assert deliver_in(clinic_a, items[reviews[1].pk].pk) == "sent"
    platforms.fail(1, status=400, platform="google", method="PUT", message=FAILURE)
    assert deliver_in(clinic_a, single.pk) == "failed"
    with schema_context(clinic_a.schema_name):
        by_hand = items[reviews[2].pk]
        assert by_hand.status == "manual"
        outbox_mark_posted(item_id=by_hand.pk, access=manager, url="https://www.yelp.com/biz/x")
        fresh = {i.pk: i for i in OutboxItem.objects.select_related("source", "draft", "review")}
    return Published(
        batch,
        fresh[items[reviews[0].pk].pk],
        fresh[items[reviews[1].pk].pk],
        fresh[by_hand.pk],
        fresh[single.pk],
        reviews,
    )


def _local(at, clinic) -> str:
    return timezone.localtime(at, clinic_zone(clinic)).strftime("%Y-%m-%d %H:%M")


def test_each_mentions_reply_of_a_batch_says_where_when_and_how_it_went_out(
    published, clinic_a, login
):
    p = published
    failed, sent, hand = p.failed, p.sent, p.by_hand
    # the single reply's failure, in the words of its delivery line
    single_words = delivery_words([delivery_row(p.single)])
    assert single_words.startswith(
        f"Not posted on google source: Google Business Profile said: {FAILURE} "
    )
    manager = login("alpha_manager")
    rows = api_rows(manager)
    [single] = {r["published_how"] for r in rows if r["reply_id"] == p.single.draft_id}
    assert single == single_words
    # both decisions on the batch (the agency's, the clinic's) and its submission say the
    # same, per mention
    batch_rows = [r for r in rows if r["batch_id"] == p.batch.pk]
    assert len(batch_rows) == 3
    d = [failed.draft_id, sent.draft_id, hand.draft_id]
    for row in batch_rows:
        assert parse_datetime(row["published_at"]) == min(sent.sent_at, hand.sent_at)
        assert row["published_on"] == (
            f"Reply {d[0]}: google source\nReply {d[1]}: google source\n"
            f"Reply {d[2]}: {FORMULA_NAME}"
        )
        assert row["published_how"] == (
            f"Reply {d[0]}: {single_words}\nReply {d[1]}: Posted by Carewatch\n"
            f"Reply {d[2]}: Marked posted by hand by Alpha Manager"
        )

    # the CSV file: each time in the clinic's zone; no cell starts like a formula
    lines = [
        r
        for r in csv_rows(manager.get(PAGE, {"format": "csv"}))
        if r["batch_id"] == str(p.batch.pk)
    ]
    assert len(lines) == 3
    tz = clinic_zone(clinic_a)
    iso = {
        i.pk: timezone.localtime(i.sent_at, tz).isoformat(timespec="seconds") for i in (sent, hand)
    }
    for line in lines:
        assert line["published_at"] == f"Reply {d[1]}: {iso[sent.pk]}\nReply {d[2]}: {iso[hand.pk]}"
        assert line["published_on"].endswith(f"Reply {d[2]}: {FORMULA_NAME}")
        assert line["published_how"] == batch_rows[0]["published_how"]
        assert not any(v[:1] in "=+-@\t\r" for v in line.values() if v)

    # the staff page: one line per mention, naming the review it answers
    tz_named = [review_named(r, tz=tz) for r in p.reviews]
    html = manager.get(PAGE).content.decode()
    for expected in (
        f"Reply to {tz_named[0]}: {single_words[:1].lower()}{single_words[1:]}",
        f"Reply to {tz_named[1]}: published on google source {_local(sent.sent_at, clinic_a)} "
        "— posted by Carewatch",
        f"Reply to {tz_named[2]}: published on {FORMULA_NAME} {_local(hand.sent_at, clinic_a)} "
        "— marked posted by hand by Alpha Manager",
    ):
        assert html.count(escape(expected)) == 3, expected


def test_the_clinics_people_read_a_batchs_publication_in_their_words(published, clinic_a, login):
    p = published
    brand = brand_name(clinic_a.agency)
    clinic_failure = delivery_words([delivery_row(p.failed, for_clinic=True)])
    assert clinic_failure.startswith("Not posted yet: google source did not take it.")
    rows = api_rows(login("a_approver"))
    [how] = {r["published_how"] for r in rows if r["batch_id"] == p.batch.pk}
    assert how == (
        f"Reply {p.failed.draft_id}: {clinic_failure}\n"
        f"Reply {p.sent.draft_id}: Posted by {brand}\n"
        f"Reply {p.by_hand.draft_id}: Marked posted by hand by Alpha Manager"
    )
    html = login("a_approver").get(PORTAL).content.decode()
    named = review_named(p.reviews[1], tz=clinic_zone(clinic_a))
    line = (
        f"Reply to {named}: published on google source {_local(p.sent.sent_at, clinic_a)} — "
        f"posted by {brand}"
    )
    assert html.count(escape(line)) == 3
    assert "Carewatch" not in how
