"""The approval queues page their backlog: the agency's queue (50 rows a page) and the portal's
approvals page (20 cards a page), a reply batch one row, the batches first, each page's rows
in a fixed order and counted ("Showing 51–57 of 57 waiting"); a page past the end shows the
last one and says so, a `page` that is not a number is a 400 naming it; a page's queries do
not grow with its rows (500 replies waiting took 2.7 s and 1 MB, every card on one page)."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from responses.models import ReplyBatch, ReplyDraft
from tests.portal.helpers import page_queries
from tests.responses.backlog import backlog_create


def _backlog(clinic, *, replies: int, batches: int = 0, status: str = "pending_client", tag="q"):
    with schema_context(clinic.schema_name):
        return backlog_create(
            replies=replies, batches=batches, batch_size=3, status=status, tag=tag
        )


def _staff_rows(html: str) -> list[str]:
    """The staff queue's reply and batch cards, in the page's order."""
    return re.findall(r'aria-labelledby="((?:reply|batch)-\d+)-h"', html)


def _portal_rows(html: str) -> list[str]:
    return re.findall(r'<article class="card" id="card-((?:reply|batch)-\d+)"', html)


def _showing(html: str) -> str:
    found = re.search(r'data-testid="queue-showing">([^<]*)<', html)
    return found.group(1) if found else ""


def test_the_staff_queue_pages_its_rows_batches_first_oldest_review_first(clinic_a, login):
    # given 55 replies of their own and 2 reply batches waiting
    drafts, batches = _backlog(clinic_a, replies=55, batches=2)
    manager = login("alpha_manager")
    url = f"/clinics/{clinic_a.slug}/replies/"

    # when the manager opens the queue, then page 2
    first = manager.get(url)
    second = manager.get(url + "?page=2")

    # then the first page holds 50 rows: the batches (last changed first), then the replies
    # from the oldest review; the second page the 5 left, each counted
    assert first.status_code == second.status_code == 200
    one, two = first.content.decode(), second.content.decode()
    assert _staff_rows(one) == [f"batch-{b.pk}" for b in reversed(batches)] + [
        f"reply-{d.pk}" for d in drafts[:48]
    ]
    assert _staff_rows(two) == [f"reply-{d.pk}" for d in drafts[48:]]
    assert _showing(one) == "Showing 1–50 of 57 waiting"
    assert _showing(two) == "Showing 51–57 of 57 waiting"
    # the sections count every row waiting, and say where the batches are on a later page
    assert "Replies waiting (55)" in two and "One reply to many mentions (2)" in two
    assert "2 batches under way, on earlier pages" in two
    assert "Page 2 of 2" in two and 'href="?page=1" rel="prev">Previous' in two
    assert 'rel="next"' not in two and 'href="?page=2" rel="next">Next' in one
    # an approval on page 2 comes back to page 2
    assert f'name="next" value="/clinics/{clinic_a.slug}/replies/?page=2"' in two


def test_a_staff_approval_on_page_two_comes_back_to_page_two(clinic_a, login):
    drafts, _ = _backlog(clinic_a, replies=53, status="pending_agency")
    manager = login("alpha_manager")
    url = f"/clinics/{clinic_a.slug}/replies/?page=2"
    html = manager.get(url).content.decode()
    last = drafts[-1]
    assert f"reply-{last.pk}" in _staff_rows(html)
    next_url = re.search(r'name="next" value="([^"]*)"', html).group(1)

    response = manager.post(
        f"/clinics/{clinic_a.slug}/replies/act/",
        {"kind": "reply", "id": last.pk, "action": "approve", "next": next_url,
         "expected_status": "pending_agency", "expected_version": 1},
    )  # fmt: skip

    assert response.status_code == 302
    assert response["Location"] == f"/clinics/{clinic_a.slug}/replies/?page=2"
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=last.pk).status == "pending_client"


def test_the_portal_pages_its_cards_a_batch_one_card_batches_first(clinic_a, login):
    # given 45 replies and 2 batches of 3 mentions waiting for the clinic
    drafts, batches = _backlog(clinic_a, replies=45, batches=2)
    approver = login("a_approver")
    url = f"/clinics/{clinic_a.slug}/portal/approvals/"

    pages = [approver.get(url + f"?page={n}").content.decode() for n in (1, 2, 3)]

    # then 20 cards a page: the batches first submitted first, then the replies from the
    # oldest review; every reply once, on one page
    expected = [f"batch-{b.pk}" for b in batches] + [f"reply-{d.pk}" for d in drafts]
    assert [_portal_rows(html) for html in pages] == [
        expected[:20],
        expected[20:40],
        expected[40:],
    ]
    assert [_showing(html) for html in pages] == [
        "Showing 1–20 of 47 waiting",
        "Showing 21–40 of 47 waiting",
        "Showing 41–47 of 47 waiting",
    ]
    # a batch is one card, which covers its three mentions
    assert "One reply to 3 mentions" in pages[0]
    assert "47 replies wait for your approval." in pages[2]
    assert "Page 3 of 3" in pages[2]
    assert 'href="?page=2" rel="prev">Previous' in pages[2]


def test_a_batch_on_the_portal_page_is_approved_as_one_line(clinic_a, login):
    # given a batch of 3 mentions and 25 replies waiting for the clinic
    _, (batch,) = _backlog(clinic_a, replies=25, batches=1)
    approver = login("a_approver")
    url = f"/clinics/{clinic_a.slug}/portal/approvals/"
    assert _showing(approver.get(url).content.decode()) == "Showing 1–20 of 26 waiting"

    # when the approver approves the batch in place
    response = approver.post(
        f"/clinics/{clinic_a.slug}/portal/act/",
        {"kind": "batch", "id": batch.pk, "action": "approve",
         "expected_status": "pending_client", "expected_version": 1},
        HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{url}?page=1",
    )  # fmt: skip

    # then the batch and its three replies are approved, and one line less waits
    assert response.status_code == 200
    assert "25 replies wait for your approval." in response.content.decode()
    # the page's "Showing 1–20 of 26 waiting" is emptied in place (out of band), not left stale
    assert re.search(
        r'<p [^>]*id="queue-showing"[^>]*hx-swap-oob="true"></p>', response.content.decode()
    )
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=batch.pk).status != "pending_client"
        assert not ReplyDraft.objects.filter(batch=batch, status="pending_client").exists()
    html = approver.get(url).content.decode()
    assert _showing(html) == "Showing 1–20 of 25 waiting"
    assert f"batch-{batch.pk}" not in _portal_rows(html)


@pytest.mark.parametrize(
    ("who", "path", "last", "line"),
    [
        ("alpha_manager", "replies/", 2, "There is no page 9: the queue has 2 pages now"),
        ("a_approver", "portal/approvals/", 3, "There is no page 9: the queue has 3 pages now"),
    ],
    ids=["staff", "portal"],
)
def test_a_page_past_the_end_shows_the_last_page_and_says_so(
    clinic_a, login, who, path, last, line
):
    _backlog(clinic_a, replies=55)
    client = login(who)
    response = client.get(f"/clinics/{clinic_a.slug}/{path}?page=9")
    html = response.content.decode()
    assert response.status_code == 200
    assert line in html
    assert f"Page {last} of {last}" in html


def test_a_page_past_the_end_of_an_empty_queue_says_nothing_waits(clinic_a, login):
    response = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/?page=4")
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is no page 4: nothing waits now." in html
    assert "Nothing waits for your approval." in html


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "²", "9" * 30])
@pytest.mark.parametrize(
    ("who", "path"),
    [("alpha_manager", "replies/"), ("a_approver", "portal/approvals/")],
    ids=["staff", "portal"],
)
def test_a_page_that_is_not_a_number_is_a_400_naming_it(clinic_a, login, who, path, page):
    response = login(who).get(f"/clinics/{clinic_a.slug}/{path}", {"page": page})
    assert response.status_code == 400
    assert "Invalid input. “page”: A number." in response.content.decode()


@pytest.mark.parametrize(
    ("who", "path", "per_page", "rows"),
    [("alpha_manager", "replies/", 50, _staff_rows), ("a_approver", "portal/approvals/", 20,
                                                        _portal_rows)],
    ids=["staff", "portal"],
)  # fmt: skip
def test_a_page_costs_the_same_queries_for_a_few_rows_or_a_full_page_of_many(
    clinic_a, login, who, path, per_page, rows
):
    client = login(who)
    url = f"/clinics/{clinic_a.slug}/{path}"
    _backlog(clinic_a, replies=2, batches=1)
    client.get(url)  # the session and the brand, read once
    few, html = page_queries(client, url)
    assert len(rows(html)) == 3
    _backlog(clinic_a, replies=per_page * 2, batches=2, tag="more")
    full, html = page_queries(client, url)
    assert len(rows(html)) == per_page
    assert full == few, (few, full)
    later, html = page_queries(client, url + "?page=2")
    assert len(rows(html)) == per_page
    assert later <= few, (few, later)  # replies only: no batch to read
