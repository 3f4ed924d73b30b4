"""The OpenAPI document lists every error `code` the API can answer, from one registry
(`core.errors.ERROR_CODES`): a code raised in the code and missing from the document fails
here, and so does a code the document lists that nothing raises any more."""

from __future__ import annotations

import ast
import inspect
from functools import cache
from pathlib import Path

from rest_framework import exceptions

from core.errors import ERROR_CODES
from tests.api.test_examples import openapi_schema

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "accounts", "agency", "clinics", "facts", "webhooks", "feeds", "scoring",
        "inbox", "responses", "crisis", "reports", "offboarding", "dashboard", "portal",
        "config")  # fmt: skip


def _strings(node) -> set[str]:
    """The string constants an expression can be (`"a"`, `"a" if x else "b"`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def _codes_in(tree: ast.AST) -> set[str]:
    """The error codes a module writes: a class's `code = "..."` (DomainError subclasses), a
    `code="..."` argument (to a DomainError, an exception or a refusal helper) or parameter
    default, and a `"code": "..."` of a JSON body written by hand. A `code=` given to a
    `ValidationError` is a field message's code, never the answer's, and is left out."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id in ("code", "default_code")
                    for t in statement.targets
                ):
                    found |= _strings(statement.value)
        elif isinstance(node, ast.Call):
            called = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if called != "ValidationError":
                found |= {s for kw in node.keywords if kw.arg == "code" for s in _strings(kw.value)}
        elif isinstance(node, ast.FunctionDef):
            arguments = node.args
            named = [*arguments.args[-len(arguments.defaults) :]] if arguments.defaults else []
            for argument, default in [
                *zip(named, arguments.defaults, strict=True),
                *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True),
            ]:
                if argument.arg == "code" and default is not None:
                    found |= _strings(default)
        elif isinstance(node, ast.Dict):
            found |= {
                s
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and key.value == "code"
                for s in _strings(value)
            }
    return found


@cache
def codes_raised() -> frozenset[str]:
    """Every error code the code base can answer: what its modules write (`_codes_in`) and
    the codes of DRF's own exceptions (an unknown method, a throttled request ...), which the
    exception handler passes on."""
    found = {
        cls.default_code
        for _, cls in inspect.getmembers(exceptions, inspect.isclass)
        if issubclass(cls, exceptions.APIException)
    }
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found |= _codes_in(ast.parse(path.read_text(), filename=str(path)))
    return frozenset(found)


def _documented() -> dict:
    return openapi_schema()["components"]["schemas"]["Error"]["properties"]["code"]


def test_the_scan_finds_codes_raised_in_services_middleware_and_apis():
    assert {"already_acknowledged", "review_not_sent", "too_soon", "otp_not_set_up",
            "clinic_paused", "unavailable", "stale_signature", "method_not_allowed",
            "separation_of_duties"} <= codes_raised()  # fmt: skip


def test_every_code_raised_is_in_the_openapi_document():
    documented = _documented()["x-extensible-enum"]

    assert sorted(codes_raised() - set(documented)) == []


def test_the_document_lists_no_code_that_nothing_raises():
    assert sorted(set(ERROR_CODES) - codes_raised()) == []


def test_each_code_is_described_once_with_its_meaning():
    code = _documented()

    assert code["type"] == "string"
    assert "enum" not in code  # an open set: new codes must not break generated clients
    assert code["x-extensible-enum"] == list(ERROR_CODES)
    for name, meaning in ERROR_CODES.items():
        assert code["description"].count(f"- `{name}`: {meaning}") == 1


def test_one_code_for_approving_what_you_wrote():
    assert "own_draft" not in codes_raised()
    assert "own_draft" not in _documented()["description"]
