"""Property-based tests over the whole OpenAPI document (schemathesis): every operation, with
generated valid and invalid input, as clinic A's key and as clinic B's key, never answers 5xx and
always answers in the documented shape."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

# Not config.wsgi: that one keeps torch out of the process, and other tests here need torch.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def keys(world, db):
    # In-process WSGI calls must not close the test's connection (the Django test client does
    # the same): the whole test runs in one transaction that is rolled back afterwards.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield {"a": world.keys["key_a"], "b": world.keys["key_b"]}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@pytest.mark.parametrize("who", ["a", "b"])
def test_api_never_fails_and_matches_its_schema(case, keys, who):
    if "clinic" in (case.path_parameters or {}):
        case.path_parameters["clinic"] = "clinic-a"
    response = case.call(headers={"Authorization": f"Bearer {keys[who]}"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
