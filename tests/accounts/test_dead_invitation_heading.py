"""Black-box finding: an invitation link that no longer works was headed "Set a new password"
above its "This link does not work". The heading now says so, and the page how to get a new
one."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from agency.models import AgencyMembership

PEOPLE = "/agency/settings/people/"


def test_a_replaced_invitation_link_is_headed_as_not_working(login, world):
    mail.outbox.clear()
    owner = login("alpha_owner")
    owner.post(PEOPLE, {"action": "add", "email": "dana@alpha.test", "full_name": "Dana",
                        "role": "writer"})  # fmt: skip
    membership = AgencyMembership.objects.get(user__email="dana@alpha.test")
    owner.post(PEOPLE, {"action": "invite", "membership": membership.pk})
    first = re.search(r"http://\S+(/password-reset/\S+/)", mail.outbox[0].body).group(1)

    html = Client().get(first).content.decode()

    assert '<h1 id="newpw-h">This link no longer works</h1>' in html
    assert "<title>Link no longer works" in html
    assert "Set a new password" not in html
    assert "ask the person who invited you to send it again" in html
