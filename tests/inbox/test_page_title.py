"""The inbox's title names its active filters and its page, so that two tabs or two history
entries of the inbox tell themselves apart; a filter that could not be read is not named as
if it were (walk 18: every inbox tab read "Inbox · Clinic A")."""

from __future__ import annotations

import html as htmllib
import re

import pytest

INBOX = "/clinics/clinic-a/inbox/"


def _title(response) -> str:
    found = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    return htmllib.unescape(found.group(1))


@pytest.mark.parametrize(
    ("query", "title"),
    [
        pytest.param({}, "Inbox · Clinic A", id="none"),
        pytest.param({"topic": "wait_time"}, "Inbox (Topic: Wait time) · Clinic A", id="topic"),
        pytest.param(
            {"flag": "legal_threat", "topic": "billing_insurance", "rating": "1"},
            "Inbox (Rating: 1★, Flag: Legal threat, Topic: Billing and insurance) · Clinic A",
            id="flag-topic-rating",
        ),
        pytest.param(
            {"sentiment": "negative", "q": "parking", "order": "oldest"},
            "Inbox (Sentiment: Negative, Text: “parking”) · Clinic A",
            id="text-and-sort-not-a-filter",
        ),
        pytest.param({"sla": "breached"}, "Inbox (Past the reply target) · Clinic A", id="sla"),
    ],
)
def test_the_title_names_the_active_filters(login, clinic_a, query, title):
    response = login("alpha_manager").get(INBOX, query)
    assert response.status_code == 200
    assert _title(response) == title


def test_a_filter_that_cannot_be_read_is_not_named_in_the_title(login, clinic_a):
    response = login("alpha_manager").get(INBOX, {"topic": "nonsense", "flag": "legal_threat"})
    assert response.status_code == 400
    assert _title(response) == "Inbox (a filter could not be read) · Clinic A"


def test_a_later_page_is_named_in_the_title(login, clinic_a, rows):
    r = rows(clinic_a)
    for _ in range(51):
        r.review(label="negative")
    response = login("alpha_manager").get(INBOX, {"sentiment": "negative", "page": "2"})
    assert _title(response) == "Inbox (Sentiment: Negative), page 2 · Clinic A"
