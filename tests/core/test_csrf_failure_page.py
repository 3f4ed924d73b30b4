"""A form whose CSRF check fails (opened before a sign-out, or in a stale tab) answers a page
in the brand the person's other pages carry, saying nothing was done and what to do, with what
they typed to copy: not Django's bare page that spoke of "DEBUG=True"."""

from __future__ import annotations

from django.test import Client
from django.test.client import RequestFactory

from core.views import csrf_failure
from tests.fixtures.tenants import otp_verify_session


def test_a_stale_form_in_the_portal_answers_the_branded_page(world, db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["a_approver"])
    otp_verify_session(client, world.users["a_approver"])
    response = client.post(
        "/clinics/clinic-a/portal/act/",
        {"kind": "reply", "id": "1", "action": "reject", "comment": "Please say it kinder"},
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "<title>The form expired · Alpha Agency</title>" in html
    assert "The form expired: nothing was done" in html
    assert "Please say it kinder" in html  # what they typed, to copy
    assert "DEBUG" not in html and "CSRF" not in html


def test_an_api_path_answers_json(db):
    request = RequestFactory().post("/api/v1/auth/tokens/")
    response = csrf_failure(request, reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert b'"code":"csrf_failed"' in response.content
