"""The OpenAPI document is complete enough to generate a client from and to read in Redoc: every
operation has one resource tag, a summary, a readable operationId, an integrator-facing
description, the error answers it can give and the credentials as alternatives."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

from core.openapi import TAGS
from tests.api.test_examples import METHODS, openapi_schema

SCHEMA = openapi_schema()
OPERATIONS = [
    (method, path, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in METHODS
]
IDS = [f"{method.upper()} {path}" for method, path, _ in OPERATIONS]
DEFAULT_TAGS = {"api", "v1"}
INTERNAL_DOCS = ("Base of every API", "access gate", "_SealedAPIView")


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_is_documented_for_integrators(method, path, operation):
    [tag] = operation["tags"]
    assert tag not in DEFAULT_TAGS
    assert tag in {t["name"] for t in SCHEMA["tags"]}
    assert re.fullmatch(r"[a-z][a-z_]+", operation["operationId"])
    summary = operation["summary"]
    assert summary and summary[0].isupper() and len(summary) <= 80 and "\n" not in summary
    assert not any(text in operation.get("description", "") for text in INTERNAL_DOCS)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_documents_its_errors(method, path, operation):
    responses = operation["responses"]
    expected = {"401", "429"}
    if "{" in path:
        expected.add("404")
    if "requestBody" in operation:
        expected |= {"400", "413", "415"}
    if operation.get("security"):
        expected.add("403")
    assert expected <= set(responses), sorted(expected - set(responses))
    for code, answer in responses.items():
        if code.startswith("4"):
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, code
    assert "Retry-After" in responses["429"]["headers"]


def test_operation_ids_are_unique():
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]

    assert len(ids) == len(set(ids))


def test_credentials_are_alternatives():
    for _, _, operation in OPERATIONS:
        for requirement in operation.get("security", []):
            assert len(requirement) == 1, requirement
    token = SCHEMA["paths"]["/api/v1/auth/token/"]["post"]
    reviews = SCHEMA["paths"]["/clinics/{clinic}/api/v1/reviews/"]["get"]

    assert "security" not in token  # obtaining a token takes no credential
    assert reviews["security"] == [{"bearer": []}, {"session": []}]


def test_the_resources_are_redoc_sections():
    names = [tag["name"] for tag in SCHEMA["tags"]]

    assert {"reviews", "scores", "sources", "imports", "incidents", "replies", "statements",
            "approvals", "outbox", "facts", "templates", "webhooks", "api-keys", "tokens",
            "reports", "clinics", "leaving", "privacy-requests"} <= set(names)  # fmt: skip
    assert all(tag.get("description") for tag in SCHEMA["tags"])


def test_the_document_is_valid_openapi_and_builds_without_warnings():
    # given drf-spectacular's record of what it could not describe well
    GENERATOR_STATS.reset()

    # when the document is built again
    schema = openapi_schema()

    # then it is valid OpenAPI 3 and nothing was guessed: no view without a serializer, no
    # enum named by a hash because two choice sets collide, no operationId used twice
    validate_schema(schema)
    assert dict(GENERATOR_STATS._warn_cache) == {}
    assert dict(GENERATOR_STATS._error_cache) == {}


def test_every_tag_the_api_uses_is_a_section_and_every_section_is_used():
    used = {tag for _, _, operation in OPERATIONS for tag in operation["tags"]}
    declared = [tag["name"] for tag in SCHEMA["tags"]]

    assert set(declared) == used
    # in the order an integrator meets them (core.openapi.TAGS), each once
    assert declared == [tag["name"] for tag in TAGS if tag["name"] in used]


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route), pattern.callback


def test_every_api_route_is_in_the_document():
    # every operation the URL confs answer (config.urls_openapi: the agency-wide and the clinic
    # API), none left out of the document (a view with `schema = None`, say)
    expected = {
        f"{method.upper()} {path}"
        for path, view in _routes(get_resolver("config.urls_openapi").url_patterns)
        for method in METHODS
        if hasattr(view.cls, method)
    }
    documented = {f"{method.upper()} {path}" for method, path, _ in OPERATIONS}

    assert sorted(expected - documented) == []
    assert sorted(documented - expected) == []


def test_error_fields_are_a_list_of_messages_per_field():
    schemas = SCHEMA["components"]["schemas"]
    fields = schemas["Error"]["properties"]["fields"]
    assert fields["type"] == "object"
    assert fields["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    assert "_Error" not in schemas  # one error type for a generated client


def test_every_schema_component_is_used():
    text = str(SCHEMA["paths"]) + str(SCHEMA["components"])
    unused = [name for name in SCHEMA["components"]["schemas"]
              if f"#/components/schemas/{name}'" not in text]  # fmt: skip
    assert unused == []


def test_the_ingest_body_is_typed():
    body = SCHEMA["paths"]["/clinics/{clinic}/api/v1/reviews/ingest/"]["post"]["requestBody"]
    schemas = SCHEMA["components"]["schemas"]
    item = {"$ref": "#/components/schemas/ReviewIngestItemInput"}

    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReviewIngestInput"
    }
    assert schemas["ReviewIngestInput"]["oneOf"] == [
        item,
        {"type": "array", "items": item, "minItems": 1, "maxItems": 1000},
        {"$ref": "#/components/schemas/ReviewIngestBatchInput"},
    ]
    assert set(schemas["ReviewIngestItemInput"]["required"]) == {"external_id", "published_at"}


@pytest.mark.parametrize(
    ("path", "name", "values"),
    [
        ("/clinics/{clinic}/api/v1/reviews/", "sentiment", {"negative", "neutral", "positive",
                                                            "unscored"}),
        ("/clinics/{clinic}/api/v1/reviews/", "status", {"new", "needs_reply", "replied",
                                                         "ignored"}),
        ("/clinics/{clinic}/api/v1/reviews/", "source", {"google", "facebook", "yelp"}),
        ("/clinics/{clinic}/api/v1/scores/", "label", {"negative", "neutral", "positive"}),
    ],
)  # fmt: skip
def test_closed_sets_are_enums(path, name, values):
    [parameter] = [p for p in SCHEMA["paths"][path]["get"]["parameters"] if p["name"] == name]
    schema = parameter["schema"]
    if "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]

    assert values <= set(schema["enum"])


def test_every_page_size_documents_its_maximum():
    sizes = [
        parameter["schema"]
        for _, _, operation in OPERATIONS
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "page_size"
    ]

    assert len(sizes) >= 10
    assert all(size == {"type": "integer", "minimum": 1, "maximum": 1000} for size in sizes)
