"""The clinic's roles, one rule: the people page's pickers (portal role, crisis-team roles)
offer the roles in one order, say beside them what each may do, and the e-mails about a
person's roles say the same words in the same order."""

from __future__ import annotations

import re

from django.core import mail

from clinics.models import ClinicRole, CrisisRole

PEOPLE = "/clinics/clinic-a/settings/people/"


def _strong(html: str, ident: str) -> list[str]:
    block = re.search(rf'id="{ident}"[^>]*>(.*?)</(?:ul|div)>', html, re.S).group(1)
    return re.findall(r"<strong>([^<]+)</strong>", block)


def test_the_pickers_offer_the_roles_in_one_order_and_say_what_each_may_do(login, world):
    html = login("alpha_manager").get(PEOPLE).content.decode()
    assert _strong(html, "role-help") == ["Approver", "Viewer"]
    assert (
        "<li><strong>Approver</strong>: approves replies and public statements in the client "
        "portal before they are published (the clinic&#x27;s own approval step).</li>"
    ) in html
    assert "Crisis team roles, each alerted by e-mail as soon as a crisis incident opens:" in html
    assert _strong(html, "crisis-role-help") == [
        "Comms / PR", "Legal / compliance", "Clinician", "Social media manager"
    ]  # fmt: skip
    assert (
        "<li><strong>Clinician</strong>: checks replies that state health details (a condition, "
        "a treatment, a medicine) before they are published.</li>"
    ) in html
    # the form's pickers: the same order and labels, described by those lists
    select = re.search(r'<select name="role"([^>]*)>(.*?)</select>', html, re.S)
    assert 'aria-describedby="role-help"' in select.group(1)
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(2)) == list(
        ClinicRole.choices
    )
    boxes = re.findall(r'<input type="checkbox" name="crisis_roles" value="(\w+)"([^>]*)>', html)
    assert [value for value, _ in boxes] == list(CrisisRole.values)
    assert all('aria-describedby="crisis-role-help"' in attrs for _, attrs in boxes)


def test_the_email_lists_the_crisis_roles_in_the_pickers_order_and_words(login, world):
    mail.outbox.clear()
    login("alpha_manager").post(
        PEOPLE,
        {"action": "save", "email": "sam@clinic-a.test", "full_name": "Sam Rivera",
         "role": "viewer", "crisis_roles": ["social", "clinician", "comms"]},
    )  # fmt: skip
    [invitation] = mail.outbox
    assert (
        "Your role:\n\n"
        "- Viewer: sees the clinic's reviews, replies and incidents in the client portal.\n"
        "- Crisis team, Comms / PR: alerted by e-mail as soon as a crisis incident opens; helps "
        "prepare the clinic's public statements during a crisis.\n"
        "- Crisis team, Clinician: alerted by e-mail as soon as a crisis incident opens; checks "
        "replies that state health details (a condition, a treatment, a medicine) before they are "
        "published.\n"
        "- Crisis team, Social media manager: alerted by e-mail as soon as a crisis incident "
        "opens; follows the clinic's social media while a crisis lasts.\n"
    ) in invitation.body
