"""API push: per-item results, idempotency, limits and bad input that changes nothing."""

import json

import pytest
from django.test.client import MULTIPART_CONTENT
from django_tenants.utils import schema_context

from feeds.models import IngestRequest, Review, ReviewRevision, Source

URL = "/clinics/clinic-a/api/v1/reviews/ingest/"


def item(n=1, **over):
    return {
        "source": "google",
        "external_id": f"g-{n}",
        "author": "Pat",
        "rating": 4,
        "text": f"Nice visit {n}",
        "published_at": "2026-11-01T10:00:00Z",
        **over,
    }


def post(client, body, **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **headers)


def count(clinic):
    with schema_context(clinic.schema_name):
        return Review.objects.count()


def test_one_item_is_created_then_unchanged_then_updated_with_history(api, clinic_a):
    client = api("key_a")
    first = post(client, item())
    assert first.status_code == 200
    assert first.json()["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    review_id = first.json()["results"][0]["id"]
    assert post(client, item()).json()["results"][0] == {
        "index": 0,
        "external_id": "g-1",
        "status": "unchanged",
        "id": review_id,
    }
    edited = post(
        client, item(text="Edited: not so nice", rating=2, edited_at="2026-11-02T10:00:00Z")
    )
    assert edited.json()["results"][0]["status"] == "updated"
    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(pk=review_id)
        assert (review.text, review.rating) == ("Edited: not so nice", 2)
        revision = ReviewRevision.objects.get(review=review)
        assert (revision.kind, revision.text, revision.rating) == ("edit", "Nice visit 1", 4)
    detail = client.get(f"/clinics/clinic-a/api/v1/reviews/{review_id}/").json()
    assert detail["revisions"][0]["text"] == "Nice visit 1"


def test_a_mixed_batch_stores_the_good_items_and_explains_each_bad_one(api, clinic_a):
    before = count(clinic_a)
    body = {
        "items": [
            item(1),
            item(2, rating=9),
            item(3, source="myspace"),
            item(4, published_at="yesterday"),
            item(5, text="x" * 20_001),
            item(6, likes="many"),
            {"source": "google", "text": "no id", "published_at": "2026-11-01T10:00:00Z"},
            "not an object",
            item(7, rating=None, kind="mention"),
            item(8, colour="blue"),
        ]
    }
    response = post(api("key_a"), body)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "created",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "created",
        "rejected",
    ]
    assert results[1]["errors"] == {"rating": ["Must be between 1 and 5."]}
    assert "Unknown source 'myspace'" in results[2]["errors"]["source"][0]
    assert "Not an ISO 8601 time" in results[3]["errors"]["published_at"][0]
    assert results[4]["errors"] == {"text": ["At most 20,000 characters (got 20,001)."]}
    assert "Must be an integer" in results[5]["errors"]["likes"][0]
    assert results[6]["errors"] == {"external_id": ["This field is required."]}
    assert results[7]["errors"] == {"item": ["Must be a JSON object."]}
    assert results[9]["errors"] == {"colour": ["Unknown field."]}
    assert count(clinic_a) == before + 2


def test_a_repeated_external_id_in_one_batch_keeps_the_last(api, clinic_a):
    results = post(api("key_a"), [item(1, text="first"), item(1, text="second")]).json()["results"]
    assert results[0]["status"] == "rejected" and results[0]["errors"]["external_id"] == [
        "Repeated in this batch at index 1."
    ]
    assert results[1]["status"] == "created"
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(external_id="g-1").text == "second"


def test_a_batch_over_1000_is_413_and_stores_nothing(api, clinic_a):
    before = count(clinic_a)
    response = post(api("key_a"), [item(n) for n in range(1001)])
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert response.json()["fields"] == {"items": ["At most 1,000 items (got 1,001)."]}
    assert count(clinic_a) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"items": [', "The body is not valid JSON (line 1, column 12)."),
        (
            b'{"items": [\n  {"external_id": 1,}]}',
            "The body is not valid JSON (line 2, column 21).",
        ),
        (b"\xff\xfe{}", "The body is not UTF-8."),
        (b'{"likes": NaN}', "The body is not valid JSON: NaN is not a JSON number."),
    ],
    ids=["truncated", "trailing-comma", "not-utf8", "nan"],
)
def test_a_body_that_is_not_json_is_a_parse_error_in_words(api, clinic_a, body, message):
    before = count(clinic_a)

    response = post(api("key_a"), body)

    assert response.status_code == 400
    assert response.json() == {
        "detail": message,
        "code": "parse_error",
        "fields": {"body": [message]},
    }
    assert count(clinic_a) == before


