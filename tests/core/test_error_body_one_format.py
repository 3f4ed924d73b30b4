"""Finding (hostile-input tester): the API's errors came in two formats, compact JSON from the
API's views and JSON with spaces (non-ASCII escaped) from the middleware and error handlers.
Every JSON answer is now rendered by the API's one renderer (`core.http.JsonAnswer`), in the
shape docs/integrate.md shows: `{"detail":"Not found.","code":"not_found"}`."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.renderers import JSONRenderer

A = "/clinics/clinic-a/api/v1/"


def _calls(login, api):
    manager = login("alpha_manager")
    return {
        # a view's own refusal (DRF)
        "view": lambda: manager.post(f"{A}sources/", {"kind": "nope"}, "application/json"),
        # the input check, before any view
        "input-check": lambda: manager.post(
            f"{A}sources/", '{"kind": "webhook", "name": "a\\u0000"}', "application/json"
        ),
        # no credential (the clinic's routing)
        "no-credential": lambda: Client().get(f"{A}reviews/"),
        # a path the API does not have
        "unknown-path": lambda: api("key_a").get(f"{A}no-such-thing/"),
        # a key of another clinic
        "other-clinic": lambda: api("key_b").get(f"{A}reviews/"),
    }


@pytest.mark.parametrize(
    "call", ["view", "input-check", "no-credential", "unknown-path", "other-clinic"]
)
def test_every_error_is_rendered_by_the_one_renderer(login, api, call):
    answer = _calls(login, api)[call]()
    assert answer.status_code >= 400
    assert answer["Content-Type"] == "application/json"
    assert answer.content == JSONRenderer().render(answer.json())
    assert b'", "' not in answer.content and b'": ' not in answer.content
    assert {"detail", "code"} <= answer.json().keys()
