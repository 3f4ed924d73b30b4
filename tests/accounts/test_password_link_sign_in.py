"""After choosing a password through an invitation or a reset link, the person is signed in in
that browser: a clinic's people (no second factor) land where signing in leads; agency staff
(and anyone with an authenticator app) are signed in with the password only and go on to set
the app up, or to enter its code, before anything of the agency's opens."""

from __future__ import annotations

from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import SecurityEvent, SecurityEventCode, User
from accounts.tokens import password_link_generator
from agency.services import agency_member_add
from tests.fixtures.browser import totp_device_add

NEW = "a long new passphrase 93"


def _set_password(user: User):
    """Open the person's link in a fresh browser and choose NEW: (the client, the answer)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = password_link_generator(user).make_token(user)
    client = Client()
    form = client.get(f"/password-reset/{uid}/{token}/", follow=True)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    return client, done


def _events(user: User) -> list[tuple[str, str]]:
    return [
        (e.event, e.detail.get("channel", ""))
        for e in SecurityEvent.objects.filter(actor_id=user.pk, event__startswith="login.")
    ]


def test_a_clinic_person_is_signed_in_once_the_invitation_password_is_set(world, db):
    person = User.objects.create_user(email="nora@clinics.test", full_name="Nora New")
    person.set_unusable_password()
    person.save()

    client, done = _set_password(person)

    assert done.status_code == 302 and done["Location"] == "/start/"
    assert client.session["_auth_user_id"] == str(person.pk)
    assert client.get("/").status_code == 200  # "Your clinics", no sign-in page
    assert _events(person) == [(SecurityEventCode.LOGIN_SUCCEEDED, "password_link")]


def test_invited_staff_go_on_to_set_up_two_factor_and_nothing_else_opens(world, db):
    staff = agency_member_add(
        agency=world.agencies["alpha"], email="new-staff@alpha.test", full_name="New Staff",
        role="writer",
    ).user  # fmt: skip

    client, done = _set_password(User.objects.get(pk=staff.pk))

    assert done.status_code == 302
    assert done["Location"] == "/account/two-factor/setup/?next=%2Fstart%2F"
    setup = client.get(done["Location"]).content.decode()
    assert "Now set up two-factor sign-in with an authenticator app." in setup
    # signed in with the password only: the agency's pages wait for the second factor
    dashboard = client.get("/agency/")
    assert dashboard.status_code == 302 and "/account/two-factor/" in dashboard["Location"]
    assert _events(staff) == [(SecurityEventCode.LOGIN_PASSWORD_OK, "password_link")]


def test_a_reset_of_someone_with_an_app_asks_for_its_code_next(world, db):
    person = User.objects.get(email="a_viewer@clinics.test")
    totp_device_add(person)

    client, done = _set_password(User.objects.get(pk=person.pk))

    assert done["Location"] == "/account/two-factor/verify/?next=%2Fstart%2F"
    portal = client.get("/clinics/clinic-a/portal/")
    assert portal.status_code == 302 and "/account/two-factor/" in portal["Location"]
