"""The Privacy requests log page (/agency/privacy/requests/) filters by the days requests were
carried out, as the privacy requests API does (`created_from`/`created_to`): whole days, both
ends included, in UTC (the log is agency-wide and shows its times in UTC); From after To or a
day it cannot read is said at its field and lists nothing (400, never a 500); the filters stay
in the address, across pages and in the CSV; another agency's requests never show."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agency.models import PrivacyRequest

URL = "/agency/privacy/requests/"
REVERSED = "The end of the date range is before its start."


@pytest.fixture
def log(world, db):
    # given requests carried out at the edges of days (UTC), and another agency's on one of them
    for agency, author, at in [
        ("alpha", "Late on 30 November", datetime(2026, 11, 30, 23, 59, tzinfo=UTC)),
        ("alpha", "Early on 1 December", datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
        ("alpha", "Late on 5 December", datetime(2026, 12, 5, 23, 59, 59, tzinfo=UTC)),
        ("alpha", "Early on 6 December", datetime(2026, 12, 6, 0, 0, tzinfo=UTC)),
        ("beta", "Beta on 3 December", datetime(2026, 12, 3, 12, tzinfo=UTC)),
    ]:
        PrivacyRequest.objects.create(
            created_at=at, agency_id=world.agencies[agency].pk, action="redact", author=author,
            reason="Erasure request REQ-114", receipt="Removed.",
        )  # fmt: skip


def _authors(response) -> list[str]:
    return [row.author for row in response.context["page"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"created_from": "2026-12-01", "created_to": "2026-12-05"},
         ["Late on 5 December", "Early on 1 December"]),
        ({"created_from": "2026-12-05", "created_to": "2026-12-05"}, ["Late on 5 December"]),
        ({"created_from": "2026-12-06"}, ["Early on 6 December"]),
        ({"created_to": "2026-11-30"}, ["Late on 30 November"]),
        ({"created_from": "2026-12-02", "created_to": "2026-12-04"}, []),
    ],
    ids=["both-ends", "one-day", "from-only", "to-only", "none-between"],
)  # fmt: skip
def test_a_day_is_the_whole_utc_day(log, login, params, expected):
    # when the log is filtered by days
    response = login("alpha_owner").get(URL, params)

    # then each day is the whole day (UTC), at both ends, and the days stay in the form
    assert response.status_code == 200
    assert _authors(response) == expected
    html = response.content.decode()
    for name, value in params.items():
        assert f'name="{name}" value="{value}"' in html
    assert 'data-testid="clear-filters">Clear filters</a>' in html
    if not expected:
        assert "No privacy request matches these filters." in html


def test_the_unfiltered_log_has_this_agencys_requests_only(log, login):
    response = login("alpha_owner").get(URL)

    assert response.status_code == 200
    assert len(_authors(response)) == 4
    assert "Beta on 3 December" not in response.content.decode()
    assert 'data-testid="clear-filters"' not in response.content.decode()


def test_another_agencys_requests_never_show(log, login):
    days = {"created_from": "2026-12-03", "created_to": "2026-12-03"}
    alpha = login("alpha_owner").get(URL, days)
    beta = login("beta_owner").get(URL, days)

    assert _authors(alpha) == []
    assert "Beta on 3 December" not in alpha.content.decode()
    assert _authors(beta) == ["Beta on 3 December"]


def test_from_after_to_is_said_on_the_to_field_and_lists_nothing(log, login):
    response = login("alpha_owner").get(
        URL, {"created_from": "2026-12-05", "created_to": "2026-12-01"}
    )

    assert response.status_code == 400
    assert response.context["page"] is None
    assert response.context["field_errors"] == {"created_to": [REVERSED]}
    html = response.content.decode()
    assert f"“To”: {REVERSED}" in html
    assert (
        'name="created_to" value="2026-12-01" aria-describedby="log-days-hint log-to-error" '
        f'aria-invalid="true"><ul class="errorlist" id="log-to-error"><li>{REVERSED}</li></ul>'
    ) in html
    assert f'<a href="{URL}">Show the whole log</a>' in html
    assert 'data-testid="clear-filters">Clear filters</a>' in html
    assert "Late on 5 December" not in html
    assert 'data-testid="csv-link"' not in html


@pytest.mark.parametrize(
    "value", ["2026-02-30", "yesterday", "0001-01-01"], ids=["no-such-day", "words", "too-early"]
)
def test_a_day_it_cannot_read_is_said_on_its_field(log, login, value):
    response = login("alpha_owner").get(URL, {"created_from": value})

    assert response.status_code == 400
    assert list(response.context["field_errors"]) == ["created_from"]
    html = response.content.decode()
    assert (
        'data-testid="filter-errors">Nothing is listed: a filter could not be used. “From”: '
        in html
    )
    assert 'aria-invalid="true"><ul class="errorlist" id="log-from-error">' in html
    assert "Late on 5 December" not in html


@pytest.mark.parametrize(
    ("query", "field"),
    [("author=Late", "author"), ("format=pdf", "Download")],
    ids=["not-a-filter-of-the-page", "format"],
)
def test_a_filter_it_cannot_read_is_named_and_lists_nothing(log, login, query, field):
    response = login("alpha_owner").get(f"{URL}?{query}")

    assert response.status_code == 400
    assert response.context["page"] is None
    assert f"“{field}”: " in response.content.decode()


def test_paging_keeps_the_filters(log, login, monkeypatch):
    # given pages of one request
    monkeypatch.setattr("feeds.views_privacy.PrivacyLogView.PAGE", 1)
    client = login("alpha_owner")
    days = {"created_from": "2026-12-01", "created_to": "2026-12-05"}
    query = "created_from=2026-12-01&amp;created_to=2026-12-05"

    # when the filtered log is read page by page
    first = client.get(URL, days)
    second = client.get(URL, {**days, "page": 2})

    # then each page holds the filtered requests and links on with the same filters
    assert _authors(first) == ["Late on 5 December"]
    assert f'<a href="?{query}&amp;page=2">Older</a>' in first.content.decode()
    assert _authors(second) == ["Early on 1 December"]
    assert f'<a href="?{query}&amp;page=1">Newer</a>' in second.content.decode()


def test_the_csv_holds_the_filtered_log(log, login):
    client = login("alpha_owner")
    page = client.get(URL, {"created_from": "2026-12-05", "created_to": "2026-12-05"})
    assert (
        '<a href="?created_from=2026-12-05&amp;created_to=2026-12-05&amp;format=csv" '
        'data-testid="csv-link">Export CSV</a>'
    ) in page.content.decode()

    response = client.get(
        URL, {"created_from": "2026-12-05", "created_to": "2026-12-05", "format": "csv"}
    )

    assert response.status_code == 200
    rows = b"".join(response.streaming_content).decode().splitlines()
    assert len(rows) == 2 and "Late on 5 December" in rows[1]
