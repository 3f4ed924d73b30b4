"""Waiting for a reply, all clinics: every clinic's unanswered negative reviews on one screen,
past the clinic's reply target first and the longest waiting first; only the agency's own
clinics; a bounded number of clinics read, with the rest named."""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from dashboard import selectors
from dashboard.services import clinic_snapshot_refresh
from responses.models import ApprovalStatus, ReplyDraft

URL = "/agency/waiting/"


def _listed(html: str) -> list[str]:
    return re.findall(r'<tr id="awaiting-([a-z0-9-]+-\d+)"', html)


def test_every_clinics_unanswered_reviews_past_the_target_first(
    clinic_a, clinic_b, clinic_c, rows, login
):
    # given clinic A (reply target 24 h) and clinic B with reviews waiting, and one of beta's
    a, b, c = rows(clinic_a), rows(clinic_b), rows(clinic_c)
    a_old = a.review(hours_ago=72, rating=1, label="negative", text="Three days, no answer")
    a_new = a.review(hours_ago=0.2, label="negative", text="Rude on the phone today")
    a.review(hours_ago=5, rating=5, label="positive")  # nothing to answer
    answered = a.review(hours_ago=50, rating=1, label="negative")
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.create(review=answered, status=ApprovalStatus.PUBLISHED,
                                  author_label="user:1")  # fmt: skip
    b_old = b.review(hours_ago=48, rating=2, text="Billing error, twice")  # not scored: 2★
    with schema_context(clinic_b.schema_name):  # its reply approved, not posted yet
        ReplyDraft.objects.create(review=b_old, status=ApprovalStatus.APPROVED,
                                  author_label="user:1")  # fmt: skip
    c.review(hours_ago=80, rating=1, label="negative", text="Beta's clinic")
    for clinic in (clinic_a, clinic_b, clinic_c):
        clinic_snapshot_refresh(clinic=clinic)

    # when a writer of agency Alpha opens the page
    response = login("alpha_writer").get(URL)

    # then Alpha's waiting reviews, past the target first, the longest waiting first
    assert response.status_code == 200
    html = response.content.decode()
    assert _listed(html) == [f"clinic-a-{a_old.pk}", f"clinic-b-{b_old.pk}", f"clinic-a-{a_new.pk}"]
    row = html[html.index(f'id="awaiting-clinic-a-{a_old.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "3 d" in row and "past the 1 d target" in row
    assert f'href="/clinics/clinic-a/replies/review/{a_old.pk}/"' in row
    row = html[html.index(f'id="awaiting-clinic-a-{a_new.pk}"') :]
    assert "past the" not in row[: row.index("</tr>")]
    assert "Beta's clinic" not in html and "clinic-c" not in html
    # a review whose reply is approved says so, instead of inviting a second reply
    row = html[html.index(f'id="awaiting-clinic-b-{b_old.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-testid="reply-approved"' in row and "/replies/review/" not in row
    assert 'aria-current="page">Waiting for a reply</a>' in html
    # and the dashboard links it from its SLA figure
    assert (
        f'href="{URL}" data-testid="waiting-link"'
        in login("alpha_writer").get("/agency/").content.decode()
    )

    # beta's owner sees beta's clinic only
    beta = login("beta_owner").get(URL).content.decode()
    assert "Beta&#x27;s clinic" in beta or "Beta's clinic" in beta
    assert "clinic-a" not in beta and "clinic-b" not in beta


def test_a_bounded_number_of_clinics_is_read_and_the_rest_are_named(
    clinic_a, clinic_b, rows, login, monkeypatch
):
    a, b = rows(clinic_a), rows(clinic_b)
    for hours in (30, 40, 50):
        a.review(hours_ago=hours, rating=1, label="negative")
    b.review(hours_ago=30, rating=1, label="negative")
    for clinic in (clinic_a, clinic_b):
        clinic_snapshot_refresh(clinic=clinic)
    monkeypatch.setattr(selectors, "AWAITING_CLINICS", 1)
    monkeypatch.setattr(selectors, "AWAITING_PER_CLINIC", 2)

    html = login("alpha_manager").get(URL).content.decode()

    # clinic A has the most breaches: read, two of its three listed, the third named
    assert [r.rsplit("-", 1)[0] for r in _listed(html)] == ["clinic-a", "clinic-a"]
    # clinic B is not read: it is named as past the target, not as "new reviews" (walk 2)
    assert "1 more clinic not listed here, 1 of them with reviews past the reply target" in html
    more = html[html.index('data-testid="awaiting-truncated"') :]
    assert "Clinic A</a> (1 more)" in more[: more.index("</p>")]
