"""One answer for many in the pages: the inbox shows the claims (count, reach, the fact they
contradict) and answers one or a selection with one reply; the batch page shows each mention's
status; the agency approves the batch in its queue and the clinic in the portal, once each;
the incident room lists the claims, most reach first."""

from __future__ import annotations

import re

from django.utils import timezone
from django_tenants.utils import schema_context

from crisis.models import Incident, IncidentMention
from facts.models import Fact
from feeds.models import Review
from responses.models import ReplyBatch, ReplyDraft
from tests.responses.test_batches import CLAIM, FACT_SENTENCE, _claim

BASE = "/clinics/clinic-a"


def _batch_id(response) -> int:
    assert response.status_code == 302, response.content[:500]
    found = re.search(r"/replies/batches/(\d+)/$", response["Location"])
    assert found, response["Location"]
    return int(found.group(1))


def test_the_inbox_shows_claims_and_answers_one_with_one_reply(clinic_a, login):
    cluster_id, review_ids = _claim(clinic_a, 3)
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=review_ids[1]).update(likes=40, shares=2)
    writer = login("alpha_writer")

    page = writer.get(f"{BASE}/inbox/").content.decode()
    row = page[page.index(f'id="claim-{cluster_id}"') :]
    row = row[: row.index("</tr>")]
    assert CLAIM in row and "<td>3</td>" in row and "<td>42</td>" in row
    assert '<span class="pill negative">Misinformation</span>' in row  # in words
    assert "fact: single-use-needles" in row and "Answer all 3" in row

    # the claim's mentions, most reach first; filters by flag
    listed = writer.get(f"{BASE}/inbox/?cluster={cluster_id}&order=reach").content.decode()
    assert "Mentions of the claim" in listed
    positions = [listed.index(f'id="r{pk}"') for pk in (review_ids[1], review_ids[0])]
    assert positions == sorted(positions)
    assert (
        f'id="r{review_ids[0]}"'
        in writer.get(f"{BASE}/inbox/?flag=misinformation").content.decode()
    )
    assert (
        f'id="r{review_ids[0]}"'
        not in writer.get(f"{BASE}/inbox/?flag=legal_threat").content.decode()
    )

    # when the writer answers all of it with the fact it contradicts
    bid = _batch_id(
        writer.post(
            f"{BASE}/replies/batches/new/",
            {"cluster_id": cluster_id, "answer": "fact:single-use-needles"},
        )  # fmt: skip
    )
    batch_page = writer.get(f"{BASE}/replies/batches/{bid}/").content.decode()
    assert "One reply to 3 mentions" in batch_page
    assert batch_page.count('data-state="waiting"') == 3 + 1  # the rows and the tally
    assert FACT_SENTENCE in batch_page
    # a draft nobody has submitted is not "waiting for approval"
    assert "3 not submitted yet" in batch_page and "aiting for approval" not in batch_page


def test_a_finding_in_every_mentions_reply_is_listed_once(clinic_a, login):
    from responses.selectors import findings_once

    same = {"severity": "review", "kind": "health_detail", "text": "infection", "message": "m"}
    other = {**same, "text": "vaccine"}
    once = findings_once([{**same, "review_id": n} for n in (1, 2, 3)] + [other])
    assert [(f["text"], f["replies"]) for f in once] == [("infection", 3), ("vaccine", 1)]


def test_a_selection_is_answered_and_bad_choices_come_back_with_the_reason(clinic_a, login):
    _, review_ids = _claim(clinic_a, 2)
    writer = login("alpha_writer")
    empty = writer.post(f"{BASE}/replies/batches/new/", {"answer": "fact:single-use-needles",
                                                         "next": f"{BASE}/inbox/"})  # fmt: skip
    assert empty.status_code == 302 and empty["Location"] == f"{BASE}/inbox/"
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.count() == 0
    messages = writer.get(f"{BASE}/inbox/").content.decode()
    assert "Choose at least one mention." in messages

    bid = _batch_id(writer.post(f"{BASE}/replies/batches/new/",
                                {"review": review_ids, "answer": "fact:single-use-needles"}))  # fmt: skip
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.filter(batch_id=bid).count() == 2


