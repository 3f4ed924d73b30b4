from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from scoring.models import ReviewScore
from scoring.services import latest_scores_refresh
from tests.fixtures.rows import score_add

T0 = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
def inbox(clinic_a):
    with schema_context(clinic_a.schema_name):
        google = Source.objects.create(kind="google", name="Google")
        yelp = Source.objects.create(kind="yelp", name="Yelp")
        rows = [
            (google, "a", 5, "Lovely dentist", 0, "replied"),
            (google, "b", 1, "Rude receptionist and long wait", 1, "needs_reply"),
            (yelp, "c", 2, "Parking was awful", 2, "new"),
            (yelp, "d", None, "Heard about an outbreak?", 3, "new"),
        ]
        made = {}
        for source, eid, rating, text, day, status in rows:
            made[eid] = Review.objects.create(
                source=source,
                external_id=eid,
                rating=rating,
                text=text,
                published_at=T0 + timedelta(days=day),
                status=status,
            )
        ReviewScore.objects.create(
            review=made["b"], model_version="t", label="negative", score=-0.9
        )
        ReviewScore.objects.create(review=made["a"], model_version="t", label="positive", score=0.8)
        latest_scores_refresh(review_ids=[made["a"].pk, made["b"].pk])  # as scores_write
        Review.objects.create(
            source=google, external_id="gone", text="deleted", published_at=T0, is_deleted=True
        )
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["d", "c", "b", "a"]),
        ("source=yelp", ["d", "c"]),
        ("rating=5", ["a"]),
        ("rating_max=2", ["c", "b"]),
        ("status=new", ["d", "c"]),
        ("sentiment=negative", ["b"]),
        ("sentiment=unscored", ["d", "c"]),
        ("q=PARKING", ["c"]),
        ("published_from=2026-10-02T00:00:00Z&published_to=2026-10-04T00:00:00Z", ["c", "b"]),
        ("include_deleted=true&source=google", ["b", "gone", "a"]),  # same time: newer id first
    ],
)
def test_filters(inbox, api, query, expected):
    body = api("key_a").get(f"/clinics/clinic-a/api/v1/reviews/?{query}").json()
    assert [r["external_id"] for r in body["results"]] == expected
    assert body["next"] is None


def test_list_shows_the_latest_score(inbox, api):
    rows = {
        r["external_id"]: r
        for r in api("key_a").get("/clinics/clinic-a/api/v1/reviews/").json()["results"]
    }
    assert rows["b"]["sentiment"]["label"] == "negative" and rows["b"]["sentiment"]["score"] == -0.9
    assert rows["d"]["sentiment"] is None


def test_bad_filters_are_400_with_field_messages(inbox, api):
    response = api("key_a").get(
        "/clinics/clinic-a/api/v1/reviews/?rating=9&source=fax&published_from=soon"
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"rating", "source", "published_from"}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("published_from=2026-10-04T00:00:00Z&published_to=2026-10-02T00:00:00Z",
         {"published_to": ["The end of the date range is before its start."]}),
        ("rating=1&rating=2", {"rating": ["Give one value."]}),
        ("source=google&source=yelp", {"source": ["Give one value."]}),
    ],
    ids=["reversed-range", "two-ratings", "two-sources"],
)  # fmt: skip
def test_a_reversed_range_or_a_value_given_twice_is_a_400_naming_it(inbox, api, query, fields):
    response = api("key_a").get(f"/clinics/clinic-a/api/v1/reviews/?{query}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}


@pytest.mark.parametrize(
    ("published_to", "expected"),
    [("2026-10-03T00:00:00Z", []), ("2026-10-03T00:00:01Z", ["c"])],
)
def test_the_end_of_the_range_is_exclusive_and_may_be_its_start(inbox, api, published_to, expected):
    body = api("key_a").get(
        "/clinics/clinic-a/api/v1/reviews/",
        {"published_from": "2026-10-03T00:00:00Z", "published_to": published_to},
    )
    assert body.status_code == 200
    assert [r["external_id"] for r in body.json()["results"]] == expected


def test_cursor_pagination_walks_every_review_once(inbox, api):
    client = api("key_a")
    body = client.get("/clinics/clinic-a/api/v1/reviews/?page_size=3").json()
    seen = [r["external_id"] for r in body["results"]]
    second = client.get(body["next"]).json()
    seen += [r["external_id"] for r in second["results"]]
    assert seen == ["d", "c", "b", "a"] and second["next"] is None
    assert second["previous"]
    assert api("key_a").get("/clinics/clinic-a/api/v1/reviews/?page_size=100000").status_code == 400


def test_staff_inbox_filters_and_bulk_status(inbox, login, clinic_a):
    client = login("alpha_writer")
    page = client.get("/clinics/clinic-a/inbox/?source=yelp").content.decode()
    assert "Parking was awful" in page and "Lovely dentist" not in page
    response = client.post(
        "/clinics/clinic-a/inbox/", {"review": [inbox["c"].pk, inbox["d"].pk], "status": "ignored"}
    )
    assert response.status_code == 302
    with schema_context(clinic_a.schema_name):
        assert set(
            Review.objects.filter(status="ignored").values_list("external_id", flat=True)
        ) == {"c", "d"}


def test_viewers_see_the_inbox_but_cannot_change_it(inbox, login, clinic_a):
    client = login("alpha_analyst")  # the clinic's viewer reads the portal (walk 9 #31)
    assert "Parking was awful" in client.get("/clinics/clinic-a/inbox/").content.decode()
    assert (
        client.post(
            "/clinics/clinic-a/inbox/", {"review": [inbox["c"].pk], "status": "ignored"}
        ).status_code
        == 403
    )
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=inbox["c"].pk).status == "new"


