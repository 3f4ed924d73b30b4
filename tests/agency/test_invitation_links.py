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


def test_the_earlier_invitation_says_a_newer_one_was_sent_and_to_use_the_latest(
    login, world, clinic_a
):
    # given: an invitation, sent again
    mail.outbox.clear()
    client = login("alpha_manager")
    client.post(PEOPLE, {"action": "save", "email": "pia@clinic-a.test", "full_name": "Pia",
                         "role": "approver"})  # fmt: skip
    m = ClinicMembership.objects.get(clinic=clinic_a, user__email="pia@clinic-a.test")
    client.post(PEOPLE, {"action": "invite", "membership": m.pk})
    first, _ = (_link(message) for message in mail.outbox)
    # when: the earlier e-mail's link is opened
    html = Client().get(first).content.decode()
    # then: it says a newer e-mail replaced it and to use the latest, with the invitation's days
    assert "This link does not work: a newer e-mail replaced it" in html
    assert (
        "An invitation sent to you again stops the links of the earlier ones: open the "
        "<strong>latest</strong> invitation e-mail and use its link (it works once, for 7 days "
        "after it was sent)." in html
    )
    assert "A reset link works once, for an hour after it was sent." in html
