"""Hostile-input finding: a NUL in a clinic path's slug (`/clinics/clinic-a%00/...`) reached
the routing lookup (`clinics.routes.clinic_for_segment`), where PostgreSQL refuses to compare
it: a 500 on every clinic path, for anyone. Such a slug names no clinic: it answers as an
unknown clinic does (the API's JSON 401 or 404, the sign-in page or a 404 page)."""

from __future__ import annotations

import pytest
from django.test import Client

from clinics.routes import clinic_for_segment

SIGNED_OUT_API = {"detail": "Authentication credentials were not provided.",
                  "code": "not_authenticated"}  # fmt: skip
NOT_FOUND_API = {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize(
    "slug", ["clinic-a%00", "x%00", "%00", "clinic-a%00x"], ids=["end", "short", "alone", "inside"]
)
def test_a_nul_in_the_slug_answers_as_an_unknown_clinic(world, login, api, slug):
    # the API, signed out: 401 as for an unknown slug
    response = Client().get(f"/clinics/{slug}/api/v1/reviews/")
    assert (response.status_code, response.json()) == (401, SIGNED_OUT_API)
    unknown = Client().get("/clinics/no-such-clinic/api/v1/reviews/")
    assert (unknown.status_code, unknown.json()) == (401, SIGNED_OUT_API)
    # with a key or signed in: the JSON 404
    for client in (api("key_a"), login("alpha_writer")):
        response = client.get(f"/clinics/{slug}/api/v1/reviews/")
        assert (response.status_code, response.json()) == (404, NOT_FOUND_API)
    # pages: the sign-in page signed out, a 404 signed in
    for path in (f"/clinics/{slug}/", f"/clinics/{slug}/portal/"):
        assert Client().get(path).status_code == 302
        assert login("a_approver").get(path).status_code == 404
        assert login("alpha_owner").get(path).status_code == 404


def test_the_lookup_refuses_text_postgresql_cannot_compare(world, clinic_a):
    assert clinic_for_segment("clinic-a\x00") is None
    assert clinic_for_segment("clinic-a\ud800") is None
    assert clinic_for_segment("clinic-a").pk == clinic_a.pk
