"""One paging contract: a bad cursor, page or page size is a 400 (never a 404, never cut
silently), and the scores and reviews feeds can be resumed from their last link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.api import MAX_PAGE_SIZE
from tests.fixtures.rows import score_add

CLINIC = "/clinics/clinic-a/api/v1"
LISTS = [f"{CLINIC}/reviews/", f"{CLINIC}/scores/", f"{CLINIC}/statements/", "/api/v1/clinics/"]


def _push(client, *external_ids: str, hours_ago: int = 1) -> list[int]:
    at = (timezone.now() - timedelta(hours=hours_ago)).isoformat()
    items = [
        {"source": "google", "external_id": x, "text": "Kind staff.", "published_at": at}
        for x in external_ids
    ]
    answer = client.post(f"{CLINIC}/reviews/ingest/", {"items": items}, "application/json")
    assert answer.status_code == 200, answer.content
    return [result["id"] for result in answer.json()["results"]]


def _score(clinic, review_id: int, model: str) -> None:
    with schema_context(clinic.schema_name):
        score_add(
            review_id=review_id, model_version=model, label="positive", score=0.8,
            confidence=0.9, topics=[], flags=[],
        )  # fmt: skip


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("size", ["0", str(MAX_PAGE_SIZE + 1), "10000", "-1", "abc"])
def test_a_page_size_out_of_range_is_a_400(api, url, size):
    answer = api("key_alpha").get(url, {"page_size": size})

    assert answer.status_code == 400
    assert answer.json()["fields"] == {
        "page_size": [f"Must be a whole number from 1 to {MAX_PAGE_SIZE}."]
    }


@pytest.mark.parametrize("url", LISTS)
def test_the_largest_page_size_is_accepted(api, url):
    assert api("key_alpha").get(url, {"page_size": MAX_PAGE_SIZE}).status_code == 200


@pytest.mark.parametrize(
    ("url", "cursor"),
    [
        (f"{CLINIC}/reviews/", "bm9wZQ"),  # "nope"
        (f"{CLINIC}/reviews/", "!!!"),
        (f"{CLINIC}/reviews/", "cD0yMDI2LTAxLTAx"),  # a position without the id
        (f"{CLINIC}/scores/", "bm9wZQ"),
        (f"{CLINIC}/scores/", "!!!"),
        (f"{CLINIC}/scores/", ""),
    ],
)
def test_a_bad_cursor_is_a_400(api, url, cursor):
    answer = api("key_a").get(url, {"cursor": cursor})

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert list(answer.json()["fields"]) == ["cursor"]


def test_a_bad_page_is_a_400(api):
    answer = api("key_alpha").get("/api/v1/clinics/", {"page": 99})

    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["page"]


def test_the_scores_feed_resumes_from_its_last_next(api, clinic_a):
    key = api("key_a")
    first, second = _push(key, "feed-1", "feed-2")
    _score(clinic_a, first, "m1")
    _score(clinic_a, second, "m1")
    pages, url = [], f"{CLINIC}/scores/?page_size=1"
    for _ in range(3):  # two scores, then the page after the last
        page = key.get(url).json()
        pages.append([score["review_id"] for score in page["results"]])
        url = page["next"]
    assert pages == [[first], [second], []]
    assert url is not None

    # nothing new: the same cursor again
    again = key.get(url).json()
    assert (again["results"], again["next"]) == ([], url)

    # a new score arrives: the kept `next` answers it, and only it
    _score(clinic_a, first, "m2")
    resumed = key.get(url).json()
    assert [(s["review_id"], s["model"]) for s in resumed["results"]] == [(first, "m2")]
    assert resumed["next"] not in (None, url)
    assert key.get(resumed["next"]).json()["results"] == []


def test_an_empty_feed_resumes_from_its_start(api):
    answer = api("key_b").get("/clinics/clinic-b/api/v1/scores/").json()

    assert answer == {
        "next": "http://testserver/clinics/clinic-b/api/v1/scores/",
        "previous": None,
        "results": [],
    }


def test_the_reviews_feed_resumes_from_its_first_previous(api):
    key = api("key_a")
    [old] = _push(key, "rev-old", hours_ago=5)
    page = key.get(f"{CLINIC}/reviews/").json()
    assert page["results"][0]["id"] == old
    newer = page["previous"]
    assert newer is not None
    assert key.get(newer).json()["results"] == []

    [new] = _push(key, "rev-new", hours_ago=1)

    assert [review["id"] for review in key.get(newer).json()["results"]] == [new]
