"""Black-box findings on the agency's people page (`/agency/settings/people/`): a writer saw
everyone's sign-in history and two-factor state (which accounts are weak), and the last
owner's own row offered Remove and a whole confirmation page before saying "The agency needs
an owner"."""

from __future__ import annotations

import re

import pytest

from agency.models import AgencyMembership
from agency.services import agency_member_add

PEOPLE = "/agency/settings/people/"


def _row(html: str, email: str) -> str:
    return re.search(rf'<tr data-person="{re.escape(email)}">.*?</tr>', html, re.S).group(0)


@pytest.mark.parametrize("viewer", ["alpha_writer", "alpha_analyst"])
def test_writers_and_analysts_see_names_roles_and_clinics_but_no_security_state(
    login, world, viewer
):
    html = login(viewer).get(PEOPLE).content.decode()

    row = _row(html, "manager@alpha.test")
    assert "Alpha Manager" in row and "Manager" in row and "All clinics" in row
    assert "data-sign-in" not in html
    assert "two-factor" not in row and "signed in" not in row
    assert '<th scope="col">Sign-in</th>' not in html


@pytest.mark.parametrize("viewer", ["alpha_owner", "alpha_manager"])
def test_owners_and_managers_see_the_sign_in_and_two_factor_state(login, world, viewer):
    html = login(viewer).get(PEOPLE).content.decode()

    row = _row(html, "writer@alpha.test")
    assert 'data-sign-in="writer@alpha.test"' in row and "two-factor on" in row


def test_the_last_owner_is_offered_no_remove_and_is_told_why(login, world):
    html = login("alpha_owner").get(PEOPLE).content.decode()

    row = _row(html, "owner@alpha.test")
    assert "Remove owner@alpha.test" not in row
    assert "Cannot be removed: the agency needs an owner. Make someone else owner first." in row
    # others keep their Remove button
    assert 'aria-label="Remove writer@alpha.test from the staff"' in html


def test_the_last_owners_removal_is_still_refused_by_the_server(login, world):
    owner = login("alpha_owner")
    membership = AgencyMembership.objects.get(user=world.users["alpha_owner"])

    answer = owner.post(PEOPLE, {"action": "remove", "membership": membership.pk, "confirm": "yes"})

    assert answer.status_code == 400
    assert "The agency needs an owner." in answer.content.decode()
    assert AgencyMembership.objects.filter(pk=membership.pk).exists()


def test_with_a_second_owner_each_owner_may_be_removed(login, world):
    agency_member_add(
        agency=world.agencies["alpha"], email="owner2@alpha.test", full_name="Second Owner",
        role="owner", password="a long second passphrase 31",
    )  # fmt: skip

    html = login("alpha_owner").get(PEOPLE).content.decode()

    assert 'aria-label="Remove owner@alpha.test from the staff"' in html
    assert "the agency needs an owner" not in html
