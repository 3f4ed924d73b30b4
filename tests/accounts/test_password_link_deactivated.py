"""A deactivated person's password link (an invitation or a reset sent before they were
deactivated) sets no password and signs nobody in: the page says the account is deactivated,
and the security log records no sign-in. Only the account's own signed link says so."""

from __future__ import annotations

from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import SecurityEvent, User
from accounts.services import user_deactivate
from accounts.tokens import password_link_generator

NEW = "a long new passphrase 93"
DEACTIVATED = "This account is deactivated: its link sets no password and signs nobody in."
DOES_NOT_WORK = "This link does not work"


def _invited(email: str) -> tuple[User, str]:
    """A person invited (no password yet) and the path of their invitation link."""
    person = User.objects.create_user(email=email, full_name="Dana Gone")
    person.set_unusable_password()
    person.save()
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = password_link_generator(person).make_token(person)
    return person, f"/password-reset/{uid}/{token}/"


def test_a_deactivated_person_following_their_invitation_is_told_and_not_signed_in(world, db):
    # given a person deactivated before they accepted the invitation
    person, link = _invited("dana@clinics.test")
    user_deactivate(user=person)
    client = Client()

    # when they open the link and post a password to it
    page = client.get(link, follow=True)
    posted = client.post(link, {"new_password1": NEW, "new_password2": NEW})

    # then the page says why, no password is set, nobody is signed in, no sign-in is logged
    assert page.status_code == 200 and DEACTIVATED in page.content.decode()
    assert DOES_NOT_WORK not in page.content.decode()
    assert posted.status_code == 200 and DEACTIVATED in posted.content.decode()
    person.refresh_from_db()
    assert not person.has_usable_password()
    assert "_auth_user_id" not in client.session
    assert not SecurityEvent.objects.filter(actor_id=person.pk, event__startswith="login.").exists()


def test_a_made_up_link_does_not_say_that_an_account_is_deactivated(world, db):
    person, link = _invited("dana2@clinics.test")
    user_deactivate(user=person)
    made_up = link.rsplit("/", 2)[0] + "/abc-0123456789abcdef/"

    html = Client().get(made_up).content.decode()

    assert DOES_NOT_WORK in html and DEACTIVATED not in html


def test_an_active_persons_link_still_works(world, db):
    person, link = _invited("dana3@clinics.test")
    client = Client()

    form = client.get(link, follow=True)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})

    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)
