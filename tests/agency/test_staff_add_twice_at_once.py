"""The agency's staff page's "add" sent three times at once, on committed rows, each request on
its own connection: the person was created once (`accounts.services.user_get_or_create`), but
nothing kept the membership to one add at a time, so each request read "not on the staff" and
added them (a person already known: "added" logged and told three times). The add of one
e-mail is now one at a time per agency (`agency.services.person_duties_lock`): the first adds, the
others answer as a repeat sent after it ("Already on the staff"), and the person is added,
logged and told once."""

from __future__ import annotations

import threading
import time

import pytest
from django.core import mail
from django.test import Client

from accounts.models import SecurityEvent, SecurityEventCode, User
from agency import services as agency_services
from agency.models import AgencyMembership
from agency.services import ALREADY_STAFF
from tests.fixtures.tenants import otp_verify_session
from tests.fixtures.threads import race

URL = "/agency/settings/people/"
EMAIL = "dbl.staff@example.com"


@pytest.fixture
def committed(world, django_db_blocker):
    """Rows written by the test are committed (the racing requests each read them on their own
    connection); the person it adds is deleted afterwards, with their memberships."""
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            gone = list(User.objects.filter(email=EMAIL).values_list("pk", flat=True))
            User.objects.filter(pk__in=gone).delete()


def _held_open(monkeypatch):
    """`user_membership_changed` keeps its caller's transaction open a moment after it runs, the
    first time: the other requests of the race read the rows before that one commits."""
    original = agency_services.user_membership_changed
    first = threading.Event()

    def slowly(*args, **kwargs):
        result = original(*args, **kwargs)
        if not first.is_set():
            first.set()
            time.sleep(0.5)
        return result

    monkeypatch.setattr(agency_services, "user_membership_changed", slowly)


@pytest.mark.parametrize("known", [False, True], ids=["new-person", "known-person"])
def test_the_staff_page_add_sent_three_times_at_once_adds_once(
    world, committed, monkeypatch, known
):
    # given: the owner on the staff page in three tabs; the person new, or known already
    agency, owner = world.agencies["alpha"], world.users["alpha_owner"]
    if known:
        User.objects.create_user(EMAIL, None, full_name="Dbl Staff")
    clients = []
    for _ in range(3):
        client = Client()
        client.force_login(owner)
        otp_verify_session(client, owner)
        clients.append(client)
    body = {"action": "add", "email": EMAIL, "full_name": "Dbl Staff", "role": "writer"}
    _held_open(monkeypatch)
    mail.outbox.clear()

    # when: the same add is sent three times at once
    responses = race(*[lambda c=c: c.post(URL, body) for c in clients])

    # then: one adds, the others are told, as a repeat sent after it is (no 500)
    assert sorted(getattr(r, "status_code", r) for r in responses) == [302, 400, 400]
    for response in responses:
        if response.status_code == 400:
            assert ALREADY_STAFF in response.content.decode()
    user = User.objects.get(email=EMAIL)
    assert AgencyMembership.objects.filter(agency=agency, user=user).count() == 1
    assert AgencyMembership.objects.get(agency=agency, user=user).role == "writer"
    # and the person is added once: logged once, told once
    added = SecurityEvent.objects.filter(
        event=SecurityEventCode.MEMBER_ADDED, target_user_id=user.pk
    )
    assert added.count() == 1
    assert [m.to for m in mail.outbox] == [[EMAIL]]


def test_an_add_after_the_person_is_on_the_staff_is_refused_and_changes_nothing(world, committed):
    # given: the person on the staff as a writer
    agency, owner = world.agencies["alpha"], world.users["alpha_owner"]
    agency_services.agency_member_add(
        agency=agency, email=EMAIL, full_name="Dbl Staff", role="writer"
    )
    client = Client()
    client.force_login(owner)
    otp_verify_session(client, owner)
    mail.outbox.clear()

    # when: added again, as a manager
    response = client.post(
        URL, {"action": "add", "email": EMAIL.upper(), "full_name": "X", "role": "manager"}
    )

    # then
    assert response.status_code == 400
    assert ALREADY_STAFF in response.content.decode()
    membership = AgencyMembership.objects.get(agency=agency, user__email=EMAIL)
    assert membership.role == "writer"
    assert mail.outbox == []
