"""Integrator walk-through findings: real answers checked against the served OpenAPI document
held what it did not declare: `step: ""` on an approvals-log submission (enum without ""),
`timeline[].kind` `statement_published` on an incident read by the clinic (not in the enum),
`timeline[].visibility` in a post-crisis review, and `webhook_secret` / `webhook_url` in the
answer to `POST sources/` (the only copy of the secret). The document now declares them."""

from __future__ import annotations

from tests.api.test_examples import openapi_schema

SCHEMA = openapi_schema()
CLINIC = "/clinics/{clinic}/api/v1/"


def _resolved(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMA["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node:  # drf-spectacular wraps a described $ref
        merged: dict = {}
        for part in node["allOf"]:
            merged.update(_resolved(part))
        return merged
    return node


def _answer(path: str, method: str = "get", status: str = "200") -> dict:
    answer = SCHEMA["paths"][path][method]["responses"][status]
    return _resolved(answer["content"]["application/json"]["schema"])


def _item(schema: dict) -> dict:
    return _resolved(_resolved(schema["properties"]["results"])["items"])


def _enum(prop: dict) -> list:
    prop = _resolved(prop)
    if "enum" in prop:
        return prop["enum"]
    return [v for alt in prop.get("oneOf", []) for v in _resolved(alt).get("enum", [])]


def test_an_approvals_log_submission_may_have_no_step():
    for path in (f"{CLINIC}approvals-log/", "/api/v1/approvals-log/"):
        assert "" in _enum(_item(_answer(path))["properties"]["step"]), path


def test_the_clinics_timeline_steps_are_kinds_of_the_schema():
    event = _resolved(_answer(f"{CLINIC}incidents/{{incident_id}}/")["properties"]["timeline"])
    kinds = _enum(_resolved(event["items"])["properties"]["kind"])
    assert {"statement_approved", "statement_published", "replies_published"} <= set(kinds)


def test_a_review_timeline_line_declares_its_visibility():
    review = _answer(f"{CLINIC}incidents/{{incident_id}}/review/")
    line = _resolved(_resolved(review["properties"]["timeline"])["items"])
    assert set(_enum(line["properties"]["visibility"])) == {"", "internal", "shared"}


def test_a_created_webhook_source_declares_its_url_and_secret():
    created = _answer(f"{CLINIC}sources/", "post", "201")
    assert {"webhook_secret", "webhook_url"} <= set(created["properties"])
