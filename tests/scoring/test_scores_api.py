from base64 import urlsafe_b64encode
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from tests.fixtures.rows import score_add

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
                score_add(
                    review=review,
                    model_version="m1",
                    label="negative" if i % 2 else "positive",
                    score=-0.8 if i % 2 else 0.7,
                    confidence=0.9,
                    topics=[{"name": "wait_time", "triggers": ["wait"]}] if i == 1 else [],
                    flags=[{"name": "legal_threat", "evidence": ["lawyer"]}] if i == 3 else [],
                )
            )
        scores.append(score_add(review=reviews[0], model_version="m2", label="neutral", score=0))
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


CURSOR_REFUSED = {"cursor": ["Invalid cursor: use a `next` or `previous` link."]}


def _cursor(text: str) -> str:
    return urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("p=xyz"),
        _cursor("p=2026-12-05T18:44:27Z|174"),  # the position of a reviews list's cursor
        _cursor("o=0&p=99999-01-01"),
        _cursor("o=0&p=2026-12-05T18:44:27+99:00"),
    ],
    ids=["word", "reviews-position", "year-99999", "offset-99h"],
)
def test_a_forged_cursor_is_a_400_on_the_cursor(api, scored, cursor):
    response = api("key_a").get(URL, {"cursor": cursor})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "fields": CURSOR_REFUSED,
    }


def test_another_lists_cursor_is_a_400_on_the_cursor(api, scored):
    client = api("key_a")
    reviews_next = client.get("/clinics/clinic-a/api/v1/reviews/", {"page_size": 2}).json()["next"]
    assert reviews_next is not None
    foreign = parse_qs(urlsplit(reviews_next).query)["cursor"][0]
    response = client.get(URL, {"cursor": foreign})
    assert response.status_code == 400
    assert response.json()["fields"] == CURSOR_REFUSED


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("foo=1", {"foo": ["Unknown parameter."]}),
        ("flags=legal_threat", {"flags": ["Unknown parameter."]}),  # a typo never copies all
        ("flag=nope", {"flag": ['"nope" is not a valid choice. Choose one of: patient_safety, '
                                "legal_threat, self_disclosed_health, misinformation, "
                                "threat_abuse."]}),
        ("topic=nope", {"topic": ['"nope" is not a valid choice. Choose one of: wait_time, '
                                  "scheduling_access, staff_attitude, communication, "
                                  "clinical_outcome, billing_insurance, cleanliness, "
                                  "facilities_parking, pain_safety, privacy, "
                                  "vaccines_misinformation, medication_prescriptions, "
                                  "staffing_continuity, discharge_follow_up, "
                                  "accessibility_language, family_carers, food_drink."]}),
        ("sentiment=negative&sentiment=positive", {"sentiment": ["Give one value."]}),
        ("review_id=1&review_id=2", {"review_id": ["Give one value."]}),
    ],
)  # fmt: skip
def test_an_unknown_parameter_or_value_is_a_400_naming_it(api, scored, query, fields):
    response = api("key_a").get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}


def test_paging_and_format_are_not_unknown(api, scored):
    client = api("key_a")
    body = client.get(URL, {"page_size": 2, "format": "json", "page": 1}).json()
    assert len(body["results"]) == 2
    assert client.get(body["next"]).status_code == 200
