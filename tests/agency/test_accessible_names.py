"""axe's label-content-name-mismatch: a control's accessible name (its aria-label) contains
the words it shows, so a voice-control user can say what they see ("click Send the
invitation again")."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest


class _Controls(HTMLParser):
    """(aria-label, visible text) of every button and link that has an aria-label."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._open: list[list] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("button", "a"):
            self._open.append([tag, dict(attrs).get("aria-label"), ""])

    def handle_data(self, data):
        for entry in self._open:
            entry[2] += data

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            _, label, text = self._open.pop()
            if label is not None and text.strip():
                self.found.append((label, " ".join(text.split())))


def _controls(html: str) -> list[tuple[str, str]]:
    parser = _Controls()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize(
    ("page", "add"),
    [
        (
            "/agency/settings/people/",
            {"action": "add", "email": "mona@alpha.test", "full_name": "Mona", "role": "manager"},
        ),
        (
            "/clinics/clinic-a/settings/people/",
            {
                "action": "save",
                "email": "mona@clinic-a.test",
                "full_name": "Mona",
                "role": "viewer",
                "crisis_roles": [],
            },
        ),  # fmt: skip
    ],
    ids=["staff", "clinic-people"],
)
def test_every_labelled_control_on_the_people_pages_names_what_it_shows(login, page, add):
    client = login("alpha_owner")
    assert client.post(page, add).status_code == 302  # invited: no password yet
    controls = _controls(client.get(page).content.decode())
    invite = [label for label, text in controls if text == "Send the invitation again"]
    assert invite == [f"Send the invitation again to {add['email']}"]
    for label, text in controls:
        assert text.lower() in label.lower(), (label, text)
