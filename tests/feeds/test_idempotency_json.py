"""Walk 14 #19: an Idempotency-Key compared the body's bytes, so a retry of the same JSON written
another way (spaces, key order: what HTTP libraries' retry wrappers do) was a 409
`idempotency_key_reused`. It now compares the JSON; keys stored before (under the bytes'
fingerprint) still match a byte-identical retry."""

from __future__ import annotations

import hashlib
import json

from django_tenants.utils import schema_context

from feeds.models import IngestRequest, Review

URL = "/clinics/clinic-a/api/v1/reviews/ingest/"
ITEM = {
    "source": "google",
    "external_id": "idem-1",
    "author_name": "Pat",
    "rating": 4,
    "text": "Nice visit — thank you",
    "published_at": "2026-11-01T10:00:00Z",
}


def _post(client, raw: str, key: str):
    return client.post(URL, data=raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def _reviews(clinic) -> int:
    with schema_context(clinic.schema_name):
        return Review.objects.count()


def test_the_same_json_written_another_way_is_a_replay(api, clinic_a):
    client = api("key_a")
    compact = json.dumps({"items": [ITEM]}, separators=(",", ":"))
    first = _post(client, compact, "idem-json")
    assert first.json()["counts"]["created"] == 1
    # when the retry is pretty-printed, with its keys in another order and escapes
    pretty = json.dumps({"items": [dict(reversed(ITEM.items()))]}, indent=2, ensure_ascii=True)
    assert pretty.encode() != compact.encode()
    again = _post(client, pretty, "idem-json")
    # then it is the first answer, replayed
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert _reviews(clinic_a) == 1


def test_another_body_is_still_refused(api, clinic_a):
    client = api("key_a")
    _post(client, json.dumps({"items": [ITEM]}), "idem-other")
    other = _post(client, json.dumps({"items": [{**ITEM, "rating": 5}]}), "idem-other")
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")


def test_a_key_stored_under_the_bytes_fingerprint_still_replays(api, clinic_a):
    # given a key stored before the change: its fingerprint is the body's bytes'
    raw = json.dumps({"items": [ITEM]}, indent=1)
    answer = {"counts": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}, "results": []}
    with schema_context(clinic_a.schema_name):
        IngestRequest.objects.create(
            key="idem-old", request_hash=hashlib.sha256(raw.encode()).hexdigest(), response=answer
        )
    # when the same bytes come again
    again = _post(api("key_a"), raw, "idem-old")
    # then the stored answer is replayed, and nothing is stored
    assert again.json() == {**answer, "replayed": True}
    assert _reviews(clinic_a) == 0


def test_a_replay_is_the_first_answer_byte_for_byte(api, clinic_a):
    # given a batch whose answer holds objects of several keys (a rejected item's fields)
    client = api("key_a")
    items = [ITEM, {**ITEM, "external_id": "idem-bad", "rating": 9, "published_at": "soon"}]
    raw = json.dumps({"items": items})
    first = _post(client, raw, "idem-bytes")
    assert first.json()["counts"]["rejected"] == 1
    # when it is sent again
    again = _post(client, raw, "idem-bytes")
    # then the replay is the first answer's bytes, keys in the same order, with `replayed` last
    assert again.content == first.content[:-1] + b',"replayed":true}'
    assert list(again.json()) == [*first.json(), "replayed"]