def test_hand_written_output_matches_the_documented_serializers(inbox, api, clinic_a):
    """The list and detail endpoints render rows by hand for speed; their output must stay
    exactly what the documented DRF serializers would write, field for field."""
    from feeds.models import ReviewRevision
    from inbox.apis import ReviewDetailSerializer, ReviewOutputSerializer
    from inbox.selectors import reviews_filtered

    with schema_context(clinic_a.schema_name):
        b = inbox["b"]
        b.parent = inbox["a"]
        b.edited_at = T0 + timedelta(days=5, microseconds=123)
        b.url = "https://maps.example/r/b"
        b.save()
        score_add(
            review=b,
            model_version="t2",
            label="neutral",
            score=0.123456,
            topics=[{"name": "wait_time", "triggers": ["long wait"]}],
            flags=[{"name": "legal_threat", "evidence": ["lawyer"]}],
        )  # newer than the first score: the one shown
        ReviewRevision.objects.create(review=b, kind="edited", text="Rude", rating=2)
        ReviewRevision.objects.create(review=b, kind="edited", text="Rude!", rating=1)
        expected_list = ReviewOutputSerializer(reviews_filtered(), many=True).data
        expected_detail = ReviewDetailSerializer(
            reviews_filtered(include_deleted=True).prefetch_related("revisions").get(pk=b.pk)
        ).data
    client = api("key_a")
    got_list = client.get("/clinics/clinic-a/api/v1/reviews/").json()["results"]
    got_detail = client.get(f"/clinics/clinic-a/api/v1/reviews/{b.pk}/").json()
    import json

    assert got_list == json.loads(json.dumps(expected_list))
    assert got_detail == json.loads(json.dumps(expected_detail))
    assert got_detail["sentiment"]["label"] == "neutral"
    assert got_detail["sentiment"]["score"] == 0.1235
    assert [r["text"] for r in got_detail["revisions"]] == ["Rude!", "Rude"]
    assert got_detail["edited_at"].endswith("Z")


def test_written_json_escapes_text_and_rounds_scores_as_the_serializer(inbox, api, clinic_a):
    """PostgreSQL writes the list's JSON: awkward text must come out as the same string, and
    scores on or near a rounding tie must round as `score_rounded` (and the serializer) does."""
    import json
    import re

    from inbox.apis import ReviewOutputSerializer
    from inbox.selectors import reviews_filtered, score_rounded

    awkward = 'He said "no" \\ then\nleft\t😀 \u2028 \x01 </script> ünïcode'
    scores = [0.03125, -0.03125, 0.12355, 0.123449999, -0.00001, 1.0, -1.0, 0.0, 0.45, 0.99995]
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="facebook", name='Page "Main" \\ ü')
        for n, value in enumerate(scores):
            review = Review.objects.create(
                source=source,
                external_id=f"s{n}",
                text=awkward,
                author_name=awkward,
                published_at=T0 + timedelta(days=10, seconds=n, microseconds=n * 7),
            )
            score_add(review=review, model_version="t", label="neutral", score=value)
        expected = ReviewOutputSerializer(reviews_filtered(source="facebook"), many=True).data
    response = api("key_a").get("/clinics/clinic-a/api/v1/reviews/?source=facebook")
    got = response.json()["results"]
    assert got == json.loads(json.dumps(expected))
    assert {r["text"] for r in got} == {awkward}
    by_id = {r["external_id"]: r["sentiment"]["score"] for r in got}
    assert [by_id[f"s{n}"] for n in range(len(scores))] == [score_rounded(v) for v in scores]
    assert [score_rounded(v) for v in scores] == [
        0.0313,
        -0.0313,
        0.1236,
        0.1234,
        0.0,
        1.0,
        -1.0,
        0.0,
        0.45,
        1.0,
    ]  # half away from zero, no "-0.0"
    assert b'"score" : 1.0,' in response.content  # a float stays a float: 1.0, not 1
    assert not re.search(rb'"score" : -0\.0[,}]', response.content)


