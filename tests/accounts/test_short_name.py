"""The name a person is greeted by (User.get_short_name, the portal's "Hello, …"): the first
word of the full name that is not a title."""

from __future__ import annotations

import pytest

from accounts import models as account_models
from accounts.models import User
from core.text import NAME_TITLES, initials


@pytest.mark.parametrize(
    ("full_name", "greeted"),
    [
        ("Dr Cam Clinician", "Cam"),
        ("Dr. Cam Clinician", "Cam"),
        ("prof. dr. Ana Silva", "Ana"),
        ("Mrs  Olive Owner", "Olive"),
        ("Ms Ada", "Ada"),
        ("Wren Writer", "Wren"),
        ("Drew Doctor", "Drew"),
        ("Me François Bouchard", "François"),
        ("Maître François Bouchard", "François"),
        ("MAÎTRE François Bouchard", "François"),
        ("Dre Julie Tremblay", "Julie"),
        ("Pr. Luc Gagnon", "Luc"),
        ("Mx Sam Lee", "Sam"),
        ("Mr. Tom Hill", "Tom"),
        ("Mme Anne Roy", "Anne"),
        ("Nurse Jo Park", "Jo"),
        ("Dr", "Dr"),
        ("", "someone@clinic.test"),
    ],
    ids=["dr", "dr-dot", "two-titles", "mrs-spaces", "ms", "no-title", "dr-prefix-word",
         "me", "maitre", "maitre-capitals", "dre", "pr-dot", "mx", "mr-dot", "mme",
         "nurse", "only-a-title", "no-name"],
)  # fmt: skip
def test_the_greeting_skips_titles(full_name, greeted):
    user = User(email="someone@clinic.test", full_name=full_name)
    assert user.get_short_name() == greeted


def test_one_list_of_titles_serves_the_greeting_and_the_initials():
    # the greeting's titles are the ones the initials leave off: one list, in core
    assert account_models.NAME_TITLES is NAME_TITLES
    assert initials("Dame Ann Lee") == ["AL"]
    assert initials("Mme Anne Roy") == ["AR"]
    assert initials("Nurse Jo Park") == ["JP"]
