"""What every list of the API takes in its query string: its documented filters, paging
(`cursor`, `page_size`, the deprecated `page`) and `format`. A parameter it does not know is a
400 naming it (never a 200 with the whole list), and so is a `format` it cannot answer in
(never a 404 "Not found.", as if the address were wrong)."""

from __future__ import annotations

import pytest

from tests.api.test_list_queries import CASES, ListCase, World, list_world  # noqa: F401


def _review(w: World) -> int:
    if "review" not in w.made:
        w.made["review"] = w.reviews(1)[0]
    return w.made["review"]


def _fact(w: World) -> int:
    if "fact" not in w.made:
        body = {
            "title": "Parking",
            "statement": "Free parking is behind the building, entrance on Elm Street.",
            "source": "Facilities team",
            "verified_on": "2026-09-15",
        }
        w.made["fact"] = w.post("alpha_manager", "facts/", body)["id"]
    return w.made["fact"]


def _nothing(w: World, n: int) -> None:
    pass


# Every list of the API: those whose queries are counted, and the others.
LISTS = {
    **{name: case for name, case in CASES.items() if name != "drafts-of-thank-yous"},
    "audit": ListCase("audit/", "key_a", _nothing),
    "claims": ListCase("claims/", "key_a", _nothing),
    "reply-batches": ListCase("reply-batches/", "key_a", _nothing),
    "imports": ListCase("imports/", "key_a", _nothing),
    "exports": ListCase("exports/", "alpha_owner", _nothing),
    "chat-webhooks": ListCase("chat-webhooks/", "alpha_manager", _nothing),
    "settings-history": ListCase("settings-history/", "alpha_owner", _nothing),
    "fact-versions": ListCase(lambda w: f"facts/{_fact(w)}/versions/", "key_a", _nothing),
    "review-conversations": ListCase(
        lambda w: f"reviews/{_review(w)}/private-conversations/", "key_a", _nothing
    ),
    "review-channels": ListCase(
        lambda w: f"reviews/{_review(w)}/follow-up-channels/", "key_a", _nothing
    ),
    "review-consents": ListCase(
        lambda w: f"reviews/{_review(w)}/contact-consents/", "key_a", _nothing
    ),
    "privacy-requests": ListCase("/api/v1/privacy-requests/", "alpha_owner", _nothing),
    "agency-approvals-log": ListCase("/api/v1/approvals-log/", "alpha_owner", _nothing),
    "tokens": ListCase("/api/v1/auth/tokens/", "alpha_owner", _nothing),
}


def _with(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


@pytest.mark.parametrize("case", LISTS.values(), ids=LISTS.keys())
def test_every_list_refuses_a_parameter_it_does_not_know(case, list_world):  # noqa: F811
    client, url = list_world.clients[case.reader], case.url(list_world)
    assert client.get(url).status_code == 200
    response = client.get(_with(url, "nope=1"))
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "fields": {"nope": ["Unknown parameter."]},
    }


@pytest.mark.parametrize("case", LISTS.values(), ids=LISTS.keys())
def test_every_list_takes_paging_and_format_and_refuses_a_format_it_has_not(
    case,
    list_world,  # noqa: F811
):
    client, url = list_world.clients[case.reader], case.url(list_world)
    assert client.get(_with(url, "format=json&page_size=1&page=1")).status_code == 200
    for wanted in ("xml", "csv"):
        response = client.get(_with(url, f"format={wanted}"))
        assert response.status_code == 400, (wanted, response.content)
        assert response.json() == {
            "detail": "Invalid input.",
            "code": "invalid",
            "fields": {
                "format": [
                    f"“{wanted}” is not a format of this API: give json or api (or leave "
                    "`format` out)."
                ]
            },
        }


def test_a_format_it_has_not_is_a_400_on_an_item_too(api):
    response = api("key_a").get("/clinics/clinic-a/api/v1/me/", {"format": "xml"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["format"]
    assert api("key_a").get("/clinics/clinic-a/api/v1/me/", {"format": "json"}).status_code == 200
