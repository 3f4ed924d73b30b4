"""The staff queue's other sections page as its replies do: the statements waiting and the
replies sent back to their writer, 20 a page each, each with its own page parameter
(`statements_page`, `returned_page`) kept apart from the others' by the page links, counted
("Showing 21–23 of 23 waiting"), a page past the end shows the last one, and a value that is
not a page number is a 400 naming it."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from responses.models import Statement, StatementVersion
from responses.views import SECTION_PER_PAGE
from tests.responses.backlog import backlog_create

QUEUE = "/clinics/clinic-a/replies/"


def _statements(clinic, n: int) -> list[Statement]:
    with schema_context(clinic.schema_name):
        made = []
        for i in range(n):
            statement = Statement.objects.create(
                title=f"Statement {i:02d}", status="pending_agency", version=1,
                route=["agency", "client"], author_label="user:900001",
                author_name="Wendy Writer", submitted_at=f"2026-03-04T09:{i:02d}:00Z",
            )  # fmt: skip
            StatementVersion.objects.create(
                statement=statement, number=1, guard_verdict="ok", author_label="user:900001",
                author_name="Wendy Writer", title=statement.title, body="We are open as usual.",
            )  # fmt: skip
            made.append(statement)
        return made


def _section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    return found.group(1) if found else ""


def test_the_statements_waiting_page_by_their_own_parameter(clinic_a, login):
    statements = _statements(clinic_a, SECTION_PER_PAGE + 3)
    manager = login("alpha_manager")

    first = manager.get(QUEUE).content.decode()
    second = manager.get(QUEUE + "?page=1&statements_page=2").content.decode()

    one, two = _section(first, "statements-h"), _section(second, "statements-h")
    shown = re.findall(r'aria-labelledby="statement-(\d+)-h"', one)
    assert shown == [str(s.pk) for s in statements[:SECTION_PER_PAGE]]
    assert re.findall(r'aria-labelledby="statement-(\d+)-h"', two) == [
        str(s.pk) for s in statements[SECTION_PER_PAGE:]
    ]
    assert "Statements waiting (23)" in one and "Statements waiting (23)" in two
    assert "Showing 1–20 of 23 waiting" in one and "Showing 21–23 of 23 waiting" in two
    # the link keeps the queue's own page, and the queue's links keep the statements' page
    assert 'href="?page=1&amp;statements_page=1" rel="prev">Previous' in two
    assert 'href="?statements_page=2" rel="next">Next' in one
    assert 'rel="next"' not in two


def test_the_replies_sent_back_page_by_their_own_parameter(clinic_a, login):
    with schema_context(clinic_a.schema_name):
        drafts, _ = backlog_create(replies=SECTION_PER_PAGE + 2, status="changes_requested")
    manager = login("alpha_manager")

    first = _section(manager.get(QUEUE).content.decode(), "returned-h")
    last = _section(manager.get(QUEUE + "?returned_page=9").content.decode(), "returned-h")

    assert first.count("<li data-writer=") == SECTION_PER_PAGE
    assert last.count("<li data-writer=") == 2
    assert "Sent back to the writer (22)" in first
    assert "Showing 1–20 of 22 sent back" in first
    assert "There is no page 9: the list has 2 pages now, and this is the last." in last
    assert 'href="?returned_page=1" rel="prev">Previous' in last


@pytest.mark.parametrize("param", ["statements_page", "returned_page"])
@pytest.mark.parametrize("value", ["abc", "0", "-1", "9" * 30])
def test_a_section_page_that_is_not_a_number_is_a_400_naming_it(clinic_a, login, param, value):
    response = login("alpha_manager").get(QUEUE, {param: value})
    assert response.status_code == 400
    assert f"Invalid input. “{param}”: A number." in response.content.decode()
