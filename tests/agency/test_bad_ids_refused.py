"""An id typed in the agency's settings forms that is not one ("²" passes `str.isdigit()` but
no id column reads it) is "no such key" / "no such person" (404), as a wrong id is, never a
500 (review 13, #1)."""

from __future__ import annotations

import pytest

from accounts.models import ApiKey
from agency.models import AgencyMembership

ODD = ["²", "①", "9" * 30, "x"]


@pytest.mark.parametrize("raw", ODD)
def test_an_odd_key_id_on_the_agency_api_keys_page_is_a_404(world, login, raw):
    working = ApiKey.objects.filter(revoked_at__isnull=True).count()

    answer = login("alpha_owner").post(
        "/agency/settings/api-keys/", {"action": "revoke", "key": raw}
    )

    assert answer.status_code == 404
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == working


@pytest.mark.parametrize("raw", ODD)
def test_an_odd_person_id_on_the_agency_people_page_is_a_404(world, login, raw):
    people = AgencyMembership.objects.count()

    answer = login("alpha_owner").post(
        "/agency/settings/people/", {"action": "remove", "membership": raw}
    )

    assert answer.status_code == 404
    assert AgencyMembership.objects.count() == people
