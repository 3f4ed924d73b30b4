"""One answer for many, where a person must never be stuck (walk-through 6): a claim answered
as a whole answers only its mentions not yet answered; a reply too long for its platform is
created and marked, and submitting waits until it fits; the batch page's live guard checks
the typed text; the approvals list says each guard finding once."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from feeds.models import Review
from responses.models import AuditEntry, ReplyBatch, ReplyDraft
from responses.services import batches
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, TONE_TEXT, source_of
from tests.responses.test_batches import _claim, _counts

BASE = "/clinics/clinic-a"
X_TEXT = "Reused needles at Riverside Family Dental. Unbelievable."
LONG_TEXT = "Thank you for raising this. " * 12  # 335 characters: X allows 280


def _batch_id(response) -> int:
    assert response.status_code == 302, response.content[:500]
    found = re.search(r"/replies/batches/(\d+)/$", response["Location"])
    assert found, response["Location"]
    return int(found.group(1))


def _x_mention(clinic) -> Review:
    with schema_context(clinic.schema_name):
        return Review.objects.create(
            source=source_of("x"), external_id=f"x-walk6-{Review.objects.count()}",
            author_name="Emerson C.", text=X_TEXT, published_at=timezone.now() - timedelta(hours=1),
        )  # fmt: skip


# --------------------------------------------------------------------- the claim as a whole


def test_a_claim_answered_as_a_whole_leaves_out_the_mentions_already_answered(clinic_a, as_user):
    # given a claim of five: two in a batch, one with its own draft, one with a published reply
    cluster_id, ids = _claim(clinic_a, 5)
    writer = as_user("alpha_writer", clinic_a)
    first = writer.post("reply-batches/", {"cluster_id": cluster_id, "review_ids": ids[:2]})
    assert first.status_code == 201, first.json()
    own = writer.post("drafts/", {"review_id": ids[2], "text": OK_TEXT}).json()
    published = writer.post("drafts/", {"review_id": ids[3], "text": OK_TEXT}).json()
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.filter(pk=published["id"]).update(status="published")

    # when the writer answers the whole claim
    response = writer.post("reply-batches/", {"cluster_id": cluster_id})

    # then only the mention not yet answered gets a reply; the others are listed, in words
    assert response.status_code == 201, response.json()
    batch = response.json()
    assert batch["review_ids"] == [ids[4]]
    left_out = batch["left_out"]
    assert [(m["review_id"], m["batch_id"], m["status"]) for m in left_out] == [
        (ids[0], first.json()["id"], "draft"),
        (ids[1], first.json()["id"], "draft"),
        (ids[2], None, "draft"),
        (ids[3], None, "published"),
    ]
    assert left_out[2]["draft_id"] == own["id"]
    assert left_out[0]["why"] == (
        f"Sam R. on Google Business Profile (“Riverside Family Dental…”) has an open draft in "
        f"batch {first.json()['id']}: take the mention out of that batch, or finish or discard it."
    )
    assert left_out[3]["why"].endswith("has a published reply.")
    assert "Mention" not in " ".join(m["why"] for m in left_out)

    # and with nothing left to answer, 409 and nothing created
    before = _counts(clinic_a)
    again = writer.post("reply-batches/", {"cluster_id": cluster_id})
    assert (again.status_code, again.json()["code"]) == (409, "draft_exists")
    assert again.json()["detail"].startswith("Every mention of this claim already has a reply")
    assert len(again.json()["fields"]["review_ids"]) == 5
    assert _counts(clinic_a) == before


def test_a_chosen_selection_stays_strict(clinic_a, as_user):
    cluster_id, ids = _claim(clinic_a, 2)
    writer = as_user("alpha_writer", clinic_a)
    writer.post("drafts/", {"review_id": ids[0], "text": OK_TEXT})
    before = _counts(clinic_a)
    response = writer.post("reply-batches/", {"cluster_id": cluster_id, "review_ids": ids})
    assert (response.status_code, response.json()["code"]) == (409, "draft_exists")
    assert _counts(clinic_a) == before


def test_a_mention_settled_in_the_inbox_is_refused_when_chosen_and_left_out_of_the_whole_claim(
    clinic_a, as_user
):
    # given a claim of three, one of them marked replied in the inbox (walk-through 13 B #12:
    # the batch took it, then showed it "withdrawn" at once)
    cluster_id, ids = _claim(clinic_a, 3)
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=ids[1]).update(status="replied")
    writer = as_user("alpha_writer", clinic_a)
    before = _counts(clinic_a)

    # a chosen selection naming it: 409, the mention named, nothing created
    chosen = writer.post("reply-batches/", {"cluster_id": cluster_id, "review_ids": ids})
    assert (chosen.status_code, chosen.json()["code"]) == (409, "mentions_settled")
    assert chosen.json()["fields"]["review_ids"] == [
        "Sam R. on Google Business Profile (“Riverside Family Dental…”) was marked as replied: "
        "it needs no reply any more."
    ]
    assert _counts(clinic_a) == before

    # the claim as a whole: the other two are answered, the settled one is listed as left out
    whole = writer.post("reply-batches/", {"cluster_id": cluster_id})
    assert whole.status_code == 201, whole.json()
    assert whole.json()["review_ids"] == [ids[0], ids[2]]
    [left] = whole.json()["left_out"]
    assert (left["review_id"], left["draft_id"], left["status"]) == (ids[1], None, "settled")
    assert left["why"].endswith("was marked as replied: it needs no reply any more.")
    with schema_context(clinic_a.schema_name):
        assert not ReplyDraft.objects.filter(review_id=ids[1]).exists()

    # once every mention is settled, 409 `mentions_settled`, nothing created
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk__in=ids).update(status="resolved")
    before = _counts(clinic_a)
    again = writer.post("reply-batches/", {"cluster_id": cluster_id})
    assert (again.status_code, again.json()["code"]) == (409, "mentions_settled")
    assert _counts(clinic_a) == before


def test_the_claims_answer_button_says_what_was_left_out(clinic_a, as_user, login):
    cluster_id, ids = _claim(clinic_a, 3)
    first = as_user("alpha_writer", clinic_a).post(
        "reply-batches/", {"cluster_id": cluster_id, "review_ids": ids[:2]}
    )
    writer = login("alpha_writer")
    bid = _batch_id(writer.post(f"{BASE}/replies/batches/new/",
                                {"cluster_id": cluster_id, "answer": "fact:single-use-needles"}))  # fmt: skip
    page = writer.get(f"{BASE}/replies/batches/{bid}/").content.decode()
    assert (
        f"One reply drafted for 1 mention; 2 already have a reply (in batch {first.json()['id']}) "
        "and were left out."
    ) in page
    assert "One reply to 1 mention" in page

    # nothing left: back to the inbox with the reason, nothing created
    with schema_context(clinic_a.schema_name):
        count = ReplyBatch.objects.count()
    refused = writer.post(f"{BASE}/replies/batches/new/",
                          {"cluster_id": cluster_id, "next": f"{BASE}/inbox/"})  # fmt: skip
    assert refused["Location"] == f"{BASE}/inbox/"
    inbox = writer.get(f"{BASE}/inbox/").content.decode()
    assert "Every mention of this claim already has a reply" in inbox
    assert not re.search(r"Mention \d", inbox)
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.count() == count


# --------------------------------------------------------------------- too long for X


def test_the_batch_page_marks_a_reply_too_long_and_submits_once_it_fits(clinic_a, login):
    x = _x_mention(clinic_a)
    writer = login("alpha_writer")
    bid = _batch_id(
        writer.post(f"{BASE}/replies/batches/new/", {"review": [x.pk], "text": LONG_TEXT})
    )

    page = writer.get(f"{BASE}/replies/batches/{bid}/").content.decode()
    row = page[page.index(f'id="item-{x.pk}"') :]
    assert "Too long for X by 55 characters (335 of at most 280)" in row[: row.index("</tr>")]
    assert re.search(r'id="submit-button" disabled', page)
    assert "1 reply is too long for its platform" in page

    # submitting the same text is refused and leaves it a draft
    refused = writer.post(f"{BASE}/replies/batches/{bid}/",
                {"action": "submit", "text": LONG_TEXT, "expected_version": 1}).content.decode()  # fmt: skip
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=bid).status == "draft"
    assert "The reply is too long for some platforms" in refused
    assert "Emerson C. on X (“Reused needles at Riverside…”): 335 characters" in refused

    # the typed shorter text is saved and submitted in one go
    writer.post(f"{BASE}/replies/batches/{bid}/",
                {"action": "submit", "text": "Thank you for raising this.", "expected_version": 1})  # fmt: skip
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=bid).status == "pending_agency"
    done = writer.get(f"{BASE}/replies/batches/{bid}/").content.decode()
    assert "Too long for" not in done


# --------------------------------------------------------------------- the live guard


def _check(client, bid: int, body) -> tuple[int, dict]:
    response = client.post(
        f"{BASE}/replies/batches/{bid}/",
        body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
    )
    return response.status_code, response.json()


def test_the_batch_page_wires_the_live_guard(clinic_a, login):
    cluster_id, _ = _claim(clinic_a, 2)
    writer = login("alpha_writer")
    bid = _batch_id(writer.post(f"{BASE}/replies/batches/new/", {"cluster_id": cluster_id}))
    page = writer.get(f"{BASE}/replies/batches/{bid}/").content.decode()
    area = page[page.index('<textarea id="batch-text-area"') :]
    area = area[: area.index(">")]
    assert f'data-check-url="{BASE}/replies/batches/{bid}/"' in area
    assert 'data-purpose="correction"' in area
    assert 'data-submit="submit-button"' in area and 'data-reason="submit-reason"' in area
    assert 'id="guard-live"' in page and 'id="submit-reason"' in page
    assert "js/responses_editor.js" in page


def test_the_live_check_reads_the_typed_text_as_every_mention_would_get_it(
    clinic_a, login, monkeypatch
):
    # given a plain reply batch for two mentions and one X mention
    _, ids = _claim(clinic_a, 2)
    x = _x_mention(clinic_a)
    writer = login("alpha_writer")
    bid = _batch_id(writer.post(f"{BASE}/replies/batches/new/",
                                {"review": [*ids, x.pk], "answer": "reply"}))  # fmt: skip
    with schema_context(clinic_a.schema_name):
        versions_before = ReplyDraft.objects.filter(batch_id=bid).values_list("version", flat=True)
        versions_before = list(versions_before)

    # a defensive text: needs review, each finding once, placed on the typed words
    text = "{greeting} " + TONE_TEXT
    code, result = _check(writer, bid, {"text": text, "purpose": "reply"})
    assert code == 200, result
    assert result["verdict"] == "needs_review"
    assert result["problems"] == []
    assert all(f["replies"] == 3 for f in result["findings"])
    for f in result["findings"]:
        assert text[f["start"] : f["end"]].lower() == f["text"].lower()

    # a blocked text is blocked; a text too long for X is named as a problem
    assert _check(writer, bid, {"text": BLOCK_TEXT})[1]["verdict"] == "block"
    code, result = _check(writer, bid, {"text": LONG_TEXT})
    assert result["problems"] == [
        "Emerson C. on X (“Reused needles at Riverside…”): 335 characters, 55 over the 280 X "
        "allows."
    ]
    # a variable without a value too
    code, result = _check(writer, bid, {"text": "Thanks. {fact:no-such-fact}"})
    assert result["problems"] and result["problems"][0].startswith("{fact:no-such-fact}")
    # a safe text: nothing keeps it from being submitted
    assert _check(writer, bid, {"text": OK_TEXT})[1] == {
        "verdict": "ok",
        "findings": [],
        "problems": [],
        "guarded": 3,
    }
    # a big batch: the guard reads the replies of the first mentions (the copies of one post
    # once), every mention's length is still checked
    monkeypatch.setattr(batches, "LIVE_GUARD_MENTIONS", 1)
    code, result = _check(writer, bid, {"text": LONG_TEXT})
    assert (result["guarded"], len(result["problems"])) == (2, 1)

    # nothing was stored
    with schema_context(clinic_a.schema_name):
        assert list(ReplyDraft.objects.filter(batch_id=bid).values_list("version", flat=True)) == (
            versions_before
        )
        assert ReplyBatch.objects.get(pk=bid).version == 1


def test_a_correction_batch_is_checked_as_a_correction(clinic_a, login):
    cluster_id, _ = _claim(clinic_a, 2)
    writer = login("alpha_writer")
    bid = _batch_id(writer.post(f"{BASE}/replies/batches/new/", {"cluster_id": cluster_id}))
    # a plain "this is false" with the fact is a correction, not a defensive reply
    code, result = _check(
        writer, bid, {"text": "{greeting} this is false. {fact:single-use-needles}"}
    )
    assert (code, result["verdict"]) == (200, "ok"), result


def test_bad_live_check_input_is_400(clinic_a, login):
    cluster_id, _ = _claim(clinic_a, 1)
    writer = login("alpha_writer")
    bid = _batch_id(writer.post(f"{BASE}/replies/batches/new/", {"cluster_id": cluster_id}))
    for body in ("{not json", {"text": 5}, {}, [], {"text": "x" * 20_001}):
        code, result = _check(writer, bid, body)
        assert code == 400, (body, result)
        assert "text" in result["fields"]
    assert _check(writer, bid, {"text": "   "})[1]["problems"] == ["Write the reply."]
    missing = writer.post(f"{BASE}/replies/batches/999999/", "{}", content_type="application/json")
    assert missing.status_code == 404


# --------------------------------------------------------------------- the approvals list


def test_the_approvals_list_says_each_finding_of_a_batch_once(clinic_a, login):
    _, ids = _claim(clinic_a, 3)
    writer, manager = login("alpha_writer"), login("alpha_manager")
    bid = _batch_id(writer.post(f"{BASE}/replies/batches/new/",
                                {"review": ids, "text": "{greeting} " + TONE_TEXT}))  # fmt: skip
    writer.post(f"{BASE}/replies/batches/{bid}/", {"action": "submit", "expected_version": 1})
    with schema_context(clinic_a.schema_name):
        batch = ReplyBatch.objects.get(pk=bid)
        assert batch.status == "pending_agency" and batch.guard_verdict == "needs_review"
        findings = batch.versions.get(number=1).guard_findings
        assert AuditEntry.objects.filter(object_id=bid, action="submitted").exists()
    distinct = {(f["kind"], f["text"], f["message"]) for f in findings}
    assert len(findings) == 3 * len(distinct)

    queue = manager.get(f"{BASE}/replies/").content.decode()
    card = queue[queue.index(f'id="batch-card-{bid}"') :]
    card = card[: card.index("</article>")]
    assert card.count("<li><strong>") == len(distinct)
    assert card.count("(in 3 replies)") == len(distinct)