@pytest.mark.parametrize(
    ("body", "status"),
    [(b'{"items": [', 400), (b"\xff\xfe{}", 400), (b"[]", 400), (b'"just a string"', 400)],
    ids=["truncated-json", "invalid-utf8", "empty", "string"],
)
def test_malformed_bodies_are_400_and_store_nothing(api, clinic_a, body, status):
    before = count(clinic_a)
    response = post(api("key_a"), body)
    assert response.status_code == status
    assert response.json()["detail"]
    assert count(clinic_a) == before


def test_html_is_stored_as_text_and_escaped_on_pages(api, login, clinic_a):
    payload = '<script>alert("x")</script><b>bold</b>'
    review_id = post(api("key_a"), item(text=payload)).json()["results"][0]["id"]
    assert (
        api("key_a").get(f"/clinics/clinic-a/api/v1/reviews/{review_id}/").json()["text"] == payload
    )
    page = login("alpha_writer").get(f"/clinics/clinic-a/inbox/{review_id}/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_idempotency_key_replays_the_first_answer(api, clinic_a):
    client = api("key_a")
    first = post(client, [item(1), item(2)], HTTP_IDEMPOTENCY_KEY="batch-77")
    again = post(client, [item(1), item(2)], HTTP_IDEMPOTENCY_KEY="batch-77")
    assert again.json() == {**first.json(), "replayed": True}
    assert again.json()["counts"]["created"] == 2  # the first answer, not "unchanged"
    conflict = post(client, [item(3)], HTTP_IDEMPOTENCY_KEY="batch-77")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_key_reused"
    with schema_context(clinic_a.schema_name):
        assert IngestRequest.objects.filter(key="batch-77").count() == 1
        assert not Review.objects.filter(external_id="g-3").exists()


def test_read_only_key_and_analyst_cannot_push(api, login, clinic_a):
    before = count(clinic_a)
    assert post(api("key_a_read"), item()).status_code == 403
    assert post(login("alpha_analyst"), item()).status_code == 403
    assert count(clinic_a) == before


def test_items_land_in_the_clinic_of_the_url_only(api, clinic_a, clinic_b):
    post(api("key_alpha"), item(42))
    with schema_context(clinic_b.schema_name):
        assert not Review.objects.filter(external_id="g-42").exists()
    with schema_context(clinic_a.schema_name):
        assert Review.objects.filter(external_id="g-42").exists()


def test_new_and_changed_items_are_queued_for_scoring_after_commit(
    api, clinic_a, django_capture_on_commit_callbacks
):
    from scoring.models import ReviewScore  # noqa: F401 - the table exists in the clinic schema

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(api("key_a"), [item(1), item(2)])
    assert len(_scoring(callbacks)) == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(api("key_a"), [item(1), item(2)])  # unchanged: nothing to score
    assert callbacks == []


def _scoring(callbacks):
    """The after-commit callbacks other than the dashboard's refresh request (core.rollup)."""
    return [c for c in callbacks if c.__module__ != "core.rollup"]


def test_source_id_routes_to_a_named_source(api, clinic_a):
    with schema_context(clinic_a.schema_name):
        pages = [Source.objects.create(kind="facebook", name=f"Page {n}") for n in (1, 2)]
    ambiguous = post(api("key_a"), item(source="facebook")).json()["results"][0]
    assert "several facebook sources" in ambiguous["errors"]["source"][0]
    ok = post(api("key_a"), {**item(), "source": None, "source_id": pages[1].pk}).json()["results"][
        0
    ]
    assert ok["status"] == "created"
    missing = post(api("key_a"), {**item(9), "source": None, "source_id": 99999}).json()["results"][
        0
    ]
    assert missing["errors"] == {"source_id": ["No source with id 99999 in this clinic."]}


def test_new_reviews_emit_review_created_webhooks(api, clinic_a, settings):
    from webhooks.models import WebhookDelivery
    from webhooks.services import subscription_create

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    with schema_context(clinic_a.schema_name):
        subscription_create(url="http://127.0.0.1:9/hook", events=["review.created"])
    post(api("key_a"), [item(1), item(2)])
    post(api("key_a"), [item(1), item(2)])  # unchanged: no new events
    with schema_context(clinic_a.schema_name):
        deliveries = list(WebhookDelivery.objects.filter(event="review.created"))
    assert sorted(d.payload["review"]["external_id"] for d in deliveries) == ["g-1", "g-2"]
    assert {d.payload["review"]["source"] for d in deliveries} == {"google"}


def test_a_form_body_is_415_and_stores_nothing(api, clinic_a):
    before = count(clinic_a)
    response = api("key_a").post(URL, {"items": "x"}, content_type=MULTIPART_CONTENT)
    assert response.status_code == 415
    assert response.json() == {
        "detail": "The body must be JSON (Content-Type: application/json), not "
        "multipart/form-data.",
        "code": "unsupported_media_type",
    }
    assert count(clinic_a) == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"items": ["This field is required."]}),
        ({"data": [item()]}, {"items": ["This field is required."]}),
        ({"items": item()}, {"items": ["Expected a list of items."]}),
        ({"items": "g-1"}, {"items": ["Expected a list of items."]}),
        ({"items": None}, {"items": ["Expected a list of items."]}),
        ({"items": []}, {"items": ["The batch is empty."]}),
        ([], {"items": ["The batch is empty."]}),
        ("just a string", {"body": ['Send {"items": [...]}, a list of items or one item.']}),
    ],
    ids=[
        "empty-object",
        "no-items-key",
        "items-object",
        "items-string",
        "items-null",
        "items-empty",
        "bare-empty-list",
        "string",
    ],
)
def test_a_body_not_shaped_as_a_batch_is_400_naming_items_and_stores_nothing(
    api, clinic_a, body, fields
):
    before = count(clinic_a)

    response = post(api("key_a"), json.dumps(body), HTTP_IDEMPOTENCY_KEY="shape-1")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}
    assert count(clinic_a) == before
    with schema_context(clinic_a.schema_name):
        assert not IngestRequest.objects.filter(key="shape-1").exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [({"items": [item(1)]}, "created"), ([item(1)], "created"), (item(1), "created")],
    ids=["batch", "bare-list", "one-item"],
)
def test_the_documented_body_shapes_are_read(api, clinic_a, body, status):
    response = post(api("key_a"), body)

    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == [status]


