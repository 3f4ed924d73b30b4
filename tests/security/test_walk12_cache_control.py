"""Walk 12, finding 5: every answer to a signed-in request (a session, a personal token or an
API key) is kept by no cache: pages, API answers and downloads carry Django's never-cache
headers (`no-store`, `private`, ...), so neither a browser's disk cache nor the Back button
after sign-out shows review texts on a shared computer. Public answers stay as they were: the
public statement page, its stylesheet and health keep their own `Cache-Control`, and an
anonymous answer gets none added."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.responses.test_public_statements import publish_statement

NEVER_CACHE = {"max-age=0", "no-cache", "no-store", "must-revalidate", "private"}


def _directives(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


def _never_cached(response) -> bool:
    return _directives(response) == NEVER_CACHE and response.has_header("Expires")


@pytest.mark.parametrize(
    ("who", "path"),
    [
        pytest.param("a_approver", "/clinics/clinic-a/portal/", id="portal"),
        pytest.param("a_approver", "/clinics/clinic-a/portal/approvals/", id="portal-approvals"),
        pytest.param("alpha_writer", "/clinics/clinic-a/inbox/", id="staff-inbox"),
        pytest.param("alpha_manager", "/agency/", id="agency-dashboard"),
    ],
)
def test_signed_in_pages_are_never_cached(login, clinic_a, who, path):
    response = login(who).get(path)
    assert response.status_code == 200
    assert _never_cached(response), response.get("Cache-Control")


def test_a_signed_in_redirect_and_refusal_are_never_cached_either(login, clinic_a):
    viewer = login("a_viewer")
    refused = viewer.get("/clinics/clinic-a/inbox/")
    assert refused.status_code in (302, 403, 404)
    assert _never_cached(refused)


def test_api_answers_to_a_key_a_token_and_a_session_are_never_cached(api, login, clinic_a):
    by_key = api("key_a").get("/clinics/clinic-a/api/v1/reviews/")
    by_session = login("alpha_writer").get("/clinics/clinic-a/api/v1/reviews/")
    wrong_key = Client(HTTP_AUTHORIZATION="Bearer cwk_not_a_key").get(
        "/clinics/clinic-a/api/v1/reviews/"
    )
    assert (by_key.status_code, by_session.status_code, wrong_key.status_code) == (200, 200, 401)
    assert _never_cached(by_key) and _never_cached(by_session) and _never_cached(wrong_key)


def test_the_report_pdf_download_is_never_cached(login, clinic_a):
    response = login("a_viewer").get("/clinics/clinic-a/portal/report.pdf", {"month": "2026-11"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert _never_cached(response), response.get("Cache-Control")


def test_public_answers_keep_their_own_cache_headers(world, login, clinic_a):
    # given a published statement on the clinic's public page
    users = world.users
    publish_statement(
        clinic_a, users["alpha_writer"], users["alpha_manager"], users["a_approver"],
        title="Opening hours", body="Walk-ins welcome.",
    )  # fmt: skip
    # then the page, its stylesheet and health answer as before, whoever asks
    for client in (Client(), login("a_approver")):
        page = client.get("/statements/clinic-a/")
        assert page.status_code == 200
        assert page["Cache-Control"] == "public, max-age=60" and not page.has_header("Expires")
        css = client.get("/statements/clinic-a/brand.css")
        assert css["Cache-Control"] == "public, max-age=300"
    assert Client().get("/health/")["Cache-Control"] == "no-store"
    # and an anonymous answer without a header of its own gets none
    missing = Client().get("/statements/no-such-clinic/")
    assert missing.status_code == 404 and not missing.has_header("Cache-Control")