def test_one_approval_per_step_in_the_queue_and_the_portal(clinic_a, login):
    cluster_id, review_ids = _claim(clinic_a, 3)
    writer, manager, approver = (
        login("alpha_writer"),
        login("alpha_manager"),
        login("a_approver", otp=False),
    )
    bid = _batch_id(writer.post(f"{BASE}/replies/batches/new/", {"cluster_id": cluster_id}))
    writer.post(f"{BASE}/replies/batches/{bid}/", {"action": "submit", "expected_version": 1})

    # the agency's queue shows one card for the batch, not one per mention
    queue = manager.get(f"{BASE}/replies/").content.decode()
    assert f'id="batch-card-{bid}"' in queue and "Correction to 3 mentions" not in queue
    assert "Factual correction to 3 mentions" in queue
    assert "Replies waiting (0)" in queue
    done = manager.post(f"{BASE}/replies/act/", {"kind": "batch", "id": bid, "action": "approve",
                                                  "expected_status": "pending_agency",
                                                  "expected_version": 1})  # fmt: skip
    assert done.status_code == 302
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=bid).status == "pending_client"

    # the clinic sees one card with the mentions it covers and approves once
    portal = approver.get(f"{BASE}/portal/approvals/").content.decode()
    assert "1 reply waits for your approval." in portal
    assert f'id="card-batch-{bid}"' in portal and "One reply to 3 mentions" in portal
    assert portal.count("card-reply-") == 0
    answer = approver.post(f"{BASE}/portal/act/", {"kind": "batch", "id": bid, "action": "approve",
                                                   "expected_status": "pending_client",
                                                   "expected_version": 1},
                           HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    # every mention accounted for, by channel (it said "3 replies are queued for their
    # channels" of a channel that is not connected)
    assert (
        "Approved. 3 replies on google source wait for your agency to connect the channel (then "
        "they are posted by themselves) or to post them by hand. Nothing is needed from you."
        in answer
    )
    with schema_context(clinic_a.schema_name):
        assert set(ReplyDraft.objects.filter(batch_id=bid).values_list("status", flat=True)) == {
            "approved"
        }
    page = writer.get(f"{BASE}/replies/batches/{bid}/").content.decode()
    assert page.count('data-state="sending"') == 3 + 1
    # a channel not connected sends nothing: the page says so, as the outbox does
    assert "3 waiting for the connection</span>" in page and " sending</span>" not in page
    assert page.count(">Waiting for the connection</span>") == 3


def test_the_incident_room_lists_the_claims_with_the_most_reach_first(clinic_a, login):
    cluster_id, review_ids = _claim(clinic_a, 2)
    small_id, small_ids = _claim(clinic_a, 1, text="Riverside Family Dental sells patient data")
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=review_ids[0]).update(likes=1200, shares=300, replies=90)
        now = timezone.now()
        incident = Incident.objects.create(
            kind="misinformation", key="t-needles", title="False claims spread", opened_at=now,
            last_detected_at=now, severity="high", trigger={},
        )  # fmt: skip
        for pk in [*review_ids, *small_ids]:
            IncidentMention.objects.create(incident=incident, review_id=pk, added_at=now)
    page = login("alpha_writer").get(f"{BASE}/incidents/{incident.pk}/").content.decode()
    claims = page[page.index('id="room-claims"') :]
    assert small_id != cluster_id
    assert claims.index(f'id="room-claim-{cluster_id}"') < claims.index(
        f'id="room-claim-{small_id}"'
    )
    assert "<td>1590</td>" in claims and "Answer all 2" in claims


def test_a_claims_wrong_detail_is_shown_in_the_inbox_and_the_room(clinic_a, login):
    from scoring.models import ClaimCluster

    cluster_id, review_ids = _claim(clinic_a, 2)
    detail = {"kind": "time", "post": "closes at 4", "fact": "Mon-Thu 8am-6pm, Fri 8am-2pm."}
    with schema_context(clinic_a.schema_name):
        cluster = ClaimCluster.objects.get(pk=cluster_id)
        cluster.contradicts = {**cluster.contradicts, "detail": detail}
        cluster.save(update_fields=["contradicts"])
        now = timezone.now()
        incident = Incident.objects.create(
            kind="misinformation", key="t-hours", title="Wrong hours spread", opened_at=now,
            last_detected_at=now, severity="medium", trigger={},
        )  # fmt: skip
        for pk in review_ids:
            IncidentMention.objects.create(incident=incident, review_id=pk, added_at=now)
    writer = login("alpha_writer")
    inbox = writer.get(f"{BASE}/inbox/").content.decode()
    row = inbox[inbox.index(f'id="claim-{cluster_id}"') :]
    assert "the post says “closes at 4”" in row[: row.index("</tr>")]
    room = writer.get(f"{BASE}/incidents/{incident.pk}/").content.decode()
    row = room[room.index(f'id="room-claim-{cluster_id}"') :]
    row = row[: row.index("</tr>")]
    assert "The post says “closes at 4” (time); the fact says: Mon-Thu 8am-6pm" in row


