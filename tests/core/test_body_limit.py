"""A body over the documented 25 MB: the API answers 413 in the error shape of every other
error, a page answers a 413 page; neither logs an error with a traceback, nothing is stored."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django_tenants.utils import schema_context

from feeds.models import ImportJob, Review

MB = 1024 * 1024
INGEST = "/clinics/clinic-a/api/v1/reviews/ingest/"


def _big_json(size: int) -> bytes:
    """An ingest body of exactly `size` bytes: one item with a long text."""
    item = {"source": "google", "external_id": "big-1", "published_at": "2026-11-01T10:00:00Z"}
    overhead = len(json.dumps({"items": [{**item, "text": ""}]}))
    return json.dumps({"items": [{**item, "text": "x" * (size - overhead)}]}).encode()


def _no_error_logged(caplog) -> None:
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_a_json_body_over_25_mb_is_413_in_the_error_shape(api, clinic_a, caplog):
    body = _big_json(27 * MB)
    caplog.set_level(logging.INFO)

    response = api("key_a").post(INGEST, data=body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The request body is larger than 25 MB.",
        "code": "too_large",
        "fields": {"body": [f"At most 25 MB (got {len(body) / MB:.1f} MB)."]},
    }
    _no_error_logged(caplog)
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.filter(external_id="big-1").exists()


def test_a_json_body_of_exactly_25_mb_is_read(api, clinic_a):
    body = _big_json(25 * MB)
    assert len(body) == 25 * MB

    response = api("key_a").post(INGEST, data=body, content_type="application/json")

    assert response.status_code == 200
    assert list(response.json()["results"][0]["fields"]) == ["text"]  # read, then judged


def test_a_multipart_import_over_25_mb_is_413_and_queues_nothing(api, clinic_a, caplog):
    upload = SimpleUploadedFile("big.csv", b"source,external_id,published_at\n" + b"y" * 30_000_000)
    caplog.set_level(logging.INFO)

    response = api("key_a").post(
        "/clinics/clinic-a/api/v1/imports/", {"file": upload}, content_type=MULTIPART_CONTENT
    )

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    _no_error_logged(caplog)
    with schema_context(clinic_a.schema_name):
        assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    "path",
    ["/clinics/clinic-a/imports/upload/", "/login/"],
    ids=["clinic-page", "public-page"],
)
def test_a_page_post_over_25_mb_is_a_413_page_without_a_traceback(login, clinic_a, caplog, path):
    upload = SimpleUploadedFile("big.csv", b"source,external_id,published_at\n" + b"y" * 26 * MB)
    caplog.set_level(logging.INFO)

    response = login("alpha_writer").post(path, {"file": upload})

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "larger than 25 MB" in response.content.decode()
    _no_error_logged(caplog)
    with schema_context(clinic_a.schema_name):
        assert ImportJob.objects.count() == 0
