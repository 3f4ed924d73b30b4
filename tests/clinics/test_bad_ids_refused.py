"""An id typed in a settings form that is not one ("²" passes `str.isdigit()` but no id column
reads it) is "no such person" / "no such key" (404), as a wrong id is, never a 500 (review 13,
#1)."""

from __future__ import annotations

import pytest

from accounts.models import ApiKey
from clinics.models import ClinicMembership

BASE = "/clinics/clinic-a/settings"
ODD = ["²", "①", "9" * 30, "x"]


@pytest.mark.parametrize("action", ["remove", "invite"])
@pytest.mark.parametrize("raw", ODD)
def test_an_odd_person_id_on_the_people_page_is_a_404(clinic_a, login, action, raw):
    people = ClinicMembership.objects.filter(clinic=clinic_a).count()

    answer = login("alpha_manager").post(f"{BASE}/people/", {"action": action, "membership": raw})

    assert answer.status_code == 404
    assert ClinicMembership.objects.filter(clinic=clinic_a).count() == people


@pytest.mark.parametrize("action", ["revoke", "rotate"])
@pytest.mark.parametrize("raw", ODD)
def test_an_odd_key_id_on_the_api_keys_page_is_a_404(clinic_a, login, action, raw):
    working = ApiKey.objects.filter(clinic=clinic_a, revoked_at__isnull=True).count()

    answer = login("alpha_manager").post(f"{BASE}/api-keys/", {"action": action, "key": raw})

    assert answer.status_code == 404
    assert ApiKey.objects.filter(clinic=clinic_a, revoked_at__isnull=True).count() == working
