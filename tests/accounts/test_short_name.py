"""The name a person is greeted by (User.get_short_name, the portal's "Hello, …"): the first
word of the full name that is not a title."""

from __future__ import annotations

import pytest

from accounts.models import User


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
        ("Dr", "Dr"),
        ("", "someone@clinic.test"),
    ],
    ids=["dr", "dr-dot", "two-titles", "mrs-spaces", "ms", "no-title", "dr-prefix-word",
         "me", "maitre", "maitre-capitals", "dre", "pr-dot", "mx", "mr-dot", "mme",
         "only-a-title", "no-name"],
)  # fmt: skip
def test_the_greeting_skips_titles(full_name, greeted):
    user = User(email="someone@clinic.test", full_name=full_name)
    assert user.get_short_name() == greeted
