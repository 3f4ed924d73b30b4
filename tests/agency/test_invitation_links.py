"""Sending an invitation again makes the earlier links stop working (it is sent again because
the first went somewhere wrong); the newest link works once."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from clinics.models import ClinicMembership

PEOPLE = "/clinics/clinic-a/settings/people/"


def _link(message) -> str:
    return re.search(r"http://\S+(/password-reset/\S+/)", message.body).group(1)


def test_an_invitation_sent_again_stops_the_earlier_link(login, world, clinic_a):
    mail.outbox.clear()
    client = login("alpha_manager")
    client.post(PEOPLE, {"action": "save", "email": "amy@clinic-a.test", "full_name": "Amy",
                         "role": "approver"})  # fmt: skip
    m = ClinicMembership.objects.get(clinic=clinic_a, user__email="amy@clinic-a.test")
    client.post(PEOPLE, {"action": "invite", "membership": m.pk})
    first, second = (_link(message) for message in mail.outbox)
    assert first != second
    # the first link says it does not work; the newest leads to choosing a password
    stale = Client().get(first)
    assert stale.status_code == 200 and "This link does not work" in stale.content.decode()
    fresh = Client().get(second)
    assert fresh.status_code == 302 and fresh["Location"].endswith("/set-password/")
