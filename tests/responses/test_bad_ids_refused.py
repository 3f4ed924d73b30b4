"""An id typed in a query or a form that is not one ("²" passes `str.isdigit()` but no id
column reads it) is ignored or refused as the page refuses a wrong id, never a 500 (review 13,
#1 and #2: the batch fix with a `text` that is not a string)."""

from __future__ import annotations

import json

import pytest

from responses.views_batches import MAX_TEXT
from tests.responses.test_batches import _claim

BASE = "/clinics/clinic-a"
ODD = ["²", "①", "9" * 30]


@pytest.mark.parametrize("raw", ODD)
def test_the_templates_page_ignores_an_odd_checked_value(clinic_a, login, raw):
    answer = login("alpha_manager").get(f"{BASE}/settings/templates/", {"checked": raw})

    assert answer.status_code == 200
    assert 'id="template-check"' not in answer.content.decode()


@pytest.mark.parametrize("raw", ODD)
def test_saving_an_odd_template_id_is_no_such_template(clinic_a, login, raw):
    answer = login("alpha_manager").post(f"{BASE}/settings/templates/", {"template": raw})

    assert answer.status_code == 404


@pytest.mark.parametrize("raw", ["²", "0", "x"])
def test_the_follow_ups_list_refuses_an_odd_owner_with_a_400(clinic_a, login, raw):
    answer = login("alpha_manager").get(f"{BASE}/api/v1/private-conversations/", {"owner_id": raw})

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"owner_id": ["A number."]}


def test_a_batch_from_odd_review_ids_is_refused_as_no_review_chosen(clinic_a, login):
    answer = login("alpha_writer").post(
        f"{BASE}/replies/batches/new/", {"review": ["²", "①"], "next": f"{BASE}/inbox/"}
    )

    assert answer.status_code == 302


@pytest.mark.parametrize("text", [5, True, 1.5, None, ["x"]], ids=repr)
def test_the_batch_fix_refuses_a_text_that_is_not_a_string_with_start_and_end(
    clinic_a, as_user, login, text
):
    cluster_id, _ids = _claim(clinic_a, 2)
    bid = as_user("alpha_writer", clinic_a).post("reply-batches/", {"cluster_id": cluster_id})
    bid = bid.json()["id"]

    answer = login("alpha_writer").post(
        f"{BASE}/replies/batches/{bid}/fix/",
        json.dumps({"text": text, "start": 0, "end": 1}),
        content_type="application/json",
    )

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"text": [f"The text to fix, at most {MAX_TEXT} characters."]}