def _answer_menu(page: str, select_id: str) -> str:
    menu = page[page.index(f'id="{select_id}"') :]
    return menu[: menu.index("</select>")]


def test_with_no_fact_and_no_pinned_statement_the_claim_is_answered_with_a_reply(clinic_a, login):
    # given a claim whose fact is not on the fact sheet (nothing citable) and no statement
    cluster_id, review_ids = _claim(clinic_a, 2)
    with schema_context(clinic_a.schema_name):
        Fact.objects.filter(slug="single-use-needles").update(is_active=False)
    writer = login("alpha_writer")

    # then the menu offers only what works: a reply to edit, chosen, and says what is missing
    page = writer.get(f"{BASE}/inbox/").content.decode()
    menu = _answer_menu(page, f"answer-{cluster_id}")
    assert 'value="statement"' not in menu and "fact:" not in menu
    assert '<option value="reply" selected>Write one reply to edit' in menu
    hint = page[page.index('data-testid="answer-hint"') :]
    hint = hint[: hint.index("</p>")]
    assert f'href="{BASE}/facts/"' in hint and f'href="{BASE}/statements/"' in hint
    assert 'value="statement"' not in _answer_menu(page, "bulk-answer")

    # a fact on the sheet that waits to be confirmed is named as such, not as missing
    with schema_context(clinic_a.schema_name):
        Fact.objects.filter(slug="single-use-needles").update(is_active=True, status="draft")
    waiting = writer.get(f"{BASE}/inbox/").content.decode()
    hint = waiting[waiting.index('data-testid="answer-hint"') :]
    hint = hint[: hint.index("</p>")]
    assert "on the fact sheet to be confirmed before a reply may cite" in hint
    assert "The clinic attests its own medical and safety facts" in hint
    assert "No fact on the fact sheet" not in hint

    # when the writer answers with a reply, every mention gets a draft the guard lets through
    bid = _batch_id(
        writer.post(f"{BASE}/replies/batches/new/", {"cluster_id": cluster_id, "answer": "reply"})
    )
    with schema_context(clinic_a.schema_name):
        batch = ReplyBatch.objects.get(pk=bid)
        assert (batch.kind, batch.guard_verdict) == ("reply", "ok")
        drafts = ReplyDraft.objects.filter(batch_id=bid)
        assert sorted(d.review_id for d in drafts) == sorted(review_ids)
    batch_page = writer.get(f"{BASE}/replies/batches/{bid}/").content.decode()
    assert "thank you for raising this. We take it seriously" in batch_page


def test_a_pinned_statement_is_offered_by_its_title_and_chosen_without_a_fact(clinic_a, login):
    from responses.models import Statement, StatementVersion

    cluster_id, _ = _claim(clinic_a, 2)
    writer = login("alpha_writer")
    menu = _answer_menu(writer.get(f"{BASE}/inbox/").content.decode(), f"answer-{cluster_id}")
    # no statement pinned: not offered; the contradicted fact is chosen
    assert 'value="statement"' not in menu
    assert '<option value="fact:single-use-needles" selected>' in menu

    with schema_context(clinic_a.schema_name):
        statement = Statement.objects.create(title="Draft title", author_label="user:1",
                                             status="published", is_pinned=True)  # fmt: skip
        version = StatementVersion.objects.create(
            statement=statement, number=1, title="About our needles", body="Single-use, sealed.",
            guard_verdict="ok", author_label="user:1",
        )  # fmt: skip
        Statement.objects.filter(pk=statement.pk).update(published_version=version)
    page = writer.get(f"{BASE}/inbox/").content.decode()
    menu = _answer_menu(page, f"answer-{cluster_id}")
    assert '<option value="statement">Point to the statement “About our needles”' in menu
    assert '<option value="fact:single-use-needles" selected>' in menu
    assert 'data-testid="answer-hint"' not in page

    # without the fact on the sheet, the statement is where the menu starts
    with schema_context(clinic_a.schema_name):
        Fact.objects.filter(slug="single-use-needles").update(is_active=False)
    page = writer.get(f"{BASE}/inbox/").content.decode()
    menu = _answer_menu(page, f"answer-{cluster_id}")
    assert '<option value="statement" selected>' in menu
    assert "No statement is pinned" not in page and f'href="{BASE}/facts/"' in page


