"""Security matrix (hostile-input tester): who may reset a staff member's two-factor sign-in,
and when the refusal comes. A manager who posted the staff page's reset for the owner was shown
the confirmation page ("Reset the two-factor sign-in of owner@…?") and refused only after
confirming. The rule (`agency.models.agency_role_may_reset_sign_in`: an owner, never for their
own account) is now asked before the confirmation page is shown, and the service refuses by the
same rule."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from agency.models import AgencyMembership, AgencyRole, agency_role_may_reset_sign_in

STAFF = "/agency/settings/people/"
QUESTION = "Reset the two-factor sign-in of"


@pytest.mark.parametrize(
    ("role", "may"),
    [("owner", True), ("manager", False), ("writer", False), ("analyst", False)],
)
def test_only_an_owner_may_reset_someones_sign_in(role, may):
    assert agency_role_may_reset_sign_in(acting_role=AgencyRole(role)) is may


# (who posts, whose two-factor, the answer to the first post, what it says)
MATRIX = [
    ("alpha_owner", "alpha_manager", 200, QUESTION),
    ("alpha_owner", "alpha_writer", 200, QUESTION),
    ("alpha_owner", "alpha_owner", 400, "Not for your own account."),
    ("alpha_manager", "alpha_owner", 400, "Only an owner resets someone"),
    ("alpha_manager", "alpha_writer", 400, "Only an owner resets someone"),
    ("alpha_manager", "alpha_manager", 400, "Only an owner resets someone"),
]


@pytest.mark.parametrize(
    ("who", "target", "status", "said"),
    MATRIX,
    ids=[f"{who}-resets-{target}" for who, target, *_ in MATRIX],
)
def test_the_staff_page_refuses_before_its_confirmation(login, world, who, target, status, said):
    membership = AgencyMembership.objects.get(user=world.users[target])

    # when the reset is posted without its confirmation (the first post of the two)
    answer = login(who).post(STAFF, {"action": "reset_two_factor", "membership": membership.pk})

    # then an owner is asked to confirm; anyone else is refused at once, never asked
    page = answer.content.decode()
    assert answer.status_code == status
    assert said in page
    if status != 200:
        assert QUESTION not in page
    assert TOTPDevice.objects.filter(user=world.users[target]).exists()


def test_a_manager_confirming_anyway_is_refused_and_nothing_changes(login, world):
    owner = AgencyMembership.objects.get(user=world.users["alpha_owner"])
    answer = login("alpha_manager").post(
        STAFF, {"action": "reset_two_factor", "membership": owner.pk, "confirm": "yes"}
    )
    assert answer.status_code == 400
    assert "Only an owner resets someone" in answer.content.decode()
    assert TOTPDevice.objects.filter(user=world.users["alpha_owner"]).exists()
