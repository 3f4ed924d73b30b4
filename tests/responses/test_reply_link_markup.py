"""A reply's link markup (Markdown, BBCode…) is refused as HTML is, at the field, naming what
was found, and nothing is stored: platforms post the reply as typed."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from responses.models import ReplyBatch, ReplyDraft, ReplyVersion
from tests.responses.conftest import review_in

pytestmark = pytest.mark.django_db

REPLY = "Replies are posted as plain text: remove the markup"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        pytest.param(
            "Thanks for the feedback. For details, [click here](https://example.com).",
            "[click here](https://example.com)",
            id="markdown",
        ),
        pytest.param(
            "Thanks! [url=https://x.test]Our hours[/url] are online.",
            "[url=https://x.test]Our hours[/url]",
            id="bbcode",
        ),
    ],
)
def test_a_reply_or_batch_with_link_markup_is_refused_and_nothing_is_stored(
    clinic_a, as_user, text, named
):
    writer = as_user("alpha_writer", clinic_a)
    with schema_context(clinic_a.schema_name):
        before = [m.objects.count() for m in (ReplyDraft, ReplyVersion, ReplyBatch)]

    draft = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": text})
    ids = [review_in(clinic_a).pk for _ in range(2)]
    batch = writer.post("reply-batches/", {"review_ids": ids, "text": text})

    assert draft.status_code == batch.status_code == 400
    assert draft.json()["fields"] == batch.json()["fields"] == {"text": [f"{REPLY} {named}."]}
    with schema_context(clinic_a.schema_name):
        assert [m.objects.count() for m in (ReplyDraft, ReplyVersion, ReplyBatch)] == before
