"""A Host header this server does not serve (`ALLOWED_HOSTS`): Django refuses the request
before any view (`DisallowedHost`). On API paths the answer is the API's JSON error with a
registered code; pages keep Django's plain 400 page. Either way nothing is done and nothing of
the site is shown."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.errors import ERROR_CODES
from feeds.models import Review

FOREIGN = "evil.example"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/clinics/", "/clinics/clinic-a/api/v1/reviews/", "/api/v1/nothing-here/",
     "/clinics/clinic-a/api/v1/reviews"],
    ids=["agency-api", "clinic-api", "unknown-api-path", "without-its-slash"],
)  # fmt: skip
def test_the_api_answers_a_foreign_host_in_its_error_shape(api, path):
    response = api("key_a").get(path, HTTP_HOST=FOREIGN)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The Host header names a host this server does not serve.",
        "code": "host_not_allowed",
    }
    assert "host_not_allowed" in ERROR_CODES


def test_a_post_to_the_api_changes_nothing(api, clinic_a):
    with schema_context(clinic_a.schema_name):
        before = Review.objects.count()
    response = api("key_a").post(
        "/clinics/clinic-a/api/v1/reviews/ingest/",
        {"source": "google", "external_id": "h-1", "published_at": "2026-11-01T10:00:00Z"},
        content_type="application/json",
        HTTP_HOST=FOREIGN,
    )
    assert (response.status_code, response.json()["code"]) == (400, "host_not_allowed")
    with schema_context(clinic_a.schema_name):
        assert Review.objects.count() == before


@pytest.mark.parametrize("path", ["/login/", "/clinics/clinic-a/inbox/", "/agency/"])
def test_pages_keep_the_plain_400_page(login, path):
    response = login("alpha_writer").get(path, HTTP_HOST=FOREIGN)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Bad Request (400)" in html
    assert "Alpha" not in html and "csrfmiddlewaretoken" not in html


def test_an_allowed_host_is_served(api):
    assert api("key_a").get("/clinics/clinic-a/api/v1/reviews/").status_code == 200