def test_the_claims_to_answer_follow_the_inbox_filters(clinic_a, login):
    # given a claim on Google and another on Facebook
    google_claim, _ = _claim(clinic_a, 2)
    facebook_claim, _ = _claim(
        clinic_a, 2, kind="facebook", text="Riverside Family Dental gives children expired vaccines"
    )
    assert google_claim != facebook_claim
    writer = login("alpha_writer")

    everything = writer.get(f"{BASE}/inbox/").content.decode()
    assert f'id="claim-{google_claim}"' in everything
    assert f'id="claim-{facebook_claim}"' in everything
    assert 'data-testid="claims-narrowed"' not in everything
    assert (
        'data-testid="claims-narrowed"'
        not in writer.get(f"{BASE}/inbox/?order=reach").content.decode()
    )

    # the inbox filtered to Facebook lists Facebook's claim only; its figures are the claim's
    facebook = writer.get(f"{BASE}/inbox/?source=facebook").content.decode()
    assert f'id="claim-{facebook_claim}"' in facebook
    assert f'id="claim-{google_claim}"' not in facebook
    assert 'data-testid="claims-narrowed"' in facebook
    # a text search, a rating, a date: the same rule
    assert (
        f'id="claim-{google_claim}"' not in writer.get(f"{BASE}/inbox/?q=vaccines").content.decode()
    )
    assert (
        f'id="claim-{google_claim}"' not in writer.get(f"{BASE}/inbox/?rating=5").content.decode()
    )
    # a filter it cannot read lists no claim either
    unread = writer.get(f"{BASE}/inbox/?rating=9")
    assert unread.status_code == 400 and 'id="claims"' not in unread.content.decode()


def test_the_inbox_says_where_each_reply_stands_and_filters_by_it(clinic_a, login):
    # given four mentions of a claim: one answered, one approved and waiting, one in progress,
    # one not answered yet
    _, (posted, approved, drafted, none) = _claim(clinic_a, 4)
    with schema_context(clinic_a.schema_name):
        for review_id, status in ((posted, "published"), (approved, "approved"),
                                  (drafted, "pending_client")):  # fmt: skip
            ReplyDraft.objects.create(review_id=review_id, status=status, author_label="user:1")
    writer = login("alpha_writer")

    page = writer.get(f"{BASE}/inbox/").content.decode()
    for review_id, words in ((posted, "posted"), (approved, "approved, not posted yet"),
                             (drafted, "in progress")):  # fmt: skip
        row = page[page.index(f'id="r{review_id}"') :]
        row = row[: row.index("</tr>")]
        assert f"{words}</span>" in row, (review_id, row)

    # the writer lists the mentions nobody has answered yet, to answer them
    for state, expected in (("none", none), ("approved", approved), ("published", posted),
                            ("drafted", drafted)):  # fmt: skip
        listed = writer.get(f"{BASE}/inbox/?reply={state}").content.decode()
        shown = [i for i in (posted, approved, drafted, none) if f'id="r{i}"' in listed]
        assert shown == [expected], state
    bad = writer.get(f"{BASE}/inbox/?reply=maybe")
    assert bad.status_code == 400 and 'data-testid="filter-errors"' in bad.content.decode()

    # the claim's button says what answering it as a whole answers: the one not answered yet
    cluster_id = _cluster_of(clinic_a, none)
    claim = page[page.index(f'id="claim-{cluster_id}"') :]
    assert "Answer the 1 not answered yet" in claim[: claim.index("</tr>")]
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.create(review_id=none, status="draft", author_label="user:1")
    page = writer.get(f"{BASE}/inbox/").content.decode()
    claim = page[page.index(f'id="claim-{cluster_id}"') :]
    claim = claim[: claim.index("</tr>")]
    assert "Every mention has a reply." in claim and "<button" not in claim


def _cluster_of(clinic, review_id: int) -> int:
    from scoring.models import ClaimMention

    with schema_context(clinic.schema_name):
        return ClaimMention.objects.get(review_id=review_id).cluster_id
