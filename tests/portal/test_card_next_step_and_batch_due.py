"""Walk 1's low findings on the portal's words: the confirmation of a step names who gives the
next one (F16); a lifted privacy block says what happens next instead of only "now “Draft”"
(F9); a batch's card shows its reply clock as a single reply's card does (F7)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from django.utils import timezone
from django_tenants.utils import schema_context

from portal.selectors import batch_card_get
from responses.services import batches as batch_services
from responses.services import replies as reply_services
from tests.portal.helpers import access_for
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, TONE_TEXT, review_in

REASON = "The reviewer published their own chart details; approved by counsel."


def _url(clinic, path=""):
    return f"/clinics/{clinic.slug}/portal/{path}"


def test_legals_confirmation_names_the_clinics_approver_who_gives_the_final_approval(
    clinic_a, world, login
):
    # given a reply the agency approved, waiting for legal's review (then the clinic's)
    review = review_in(clinic_a, "csv")
    with schema_context(clinic_a.schema_name):
        w = access_for(world.users["alpha_writer"], clinic_a)
        m = access_for(world.users["alpha_manager"], clinic_a)
        draft = reply_services.reply_draft_create(review_id=review.pk, access=w, text=TONE_TEXT)
        reply_services.reply_submit(draft_id=draft.pk, access=w)
        draft = reply_services.reply_approve(draft_id=draft.pk, access=m)
    assert draft.status == "pending_legal"

    # when legal approves it in the portal
    answer = login("a_legal").post(
        _url(clinic_a, "act/"),
        {"kind": "reply", "id": draft.pk, "action": "approve"},
        HTTP_HX_REQUEST="true",
    )

    # then it says who acts next, by name, rather than "waiting for the clinic"
    html = unescape(answer.content.decode())
    assert "Approved. Next: the clinic's approver (A Approver) gives the final approval." in html
    assert "Next: waiting for the clinic" not in html


def test_a_lifted_block_says_the_writer_submits_it_again(clinic_a, world, login):
    # given a reply the privacy check blocks, submitted: it waits for legal
    review = review_in(clinic_a, "csv", text="They lost my chart.")
    with schema_context(clinic_a.schema_name):
        w = access_for(world.users["alpha_writer"], clinic_a)
        draft = reply_services.reply_draft_create(review_id=review.pk, access=w, text=BLOCK_TEXT)
        reply_services.reply_submit(draft_id=draft.pk, access=w)
    legal = login("a_legal")

    # when legal lifts the block
    ok = legal.post(
        _url(clinic_a, "override/"), {"kind": "reply", "id": draft.pk, "reason": REASON}
    )
    assert ok.status_code == 302

    # then its line under "Already handled" says what happens next, not only "now “Draft”"
    html = unescape(legal.get(_url(clinic_a, "review/")).content.decode())
    line = html[html.index(f'id="card-reply-{draft.pk}"') :]
    line = line[: line.index("</li>")]
    assert ": Privacy block lifted by A Legal, " in line
    assert line.endswith(
        " — its writer is told and submits it again; then it comes to the next approver."
    )
    assert "now “Draft”" not in line


def test_a_batch_card_shows_the_reply_clock_of_its_first_mention(clinic_a, world, login):
    # given a batch answering two mentions, the older one published 30 minutes ago, at the
    # clinic's step
    now = timezone.now()
    older = review_in(
        clinic_a, "csv", text="The wait was long.", published_at=now - timedelta(minutes=30)
    )
    newer = review_in(
        clinic_a, "csv", text="Nobody called.", published_at=now - timedelta(minutes=5)
    )
    with schema_context(clinic_a.schema_name):
        writer = access_for(world.users["alpha_writer"], clinic_a)
        batch = batch_services.reply_batch_create(
            access=writer, review_ids=[older.pk, newer.pk], kind="reply", text=OK_TEXT
        )
        batch_services.reply_batch_submit(batch_id=batch.pk, access=writer)
        batch_services.reply_batch_approve(
            batch_id=batch.pk,
            access=access_for(world.users["alpha_manager"], clinic_a),
            expected_version=1,
        )
        # its clock is the first mention's: due when the older review is (the e-mail's
        # "reply due …", `batches.FLOW.due_at`)
        card = batch_card_get(access_for(world.users["a_approver"], clinic_a), batch.pk)
        due = batch_services.FLOW.due_at(batch, clinic_a)
    assert due == older.published_at + timedelta(minutes=clinic_a.reply_target_minutes)
    assert card["sla"]["due_at"] == due and card["sla"]["breached"] is False

    # when the clinic's approver opens Replies to approve
    html = unescape(login("a_approver").get(_url(clinic_a, "approvals/")).content.decode())

    # then the batch's card says how long is left, as a single reply's card does
    start = html.index(f'id="card-batch-{batch.pk}"')
    meta = html[start : html.index("</p>", html.index('class="meta"', start))]
    assert re.search(
        r">New to you</span> · [^·]+ · \d[\d dhmin]* left to reply in time \(its first "
        r"mention\) · your approval covers every mention below$",
        meta,
    ), meta
