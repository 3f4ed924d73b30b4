"""The delete page says that the export files go with the clinic (download first), warns
while an export is still being built, and says what is kept."""

from __future__ import annotations

import re
from html import unescape

import pytest

from accounts.actors import Actor
from clinics.lifecycle import clinic_deactivate
from clinics.services import clinic_create
from offboarding.models import ClinicExport

pytestmark = pytest.mark.django_db
URL = "/clinics/parting-clinic/settings/leaving/delete/"


@pytest.fixture
def parting(world):
    clinic = clinic_create(
        agency=world.agencies["alpha"], name="Parting Clinic", slug="parting-clinic"
    )
    clinic_deactivate(
        clinic=clinic, actor=Actor(user=world.users["alpha_owner"]), confirm_name=clinic.name
    )
    return clinic


def test_with_an_export_made_it_says_to_download_it_as_it_goes_with_the_clinic(parting, login):
    ClinicExport.objects.create(clinic=parting, status="done", file_name="exports/x.zip")
    html = unescape(login("alpha_owner").get(URL).content.decode())
    assert (
        "Download its export before deleting, and export again first if the data changed "
        "since: the export files are deleted with the clinic, and so is this tab they "
        "download from."
    ) in html
    assert 'id="export-running"' not in html
    assert (
        "Kept: the security log (its lines about the clinic, and one saying who deleted it), "
        "the privacy requests log, and people's accounts (they no longer open this clinic)."
    ) in html


@pytest.mark.parametrize("status", ["queued", "running"])
def test_an_export_still_being_built_is_warned_about(parting, login, status):
    ClinicExport.objects.create(clinic=parting, status="done", file_name="exports/x.zip")
    ClinicExport.objects.create(clinic=parting, status=status)
    html = unescape(login("alpha_owner").get(URL).content.decode())
    assert (
        "An export is still being built. Wait until it is ready and download it "
        "(Leaving): deleting now stops it, and nothing can be exported afterwards."
    ) in " ".join(re.sub(r"<[^>]+>", "", html).split())
