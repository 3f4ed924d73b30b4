"""Walk 17 #2: a date-time filter without an offset (`published_from=2026-11-01T05:00:00`) was
read as UTC while a day is read in the clinic's time zone, and the message named only forms
with `Z`. Every date-time filter of the API now reads through one field
(`core.api.InstantField` / `DayOrInstantField`): a time without an offset is a 400 on the
parameter naming the forms it takes; days and instants with an offset read as before."""

from __future__ import annotations

import pytest

from core.api import day_or_instant_help

CLINIC = day_or_instant_help("the clinic's time zone")
FILTERS = [
    ("key_a", "/clinics/clinic-a/api/v1/reviews/", "published_from", CLINIC),
    ("key_a", "/clinics/clinic-a/api/v1/reviews/", "published_to", CLINIC),
    ("key_a", "/clinics/clinic-a/api/v1/reviews/", "updated_after", CLINIC),
    ("key_a", "/clinics/clinic-a/api/v1/incidents/", "opened_from", CLINIC),
    ("key_a", "/clinics/clinic-a/api/v1/incidents/", "opened_to", CLINIC),
    ("key_a", "/clinics/clinic-a/api/v1/scores/", "scored_after", CLINIC),
    ("key_alpha", "/api/v1/privacy-requests/", "created_from", day_or_instant_help("UTC")),
    ("key_alpha", "/api/v1/privacy-requests/", "created_to", day_or_instant_help("UTC")),
]
IDS = [f"{url.split('/')[-2]}-{name}" for _, url, name, _ in FILTERS]


@pytest.mark.parametrize(("key", "url", "name", "message"), FILTERS, ids=IDS)
@pytest.mark.parametrize("value", ["2026-11-01T05:00:00", "2026-11-01 05:00", "2026-11-01T05:00"])
def test_a_time_without_an_offset_is_a_400_naming_the_forms(api, key, url, name, message, value):
    response = api(key).get(url, {name: value})

    assert response.status_code == 400
    assert response.json()["fields"] == {name: [message]}


def test_the_message_names_a_day_and_both_offset_forms():
    assert CLINIC == (
        "Give a day (2026-12-01: the whole day in the clinic's time zone) or an instant with its "
        "offset (2026-12-01T09:30:00Z or 2026-12-01T09:30:00-05:00); a time without an offset "
        "is not read."
    )


@pytest.mark.parametrize(("key", "url", "name", "message"), FILTERS, ids=IDS)
def test_a_malformed_value_names_the_same_forms(api, key, url, name, message):
    response = api(key).get(url, {name: "yesterday"})

    assert response.status_code == 400
    assert response.json()["fields"] == {name: [message]}


@pytest.mark.parametrize(("key", "url", "name", "message"), FILTERS, ids=IDS)
@pytest.mark.parametrize("value", ["2026-11-01T05:00:00Z", "2026-11-01T01:00:00-04:00"])
def test_an_instant_with_its_offset_is_read(api, key, url, name, message, value):
    assert api(key).get(url, {name: value}).status_code == 200


def test_scored_after_reads_a_day_as_the_docs_say(api):
    """Walk 14: docs/integrate.md lists `scored_after` among the filters that read a day; it
    refused one. A day reads from its start in the clinic's zone."""
    url = "/clinics/clinic-a/api/v1/scores/"
    every = api("key_a").get(url, {"page_size": 1000}).json()["results"]
    since_1970 = api("key_a").get(url, {"scored_after": "1970-01-01", "page_size": 1000})
    assert since_1970.status_code == 200 and len(since_1970.json()["results"]) == len(every)
    later = api("key_a").get(url, {"scored_after": "2999-01-01"})
    assert later.status_code == 200 and later.json()["results"] == []
