"""A clinic's pages and portal show its own clock, labelled; its API keeps UTC (ISO 8601 with
the offset), whatever the clinic's zone."""

from __future__ import annotations

from datetime import UTC, datetime

from django_tenants.utils import schema_context

from clinics.models import Clinic
from crisis.models import Incident


def _set_zone(clinic, zone):
    clinic = Clinic.objects.get(pk=clinic.pk)
    clinic.timezone = zone
    clinic.save()  # as the settings page does (the routing cache hears of it)


def test_pages_show_the_clinics_local_time_and_the_api_utc(login, api, clinic_a, rows):
    _set_zone(clinic_a, "America/Los_Angeles")
    incident = rows(clinic_a).incident(title="Surge")
    opened = datetime(2026, 12, 4, 22, 33, tzinfo=UTC)  # 14:33 in Los Angeles (PST)
    with schema_context(clinic_a.schema_name):
        Incident.objects.filter(pk=incident.pk).update(opened_at=opened)

    page = login("alpha_writer").get("/clinics/clinic-a/incidents/").content.decode()
    assert "2026-12-04 14:33" in page and "2026-12-04 22:33" not in page
    assert "local time (PST)" in page

    body = api("key_alpha").get(f"/clinics/clinic-a/api/v1/incidents/{incident.pk}/").json()
    assert datetime.fromisoformat(body["opened_at"].replace("Z", "+00:00")) == opened
    assert body["opened_at"].endswith(("Z", "+00:00"))


def test_a_page_outside_any_clinic_is_back_on_utc_after_a_clinic_page(login, clinic_a):
    from django.utils import timezone

    _set_zone(clinic_a, "Asia/Tokyo")
    client = login("alpha_writer")
    assert "(JST)" in client.get("/clinics/clinic-a/").content.decode()
    assert timezone.get_current_timezone_name() == "UTC"
    assert "(JST)" not in client.get("/agency/").content.decode()
