"""Black-box finding: an invitation link opened in two tabs took a password in each. Tab 1 set
A, tab 2 then "set" B with no error and went on to two-factor setup, whose "continue" led back
to the used link ("This link does not work"); only A worked. The second submission is now
refused ("Your password was already set with this link — sign in"), nothing changed; the
password is set once even when both arrive at the same moment (the person's row locked, the
link checked again under the lock), and nobody is sent back to a used link."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services as account_services
from accounts.models import SecurityEvent, SecurityEventCode, User
from accounts.tokens import password_link_generator
from agency.services import agency_member_add
from tests.fixtures.threads import race

A = "first chosen passphrase 41"
B = "second chosen passphrase 77"
SETUP_NEXT = "/account/two-factor/setup/?next=%2Fstart%2F"


def _link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/password-reset/{uid}/{password_link_generator(user).make_token(user)}/"


def _open(client: Client, link: str) -> str:
    """Open the link as a tab does: the form's address (the token kept in the session)."""
    opened = client.get(link)
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")
    return opened["Location"]


def _choose(client: Client, form: str, password: str):
    return client.post(form, {"new_password1": password, "new_password2": password})


def _invited_staff(world, email: str) -> User:
    membership = agency_member_add(
        agency=world.agencies["alpha"], email=email, full_name="Tab Tester", role="writer"
    )
    return User.objects.get(pk=membership.user_id)


def test_the_second_tab_of_one_invitation_is_refused_and_changes_nothing(world, db):
    # given: the invitation opened in two tabs of one browser
    person = _invited_staff(world, "two.tabs@alpha.test")
    browser = Client()
    link = _link(person)
    tab1, tab2 = _open(browser, link), _open(browser, link)

    # when: tab 1 sets A, then tab 2 sets B
    first = _choose(browser, tab1, A)
    second = _choose(browser, tab2, B)

    # then: A is set and the two-factor setup follows; B is refused, and says so
    assert first.status_code == 302 and first["Location"] == SETUP_NEXT
    assert second.status_code == 409
    html = second.content.decode()
    assert "Your password was already set with this link — " in html
    assert (
        f'<a href="{SETUP_NEXT.replace("&", "&amp;")}" id="link-used-sign-in">sign in</a>' in html
    )
    assert "This link does not work" not in html
    person.refresh_from_db()
    assert check_password(A, person.password) and not check_password(B, person.password)
    events = SecurityEvent.objects.filter(target_user_id=person.pk, event__startswith="invitation.")
    assert [e.event for e in events] == [SecurityEventCode.INVITATION_ACCEPTED]


def test_a_used_link_opened_again_says_so_and_setup_never_leads_back_to_it(world, db):
    # given: the password set through the link in this browser
    person = _invited_staff(world, "reopen@alpha.test")
    browser = Client()
    link = _link(person)
    assert _choose(browser, _open(browser, link), A)["Location"] == SETUP_NEXT

    # when: the used link is opened again, before two-factor setup
    again = browser.get(link)

    # then: the page itself answers (no detour through setup back to it), naming the way on
    assert again.status_code == 200
    assert "Your password was already set with this link — " in again.content.decode()
    # and the two-factor setup never continues to a password link
    setup = browser.get("/account/two-factor/setup/?next=" + link).content.decode()
    assert '<input type="hidden" name="next" value="/">' in setup
    # another browser, with nothing of this one, only learns that the link does not work
    elsewhere = Client().get(link).content.decode()
    assert "already set" not in elsewhere and "This link does not work" in elsewhere


@pytest.fixture
def committed_person(world, django_db_blocker):
    """An invited person committed to the database (each racing request reads them on its own
    connection), deleted afterwards."""
    with django_db_blocker.unblock():
        person = User.objects.create_user(
            email=f"race-{uuid.uuid4().hex[:8]}@clinics.test", full_name="Race Person"
        )
        person.set_unusable_password()
        person.save()
        try:
            yield person
        finally:
            User.objects.filter(pk=person.pk).delete()


def test_two_browsers_submitting_one_link_at_once_set_the_password_once(
    committed_person, monkeypatch
):
    # given: the link open in two browsers; the first to set a password keeps its transaction
    # open a moment (the other request arrives meanwhile)
    person = committed_person
    link = _link(person)
    browsers = [Client(), Client()]
    forms = [_open(b, link) for b in browsers]
    record, first = account_services.security_event_record, threading.Event()

    def slowly(**kwargs):
        made = record(**kwargs)
        if not first.is_set():
            first.set()
            time.sleep(0.5)
        return made

    monkeypatch.setattr(account_services, "security_event_record", slowly)

    # when: both submit at the same moment, A and B
    answers = race(
        lambda: _choose(browsers[0], forms[0], A), lambda: _choose(browsers[1], forms[1], B)
    )

    # then: one sets its password, the other is refused and says so; one line in the log
    statuses = [getattr(a, "status_code", a) for a in answers]
    assert sorted(statuses) == [302, 409]
    winner = A if statuses[0] == 302 else B
    loser = answers[statuses.index(409)]
    assert "Your password was already set with this link — " in loser.content.decode()
    person.refresh_from_db()
    assert check_password(winner, person.password)
    events = SecurityEvent.objects.filter(target_user_id=person.pk, event__startswith="invitation.")
    assert events.count() == 1
