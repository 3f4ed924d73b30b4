"""The inbox's Previous and Next links carry the filters and the page, and nothing else: walk 12
found `?&page=2` on every unfiltered inbox."""

from __future__ import annotations

from tests.responses.conftest import review_in

INBOX = "/clinics/clinic-a/inbox/"


def test_the_pager_links_have_no_stray_ampersand(clinic_a, login):
    # given more reviews than one page holds (50)
    for _ in range(51):
        review_in(clinic_a, "csv")
    writer = login("alpha_writer")

    # then page 1 links to `?page=2`, page 2 back to `?page=1`
    first = writer.get(INBOX).content.decode()
    assert 'href="?page=2">Next</a>' in first and 'href="?&' not in first
    second = writer.get(INBOX + "?page=2").content.decode()
    assert 'href="?page=1">Previous</a>' in second and 'href="?&' not in second

    # and a filter stays in the links, before the page
    filtered = writer.get(INBOX + "?order=oldest").content.decode()
    assert 'href="?order=oldest&amp;page=2">Next</a>' in filtered
