"""Walk 14 #22: the clinic list says which clinics are deactivated (`active`,
`deactivated_at`), so a sync job skips them instead of meeting 403 `clinic_deactivated`."""

from __future__ import annotations

from datetime import UTC, datetime

from clinics.models import Clinic

AT = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def test_the_list_and_the_clinic_say_it_is_deactivated(clinic_b, api):
    # given clinic B deactivated (a database update: the shared object stays as it is)
    Clinic.objects.filter(pk=clinic_b.pk).update(deactivated_at=AT)
    # when the agency's key lists its clinics
    listed = api("key_alpha").get("/api/v1/clinics/")
    # then each says whether it is active, and since when it is not
    assert listed.status_code == 200
    shown = {c["slug"]: (c["active"], c["deactivated_at"]) for c in listed.json()["results"]}
    assert shown["clinic-b"] == (False, "2026-12-06T09:30:00Z")
    assert shown["clinic-a"] == (True, None)
    # and a call to it says why it is refused
    refused = api("key_b").get("/clinics/clinic-b/api/v1/me/")
    assert refused.status_code == 403 and refused.json()["code"] == "clinic_deactivated"
