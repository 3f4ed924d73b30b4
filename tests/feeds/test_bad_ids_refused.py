"""An id typed in a form of the sources page, the connect button or the agency's privacy page
that is not one ("²" passes `str.isdigit()` but `int()` refuses it) is refused as a wrong id
is, never a 500 (review 13, #1)."""

from __future__ import annotations

import pytest

ODD = ["²", "①", "9" * 30]
REASON = "Erasure request REQ-114 received by e-mail"


@pytest.mark.parametrize("raw", ODD)
def test_an_odd_source_for_replies_by_hand_is_that_source_does_not_exist(clinic_a, login, raw):
    answer = login("alpha_manager").post(
        "/clinics/clinic-a/sources/", {"action": "replies_by_hand", "source": raw, "by_hand": "on"}
    )

    assert answer.status_code == 400
    assert "That source does not exist." in answer.content.decode()


@pytest.mark.parametrize("raw", ODD)
def test_connecting_with_an_odd_source_id_connects_a_new_one(clinic_a, login, raw):
    answer = login("alpha_manager").post(
        "/clinics/clinic-a/sources/connect/google/", {"source": raw}
    )

    assert answer.status_code == 302


@pytest.mark.parametrize("raw", ODD)
def test_an_odd_review_id_in_a_privacy_request_is_not_an_item(world, login, raw):
    form = {"author": "Reese B.", "reason": REASON, "action": "redact", "item": [f"clinic-a:{raw}"]}

    answer = login("alpha_owner").post("/agency/privacy/", form)

    assert answer.status_code == 400
    assert "Not an item" in answer.content.decode()
