"""Hostile-input finding: a session cookie holding an escaped NUL (`sessionid="...\\000"`,
which Django's cookie parser decodes) reached the session lookup, where PostgreSQL refuses to
compare it: a 500 on every page and API path. The session engine (`accounts.sessions`) reads a
key Django never makes as no session, as it reads an unknown one."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.sessions import SessionStore


@pytest.mark.parametrize(
    "cookie",
    ['sessionid="abcdefghij\\000"', 'sessionid="\\000\\000\\000\\000\\000\\000\\000\\000"',
     "sessionid=abcdefgh-ijk"],
    ids=["nul-at-end", "only-nul", "not-a-key"],
)  # fmt: skip
def test_a_cookie_that_is_no_session_key_is_no_session(world, db, cookie):
    client = Client(HTTP_COOKIE=cookie)
    assert client.get("/login/").status_code == 200
    assert client.get("/").status_code == 302
    response = client.get("/clinics/clinic-a/api/v1/reviews/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert client.get("/clinics/clinic-a/").status_code == 302


def test_a_real_session_still_works(world, login):
    client = login("alpha_writer")
    key = client.cookies["sessionid"].value
    assert SessionStore(session_key=key).session_key == key
    assert client.get("/clinics/clinic-a/api/v1/reviews/").status_code == 200
    assert SessionStore(session_key="abcdefghij\x00").session_key is None
