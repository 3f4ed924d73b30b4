"""`|ago`: "just now" under a minute, never "0 minutes ago"; the waiting line of a text uses
it ("told just now")."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from core.templatetags.carewatch import ago


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        pytest.param(0, "just now", id="now"),
        pytest.param(59, "just now", id="59s"),
        pytest.param(61, "1\xa0minute ago", id="1min"),
        pytest.param(3 * 3600 + 5, "3\xa0hours ago", id="3h"),
    ],
)
def test_ago(seconds, words):
    assert ago(timezone.now() - timedelta(seconds=seconds)) == words


def test_ago_of_nothing_is_empty():
    assert ago(None) == ""


def test_the_waiting_line_says_told_just_now():
    waiting = SimpleNamespace(
        nobody="", label="clinic approval", names="A Approver", told_at=timezone.now(),
        reminded_at=None, not_signed_in="", step="client", can_remind_now=True,
    )  # fmt: skip
    html = render_to_string(
        "responses/_waiting.html",
        {"waiting": waiting, "kind": "reply", "obj": SimpleNamespace(pk=1), "can_write": False,
         "clinic": SimpleNamespace(slug="clinic-a")},
    )  # fmt: skip
    assert "Waiting for the clinic approval from A Approver, told just now." in html
    assert "0\xa0minutes" not in html
