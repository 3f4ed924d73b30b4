"""Walk 14 #18: a date-only `published_from`/`published_to` was midnight UTC with an exclusive
end, so "1 December to 1 December" listed nothing, and a review of 30 November evening in the
clinic's own time zone counted as 1 December. A day is now the whole day in the clinic's time
zone, both ends inclusive (as the approvals log and the settings history read days); a full
instant is exact, as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from clinics.models import Clinic
from feeds.models import Review, Source

URL = "/clinics/clinic-a/api/v1/reviews/"


@pytest.fixture
def in_new_york(clinic_a):
    # given a clinic in New York (the database row only; the test's transaction undoes it)
    Clinic.objects.filter(pk=clinic_a.pk).update(timezone="America/New_York")
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="csv", name="CSV")
        for external_id, at in [
            ("tz-1", datetime(2026, 12, 1, 3, tzinfo=UTC)),  # 30 Nov, 22:00 in New York
            ("tz-2", datetime(2026, 12, 1, 12, tzinfo=UTC)),  # 1 Dec, 07:00
            ("tz-3", datetime(2026, 12, 2, 3, tzinfo=UTC)),  # 1 Dec, 22:00
            ("tz-4", datetime(2026, 12, 2, 12, tzinfo=UTC)),  # 2 Dec, 07:00
        ]:
            Review.objects.create(source=source, external_id=external_id, published_at=at)


def _listed(api, **params) -> list[str]:
    response = api("key_a").get(URL, params)
    assert response.status_code == 200, response.json()
    return [row["external_id"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"published_from": "2026-12-01", "published_to": "2026-12-01"}, ["tz-3", "tz-2"]),
        ({"published_from": "2026-12-01"}, ["tz-4", "tz-3", "tz-2"]),
        ({"published_to": "2026-11-30"}, ["tz-1"]),
        ({"published_from": "2026-12-02", "published_to": "2026-12-02"}, ["tz-4"]),
        # an instant stays exact: from inclusive, to exclusive
        ({"published_from": "2026-12-01T03:00:00Z", "published_to": "2026-12-02T03:00:00Z"},
         ["tz-2", "tz-1"]),
        # a day and an instant together
        ({"published_from": "2026-12-01", "published_to": "2026-12-02T03:00:00Z"}, ["tz-2"]),
    ],
    ids=["one-day", "from-a-day", "to-a-day", "next-day", "instants", "mixed"],
)  # fmt: skip
def test_a_day_is_the_whole_day_in_the_clinics_time_zone(in_new_york, api, params, expected):
    assert _listed(api, **params) == expected


def test_a_reversed_day_range_is_a_400_on_its_end(in_new_york, api):
    response = api("key_a").get(URL, {"published_from": "2026-12-02", "published_to": "2026-12-01"})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "published_to": ["The end of the date range is before its start."]
    }


@pytest.mark.parametrize("value", ["2026-02-30", "0001-01-01"], ids=["no-such-day", "too-early"])
def test_a_day_it_cannot_use_is_a_400_naming_it(in_new_york, api, value):
    response = api("key_a").get(URL, {"published_from": value})
    assert response.status_code == 400 and list(response.json()["fields"]) == ["published_from"]


def test_the_staff_inbox_reads_days_the_same_way(in_new_york, clinic_a):
    from inbox.selectors import reviews_matching, reviews_page_json

    filters = {
        "published_from": datetime(2026, 12, 1).date(),
        "published_to": datetime(2026, 12, 1).date(),
    }
    with schema_context(clinic_a.schema_name):
        orm = list(reviews_matching(**filters).values_list("external_id", flat=True))
        sql = [
            item.key[-1] for item in reviews_page_json(filters, after=None, newer=False, limit=9)
        ]
        ids = dict(Review.objects.values_list("id", "external_id"))
    assert orm == ["tz-3", "tz-2"]
    assert [ids[pk] for pk in sql] == ["tz-3", "tz-2"]


def test_the_inbox_page_refuses_from_after_to_on_the_to_field_and_lists_nothing(in_new_york, login):
    # when From is later than To on the inbox page
    response = login("alpha_writer").get(
        "/clinics/clinic-a/inbox/", {"published_from": "2026-12-02", "published_to": "2026-12-01"}
    )
    # then it is a 400 saying so on the To field, listing nothing (the filters kept as typed)
    assert response.status_code == 400
    assert response.context["filter_errors"] == {
        "published_to": ["The end of the date range is before its start."]
    }
    assert list(response.context["page"]) == []
    html = response.content.decode()
    # named by its label in the line above the list, and said at the To field itself
    assert "“To”: The end of the date range is before its start." in html
    assert "“published_to”" not in html
    assert (
        'name="published_to" value="2026-12-01" aria-invalid="true" aria-describedby="f-to-error">'
        '<ul class="errorlist" id="f-to-error"><li>The end of the date range is before its '
        "start.</li></ul>"
    ) in html
    assert 'name="published_from" value="2026-12-02">' in html


def test_the_inbox_page_lists_one_day_from_and_to_alike(in_new_york, login):
    response = login("alpha_writer").get(
        "/clinics/clinic-a/inbox/", {"published_from": "2026-12-01", "published_to": "2026-12-01"}
    )
    assert response.status_code == 200 and response.context["filter_errors"] == {}
    assert sorted(r.external_id for r in response.context["page"]) == ["tz-2", "tz-3"]
