"""A deactivation is dated in the clinic's own time zone everywhere: 04:57 UTC on 6 December is
20:57 on 5 December in Los Angeles, and every page of the clinic, the dashboard and the
refusals say 5 Dec 2026."""

from __future__ import annotations

from datetime import UTC, datetime
from html import unescape

import pytest

from accounts.actors import Actor
from clinics.lifecycle import clinic_deactivate
from clinics.paused import deactivated_on
from clinics.services import clinic_create
from reports.models import ReportSettings

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 6, 4, 57, tzinfo=UTC)


@pytest.fixture
def lakeview(world):
    clinic = clinic_create(
        agency=world.agencies["alpha"],
        name="Lakeview Pediatrics",
        slug="lakeview-peds",
        timezone="America/Los_Angeles",
    )
    return clinic_deactivate(
        clinic=clinic,
        actor=Actor(user=world.users["alpha_owner"]),
        confirm_name="Lakeview Pediatrics",
        now=AT,
    )


def test_every_page_dates_the_deactivation_in_the_clinics_zone(lakeview, login):
    owner = login("alpha_owner")
    assert deactivated_on(lakeview) == "5 Dec 2026"

    # the read-only refusal of a write on the clinic's pages
    refused = owner.post("/clinics/lakeview-peds/report/send/", {"month": "2026-11"})
    assert refused.status_code == 409
    assert "Deactivated on 5 Dec 2026 by Alpha Owner" in refused.content.decode()
    # the banner of its pages
    assert "Deactivated on 5 Dec 2026 by Alpha Owner" in (
        owner.get("/clinics/lakeview-peds/").content.decode()
    )
    # the dashboard's row and its list of deactivated clinics
    dashboard = owner.get("/agency/").content.decode()
    assert "Lakeview Pediatrics</a> — deactivated on 5 Dec 2026 by Alpha Owner" in dashboard
    paused = owner.get("/agency/", {"status": "paused"}).content.decode()
    row = paused[paused.index('data-clinic="lakeview-peds"') :]
    assert "Deactivated on 5 Dec 2026 by Alpha Owner" in row
    for html in (dashboard, paused):
        assert "2026-12-06" not in html and "6 Dec 2026" not in html

    # the API's refusals
    again = owner.post(
        "/clinics/lakeview-peds/api/v1/deactivate/",
        {"confirm_name": "Lakeview Pediatrics"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "Lakeview Pediatrics is already deactivated (since 5 Dec 2026)."
    )


def test_a_deactivated_clinics_report_and_settings_show_their_actions_off_with_why(lakeview, login):
    ReportSettings.objects.create(clinic=lakeview, send_monthly=True)
    owner = login("alpha_owner")
    why = (
        "Deactivated on 5 Dec 2026 by Alpha Owner: the clinic is read-only. An owner can "
        "reactivate it from its settings (Leaving: export, deactivate, delete)."
    )

    report = unescape(owner.get("/clinics/lakeview-peds/report/?month=2026-11").content.decode())
    assert f"Not sent while the clinic is deactivated. {why}" in report
    assert '<button type="button" disabled>Send to the clinic</button>' in report
    assert 'action="/clinics/lakeview-peds/report/send/"' not in report
    assert "<strong>suspended while the clinic is deactivated</strong>" in report

    settings = unescape(owner.get("/clinics/lakeview-peds/settings/report/").content.decode())
    assert why in settings
    assert (
        "<fieldset disabled>" in settings and '<button type="submit">Save</button>' not in settings
    )
    # the Leaving tab, which works on a deactivated clinic, keeps its actions
    leaving = owner.get("/clinics/lakeview-peds/settings/leaving/").content.decode()
    assert 'data-testid="read-only"' not in leaving
