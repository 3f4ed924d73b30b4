"""The dashboard's "SLA breaches" count and the inbox it links to (`?sla=breached`) read one
definition (`inbox.selectors.reviews_awaiting_reply`): clicking the count lists exactly the
reviews it counts; the filter shows as active and can be removed; a value the inbox cannot
read is a 400 that lists nothing."""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from dashboard.services import clinic_snapshot_refresh
from responses.models import ReplyDraft

INBOX = "/clinics/clinic-a/inbox/"


def _listed(html: str) -> set[int]:
    return {
        int(pk) for pk in re.findall(r'<input type="checkbox" name="review" value="(\d+)"', html)
    }


def test_the_count_and_the_list_it_opens_are_the_same_reviews(login, clinic_a, rows):
    # given
    r = rows(clinic_a)
    late = r.review(hours_ago=30, label="negative")  # past the 24 h target, unanswered
    one_star = r.review(hours_ago=40, rating=1, label="neutral", status="needs_reply")
    r.review(hours_ago=2, label="negative")  # within the target: not yet a breach
    r.review(hours_ago=30, label="negative", status="ignored")
    r.review(hours_ago=24 * 40, label="negative")  # before the 30-day lookback
    r.review(hours_ago=30, rating=4, label="positive")
    answered = r.review(hours_ago=30, label="negative")  # a reply was published; still "new"
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.create(review=answered, status="published", author_label="u:1")
    snap = clinic_snapshot_refresh(clinic=clinic_a)
    manager = login("alpha_manager")

    # when: the manager follows the dashboard's link
    dashboard = manager.get("/agency/").content.decode()
    link = re.search(r'<a href="(/clinics/clinic-a/inbox/\?sla=breached)"[^>]*>'
                     r'<span class="pill negative" data-testid="sla-breaches">(\d+)<',
                     dashboard)  # fmt: skip
    response = manager.get(link.group(1))

    # then: the list holds exactly the counted reviews, and says which filter is on
    assert snap.sla_breaches == 2 and link.group(2) == "2"
    html = response.content.decode()
    assert response.status_code == 200
    assert _listed(html) == {late.pk, one_star.pk}
    assert '<p class="muted">2 items</p>' in html
    assert 'data-testid="sla-filter">Past the reply target' in html
    assert "with no reply published within 24 hours of appearing" in html


def test_the_filter_can_be_removed_and_keeps_the_others(login, clinic_a, rows):
    r = rows(clinic_a)
    r.review(hours_ago=30, label="negative")
    html = login("alpha_manager").get(f"{INBOX}?sla=breached&source=google").content.decode()
    assert '<a href="?source=google">remove this filter' in html
    # the filter form carries it, so choosing another filter keeps it
    assert '<input type="hidden" name="sla" value="breached">' in html
    plain = login("alpha_manager").get(f"{INBOX}?source=google").content.decode()
    assert 'data-testid="sla-filter"' not in plain


def test_a_value_the_inbox_cannot_read_is_a_400_that_lists_nothing(login, clinic_a, rows):
    r = rows(clinic_a)
    r.review(hours_ago=30, label="negative")
    r.review(hours_ago=1, label="positive")
    response = login("alpha_manager").get(f"{INBOX}?sla=yes")
    html = response.content.decode()
    assert response.status_code == 400
    assert _listed(html) == set()
    assert '<p class="muted">0 items</p>' in html
    assert "Nothing is listed: a filter could not be read. “sla”: " in html
    assert "is not a valid choice" in html
