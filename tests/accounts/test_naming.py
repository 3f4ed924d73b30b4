"""Pages and lists name people by name, and two people of one name by name and e-mail
(`accounts.naming`)."""

from __future__ import annotations

from types import SimpleNamespace

from accounts.naming import names_told_apart, people_names


def _user(pk: int, name: str, email: str):
    return SimpleNamespace(pk=pk, full_name=name, email=email)


def test_a_name_two_people_share_is_followed_by_each_ones_email():
    users = [
        _user(1, "Lee Legal", "lee@a.test"),
        _user(2, "lee  legal", "lee.l@b.test"),
        _user(3, "Ann Lee", "ann@a.test"),
        _user(4, "", "nameless@a.test"),
    ]

    assert people_names(users) == {
        1: "Lee Legal (lee@a.test)",
        2: "lee  legal (lee.l@b.test)",
        3: "Ann Lee",
        4: "nameless@a.test",
    }


def test_a_person_named_twice_is_one_person_and_no_email_leaves_the_name_alone():
    assert names_told_apart(
        [("user:1", "Lee Legal", "lee@a.test"), ("user:1", "Lee Legal", "lee@a.test"),
         ("api-key:ab12", "API key Lee", ""), ("user:2", "API key Lee", "")]
    ) == {"user:1": "Lee Legal", "api-key:ab12": "API key Lee", "user:2": "API key Lee"}  # fmt: skip
