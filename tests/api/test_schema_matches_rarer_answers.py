"""Integrator walk-through: answers the examples scenario never records (a batch with rejected
items, its replay, a key reused with another body, an old client's `page=1`) are checked
against the served OpenAPI document with the examples' own validator; and the document says
how long an `Idempotency-Key` may be (a longer one is a 400)."""

from __future__ import annotations

import json

import pytest

from feeds.services.ingest import MAX_IDEMPOTENCY_KEY
from tests.api.test_examples import _template, openapi_schema, schema_mismatches

SCHEMA = openapi_schema()
INGEST = "/clinics/clinic-a/api/v1/reviews/ingest/"
ITEM = {
    "source": "google",
    "external_id": "schema-1",
    "author_name": "Pat",
    "rating": 4,
    "text": "Fine",
    "published_at": "2026-11-01T10:00:00Z",
}
BAD = {**ITEM, "external_id": None, "rating": 9, "published_at": "soon"}


def _mismatches(method: str, url: str, answer) -> list[str]:
    name = f"{method} {_template(url.split('?')[0])}"
    body = {"body": answer.json()}
    return schema_mismatches(SCHEMA, {name: {"responses": {str(answer.status_code): body}}})


def _push(client, body, key: str | None = None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(INGEST, json.dumps(body), content_type="application/json", **extra)


def test_a_batch_its_replay_and_a_reused_key_answer_what_the_document_says(api, clinic_a):
    client = api("key_a")
    first = _push(client, {"items": [ITEM, BAD, "nope"]}, key="schema-k")
    replay = _push(client, {"items": [ITEM, BAD, "nope"]}, key="schema-k")
    reused = _push(client, {"items": [ITEM]}, key="schema-k")

    assert [a.status_code for a in (first, replay, reused)] == [200, 200, 409]
    assert first.json()["counts"]["rejected"] == 2 and replay.json()["replayed"] is True
    assert [m for a in (first, replay, reused) for m in _mismatches("POST", INGEST, a)] == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/clinics/",
        "/clinics/clinic-a/api/v1/reviews/",
        "/clinics/clinic-a/api/v1/scores/",
        "/clinics/clinic-a/api/v1/reply-templates/",
    ],
)
def test_an_old_clients_first_page_answers_what_the_document_says(login, url):
    answer = login("alpha_owner").get(url, {"page": 1, "page_size": 1})
    assert answer.status_code == 200
    assert _mismatches("GET", url, answer) == []


def test_the_document_gives_the_idempotency_keys_length(api, clinic_a):
    operation = SCHEMA["paths"]["/clinics/{clinic}/api/v1/reviews/ingest/"]["post"]
    [header] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["schema"] == {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY}
    # and a key one longer is refused, as it says
    answer = _push(api("key_a"), {"items": [ITEM]}, key="k" * (MAX_IDEMPOTENCY_KEY + 1))
    assert (answer.status_code, list(answer.json()["fields"])) == (400, ["Idempotency-Key"])