@pytest.mark.parametrize("name", ["author_name", "author"])
def test_a_field_message_is_keyed_by_the_name_sent(api, clinic_a, name):
    sent = {k: v for k, v in item(1).items() if k != "author"}

    result = post(api("key_a"), {"items": [{**sent, name: "P" * 201}]}).json()["results"][0]

    assert result["status"] == "rejected"
    assert result["fields"] == {name: ["At most 200 characters (got 201)."]}


def test_a_repeated_external_id_names_the_index_that_wins_in_words(api, clinic_a):
    results = post(api("key_a"), {"items": [item(1), item(1, text="again")]}).json()["results"]

    assert results[0]["fields"] == {"external_id": ["Repeated in this batch at index 1."]}


def test_a_value_that_cannot_be_stored_rejects_its_item_alone(api, clinic_a):
    # given a batch whose bad items would each have failed the whole request before
    before = count(clinic_a)
    body = [
        item(1),
        item(2, likes=10**30),
        item(3, text="a\x00b"),
        item(4, likes=-3),
        item(5, rating=10**40),
        {**item(6), "source": None, "source_id": 10**30},
        item(7, external_id="g-\x00"),
        item(8),
    ]

    # when
    response = post(api("key_a"), body, HTTP_IDEMPOTENCY_KEY="per-item-1")

    # then
    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", *["rejected"] * 6, "created"]
    assert results[1]["fields"] == {"likes": ["Must be between 0 and 2,147,483,647."]}
    assert results[2]["fields"] == {
        "text": ["Contains a NUL character (\\u0000), which cannot be stored."]
    }
    assert results[3]["fields"] == {"likes": ["Must be between 0 and 2,147,483,647."]}
    assert results[4]["fields"] == {"rating": ["Must be between 1 and 5."]}
    assert results[5]["fields"] == {
        "source_id": ["Must be between 1 and 9,223,372,036,854,775,807."]
    }
    assert results[6]["external_id"] is None  # not echoed: it is what cannot be stored
    assert list(results[6]["fields"]) == ["external_id"]
    assert count(clinic_a) == before + 2
    with schema_context(clinic_a.schema_name):  # the answer is kept for a retry
        assert IngestRequest.objects.get(key="per-item-1").response["counts"]["created"] == 2