@pytest.fixture
def crowd(clinic_a):
    """25 reviews, 10 of them published at the same instant: the ordering key's tie-breaker
    (id) must carry the cursor."""
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        for n in range(25):
            at = T0 + timedelta(hours=5) if n < 10 else T0 + timedelta(minutes=n)
            Review.objects.create(source=source, external_id=f"c{n}", text="x", published_at=at)
        return list(
            Review.objects.order_by("-published_at", "-id").values_list("external_id", flat=True)
        )


def test_cursor_pages_walk_forward_and_back_through_ties(crowd, api):
    client = api("key_a")
    pages, url = [], "/clinics/clinic-a/api/v1/reviews/?page_size=4"
    body = None
    while url:
        body = client.get(url).json()
        pages.append([r["external_id"] for r in body["results"]])
        url = body["next"]
    assert [eid for page in pages for eid in page] == crowd
    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 4, 1]
    back, url, newest = [], body["previous"], None
    while True:
        body = client.get(url).json()
        if not body["results"]:  # past the newest page: kept, it answers what arrives later
            break
        back.append([r["external_id"] for r in body["results"]])
        newest, url = body, body["previous"]
    assert back == pages[-2::-1]  # the same pages, in reverse
    assert body["previous"] == url  # nothing newer yet: the same place
    assert [r["external_id"] for r in client.get(newest["next"]).json()["results"]] == pages[1]


@pytest.mark.parametrize(
    "cursor", ["garbage", "cD1ub3QtYS1rZXk=", "cD0yMDI2LTEwLTAxVDA1OjAwOjAwWnxhYmM="]
)
def test_a_tampered_cursor_is_400(crowd, api, cursor):
    response = api("key_a").get(f"/clinics/clinic-a/api/v1/reviews/?cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"source": "yelp"},
        {"source": "fax"},
        {"source_id": 999999},
        {"rating": 1},
        {"rating_max": 2},
        {"status": "new"},
        {"sentiment": "negative"},
        {"sentiment": "positive", "rating": 5},
        {"sentiment": "unscored"},
        {"q": "parking"},
        {"q": "  WAIT "},
        {"q": "100%_off\\"},
        {"published_from": T0 + timedelta(days=1), "published_to": T0 + timedelta(days=3)},
        {"include_deleted": True},
        {"include_deleted": True, "source": "google", "status": "new"},
        {"rating": 0, "q": ""},  # falsy filters filter nothing, in both
        {"topic": "wait_time"},
        {"topic": "wait_time", "topic_sentiment": "negative"},
        {"topic_sentiment": "negative"},
        {"sla": "breached"},
        {"order": "oldest"},
        {"order": "rating"},
        {"order": "rating", "rating_max": 2, "include_deleted": True},
        {"order": "reach", "source": "google"},
    ],
)
def test_the_api_query_matches_the_inbox_query_for_every_filter(inbox, clinic_a, filters):
    """The API's SQL (`reviews_page_json`) and the ORM query of the staff inbox
    (`reviews_matching`) are two spellings of one filter set: they must select the same
    reviews in the same order."""
    import json

    from inbox.selectors import reviews_matching, reviews_page_json

    with schema_context(clinic_a.schema_name):
        Review.objects.create(
            source=inbox["a"].source, external_id="odd", text="100%_off\\ today", published_at=T0
        )
        wait = {"name": "wait_time", "triggers": ["wait"], "sentiment": "negative"}
        score_add(review=inbox["c"], model_version="t", label="neutral", score=0.0, topics=[wait])
        Review.objects.create(  # past the reply target now
            source=inbox["a"].source, external_id="late", rating=1, text="Still no answer",
            published_at=timezone.now() - timedelta(days=2),
        )  # fmt: skip
        expected = list(reviews_matching(**filters).values_list("id", flat=True))
        got = reviews_page_json(filters, after=None, newer=False, limit=100)
    assert [json.loads(item.json)["id"] for item in got] == expected
    assert [item.key[-1] for item in got] == expected


def test_a_review_imported_as_past_says_so_in_the_list_and_the_detail(inbox, api, clinic_a):
    # given a review imported as history (a CSV import of past reviews) beside today's
    with schema_context(clinic_a.schema_name):
        past = Review.objects.create(
            source=inbox["a"].source,
            external_id="past",
            rating=1,
            text="Years ago the wait was long",
            published_at=T0 - timedelta(days=400),
            imported_as_past=True,
        )
    client = api("key_a")

    # then the API says which reviews are past ones, as the reply editor's page does
    listed = client.get("/clinics/clinic-a/api/v1/reviews/?order=oldest").json()["results"]
    assert [(r["external_id"], r["imported_as_past"]) for r in listed] == [
        ("past", True), ("a", False), ("b", False), ("c", False), ("d", False),
    ]  # fmt: skip
    detail = client.get(f"/clinics/clinic-a/api/v1/reviews/{past.pk}/").json()
    assert detail["imported_as_past"] is True
    assert (
        client.get(f"/clinics/clinic-a/api/v1/reviews/{inbox['b'].pk}/").json()["imported_as_past"]
        is False
    )
