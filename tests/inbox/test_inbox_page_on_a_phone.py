"""The inbox page on a phone and by keyboard: the filters fold into a <details> (open when a
filter is set, its summary counting them), skip links lead past the tabs and filters to the
claims and to the list, and the search takes at most 200 characters (a longer one is a 400
naming the field, next to it)."""

from __future__ import annotations

import re

import pytest

from tests.inbox.test_calm_inbox import _cluster, _incident
from tests.responses.conftest import review_in

pytestmark = pytest.mark.django_db

INBOX = "/clinics/clinic-a/inbox/"


def _details_tag(html: str) -> str:
    return re.search(r'<details class="filters-fold"[^>]*>\s*<summary>[^<]*</summary>', html)[0]


@pytest.mark.parametrize(
    ("query", "opened", "summary"),
    [
        ("", False, "Filters"),
        ("?order=oldest&q=", False, "Filters"),
        ("?rating=1&q=wait&order=newest", True, "Filters (2 active)"),
        ("?sentiment=grumpy", True, "Filters (1 active)"),  # one it cannot read: open, to fix
    ],
    ids=["none", "sort-and-blank", "two", "unreadable"],
)
def test_the_filters_fold_and_say_how_many_are_set(clinic_a, login, query, opened, summary):
    html = login("alpha_writer").get(INBOX + query).content.decode()
    tag = _details_tag(html)
    assert (" open>" in tag) is opened
    assert tag.endswith(f"<summary>{summary}</summary>")
    assert "<script>" not in html  # the fold works without any script


def test_skip_links_lead_past_the_tabs_and_filters(clinic_a, login):
    review_in(clinic_a, "csv", text="An ordinary review.")
    writer = login("alpha_writer")

    calm = writer.get(INBOX).content.decode()
    content = calm[calm.index('<main id="main">') :]
    # the first link of the page's content, before the clinic's tabs and the filters
    first_link = re.search(r"<a [^>]*>[^<]*</a>", content)[0]
    assert first_link == '<a class="skip" href="#list">Skip to the list</a>'
    assert content.index("Skip to the list") < content.index('class="tabs"')
    assert '<form method="post" id="list" tabindex="-1"' in content
    assert "Skip to the claims" not in content

    _cluster(clinic_a, 2)
    _incident(clinic_a, "open")
    busy = writer.get(INBOX).content.decode()
    content = busy[busy.index('<main id="main">') :]
    skips = content[: content.index('class="tabs"')]
    assert skips.index('href="#claims-h">Skip to the claims to answer') < skips.index(
        'href="#list">Skip to the list'
    )
    assert '<h2 id="claims-h" tabindex="-1">Claims to answer</h2>' in content


def test_the_search_takes_at_most_200_characters(clinic_a, login):
    writer = login("alpha_writer")
    html = writer.get(INBOX).content.decode()
    assert '<input id="f-q" type="text" name="q" value="" maxlength="200"' in html
    assert '<input id="f-author" type="text" name="author" value="" maxlength="200"' in html

    assert writer.get(INBOX + "?q=" + "x" * 200).status_code == 200
    refused = writer.get(INBOX + "?q=" + "x" * 5000)

    assert refused.status_code == 400
    html = refused.content.decode()
    field = re.search(r'<input id="f-q"[^>]*>', html)[0]
    assert 'aria-invalid="true" aria-describedby="f-q-error"' in field
    assert (
        '<ul class="errorlist" id="f-q-error"><li>Ensure this field has no more than 200 '
        "characters.</li></ul>"
    ) in html
    assert "Nothing matches these filters." in html  # nothing is listed under a refused filter


def test_gunicorn_takes_a_long_but_reasonable_request_line():
    from config import gunicorn

    # the inbox with every filter and a search of 200 characters (each escaped: 600) fits
    assert gunicorn.limit_request_line == 8190
