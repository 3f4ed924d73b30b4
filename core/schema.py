"""OpenAPI document extensions: the authentication schemes and the recorded examples."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from core.api import SchemaRateThrottle
from core.openapi import ERROR_SCHEMA

logger = logging.getLogger(__name__)


class ActorAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.ActorAuthentication"
    name = ["bearer", "session"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key (cwk_…) or a personal token (cwt_…).",
            },
            {"type": "apiKey", "in": "cookie", "name": "sessionid"},
        ]


# --- recorded examples ----------------------------------------------------------------------

EXAMPLES_FILE = Path(__file__).resolve().parent.parent / "docs" / "api-examples.json"
_RECORDED = "recorded"


def shape_of(value):
    """The keys of an example (and of the first item of its list or page), to tell when an
    example no longer has the shape the API answers with."""
    if isinstance(value, dict):
        inner = value.get("results")
        return (sorted(value), shape_of(inner) if isinstance(inner, list) else None)
    if isinstance(value, list):
        return ["list", shape_of(value[0]) if value else None]
    return None if value is None else type(value).__name__


def _load_examples() -> dict:
    try:
        return json.loads(EXAMPLES_FILE.read_text())
    except (OSError, ValueError):
        logger.warning("API examples not added to the schema: cannot read %s", EXAMPLES_FILE)
        return {}


def _example(summary: str, value) -> dict:
    return {"summary": summary, "value": value}


def _media_types_for(answer: dict, content: dict) -> list[str]:
    wanted = answer.get("content_type", "application/json")
    return [media_type for media_type in content if media_type.split(";")[0] == wanted]


def examples_add(result, generator, request, public):
    """drf-spectacular postprocessing hook: the examples recorded by tests/api/test_examples.py
    (docs/api-examples.json) become the `examples` of each operation's request body and
    answers; a recorded 400 is documented in the common error shape. Operations without a
    recording are left as they are, and a missing file only leaves the schema without them."""
    recorded = _load_examples()
    if not recorded:
        return result
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            example = recorded.get(f"{method.upper()} {path}")
            if not isinstance(operation, dict) or not example:
                continue
            invalid = example.get("responses", {}).get("400", {}).get("request")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                if "request" in example:
                    content.setdefault("examples", {})[_RECORDED] = _example(
                        "Recorded from the test suite", example["request"]
                    )
                if invalid is not None:
                    content.setdefault("examples", {})[f"{_RECORDED}_invalid"] = _example(
                        "Invalid input (answered 400)", invalid
                    )
            responses = operation.setdefault("responses", {})
            for status, answer in example.get("responses", {}).items():
                if "body" not in answer:
                    continue
                if status not in responses and status == "400":
                    responses[status] = {
                        "description": "Invalid input: what is wrong with each field.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    }
                    result.setdefault("components", {}).setdefault("schemas", {}).setdefault(
                        "Error", ERROR_SCHEMA
                    )
                content = responses.get(status, {}).get("content", {})
                for media_type in _media_types_for(answer, content):
                    content[media_type].setdefault("examples", {})[_RECORDED] = _example(
                        answer["call"], answer["body"]
                    )
    return result


# --- the docs pages ---------------------------------------------------------------------------


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI document. Building it costs ~0.5 s of CPU: callers without a credential
    get a few a minute per address."""

    throttle_classes = [SchemaRateThrottle]


class ApiDocsSwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI under the site's CSP: its files from this site (drf-spectacular-sidecar),
    its start-up script as a separate file, no inline style."""

    template_name = "api_docs/swagger_ui.html"


class ApiDocsRedocView(SpectacularRedocView):
    """Redoc from this site. Redoc injects its styles and runs its search in a blob: worker,
    so this page's CSP allows both; scripts still come only from this site."""

    template_name = "api_docs/redoc.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = (
            settings.CSP_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
            + "; worker-src 'self' blob:"
        )
        return response
