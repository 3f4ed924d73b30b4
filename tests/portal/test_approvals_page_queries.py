"""The approval pages read the audit trail, the people of each step and their notices once for
all their cards: the same number of queries for one card as for many (walk 12, finding 16:
the portal's approvals page took over a second with 9-12 cards, 8 queries per card). And each
card's buttons name its reply (finding 11)."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from feeds.models import Review
from tests.portal.helpers import page_queries, queries_counted
from tests.portal.test_counts import _reply, _statement

MANY = 6


def _named_reply(clinic, world, n: int):
    draft = _reply(clinic, world, n)
    with schema_context(clinic.schema_name):
        Review.objects.filter(pk=draft.review_id).update(author_name=f"Reviewer {1000 + n}")
    return draft


def test_the_portal_approvals_page_costs_the_same_for_one_card_or_many(world, clinic_a, login):
    approver = login("a_approver")
    url = f"/clinics/{clinic_a.slug}/portal/approvals/"
    _named_reply(clinic_a, world, 0)
    approver.get(url)  # the session and the brand, read once
    one, _ = page_queries(approver, url)
    for n in range(1, MANY):
        _named_reply(clinic_a, world, n)
    many, html = page_queries(approver, url)
    assert len(re.findall(r'id="card-reply-\d+"', html)) == MANY
    assert many == one
    # each reject button names its reply, as the approve button does
    rejects = re.findall(r'aria-label="(Reject with this comment[^"]*)"', html)
    assert rejects == [f"Reject with this comment: the reply to Reviewer {1000 + n}"
                       for n in range(MANY)]  # fmt: skip


def test_the_portal_statements_page_costs_the_same_for_one_card_or_many(world, clinic_a, login):
    approver = login("a_approver")
    url = f"/clinics/{clinic_a.slug}/portal/statements/"
    _statement(clinic_a, world, 0)
    approver.get(url)
    one, _ = page_queries(approver, url)
    for n in range(1, MANY):
        _statement(clinic_a, world, n)
    many, html = page_queries(approver, url)
    assert len(re.findall(r'id="card-statement-\d+"', html)) == MANY
    assert many == one


def test_the_staff_approvals_page_costs_the_same_for_one_card_or_many(world, clinic_a, login):
    manager = login("alpha_manager")
    url = f"/clinics/{clinic_a.slug}/replies/"
    _named_reply(clinic_a, world, 0)
    _statement(clinic_a, world, 0)
    manager.get(url)
    one, _ = page_queries(manager, url)
    for n in range(1, MANY):
        _named_reply(clinic_a, world, n)
        _statement(clinic_a, world, n)
    many, html = page_queries(manager, url)
    assert html.count('aria-labelledby="reply-') == MANY
    assert html.count('aria-labelledby="statement-') == MANY
    assert many == one


def test_an_approval_in_place_builds_no_card_but_its_own(world, clinic_a, login):
    """After an approval in the portal (htmx), the page's lead line counts what still waits
    without building every card again: the same queries with one text left or many."""
    approver = login("a_approver")
    url = f"/clinics/{clinic_a.slug}/portal/act/"
    here = f"http://testserver/clinics/{clinic_a.slug}/portal/approvals/"
    drafts = [_named_reply(clinic_a, world, n) for n in range(MANY + 3)]

    def _approve(draft) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = approver.post(
                url,
                {"kind": "reply", "id": draft.pk, "action": "approve",
                 "expected_status": "pending_client", "expected_version": draft.version},
                HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=here,
            )  # fmt: skip
        assert response.status_code == 200
        return queries_counted(queries), response.content.decode()

    _approve(drafts[0])
    many, html = _approve(drafts[1])
    assert f"{MANY + 1} replies wait for your approval." in html
    for draft in drafts[2:-2]:
        _approve(draft)
    one, html = _approve(drafts[-2])
    assert "1 reply waits for your approval." in html
    assert one == many
