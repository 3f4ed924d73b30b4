"""Every list pages the same way: the envelope `{"next", "previous", "results"}`, cursor links,
`page_size` 1 to MAX_PAGE_SIZE. The checks walk the generated OpenAPI document (built from the
URL conf), so an endpoint added in another branch is checked at merge: a list answering a bare
array, a count or page numbers fails here."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from core.api import MAX_PAGE_SIZE, PAGE_PARAM_GONE
from tests.api.test_examples import METHODS, openapi_schema

SCHEMA = openapi_schema()
COMPONENTS = SCHEMA["components"]["schemas"]
OPERATIONS = [
    (method, path, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in METHODS
]
ENVELOPE = {"next", "previous", "results"}


def _json_success(operation: dict) -> list[dict]:
    return [
        answer["content"]["application/json"]["schema"]
        for code, answer in operation["responses"].items()
        if code.startswith("2") and "application/json" in answer.get("content", {})
    ]


def _component(schema: dict) -> dict:
    return COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema


def _is_envelope(schema: dict) -> bool:
    return "results" in _component(schema).get("properties", {})


LISTS = [
    (method, path, operation)
    for method, path, operation in OPERATIONS
    if method == "get" and any(_is_envelope(s) for s in _json_success(operation))
]
LIST_IDS = [operation["operationId"] for _, _, operation in LISTS]


def test_the_document_has_the_lists():
    # the lists of the API as of this release; a new one only adds to them
    assert len(LISTS) >= 21


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    OPERATIONS,
    ids=[f"{m.upper()} {p}" for m, p, _ in OPERATIONS],
)
def test_no_operation_answers_a_bare_array_or_a_count(method, path, operation):
    for schema in _json_success(operation):
        body = _component(schema)
        assert body.get("type") != "array", "a list answers the envelope, not a bare array"
        assert "count" not in body.get("properties", {}) or not _is_envelope(schema)
    names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    assert "page" not in names  # cursors only
    if operation["operationId"].endswith("_list"):
        assert method != "get" or (method, path, operation) in LISTS


@pytest.mark.parametrize(("method", "path", "operation"), LISTS, ids=LIST_IDS)
def test_every_list_answers_the_one_envelope(method, path, operation):
    [schema] = _json_success(operation)
    body = _component(schema)

    assert set(body["properties"]) == ENVELOPE
    assert set(body["required"]) == ENVELOPE
    for link in ("next", "previous"):
        assert body["properties"][link]["type"] == "string"
        assert body["properties"][link]["nullable"] is True
    assert body["properties"]["results"]["type"] == "array"
    assert operation["operationId"].endswith("_list")
    parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert parameters["cursor"]["schema"]["type"] == "string"
    assert parameters["page_size"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_PAGE_SIZE,
    }


# --- the same, live: every list that needs no id, called as an agency owner ---------------------

LIVE = [
    path.replace("{clinic}", "clinic-a")
    for _, path, _ in LISTS
    if not re.search(r"\{(?!clinic\})", path)
]


@pytest.mark.parametrize("url", LIVE)
def test_every_list_pages_the_same_way_live(login, url):
    client = login("alpha_owner")

    page = client.get(url, {"page_size": 1})
    assert page.status_code == 200, page.content
    assert set(page.json()) == ENVELOPE
    assert page.json()["previous"] is None or "scores" in url or "reviews" in url
    assert len(page.json()["results"]) <= 1

    for size in ("0", str(MAX_PAGE_SIZE + 1), "x"):
        answer = client.get(url, {"page_size": size})
        assert answer.status_code == 400
        assert list(answer.json()["fields"]) == ["page_size"]
    answer = client.get(url, {"cursor": "not-a-cursor"})
    assert (answer.status_code, list(answer.json()["fields"])) == (400, ["cursor"])
    answer = client.get(url, {"page": "2"})
    assert (answer.status_code, answer.json()["fields"]) == (400, {"page": [PAGE_PARAM_GONE]})


@pytest.mark.parametrize("url", LIVE)
def test_page_one_still_answers_the_first_page_with_a_deprecation_header(login, url):
    client = login("alpha_owner")

    old, new = client.get(url, {"page": "1"}), client.get(url)

    assert old.status_code == 200
    assert old.json()["results"] == new.json()["results"]
    assert old["X-Deprecated-Inputs"] == "page" and "Deprecation" not in new


@pytest.mark.parametrize("url", LIVE)
def test_page_one_is_not_carried_into_the_links(login, url):
    client = login("alpha_owner")

    # when an old client asks for page 1, one item a page
    old = client.get(url, {"page": "1", "page_size": 1}).json()
    new = client.get(url, {"page_size": 1}).json()

    # then its links are the canonical ones, as if it had not sent `page`
    for name in ("next", "previous"):
        link, canonical = old[name], new[name]
        assert (link is None) == (canonical is None), name
        if link is None:
            continue
        assert sorted(parse_qs(urlsplit(link).query)) == sorted(parse_qs(urlsplit(canonical).query))
        assert "page" not in parse_qs(urlsplit(link).query)
        followed = client.get(link)
        assert followed.status_code == 200 and "X-Deprecated-Inputs" not in followed
        assert followed.json()["results"] == client.get(canonical).json()["results"]


def _walk(client, url: str, *, key: str) -> tuple[list, list[dict]]:
    seen, pages = [], []
    while url:
        page = client.get(url).json()
        pages.append(page)
        seen += [item[key] for item in page["results"]]
        url = page["next"]
    return seen, pages


def test_a_list_walked_one_item_a_page_gives_every_item_once_and_goes_back(api):
    key = api("key_alpha")  # reaches clinic-a and clinic-b
    everything = [c["slug"] for c in key.get("/api/v1/clinics/").json()["results"]]

    seen, pages = _walk(key, "/api/v1/clinics/?page_size=1", key="slug")

    assert seen == everything and len(seen) == len(set(seen)) >= 2
    back = key.get(pages[-1]["previous"]).json()
    assert back["results"] == pages[-2]["results"]
    assert back["next"] is not None


def test_a_list_built_in_python_pages_by_position(login):
    client = login("alpha_owner")
    url = "/clinics/clinic-a/api/v1/reply-templates/"
    everything = [t["key"] for t in client.get(url, {"page_size": MAX_PAGE_SIZE}).json()["results"]]

    seen, pages = _walk(client, f"{url}?page_size=2", key="key")

    assert seen == everything and len(everything) > 2
    assert pages[0]["previous"] is None
    assert client.get(pages[1]["previous"]).json()["results"] == pages[0]["results"]


def test_a_cursor_of_another_list_is_a_400(api):
    key = api("key_alpha")
    cursor = key.get("/api/v1/clinics/?page_size=1").json()["next"].split("cursor=")[1]

    answer = key.get("/clinics/clinic-a/api/v1/incidents/", {"cursor": cursor})

    assert (answer.status_code, list(answer.json()["fields"])) == (400, ["cursor"])
