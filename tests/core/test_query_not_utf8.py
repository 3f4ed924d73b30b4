"""A query string whose bytes are not UTF-8 (`?q=%ff`, raw `\\xff`, an encoded surrogate) is
refused before any view: Django would read it with replacement characters ("\\ufffd") and a
page or the API would filter by them as if sent. The API answers 400 in its error shape
(`invalid`, naming the parameter); a page answers the plain 400 page of a link it cannot
read. Nothing is done either way."""

from __future__ import annotations

import pytest

from core.errors import ERROR_CODES
from core.middleware import NOT_UTF8_QUERY

BAD = {
    "percent-ff": "q=%ff",
    "raw-ff": "q=\xff",
    "encoded-surrogate": "q=%ed%a0%80",
    "in-the-name": "%ff=1",
    "after-a-good-one": "page_size=5&author=%c3%28",
}


@pytest.mark.parametrize("query", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(
    "path", ["/clinics/clinic-a/api/v1/reviews/", "/api/v1/clinics/"], ids=["clinic", "agency"]
)
def test_the_api_refuses_a_query_not_utf8_naming_the_parameter(api, query, path):
    response = api("key_a" if "clinic-a" in path else "key_alpha").get(path, QUERY_STRING=query)

    assert response.status_code == 400
    body = response.json()
    name = {"in-the-name": "\ufffd", "after-a-good-one": "author"}.get(
        next(k for k, v in BAD.items() if v == query), "q"
    )
    assert body == {
        "detail": "Invalid input.",
        "code": "invalid",
        "fields": {name: [NOT_UTF8_QUERY]},
    }
    assert body["code"] in ERROR_CODES


@pytest.mark.parametrize("query", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(
    ("person", "path"),
    [("alpha_writer", "/clinics/clinic-a/inbox/"), ("alpha_owner", "/agency/"),
     ("a_approver", "/clinics/clinic-a/portal/incidents/")],
    ids=["staff-page", "agency-page", "portal"],
)  # fmt: skip
def test_a_page_answers_the_plain_400_page(login, person, path, query):
    response = login(person, otp=person != "a_approver").get(path, QUERY_STRING=query)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<p role="alert" data-testid="param-refused">' in html
    assert "not valid UTF-8" in html and "Nothing was done" in html


def test_the_sign_in_page_and_a_signed_out_api_call_are_refused_too(client, db):
    page = client.get("/login/", QUERY_STRING="next=%ff")
    assert page.status_code == 400 and "not valid UTF-8" in page.content.decode()
    api = client.get("/clinics/clinic-a/api/v1/reviews/", QUERY_STRING="q=%ff")
    assert api.status_code == 400 and api.json()["fields"] == {"q": [NOT_UTF8_QUERY]}


@pytest.mark.parametrize("query", ["q=caf%C3%A9", "q=caf\xc3\xa9", "q=%E2%9C%93+ok"])
def test_utf8_text_passes(login, api, query):
    listed = api("key_a").get("/clinics/clinic-a/api/v1/reviews/", QUERY_STRING=query)
    assert listed.status_code == 200
    response = login("alpha_writer").get("/clinics/clinic-a/inbox/", QUERY_STRING=query)
    assert response.status_code == 200
    assert "not valid UTF-8" not in response.content.decode()
