"""A lost phone without backup codes: an agency owner resets a staff member's two-factor
sign-in (their app and backup codes go, they set it up again at their next sign-in and are
e-mailed that it happened); nobody else may, and not for oneself."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SecurityEvent
from agency.models import AgencyMembership
from agency.services import agency_member_two_factor_reset
from core.errors import PermissionDenied, ValidationFailed
from tests.agency.conftest import BRAND, NAME
from tests.fixtures.tenants import PASSWORD


def _membership(world, who: str) -> AgencyMembership:
    return AgencyMembership.objects.select_related("agency", "user").get(user=world.users[who])


def test_an_owner_resets_a_writers_two_factor_and_the_writer_sets_it_up_again(world, db):
    mail.outbox.clear()
    writer, owner = world.users["alpha_writer"], world.users["alpha_owner"]
    sent = agency_member_two_factor_reset(
        membership=_membership(world, "alpha_writer"), acting_role="owner", by=owner
    )
    assert sent is True
    assert not TOTPDevice.objects.filter(user=writer).exists()
    # the writer is told, with what to do and whom to tell if it was not asked for
    [notice] = mail.outbox
    assert notice.to == ["writer@alpha.test"]
    assert notice.subject == "Your two-factor sign-in was reset"
    assert "Alpha Owner reset your two-factor sign-in at Alpha Agency" in notice.body
    assert "If you did not ask for this, tell Alpha Owner at help@alpha.test at once." in (
        notice.body
    )
    # the security log has it, by the owner, about the writer
    event = SecurityEvent.objects.get(event="otp.reset_for")
    assert (event.actor_id, event.target_user_id) == (owner.pk, writer.pk)
    # the writer's next sign-in goes to setting up an app, not to a code they cannot give
    client = Client()
    answer = client.post("/login/", {"username": "writer@alpha.test", "password": PASSWORD})
    assert answer["Location"].startswith("/account/two-factor/setup/")


@pytest.mark.parametrize("role", ["manager", "writer", "analyst"])
def test_only_an_owner_resets_two_factor(world, db, role):
    with pytest.raises(PermissionDenied):
        agency_member_two_factor_reset(
            membership=_membership(world, "alpha_writer"), acting_role=role,
            by=world.users[f"alpha_{role}"],
        )  # fmt: skip
    assert TOTPDevice.objects.filter(user=world.users["alpha_writer"]).exists()


def test_not_for_ones_own_account(world, db):
    with pytest.raises(ValidationFailed):
        agency_member_two_factor_reset(
            membership=_membership(world, "alpha_owner"), acting_role="owner",
            by=world.users["alpha_owner"],
        )  # fmt: skip
    assert TOTPDevice.objects.filter(user=world.users["alpha_owner"]).exists()


def test_the_owner_resets_it_from_the_staff_page_after_a_confirmation(login, world, db):
    mail.outbox.clear()
    writer = _membership(world, "alpha_writer")
    owner = login("alpha_owner")
    page = owner.get("/agency/settings/people/").content.decode()
    assert 'aria-label="Reset two-factor of writer@alpha.test">Reset two-factor</button>' in page
    assert 'aria-label="Reset two-factor of owner@alpha.test"' not in page  # not one's own
    # the first post asks; nothing changes yet
    asked = owner.post("/agency/settings/people/",
                       {"action": "reset_two_factor", "membership": writer.pk})  # fmt: skip
    assert "Reset the two-factor sign-in of writer@alpha.test?" in asked.content.decode()
    assert TOTPDevice.objects.filter(user=world.users["alpha_writer"]).exists()
    done = owner.post("/agency/settings/people/", {"action": "reset_two_factor",
                      "membership": writer.pk, "confirm": "yes"}, follow=True)  # fmt: skip
    assert "Two-factor sign-in of writer@alpha.test reset" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=world.users["alpha_writer"]).exists()
    assert [m.to for m in mail.outbox] == [["writer@alpha.test"]]
    # a manager sees no such button, and a post of theirs changes nothing
    manager = login("alpha_manager")
    assert "Reset two-factor" not in manager.get("/agency/settings/people/").content.decode()
    analyst = _membership(world, "alpha_analyst")
    refused = manager.post("/agency/settings/people/", {"action": "reset_two_factor",
                           "membership": analyst.pk, "confirm": "yes"})  # fmt: skip
    assert refused.status_code == 400
    assert "Only an owner resets" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=world.users["alpha_analyst"]).exists()


def test_the_reset_notice_comes_in_the_agencys_own_name_not_its_brand(world, branded):
    # given an agency whose clients know it by another name (its portal brand)
    mail.outbox.clear()
    agency_member_two_factor_reset(
        membership=_membership(world, "alpha_writer"),
        acting_role="owner",
        by=world.users["alpha_owner"],
    )
    # then its staff member reads the agency's own name, as on their invitation
    [notice] = mail.outbox
    assert notice.from_email == f"{NAME} <no-reply@carewatch.local>"
    assert notice.body.endswith(f"\n{NAME}\nhelp@alpha.test\n")
    assert BRAND not in notice.body


def test_no_reset_is_offered_to_someone_without_two_factor(login, world, db):
    """The crisis-day walk: "Reset two-factor" was offered for a person whose two-factor was
    off (the page says "off (set up at the next sign-in)"): nothing to reset."""
    TOTPDevice.objects.filter(user=world.users["alpha_analyst"]).delete()  # rolled back
    page = login("alpha_owner").get("/agency/settings/people/").content.decode()
    assert 'aria-label="Reset two-factor of analyst@alpha.test"' not in page
    assert 'aria-label="Reset two-factor of writer@alpha.test"' in page
