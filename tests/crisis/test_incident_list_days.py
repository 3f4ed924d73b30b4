"""The staff incident list filters by the days incidents opened, as the incidents API does
(`opened_from`/`opened_to`): whole days in the clinic's time zone, both ends included; From
after To or a day it cannot read is said at its field and lists nothing (400, never a 500);
the filters stay in the address and across pages; another clinic's incidents never show."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from clinics.models import Clinic
from crisis.models import Incident

URL = "/clinics/clinic-a/incidents/"
REVERSED = "The end of the date range is before its start."


def _incident(clinic, title: str, opened_at: datetime) -> Incident:
    with schema_context(clinic.schema_name):
        return Incident.objects.create(
            kind="watch_word", key=title, title=title, severity="high", status="resolved",
            opened_at=opened_at, last_detected_at=opened_at,
        )  # fmt: skip


@pytest.fixture
def in_new_york(clinic_a, clinic_b):
    # given a clinic in New York (the database row only; the test's transaction undoes it)
    Clinic.objects.filter(pk=clinic_a.pk).update(timezone="America/New_York")
    for title, at in [
        ("Late on 30 November", datetime(2026, 12, 1, 4, 50, tzinfo=UTC)),  # 23:50 in New York
        ("Early on 1 December", datetime(2026, 12, 1, 5, 10, tzinfo=UTC)),  # 00:10
        ("Late on 5 December", datetime(2026, 12, 6, 4, 51, tzinfo=UTC)),  # 23:51
        ("Early on 6 December", datetime(2026, 12, 6, 5, 5, tzinfo=UTC)),  # 00:05
    ]:
        _incident(clinic_a, title, at)
    # and another clinic's incident opened on the same day
    _incident(clinic_b, "Clinic B on 3 December", datetime(2026, 12, 3, 15, tzinfo=UTC))


def _titles(response) -> list[str]:
    return [incident.title for incident in response.context["page"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"opened_from": "2026-12-01", "opened_to": "2026-12-05"},
         ["Late on 5 December", "Early on 1 December"]),
        ({"opened_from": "2026-12-05", "opened_to": "2026-12-05"}, ["Late on 5 December"]),
        ({"opened_from": "2026-12-06"}, ["Early on 6 December"]),
        ({"opened_to": "2026-11-30"}, ["Late on 30 November"]),
        ({"opened_from": "2026-12-02", "opened_to": "2026-12-04"}, []),
    ],
    ids=["both-ends", "one-day", "from-only", "to-only", "none-between"],
)  # fmt: skip
def test_a_day_is_the_whole_day_in_the_clinics_time_zone(in_new_york, login, params, expected):
    # when the list is filtered by days
    response = login("alpha_analyst").get(URL, params)

    # then each day is the clinic's whole day, at both ends, and the days stay in the form
    assert response.status_code == 200
    assert _titles(response) == expected
    html = response.content.decode()
    for name, value in params.items():
        assert f'name="{name}" value="{value}">' in html
    assert 'data-testid="clear-filters">Clear filters</a>' in html
    if not expected:
        assert "No incidents match these filters." in html


def test_the_unfiltered_list_has_every_incident_of_this_clinic_only(in_new_york, login):
    response = login("alpha_analyst").get(URL)

    assert response.status_code == 200
    assert len(_titles(response)) == 4
    html = response.content.decode()
    assert "Clinic B on 3 December" not in html
    assert 'data-testid="clear-filters"' not in html


def test_another_clinics_incidents_never_show(in_new_york, login):
    response = login("alpha_analyst").get(
        URL, {"opened_from": "2026-12-03", "opened_to": "2026-12-03"}
    )
    assert response.status_code == 200
    assert _titles(response) == []
    assert "Clinic B on 3 December" not in response.content.decode()


def test_from_after_to_is_said_on_the_to_field_and_lists_nothing(in_new_york, login):
    # when From is later than To
    response = login("alpha_analyst").get(
        URL, {"opened_from": "2026-12-05", "opened_to": "2026-12-01"}
    )

    # then it is a 400 saying so on the To field, listing nothing (the filters kept as typed)
    assert response.status_code == 400
    assert response.context["page"] is None
    assert response.context["field_errors"] == {"opened_to": [REVERSED]}
    html = response.content.decode()
    assert f"“To”: {REVERSED}" in html
    assert (
        'name="opened_to" value="2026-12-01" aria-invalid="true" aria-describedby="f-to-error">'
        f'<ul class="errorlist" id="f-to-error"><li>{REVERSED}</li></ul>'
    ) in html
    assert 'name="opened_from" value="2026-12-05">' in html
    assert f'<a href="{URL}">Show every incident</a>' in html
    assert 'data-testid="clear-filters">Clear filters</a>' in html
    assert "Late on 5 December" not in html


@pytest.mark.parametrize(
    "value", ["2026-02-30", "yesterday", "0001-01-01"], ids=["no-such-day", "words", "too-early"]
)
def test_a_day_it_cannot_read_is_said_on_its_field(in_new_york, login, value):
    response = login("alpha_analyst").get(URL, {"opened_from": value})

    assert response.status_code == 400
    assert list(response.context["field_errors"]) == ["opened_from"]
    html = response.content.decode()
    assert (
        'data-testid="filter-errors">Nothing is listed: a filter could not be read. “From”: '
        in html
    )
    assert 'aria-describedby="f-from-error"><ul class="errorlist" id="f-from-error">' in html
    assert "Late on 5 December" not in html


@pytest.mark.parametrize(
    ("query", "field"),
    [("opened=2026-12-01", "opened"), ("status=closed", "Status")],
    ids=["unknown-filter", "unknown-status"],
)
def test_a_filter_it_cannot_read_is_named_and_lists_nothing(in_new_york, login, query, field):
    response = login("alpha_analyst").get(f"{URL}?{query}")

    assert response.status_code == 400
    assert response.context["page"] is None
    assert f"“{field}”: " in response.content.decode()


def test_paging_keeps_the_filters(in_new_york, login, monkeypatch):
    # given pages of one incident
    monkeypatch.setattr("crisis.views.INCIDENTS_PER_PAGE", 1)
    client = login("alpha_analyst")
    days = "opened_from=2026-12-01&amp;opened_to=2026-12-05"

    # when the filtered list is read page by page
    first = client.get(URL, {"opened_from": "2026-12-01", "opened_to": "2026-12-05"})
    older = f'<a href="?{days}&amp;page=2">Older</a>'
    assert older in first.content.decode()
    second = client.get(URL, {"opened_from": "2026-12-01", "opened_to": "2026-12-05", "page": 2})

    # then each page holds the filtered incidents and links on with the same filters
    assert _titles(first) == ["Late on 5 December"]
    assert _titles(second) == ["Early on 1 December"]
    assert second.context["page"].paginator.num_pages == 2
    assert f'<a href="?{days}&amp;page=1">Newer</a>' in second.content.decode()
