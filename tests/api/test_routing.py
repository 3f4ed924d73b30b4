"""API paths answer the same with or without their trailing slash, and unknown API paths answer
the JSON 404 envelope: never a redirect, an HTML page or a 5xx."""

from __future__ import annotations

import re

import pytest

from tests.api.test_examples import METHODS, openapi_schema

_SCHEMA = openapi_schema()
ROUTES = sorted(
    (method, path)
    for path, item in _SCHEMA["paths"].items()
    for method in item
    if method in METHODS
)


def _concrete(path: str) -> str:
    path = path.replace("{clinic}", "clinic-a")
    return re.sub(r"\{\w+\}", "999999", path)


def _call(client, method: str, path: str):
    if method in ("get", "delete"):
        return getattr(client, method)(path)
    return getattr(client, method)(path, "{}", content_type="application/json")


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_answers_the_same_with_or_without_its_slash(api, method, path):
    key = api("key_alpha")
    with_slash = _concrete(path if path.endswith("/") else f"{path}/")
    answers = [_call(key, method, p) for p in (with_slash, with_slash[:-1])]

    for answer in answers:
        assert answer.status_code < 500, (method, answer.status_code)
        assert not 300 <= answer.status_code < 400, answer.status_code
        if answer.content:
            assert answer["Content-Type"].startswith(
                ("application/json", "text/csv", "application/pdf")
            ), answer["Content-Type"]
    assert answers[0].status_code == answers[1].status_code
    if answers[0].get("Content-Type", "").startswith("application/json"):
        assert answers[0].json() == answers[1].json()


def test_ingest_without_its_slash_stores_the_review(api):
    body = {
        "source": "google",
        "external_id": "no-slash-1",
        "text": "Kind staff.",
        "published_at": "2026-11-28T09:00:00Z",
    }
    answer = api("key_a").post(
        "/clinics/clinic-a/api/v1/reviews/ingest", body, content_type="application/json"
    )

    assert answer.status_code == 200, answer.content
    assert answer.json()["results"][0]["status"] == "created"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/v1/nothing-here",
        "/api/",
        "/api/v2/clinics/",
        "/clinics/clinic-a/api/v1/nothing-here/",
        "/clinics/clinic-a/api/v1/reviews/ingest/extra",
        "/clinics/clinic-a/api/",
        "/clinics/clinic-a/api/v1/compliance/check/x/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_api_paths_answer_the_json_404(api, path, method):
    answer = getattr(api("key_a"), method)(path)

    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {"detail": "Not found.", "code": "not_found"}
