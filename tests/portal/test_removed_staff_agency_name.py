"""Black-box finding: a staff member removed from the agency read on "Your clinics" to "ask
Brightside Care Reviews" (the brand the agency's clinics see in their portal), while the
e-mail telling them said the agency's own name. Staff know the agency by its name: the page
says it; a clinic's people still read the brand."""

from __future__ import annotations

from django.test import Client

from agency.services import agency_create, agency_member_add, agency_member_remove
from clinics.services import clinic_create, clinic_member_add, clinic_member_remove


def _agency():
    return agency_create(
        name="Brightside Marketing Ltd", slug="brightside", support_email="help@brightside.test",
        display_name="Brightside Care Reviews",
    )  # fmt: skip


def test_a_removed_staff_member_is_told_to_ask_the_agency_by_its_own_name(world, db):
    agency = _agency()
    owner = agency_member_add(
        agency=agency, email="boss@brightside.test", full_name="Boss", role="owner"
    )
    writer = agency_member_add(
        agency=agency, email="wes@brightside.test", full_name="Wes Writer", role="writer",
        password="a long writer passphrase 63",
    )  # fmt: skip
    agency_member_remove(membership=writer, acting_role="owner", by=owner.user)
    client = Client()
    client.force_login(writer.user)

    html = client.get("/").content.decode()

    assert (
        "You no longer have access to any clinic. If you should, ask Brightside Marketing Ltd "
        'at <a href="mailto:help@brightside.test">help@brightside.test</a>.' in html
    )
    assert "Brightside Care Reviews" not in html


def test_a_removed_clinic_person_still_reads_the_brand(world, db):
    agency = _agency()
    clinic = clinic_create(agency=agency, name="Bright Clinic", slug="bright-clinic")
    membership = clinic_member_add(
        clinic=clinic, email="cara@bright.test", full_name="Cara", role="approver",
        password="a long clinic passphrase 19",
    )  # fmt: skip
    clinic_member_remove(membership=membership, by=world.users["alpha_manager"])
    client = Client()
    client.force_login(membership.user)

    html = client.get("/").content.decode()

    assert "If you should, ask Brightside Care Reviews at" in html