@pytest.mark.parametrize(
    ("over", "fields"),
    [
        ({"text": 12345}, {"text": ["Must be a string."]}),
        ({"external_id": 77}, {"external_id": ["Must be a string."]}),
        ({"author": True}, {"author": ["Must be a string."]}),
        ({"language": ["en"]}, {"language": ["Must be a string."]}),
        ({"deleted": "yes"}, {"deleted": ["Must be true or false."]}),
        ({"deleted": 1}, {"deleted": ["Must be true or false."]}),
        ({"deleted": None}, {"deleted": ["Must be true or false."]}),
        ({"deleted": ""}, {"deleted": ["Must be true or false."]}),
        ({"colour": "red", "size": 2}, {"colour": ["Unknown field."], "size": ["Unknown field."]}),
    ],
    ids=["text-number", "id-number", "author-bool", "language-list", "deleted-word",
         "deleted-number", "deleted-null", "deleted-empty", "unknown-fields"],
)  # fmt: skip
def test_a_value_of_the_wrong_json_type_rejects_the_item_naming_the_field(
    api, clinic_a, over, fields
):
    before = count(clinic_a)

    result = post(api("key_a"), [item(1, **over), item(2)]).json()["results"]

    assert result[0]["status"] == "rejected"
    assert result[0]["fields"] == fields
    assert result[1]["status"] == "created"
    assert count(clinic_a) == before + 1


def test_deleted_null_never_brings_a_deleted_review_back(api, clinic_a):
    # given a review its platform took down
    client = api("key_a")
    review_id = post(client, item(1)).json()["results"][0]["id"]
    assert post(client, item(1, deleted=True)).json()["results"][0]["status"] == "updated"

    # when the sender sends it again with "deleted": null
    result = post(client, item(1, deleted=None)).json()["results"][0]

    # then the item is refused naming the field, and the review stays deleted
    assert (result["status"], result["fields"]) == (
        "rejected",
        {"deleted": ["Must be true or false."]},
    )
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=review_id).is_deleted is True


def test_a_source_that_is_not_the_source_of_its_source_id_rejects_the_item(api, clinic_a):
    # given the clinic's Google source, which the first push creates
    google_id = post(api("key_a"), item(1)).json()["results"][0]["id"]
    with schema_context(clinic_a.schema_name):
        google = Review.objects.get(pk=google_id).source

    # when an item names Facebook with the Google source's id, and another both for Google
    results = post(
        api("key_a"),
        [
            {**item(2), "source": "facebook", "source_id": google.pk},
            {**item(3), "source": "google", "source_id": google.pk},
        ],
    ).json()["results"]

    # then the first is rejected naming both fields, and nothing is stored for it
    assert results[0]["status"] == "rejected"
    assert results[0]["fields"] == {
        "source": [
            f"source “facebook” does not match source_id {google.pk}, a google source: send "
            "one of source and source_id, or both naming the same source."
        ]
    }
    assert results[1]["status"] == "created"
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.filter(external_id="g-2").exists()
        assert not Source.objects.filter(kind="facebook").exists()


def test_an_idempotency_key_too_long_is_a_400_naming_the_header(api, clinic_a):
    before = count(clinic_a)

    response = post(api("key_a"), item(1), HTTP_IDEMPOTENCY_KEY="k" * 1000)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Idempotency-Key is longer than 200 characters.",
        "code": "invalid",
        "fields": {"Idempotency-Key": ["At most 200 characters (got 1,000)."]},
    }
    assert count(clinic_a) == before
