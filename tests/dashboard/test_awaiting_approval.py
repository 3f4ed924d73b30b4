"""The dashboard's "awaiting approval" counts every text that waits at an approval step
(replies, statements, batches of replies), each worded by kind, as the portal and the
approvals page show them; a batch's own replies are approved through the batch."""

from __future__ import annotations

from django_tenants.utils import schema_context

from dashboard.services import clinic_snapshot_refresh
from responses.models import ReplyBatch, ReplyDraft, Statement


def test_replies_statements_and_batches_waiting_are_counted_by_kind(login, clinic_a, rows):
    # given: a reply at the clinic's step, a statement at the agency's, a batch of two
    # replies at legal, and texts that do not wait (a draft, a published statement)
    r = rows(clinic_a)
    reviews = [r.review(hours_ago=1, label="negative") for _ in range(4)]
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.create(review=reviews[0], status="pending_client", author_label="u:1")
        ReplyDraft.objects.create(review=reviews[1], status="draft", author_label="u:1")
        batch = ReplyBatch.objects.create(status="pending_legal", author_label="u:1")
        for review in reviews[2:]:
            ReplyDraft.objects.create(
                review=review, batch=batch, status="pending_legal", author_label="u:1"
            )
        Statement.objects.create(title="About the rumour", status="pending_agency",
                                 author_label="u:1")  # fmt: skip
        Statement.objects.create(title="Holiday hours", status="published", author_label="u:1")

    # when
    snap = clinic_snapshot_refresh(clinic=clinic_a)
    html = login("alpha_manager").get("/agency/").content.decode()

    # then
    assert (snap.awaiting_approval, snap.awaiting_replies, snap.awaiting_statements,
            snap.awaiting_batches) == (3, 1, 1, 1)  # fmt: skip
    assert (
        '<li data-testid="total-approvals"><strong>3</strong> awaiting approval: '
        "1 reply, 1 statement, 1 batch of replies</li>"
    ) in html
    row = html[html.index('data-clinic="clinic-a"') :]
    assert (
        'data-testid="approvals" aria-label="3 awaiting approval at Clinic A: 1 reply, '
        '1 statement, 1 batch of replies">3</a>'
    ) in row[: row.index("</tr>")]


def test_nothing_waiting_reads_zero(login, clinic_a, rows):
    rows(clinic_a).review(hours_ago=1, label="positive")
    assert clinic_snapshot_refresh(clinic=clinic_a).awaiting_approval == 0
    html = login("alpha_manager").get("/agency/").content.decode()
    assert '<li data-testid="total-approvals"><strong>0</strong> awaiting approval</li>' in html
