"""Inputs renamed for one name per thing still work for one release under their old names, and
say so with a `Deprecation` header (CHANGELOG.md)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core.api import DEPRECATED_SINCE
from tests.fixtures.rows import score_add

CLINIC = "/clinics/clinic-a/api/v1"
ITEM = {"source": "google", "text": "Kind staff.", "published_at": "2026-11-28T09:00:00Z"}


def _ingest(client, **fields):
    body = {"items": [{**ITEM, **fields}]}
    return client.post(f"{CLINIC}/reviews/ingest/", body, "application/json")


def test_author_is_still_read_as_author_name_with_a_deprecation_header(api):
    key = api("key_a")

    old = _ingest(key, external_id="dep-1", author="Sam R.")
    new = _ingest(key, external_id="dep-2", author_name="Sam R.")

    assert (old["Deprecation"], old["X-Deprecated-Inputs"]) == (DEPRECATED_SINCE, "author")
    assert "Deprecation" not in new
    for answer in (old, new):
        review = key.get(f"{CLINIC}/reviews/{answer.json()['results'][0]['id']}/").json()
        assert review["author_name"] == "Sam R."


def test_the_scores_filter_label_is_now_sentiment(api):
    key = api("key_a")

    old = key.get(f"{CLINIC}/scores/", {"label": "negative"})
    new = key.get(f"{CLINIC}/scores/", {"sentiment": "negative"})

    assert old.status_code == new.status_code == 200
    assert old.json()["results"] == new.json()["results"]
    assert old["Deprecation"] == DEPRECATED_SINCE and "Deprecation" not in new
    assert key.get(f"{CLINIC}/scores/", {"sentiment": "angry"}).status_code == 400


def test_per_item_errors_have_the_shape_of_every_other_field_error(api):
    answer = _ingest(api("key_a"), external_id="dep-3", rating=9).json()

    assert answer["results"][0]["errors"] == {"rating": ["Must be between 1 and 5."]}


def test_per_item_errors_are_named_fields_as_in_every_error(api):
    answer = _ingest(api("key_a"), external_id="dep-4", rating=9).json()
    [result] = answer["results"]

    assert result["fields"] == {"rating": ["Must be between 1 and 5."]}
    assert result["errors"] == result["fields"]  # the deprecated name, for one release


def test_score_topics_name_their_words_evidence_as_flags_do(api, clinic_a):
    key = api("key_a")
    [review_id] = [r["id"] for r in _ingest(key, external_id="dep-5").json()["results"]]
    with schema_context(clinic_a.schema_name):
        score_add(
            review_id=review_id, model_version="m-names", label="negative", score=-0.5,
            confidence=0.9, topics=[{"name": "wait_time", "triggers": ["waited"]}],
            flags=[{"name": "legal_threat", "evidence": ["lawyer"]}],
        )  # fmt: skip

    [score] = key.get(f"{CLINIC}/scores/", {"review_id": review_id}).json()["results"]
    review = key.get(f"{CLINIC}/reviews/{review_id}/").json()
    [listed] = [
        r for r in key.get(f"{CLINIC}/reviews/", {"page_size": 1000}).json()["results"]
        if r["id"] == review_id
    ]  # fmt: skip
    suggestion = key.get(f"{CLINIC}/reviews/{review_id}/suggestion/").json()

    for topics in (score["topics"], review["sentiment"]["topics"], listed["sentiment"]["topics"]):
        [topic] = topics
        assert (topic["name"], topic["evidence"], topic["triggers"]) == (
            "wait_time", ["waited"], ["waited"],
        )  # fmt: skip
    assert score["flags"] == [{"name": "legal_threat", "evidence": ["lawyer"]}]
    assert [(t["name"], t["evidence"]) for t in suggestion["topics"]] == [("wait_time", ["waited"])]
    assert suggestion["flags"] == [{"name": "legal_threat", "evidence": ["lawyer"]}]
