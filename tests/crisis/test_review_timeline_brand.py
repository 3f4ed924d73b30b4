"""The post-crisis review's timeline in the clinic's copy (its portal page, the PDF sent to it)
names the product's own parts after the agency, as the portal's incident page does ("Brightside
Care Reviews detectors", never "Carewatch detectors"); the agency's own page keeps the product's
name (walk 11, finding 12)."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from agency.models import Agency
from clinics.models import Clinic
from crisis.models import EventKind, Incident, IncidentEvent
from crisis.timeline import review_timeline

BRAND = "Brightside Care Reviews"


def test_the_clinics_copy_says_the_agencys_brand_where_the_product_acted(world, clinic_a):
    agency = Agency.objects.get(pk=clinic_a.agency_id)
    before = agency.display_name
    agency.display_name = BRAND
    agency.save(update_fields=["display_name"])
    try:
        _the_clinics_copy_says_the_brand(
            Clinic.objects.select_related("agency").get(pk=clinic_a.pk)
        )
    finally:
        agency.display_name = before
        agency.save(update_fields=["display_name"])


def _the_clinics_copy_says_the_brand(clinic_a):
    now = timezone.now()
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.create(
            kind="surge", title="Surge", severity="high", trigger={},
            opened_at=now, last_detected_at=now,
        )  # fmt: skip
        IncidentEvent.objects.create(
            incident=incident, kind=EventKind.OPENED, message="Opened.",
            actor="Carewatch detectors", at=now,
        )  # fmt: skip
        IncidentEvent.objects.create(
            incident=incident, kind=EventKind.OPENED, message="Seen.", actor="Sam Manager", at=now
        )
        client = review_timeline(incident, clinic_a, for_client=True)
        agency_copy = review_timeline(incident, clinic_a)

    assert [line["who"] for line in client] == [f"{BRAND} detectors", "Sam Manager"]
    assert [line["who"] for line in agency_copy] == ["Carewatch detectors", "Sam Manager"]
