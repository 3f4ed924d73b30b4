"""Hostile-input finding: the people page's "add" sent three times at once answered 302, 500,
500 (IntegrityError on the unique e-mail in `accounts.services.user_get_or_create`). The
person is now created once whatever the concurrency, and the page's add of one e-mail is one
change at a time per clinic: the repeats answer as a repeat sent after it ("Nothing
changed"), and the person is added, logged and invited once."""

from __future__ import annotations

import threading
import time

from django.core import mail
from django.db import transaction
from django.test import Client

from accounts import services as account_services
from accounts.models import SecurityEvent, SecurityEventCode, User
from clinics import services as clinic_services
from clinics.models import ClinicMembership
from tests.fixtures.tenants import otp_verify_session
from tests.fixtures.threads import race as _race

EMAIL = "dbl.person@example.com"


def _held_open(monkeypatch, module, name):
    """`module.name` keeps its caller's transaction open a moment after it runs, the first
    time: the other requests of the race read the rows before that one commits."""
    original = getattr(module, name)
    first = threading.Event()

    def slowly(*args, **kwargs):
        result = original(*args, **kwargs)
        if not first.is_set():
            first.set()
            time.sleep(0.5)
        return result

    monkeypatch.setattr(module, name, slowly)


def _forget(email):
    User.objects.filter(email=email).delete()


def test_two_calls_at_once_for_a_new_email_get_the_same_person(world, committed_clinic):
    email = "twice.at.once@example.com"

    def create():
        with transaction.atomic():
            user = account_services.user_get_or_create(email=email, full_name="Twice")
            time.sleep(0.5)  # the other call looks while this one is not committed yet
            return user.pk

    try:
        results = _race(create, create)
        # then neither failed, and both got the one person
        assert not [r for r in results if isinstance(r, Exception)], results
        assert results[0] == results[1]
        assert User.objects.filter(email=email).count() == 1
    finally:
        _forget(email)


def test_the_people_page_add_sent_three_times_at_once_adds_once(
    world, committed_clinic, monkeypatch
):
    clinic = committed_clinic
    owner = world.users["alpha_owner"]
    url = f"/clinics/{clinic.slug}/settings/people/"
    body = {"action": "add", "email": EMAIL, "full_name": "Dbl Person", "role": "viewer"}
    clients = []
    for _ in range(3):
        client = Client()
        client.force_login(owner)
        otp_verify_session(client, owner)
        clients.append(client)
    _held_open(monkeypatch, clinic_services, "user_membership_changed")
    mail.outbox.clear()
    try:
        # when the same add is sent three times at once
        responses = _race(*[lambda c=c: c.post(url, body) for c in clients])

        # then every request answers as the page does (no 500), the person is added once
        assert [getattr(r, "status_code", r) for r in responses] == [302, 302, 302]
        user = User.objects.get(email=EMAIL)
        assert ClinicMembership.objects.filter(clinic=clinic, user=user).count() == 1
        added = SecurityEvent.objects.filter(
            event=SecurityEventCode.MEMBER_ADDED, target_user_id=user.pk
        )
        assert added.count() == 1
        # and invited once; the repeats were told nothing changed, as a repeat sent after is
        assert [m.to for m in mail.outbox] == [[EMAIL]]
        said = sorted(
            str(m) for c in clients for m in c.get(url).context["messages"]
        )  # fmt: skip
        assert said == [
            f"Nothing changed for {EMAIL}.",
            f"Nothing changed for {EMAIL}.",
            f"{EMAIL} added; an e-mail invites them to choose a password.",
        ]
    finally:
        _forget(EMAIL)
