"""Reviews ticked in the inbox whose ids are not numbers ("²" passes `str.isdigit()` but
`int()` refuses it) are no reviews chosen, never a 500 (review 13, #1)."""

from __future__ import annotations


def test_odd_review_ids_in_the_inbox_are_no_reviews_chosen(clinic_a, login):
    client = login("alpha_manager")

    answer = client.post(
        "/clinics/clinic-a/inbox/", {"review": ["²", "①", "9" * 30], "status": "resolved"}
    )

    assert answer.status_code == 302
    page = client.get(answer["Location"]).content.decode()
    assert "Choose reviews and a status." in page
