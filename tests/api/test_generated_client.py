"""A typed client generated from the OpenAPI document (datamodel-code-generator, pinned in
requirements.txt) drives the guide's happy path against a live server: push a review, read it
back. A schema a generator cannot turn into working types fails here."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import uuid
from datetime import UTC, datetime
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from datamodel_code_generator import DataModelType, Formatter, InputFileType, generate
from django.core.wsgi import get_wsgi_application
from django.db import connections

from tests.api.test_examples import openapi_schema
from tests.fixtures.tenants import clinic_committed_create, clinic_drop


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _ThreadedServer(WSGIServer):
    daemon_threads = True


def _closing(app):
    """The app, closing its thread's database connections after each request (the test
    database must have no other session left when it is dropped)."""

    def wrapped(environ, start_response):
        try:
            return list(app(environ, start_response))
        finally:
            connections.close_all()

    return wrapped


@pytest.fixture(scope="module")
def client_module(tmp_path_factory):
    """The generated models (pydantic v2), imported."""
    where = tmp_path_factory.mktemp("generated")
    schema_file = where / "openapi.json"
    schema_file.write_text(json.dumps(openapi_schema()))
    generate(
        schema_file,
        input_file_type=InputFileType.OpenAPI,
        output=where / "carewatch_models.py",
        output_model_type=DataModelType.PydanticV2BaseModel,
        strict_nullable=True,  # honour `nullable: true` on required fields
        type_mappings=["email=string"],  # EmailStr needs email-validator, which we do not ship
        formatters=[Formatter.BUILTIN],  # fast, and needs no formatter installed
        set_default_enum_member=True,  # a default of an enum field is the enum member
    )
    spec = importlib.util.spec_from_file_location("carewatch_models", where / "carewatch_models.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves generic models through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def live(django_db_setup, django_db_blocker):
    """(base URL, clinic slug, API key) of a committed clinic served by an in-process server."""
    with django_db_blocker.unblock():
        made = clinic_committed_create(
            slug=f"gen-{uuid.uuid4().hex[:8]}", name="Generated Client Clinic",
            agency_slug="gen-client", api_key_scopes=["read", "write"],
        )  # fmt: skip
        server = make_server(
            "127.0.0.1", 0, _closing(get_wsgi_application()), _ThreadedServer, _Quiet
        )
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", made.clinic.slug, made.api_key
        finally:
            server.shutdown()
            server.server_close()
            clinic_drop(made.clinic)


def test_the_generated_client_pushes_a_review_and_reads_it_back(client_module, live):
    models = client_module
    base, slug, key = live
    api = httpx.Client(
        base_url=f"{base}/clinics/{slug}/api/v1", headers={"Authorization": f"Bearer {key}"}
    )
    # given a typed batch
    batch = models.ReviewIngestBatchInput(
        items=[
            models.ReviewIngestItemInput(
                source=models.SourceKindEnum("google"),
                external_id="g-1001",
                author_name="Sam R.",
                rating=5,
                text="Quick and kind",
                published_at=datetime(2026, 11, 28, 9, tzinfo=UTC),
            )
        ]
    )

    # when it is pushed and read back
    pushed = models.IngestResult.model_validate(
        api.post(
            "/reviews/ingest/",
            json=batch.model_dump(mode="json", exclude_none=True),
            headers={"Idempotency-Key": "batch-2026-11-29-001"},
        ).json()
    )
    [result] = pushed.results
    page = models.PaginatedReviewOutputList.model_validate(
        api.get("/reviews/", params={"source": "google"}).json()
    )
    review = models.ReviewDetail.model_validate(api.get(f"/reviews/{result.id}/").json())

    # then
    assert result.status.value == "created"
    assert pushed.counts == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    assert [r.external_id for r in page.results] == ["g-1001"]
    assert (review.author_name, review.rating, review.text) == ("Sam R.", 5, "Quick and kind")
