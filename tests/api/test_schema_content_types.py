"""The OpenAPI document lists the body formats the API takes (walk 11 F15): JSON for every
operation, multipart for the CSV import alone; never a form content type. The document is
drf-spectacular's reading of each view's parsers: JSON alone by default (REST_FRAMEWORK's
DEFAULT_PARSER_CLASSES), so what it says is what the API answers (a form is a 415:
tests/core/test_error_fields.py)."""

from __future__ import annotations

from tests.api.test_examples import METHODS, openapi_schema

SCHEMA = openapi_schema()
BODIES = {
    f"{method.upper()} {path}": sorted(operation["requestBody"]["content"])
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in METHODS and "requestBody" in operation
}
IMPORT = "POST /clinics/{clinic}/api/v1/imports/"


def test_every_body_is_json_but_the_csv_imports():
    others = {operation: types for operation, types in BODIES.items() if operation != IMPORT}

    assert BODIES[IMPORT] == ["multipart/form-data"]
    assert len(others) > 40
    assert {operation: ["application/json"] for operation in others} == others


def test_mark_posted_documents_json_and_that_a_link_or_an_id_is_required():
    path = "/clinics/{clinic}/api/v1/outbox/{item_id}/mark-posted/"
    body = SCHEMA["paths"][path]["post"]["requestBody"]

    assert list(body["content"]) == ["application/json"]
    name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = SCHEMA["components"]["schemas"][name]["properties"]
    assert "`url` or `external_id` (or both) is required" in fields["url"]["description"]
