"""One person on the staff of two agencies reads, on a page about one of them, that agency's
name in the top bar (never the other's), and tells apart two clinics of one name by whose
they are."""

from __future__ import annotations

import re

import pytest

from agency.models import AgencyMembership
from clinics.models import Clinic


@pytest.fixture
def in_both(world, db):
    AgencyMembership.objects.create(
        agency=world.agencies["beta"], user=world.users["alpha_owner"], role="analyst"
    )


def _top_bar(html: str) -> str:
    return re.search(r'<a class="brand"[^>]*>(.*?)</a>', html, re.S).group(1).strip()


def test_the_top_bar_names_the_agency_the_page_is_about(login, in_both):
    client = login("alpha_owner")
    beta = client.get("/agency/", {"agency": "beta"}).content.decode()
    assert _top_bar(beta) == "Beta Agency"
    assert "Alpha Agency" not in beta.split("<main", 1)[0].split("</header>", 1)[0]
    assert _top_bar(client.get("/agency/").content.decode()) == "Alpha Agency"
    # an agency they are not staff of: its 404 page in their first agency's name
    missing = client.get("/agency/", {"agency": "nope"})
    assert missing.status_code == 404
    assert "<title>Not found · Alpha Agency</title>" in missing.content.decode()


def test_two_clinics_of_one_name_say_whose_they_are_in_the_switcher(login, in_both, clinic_c):
    Clinic.objects.filter(pk=clinic_c.pk).update(name="Clinic A")
    html = login("alpha_owner").get("/agency/").content.decode()
    switcher = re.search(r'<select id="clinic-switch".*?</select>', html, re.S).group(0)
    options = re.findall(r"<option value=\"([^\"]+)\"[^>]*>([^<]+)</option>", switcher)
    assert ("clinic-a", "Clinic A (Alpha Agency)") in options
    assert ("clinic-c", "Clinic A (Beta Agency)") in options
    assert ("clinic-b", "Clinic B") in options  # a name nobody else has stays as it is
