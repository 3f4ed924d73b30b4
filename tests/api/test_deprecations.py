"""Inputs renamed for one name per thing still work for one release under their old names, and
say so with a `Deprecation` header (CHANGELOG.md)."""

from __future__ import annotations

from core.api import DEPRECATED_SINCE

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
