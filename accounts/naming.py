"""How pages and lists name people: their name, or their e-mail when they have none; and when
two people one page names share a name ("Lee Legal or Lee Legal"), each of them with their
e-mail too ("Lee Legal (lee@a.test) or Lee Legal (lee.l@b.test)"), so that a reader can tell
them apart. The one place that decides it, for every page and list that names people."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def person_name(user) -> str:
    """ "Ann Lee", or "ann@x.test" for a person with no name."""
    return user.full_name or user.email


def names_told_apart(people: Iterable[tuple[K, str, str]]) -> dict[K, str]:
    """{key: the name to show} for the people one page or list names, each given once as
    (key, name, e-mail): a name that two of them or more share (whatever its case and spaces)
    is followed by the person's e-mail. An e-mail left empty (the reader may not see it, or
    it is not a person) leaves the name alone."""
    people = list({key: (name, email) for key, name, email in people}.items())
    counts = Counter(_same(name) for _key, (name, _email) in people)
    return {
        key: f"{name} ({email})" if email and counts[_same(name)] > 1 and name != email else name
        for key, (name, email) in people
    }


def people_names(users: Iterable) -> dict[int, str]:
    """{user id: the name to show} for the people one page names (`names_told_apart`)."""
    return names_told_apart((u.pk, person_name(u), u.email) for u in users)


def _same(name: str) -> str:
    return " ".join(name.split()).casefold()
