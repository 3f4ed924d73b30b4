"""Walk 14 #15: a privacy request's mistakes came in two rounds (the body's shape first, then
the author, the reason and the items), and an unknown clinic or item was reported under
`items`, so a tool could not point at the row. Now one answer names every problem, each item's
at its path (`items[0].clinic`, `items[0].review_id`), as the ingest API names them."""

from __future__ import annotations

from agency.models import PrivacyRequest

URL = "/api/v1/privacy-requests/"


def test_every_mistake_is_named_in_one_answer_at_its_path(api, clinic_a):
    before = PrivacyRequest.objects.count()  # committed tests of the same worker may leave some
    body = {
        "author": "S",
        "reason": "x",
        "action": "zap",
        "items": [
            {"clinic": "nope", "review_id": 1},
            {"clinic": "clinic-a"},
            {"clinic": "clinic-a", "review_id": 999999},
        ],
    }
    response = api("key_alpha").post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Nothing was removed: correct the fields marked.",
        "code": "invalid",
        "fields": {
            "action": ["Choose redact or delete."],
            "items[1].review_id": ["This field is required."],
            "author": ["Give the author's name or handle (2 characters or more)."],
            "reason": [
                "Say why in at least 3 words (10 characters or more), not one word repeated."
            ],
            "items[0].clinic": ["No clinic “nope” in this agency."],
            "items[2].review_id": ["No item #999999 at Clinic A."],
        },
    }
    assert PrivacyRequest.objects.count() == before


def test_a_well_formed_request_names_its_unknown_items_at_their_paths(api, clinic_a):
    body = {
        "author": "Reese B.",
        "reason": "Erasure request REQ-114 received by e-mail",
        "action": "redact",
        "items": [{"clinic": "clinic-a", "review_id": 999999}, {"clinic": "gone", "review_id": 2}],
    }
    response = api("key_alpha").post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "items[0].review_id": ["No item #999999 at Clinic A."],
        "items[1].clinic": ["No clinic “gone” in this agency."],
    }
