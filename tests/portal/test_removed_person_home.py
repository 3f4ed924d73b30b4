"""A clinic person removed from their last clinic reads, on "Your clinics", that they no
longer have access and whom to ask (the agency as they know it, with its support e-mail),
not "no clinics yet", which is for someone not added anywhere so far."""

from __future__ import annotations

from django.test import Client

from clinics.services import clinic_member_add, clinic_member_remove


def test_a_removed_person_reads_they_no_longer_have_access_and_whom_to_ask(world, clinic_a):
    # given: Avery, removed from clinic A (her only clinic)
    membership = clinic_member_add(
        clinic=clinic_a, email="avery@clinic-a.test", full_name="Avery", role="approver",
        password="a long passphrase 42",
    )  # fmt: skip
    clinic_member_remove(membership=membership, by=world.users["alpha_manager"])
    client = Client()
    client.force_login(membership.user)
    # when
    html = client.get("/").content.decode()
    # then
    assert (
        "You no longer have access to any clinic. If you should, ask Alpha Agency at "
        '<a href="mailto:help@alpha.test">help@alpha.test</a>.' in html
    )
    assert "no clinics yet" not in html


def test_someone_never_added_reads_no_clinics_yet(world, clinic_a):
    user = clinic_member_add(
        clinic=clinic_a, email="noor@clinic-a.test", full_name="Noor", role="approver"
    ).user
    user.clinic_memberships.all().delete()  # as if never added: no removal in the log
    client = Client()
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "You have no clinics yet." in html and "no longer have access" not in html
