from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from scoring.models import ReviewScore

URL = "/clinics/clinic-a/api/v1/scores/"


@pytest.fixture
def scored(clinic_a):
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        reviews = [
            Review.objects.create(
                source=source,
                external_id=f"s{i}",
                text=f"review {i}",
                published_at=datetime(2026, 11, 1, tzinfo=UTC),
            )  # fmt: skip
            for i in range(5)
        ]
        scores = []
        for i, review in enumerate(reviews):
            scores.append(
                ReviewScore.objects.create(
                    review=review,
                    model_version="m1",
                    label="negative" if i % 2 else "positive",
                    score=-0.8 if i % 2 else 0.7,
                    confidence=0.9,
                    topics=[{"name": "wait_time", "triggers": ["wait"]}] if i == 1 else [],
                    flags=[{"name": "legal_threat", "evidence": ["lawyer"]}] if i == 3 else [],
                )
            )
        scores.append(
            ReviewScore.objects.create(
                review=reviews[0], model_version="m2", label="neutral", score=0
            )
        )
    return reviews, scores


def test_the_feed_lists_every_score_oldest_first_across_pages(api, scored):
    _, scores = scored
    client = api("key_a_read")
    seen, url = [], f"{URL}?page_size=4"
    while True:  # the last page's `next` stays: it answers the scores stored later
        body = client.get(url).json()
        if not body["results"]:
            break
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
    assert seen == [s.id for s in scores]
    assert body["next"] == url


def test_filters(api, scored):
    reviews, scores = scored
    client = api("key_a")
    ids = lambda q: [i["id"] for i in client.get(f"{URL}?{q}").json()["results"]]  # noqa: E731
    assert ids("label=negative") == [scores[1].id, scores[3].id]
    assert ids("model=m2") == [scores[5].id]
    assert ids(f"review_id={reviews[0].id}") == [scores[0].id, scores[5].id]
    assert ids("flag=legal_threat") == [scores[3].id]
    assert ids("topic=wait_time") == [scores[1].id]
    one = client.get(f"{URL}?flag=legal_threat").json()["results"][0]
    assert one["review_id"] == reviews[3].id and one["model"] == "m1" and one["score"] == -0.8
    assert one["flags"] == [{"name": "legal_threat", "evidence": ["lawyer"]}]


def test_bad_filters_get_field_messages(api, scored):
    response = api("key_a").get(f"{URL}?label=angry&scored_after=yesterday")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"label", "scored_after"}


def test_scores_of_another_clinic_are_not_reachable(api, scored):
    assert api("key_b").get(URL).status_code == 404
    assert api("key_b").get("/clinics/clinic-b/api/v1/scores/").json()["results"] == []
