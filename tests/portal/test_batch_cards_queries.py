"""A page of batch approval cards ("one answer for many") reads the batches' mentions, their
replies, outbox items and withdrawals once for all the cards: the portal's approvals page and
the agency's approval queue cost the same queries for one batch as for ten (review 13, #7)."""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from responses.services import batches as batch_services
from tests.portal.helpers import access_for, page_queries
from tests.responses.conftest import OK_TEXT, review_in

MANY = 10


def _batch(clinic, world, *, approved: bool) -> int:
    """A batch answering two mentions, submitted by the writer (waiting for the agency), and
    with `approved` approved by the manager (waiting for the clinic)."""
    reviews = [review_in(clinic, "csv", text="The wait was long.") for _ in range(2)]
    with schema_context(clinic.schema_name):
        writer = access_for(world.users["alpha_writer"], clinic)
        batch = batch_services.reply_batch_create(
            access=writer, review_ids=[r.pk for r in reviews], kind="reply", text=OK_TEXT
        )
        batch_services.reply_batch_submit(batch_id=batch.pk, access=writer)
        if approved:
            manager = access_for(world.users["alpha_manager"], clinic)
            batch_services.reply_batch_approve(
                batch_id=batch.pk, access=manager, expected_version=1
            )
    return batch.pk


def test_the_portal_approvals_page_costs_the_same_for_one_batch_or_ten(world, clinic_a, login):
    approver = login("a_approver")
    url = f"/clinics/{clinic_a.slug}/portal/approvals/"
    _batch(clinic_a, world, approved=True)
    approver.get(url)  # the session and the brand, read once
    one, html = page_queries(approver, url)
    assert len(re.findall(r'id="card-batch-\d+"', html)) == 1
    for _ in range(1, MANY):
        _batch(clinic_a, world, approved=True)
    many, html = page_queries(approver, url)
    assert len(re.findall(r'id="card-batch-\d+"', html)) == MANY
    assert many == one, (one, many)


def test_the_staff_approvals_page_costs_the_same_for_one_batch_or_ten(world, clinic_a, login):
    manager = login("alpha_manager")
    url = f"/clinics/{clinic_a.slug}/replies/"
    _batch(clinic_a, world, approved=False)
    manager.get(url)
    one, html = page_queries(manager, url)
    for _ in range(1, MANY):
        _batch(clinic_a, world, approved=False)
    many, html = page_queries(manager, url)
    assert html.count('aria-labelledby="batch-') == MANY, html.count('aria-labelledby="batch-')
    assert many == one, (one, many)
