"""Walk 14 #18: `incidents/?opened_from=D&opened_to=D` was midnight to midnight UTC: an
incident opened at 23:51 on 5 December in the clinic's New York was found only under 6
December. A day is now the whole day in the clinic's time zone, both ends inclusive; an instant
is exact (both inclusive), as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from clinics.models import Clinic
from crisis.models import Incident
from tests.crisis.test_api import BASE, incidents  # noqa: F401 - the fixture

LATE = datetime(2026, 12, 6, 4, 51, tzinfo=UTC)  # 5 Dec, 23:51 in New York


@pytest.fixture
def late_incident(incidents, clinic_a):  # noqa: F811
    Clinic.objects.filter(pk=clinic_a.pk).update(timezone="America/New_York")
    with schema_context(clinic_a.schema_name):
        first, *others = Incident.objects.order_by("pk")
        Incident.objects.filter(pk=first.pk).update(opened_at=LATE)
        Incident.objects.filter(pk__in=[o.pk for o in others]).update(
            opened_at=datetime(2026, 12, 7, 12, tzinfo=UTC)
        )
    return first.pk


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("opened_from=2026-12-05&opened_to=2026-12-05", True),
        ("opened_from=2026-12-06&opened_to=2026-12-06", False),
        ("opened_to=2026-12-05", True),
        ("opened_from=2026-12-06", False),
        ("opened_from=2026-12-06T04:51:00Z&opened_to=2026-12-06T04:51:00Z", True),  # exact
        ("opened_to=2026-12-06T04:50:59Z", False),
    ],
)
def test_a_day_is_the_whole_day_in_the_clinics_time_zone(late_incident, api, query, found):
    response = api("key_a_read").get(f"{BASE}/incidents/?{query}")
    assert response.status_code == 200, response.json()
    assert (late_incident in [row["id"] for row in response.json()["results"]]) is found
