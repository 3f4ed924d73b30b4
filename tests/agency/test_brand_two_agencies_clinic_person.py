"""A clinic person of two agencies' clinics (an account made before one account was one
agency's, or joined by an operator): their clinic list carries neither agency's brand above the
other's clinic (walk 21: it carried the first agency's, over both), while each clinic's pages
carry its own agency's."""

from __future__ import annotations

import re

from clinics.models import ClinicMembership


def _brand_link(html: str) -> str:
    return re.sub(
        r"<[^>]+>", "", re.search(r'<a class="brand" href="[^"]*">(.*?)</a>', html, re.S).group(1)
    ).strip()


def test_the_clinic_list_names_neither_agency_and_each_clinic_its_own(login, world):
    ClinicMembership.objects.create(
        clinic=world.clinics["c"], user=world.users["a_approver"], role="viewer"
    )
    client = login("a_approver")

    home = client.get("/").content.decode()
    # both clinics listed, each with its agency named beside it; the top bar names neither
    assert 'data-clinic="clinic-a"' in home and 'data-clinic="clinic-c"' in home
    assert _brand_link(home) == "Carewatch"

    assert "Alpha Agency</title>" not in home and "Beta Agency</title>" not in home

    # each clinic's portal carries its own agency's brand
    for slug, brand in (("clinic-a", "Alpha Agency"), ("clinic-c", "Beta Agency")):
        portal = client.get(f"/clinics/{slug}/portal/").content.decode()
        said = re.search(r'<a class="portal-brand"[^>]*>.*?<span>(.*?)</span>', portal, re.S)
        assert said.group(1) == brand, slug


def test_a_person_of_one_agency_keeps_its_brand_on_the_clinic_list(login):
    home = login("a_approver").get("/").content.decode()
    assert _brand_link(home) == "Alpha Agency"
