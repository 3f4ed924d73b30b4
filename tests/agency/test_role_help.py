"""The staff roles, one rule: the staff page's role pickers (the add form and each person's
two) offer the roles in one order with one set of labels, say beside them what each role may
do, and the e-mail about a person's role says it in the same words."""

from __future__ import annotations

import re

from django.core import mail

from agency.models import AgencyRole

PEOPLE = "/agency/settings/people/"
OWNER = (
    "runs the agency's work for every clinic it looks after (replies, approvals, settings, "
    "people and API keys); only owners grant the owner role or switch an approval step off."
)
WRITER = (
    "drafts replies to reviews and sorts the incoming reviews of every clinic the agency looks "
    "after."
)


def _pickers(html: str) -> dict[str, list[tuple[str, str]]]:
    """id -> [(value, label)] of each role <select> of the page, and whom it is described by."""
    pickers = {}
    for attrs, options in re.findall(r'<select([^>]*name="role"[^>]*)>(.*?)</select>', html, re.S):
        ident = re.search(r'id="([^"]+)"', attrs).group(1)
        assert 'aria-describedby="role-help"' in attrs, ident
        pickers[ident] = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', options)
    return pickers


def test_every_role_picker_offers_the_same_roles_and_says_what_they_may_do(login, world):
    html = login("alpha_owner").get(PEOPLE).content.decode()
    # what each role may do, in the pickers' order, once on the page
    listed = re.search(r'<ul class="muted" id="role-help"[^>]*>(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<strong>([^<]+)</strong>", listed) == [
        "Owner", "Manager", "Writer", "Analyst"
    ]  # fmt: skip
    assert f"<li><strong>Owner</strong>: {OWNER}</li>".replace("'", "&#x27;") in listed
    assert f"<li><strong>Writer</strong>: {WRITER}</li>" in listed
    # the add form and each person's pickers: the same roles, order and labels
    pickers = _pickers(html)
    assert "id_role" in pickers
    assert any(k.startswith("role-") for k in pickers)
    assert any(k.startswith("clinics-role-") for k in pickers)
    for ident, options in pickers.items():
        assert options == list(AgencyRole.choices), ident


def test_the_invitation_says_the_role_as_the_page_does(login, world):
    mail.outbox.clear()
    login("alpha_owner").post(
        PEOPLE,
        {"action": "add", "email": "fresh@alpha.test", "full_name": "Fresh Writer",
         "role": "writer"},
    )  # fmt: skip
    [invitation] = mail.outbox
    assert f"Your role:\n\n- Writer: {WRITER}\n" in invitation.body
