"""`author=`: the inbox page and `GET reviews/` find a person's items by name or handle (any
case, contained; a handle's "@" optional), from one definition (`feeds.selectors.
reviews_by_author`) in both spellings of the filter set."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, Source

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def people(clinic_a):
    with schema_context(clinic_a.schema_name):
        google = Source.objects.create(kind="google", name="Google")
        x = Source.objects.create(kind="x", name="X")
        rows = [
            (google, "r1", "Reese B.", "Long wait again"),
            (google, "r2", "reese b.", "Better this time"),
            (x, "r3", "@reese_b", "Parking is a mess"),
            (google, "p1", "Pat Morales", "Reese B. told me to come here"),
            (google, "p2", "", "No name given"),
        ]
        made = {}
        for i, (source, eid, author, text) in enumerate(rows):
            made[eid] = Review.objects.create(
                source=source, external_id=eid, author_name=author, text=text,
                published_at=T0 + timedelta(days=i),
            )  # fmt: skip
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("author=Reese", ["r3", "r2", "r1"]),
        ("author=REESE%20B.", ["r2", "r1"]),
        ("author=%40reese_b", ["r3"]),  # "@reese_b"
        ("author=reese_b", ["r3"]),
        ("author=morales&q=reese", ["p1"]),  # the text is `q`'s, the name is `author`'s
        ("author=nobody", []),
        ("author=", ["p2", "p1", "r3", "r2", "r1"]),  # empty: no filter
    ],
)
def test_the_api_finds_a_person_by_name_or_handle(people, api, query, expected):
    response = api("key_a").get(f"/clinics/clinic-a/api/v1/reviews/?{query}")
    assert response.status_code == 200, response.content
    assert [r["external_id"] for r in response.json()["results"]] == expected


def test_the_inbox_page_has_the_author_filter(people, login):
    client = login("alpha_analyst")
    html = client.get("/clinics/clinic-a/inbox/?author=reese").content.decode()
    assert 'name="author" value="reese"' in html
    for eid in ("r1", "r2", "r3"):
        assert f"/inbox/{people[eid].pk}/" in html
    assert f"/inbox/{people['p1'].pk}/" not in html
    # an unknown parameter is still named, not dropped (the allowed set knows `author`)
    response = client.get("/clinics/clinic-a/inbox/?authr=reese")
    assert response.status_code == 400
    assert "authr" in response.content.decode()


def test_a_too_long_author_is_400_with_a_field_message(people, api):
    response = api("key_a").get(f"/clinics/clinic-a/api/v1/reviews/?author={'x' * 201}")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"author"}


@pytest.mark.parametrize(
    "filters",
    [{"author": "reese"}, {"author": "@REESE_B"}, {"author": "b.", "q": "wait"},
     {"author": "100%_"}, {"author": "  "}],
)  # fmt: skip
def test_the_api_query_matches_the_inbox_query(people, clinic_a, filters):
    from inbox.selectors import reviews_matching, reviews_page_json

    with schema_context(clinic_a.schema_name):
        expected = list(reviews_matching(**filters).values_list("id", flat=True))
        got = reviews_page_json(filters, after=None, newer=False, limit=100)
    assert [json.loads(item.json)["id"] for item in got] == expected
