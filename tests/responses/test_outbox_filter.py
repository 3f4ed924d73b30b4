"""`GET outbox/` reads its `status` filter as every other list does (`query_params_validated`):
a repeated or unknown status, or an unknown parameter, is a 400 naming it, never the last value
read silently (review 13, #6)."""

from __future__ import annotations

import pytest

from responses.models import OutboxStatus

URL = "/clinics/clinic-a/api/v1/outbox/"


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"status": ["failed", "sent"]}, {"status": ["Give one value."]}),
        ({"status": "lost"}, {"status"}),
        ({"state": "failed"}, {"state": ["Unknown parameter."]}),
    ],
    ids=["repeated", "unknown-status", "unknown-parameter"],
)
def test_a_filter_the_outbox_cannot_use_is_a_400_naming_it(clinic_a, login, params, fields):
    answer = login("alpha_manager").get(URL, params)

    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["code"] == "invalid"
    if isinstance(fields, dict):
        assert body["fields"] == fields
    else:
        assert set(body["fields"]) == fields
        assert all(s in body["fields"]["status"][0] for s in OutboxStatus.values)


def test_one_status_still_filters(clinic_a, login):
    answer = login("alpha_manager").get(URL, {"status": "failed"})

    assert answer.status_code == 200
    assert all(item["status"] == "failed" for item in answer.json()["results"])
